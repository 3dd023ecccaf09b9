import { LocalRateLimiter } from './local-rate-limiter.js';

describe('LocalRateLimiter', () => {
  it('allows a full bucket, then asks to wait for one token, then refills', () => {
    let now = 1_000_000;
    const limiter = new LocalRateLimiter(60, () => now);
    for (let i = 0; i < 60; i++) expect(limiter.take('k')).toBe(0);
    expect(limiter.take('k')).toBe(1);
    now += 1000;
    expect(limiter.take('k')).toBe(0);
    expect(limiter.take('k')).toBe(1);
    expect(limiter.take('other')).toBe(0);
  });

  it('rounds the wait up to whole seconds', () => {
    let now = 0;
    const limiter = new LocalRateLimiter(3, () => now);
    limiter.take('k');
    limiter.take('k');
    limiter.take('k');
    expect(limiter.take('k')).toBe(20);
    now += 10_000;
    expect(limiter.take('k')).toBe(10);
  });
});
