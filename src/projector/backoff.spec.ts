import { backoffMs } from './backoff.js';

describe('backoffMs', () => {
  it('doubles per attempt up to the cap, with jitter in [d/2, d]', () => {
    expect(backoffMs(1, 1000, 300_000, () => 1)).toBe(2000);
    expect(backoffMs(1, 1000, 300_000, () => 0)).toBe(1000);
    expect(backoffMs(3, 1000, 300_000, () => 1)).toBe(8000);
    expect(backoffMs(20, 1000, 300_000, () => 1)).toBe(300_000);
    expect(backoffMs(20, 1000, 300_000, () => 0)).toBe(150_000);
    expect(backoffMs(1000, 1000, 300_000, () => 0.5)).toBe(225_000);
  });
});
