import type { DataSource } from 'typeorm';

/**
 * One token of the key's bucket, taken atomically in PostgreSQL so that every service instance
 * draws on the same bucket (SPEC §8; SCALING.md). Capacity = the per-minute limit, refilled
 * continuously at limit/60 per second. The row lock of the upsert serializes concurrent requests
 * of one key; other keys never wait. `allowed` carries the decision out through RETURNING.
 * `$2` is the capacity and `$3` the tokens per second; `keys` is a SELECT yielding the key ids
 * to take from (one, in practice), so authentication can take its token in the same statement.
 */
const AVAILABLE = `least($2::float8, b.tokens + extract(epoch FROM now() - b.refilled_at)::float8 * $3::float8)`;
export function takeTokenSql(keys: string): string {
  return `
  INSERT INTO rate_limit_buckets AS b (key_id, tokens, refilled_at, last_allowed)
  ${keys}
  ON CONFLICT (key_id) DO UPDATE SET
    tokens = ${AVAILABLE} - CASE WHEN ${AVAILABLE} >= 1 THEN 1 ELSE 0 END,
    refilled_at = now(),
    last_allowed = ${AVAILABLE} >= 1
  RETURNING key_id, last_allowed AS allowed, tokens`;
}

/** $1 the key id. */
const TAKE_SQL = takeTokenSql(`VALUES ($1::uuid, $2::float8 - 1, now(), true)`);

/** Per-key token bucket (SPEC §8), shared by every instance on the database. */
export class RateLimiter {
  /** The parameters after the first of every take statement: capacity, tokens per second. */
  readonly params: [number, number];

  constructor(
    private readonly dataSource: DataSource,
    perMinute: number,
  ) {
    this.params = [perMinute, perMinute / 60];
  }

  /** Takes one token; resolves to 0 when allowed, else the whole seconds to wait for one. */
  async take(keyId: string): Promise<number> {
    const [r]: { allowed: boolean; tokens: number }[] = await this.dataSource.query(TAKE_SQL, [keyId, ...this.params]);
    return this.wait(r);
  }

  /** The outcome of a take statement's RETURNING row: 0 when allowed, else whole seconds to wait. */
  wait(r: { allowed: boolean; tokens: number }): number {
    if (r.allowed) return 0;
    return Math.max(1, Math.ceil((1 - r.tokens) / this.params[1]));
  }
}
