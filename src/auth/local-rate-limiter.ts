/**
 * Per-key token bucket (SPEC §8): capacity = the per-minute limit, refilled continuously.
 * In-process state: each service instance limits independently. Used for the per-address
 * failure limit of auth.hook.ts, which stays per instance on purpose (SCALING.md: a shared bucket
 * would make every anonymous request a database write); the per-key limit is shared in
 * PostgreSQL (rate-limiter.ts).
 */
export class LocalRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly refillPerMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.refillPerMs = perMinute / 60_000;
  }

  /** Takes one token; returns 0 when allowed, else the whole seconds to wait for one. */
  take(key: string): number {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.perMinute, at: t };
    b.tokens = Math.min(this.perMinute, b.tokens + (t - b.at) * this.refillPerMs);
    b.at = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.buckets.set(key, b);
      if (this.buckets.size > 100_000) this.evictFull(t);
      return 0;
    }
    this.buckets.set(key, b);
    return Math.max(1, Math.ceil((1 - b.tokens) / this.refillPerMs / 1000));
  }

  private evictFull(t: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + (t - b.at) * this.refillPerMs >= this.perMinute) this.buckets.delete(k);
    }
  }
}
