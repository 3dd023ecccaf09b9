import type { DataSource } from 'typeorm';

/**
 * One token of the key's bucket, taken atomically in PostgreSQL so that every service instance
 * draws on the same bucket (SPEC §8; SCALING.md). Capacity = the per-minute limit, refilled
 * continuously at limit/60 per second. The row lock of the upsert serializes concurrent requests
 * of one key; other keys never wait. `last_allowed` carries the decision out through RETURNING.
 * $1 key id, $2 capacity, $3 tokens per second.
 */
const AVAILABLE = `least($2::float8, b.tokens + extract(epoch FROM now() - b.refilled_at)::float8 * $3::float8)`;
const TAKE_SQL = `
  INSERT INTO rate_limit_buckets AS b (key_id, tokens, refilled_at, last_allowed)
  VALUES ($1, $2::float8 - 1, now(), true)
  ON CONFLICT (key_id) DO UPDATE SET
    tokens = ${AVAILABLE} - CASE WHEN ${AVAILABLE} >= 1 THEN 1 ELSE 0 END,
    refilled_at = now(),
    last_allowed = ${AVAILABLE} >= 1
  RETURNING last_allowed AS allowed, tokens`;

/** Per-key token bucket (SPEC §8), shared by every instance on the database. */
export class RateLimiter {
  private readonly perSecond: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly perMinute: number,
  ) {
    this.perSecond = perMinute / 60;
  }

  /** Takes one token; resolves to 0 when allowed, else the whole seconds to wait for one. */
  async take(keyId: string): Promise<number> {
    const [r]: { allowed: boolean; tokens: number }[] = await this.dataSource.query(TAKE_SQL, [keyId, this.perMinute, this.perSecond]);
    if (r.allowed) return 0;
    return Math.max(1, Math.ceil((1 - r.tokens) / this.perSecond));
  }
}
