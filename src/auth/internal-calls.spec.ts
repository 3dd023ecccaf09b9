import { InternalCalls } from './internal-calls.js';

describe('InternalCalls: one-use tokens for a route run in-process for an authenticated caller', () => {
  const caller = { orgId: 'o', keyId: 'k', role: 'member' as const };

  it('a token stands for its caller once; an ended, unknown or non-string token for nobody', () => {
    const calls = new InternalCalls();
    const token = calls.begin(caller);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(calls.redeem(token)).toEqual(caller);
    expect(calls.redeem(token)).toBeUndefined();
    const ended = calls.begin(caller);
    calls.end(ended);
    expect(calls.redeem(ended)).toBeUndefined();
    expect(calls.redeem('A'.repeat(43))).toBeUndefined();
    expect(calls.redeem(['x'])).toBeUndefined();
    expect(calls.redeem(undefined)).toBeUndefined();
    expect(calls.begin(caller)).not.toBe(calls.begin(caller));
  });
});
