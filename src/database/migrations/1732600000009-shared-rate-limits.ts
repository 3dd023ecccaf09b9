import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Limits that hold across service instances (SPEC §8; SCALING.md). The per-key token buckets
 * live in PostgreSQL, which every instance shares, and are taken with one atomic upsert per
 * request (src/auth/rate-limiter.ts). UNLOGGED: no WAL per request, and a crash of the database
 * empties the table — every bucket starts full again, which is the safe side of a rate limit.
 * No foreign key: a check against api_keys on every request buys nothing (keys are never deleted).
 * The per-org query cap needs no table: it takes transaction-level advisory locks.
 */
export class SharedRateLimits1732600000009 implements MigrationInterface {
  name = 'SharedRateLimits1732600000009';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE UNLOGGED TABLE rate_limit_buckets (
        key_id       uuid             NOT NULL,
        tokens       double precision NOT NULL,
        refilled_at  timestamptz      NOT NULL,
        last_allowed boolean          NOT NULL,
        CONSTRAINT rate_limit_buckets_pkey PRIMARY KEY (key_id)
      ) WITH (fillfactor = 70)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rate_limit_buckets`);
  }
}
