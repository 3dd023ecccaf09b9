import { parseEvery, stateFor } from './alert-condition.js';

describe('alert conditions', () => {
  it('parses every as minutes or hours, 1 minute to 1 week', () => {
    expect(parseEvery('1m')).toBe(60);
    expect(parseEvery('15m')).toBe(900);
    expect(parseEvery('2h')).toBe(7200);
    expect(parseEvery('168h')).toBe(604_800);
    expect(parseEvery('169h')).toBeNull();
    expect(parseEvery('0m')).toBeNull();
    expect(parseEvery('30s')).toBeNull();
    expect(parseEvery('1d')).toBeNull();
    expect(parseEvery(' 5m')).toBeNull();
  });

  it('compares with the op; the threshold itself fires only for gte and lte', () => {
    expect(stateFor(10, 'gt', 10)).toBe('ok');
    expect(stateFor(10.5, 'gt', 10)).toBe('firing');
    expect(stateFor(10, 'gte', 10)).toBe('firing');
    expect(stateFor(10, 'lt', 10)).toBe('ok');
    expect(stateFor(9, 'lt', 10)).toBe('firing');
    expect(stateFor(10, 'lte', 10)).toBe('firing');
    expect(stateFor(11, 'lte', 10)).toBe('ok');
  });

  it('an unknown value breaches nothing', () => {
    expect(stateFor(null, 'lt', 10)).toBe('ok');
  });
});
