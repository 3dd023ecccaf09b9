import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { queryRows } from '#src/database/query-rows.js';
import type { OutboxType } from '#src/pipeline/pipeline.vocabulary.js';

export interface ClaimedRow {
  id: string;
  org_id: string;
  source_type: OutboxType;
  source_id: string;
  attempts: number;
}

/** Another pending row for the same source carries the work: this one is superseded. */
const SUPERSEDED = `EXISTS (SELECT 1 FROM reporting_outbox p WHERE p.status = 'pending' AND p.org_id = o.org_id
  AND p.source_type = o.source_type AND p.source_id = o.source_id AND p.id <> o.id)`;

/**
 * The claim's planner settings, until the end of its transaction. The only good plan walks a
 * pending index in id order, stops at the limit, and finds each claimed row again by its primary
 * key. The outbox's statistics are always behind (a burst of ingest or a backfill adds rows
 * faster than autovacuum analyzes): with them the planner picks a bitmap scan and a sort of every
 * pending row (0.3 s per claim at 200k pending, against 5 ms), or joins the claimed ids to the
 * UPDATE's target by hashing a full scan of the primary key — every row the outbox keeps,
 * completed ones included: 55 of a claim's 120 ms at 200k rows, and growing with the retention
 * (EXPLAIN ANALYZE; BENCHMARKS.md).
 */
export const CLAIM_PLAN_SQL = `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true),
  set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)`;

/** $1 limit, $2 lease in ms, $3 org (null: all orgs); after CLAIM_PLAN_SQL in the same transaction. */
export const CLAIM_SQL = `WITH c AS (
    SELECT o.id FROM reporting_outbox o
    WHERE o.status = 'pending' AND o.next_attempt_at <= now() AND ($3::uuid IS NULL OR o.org_id = $3)
      -- OFFSET 0 keeps this a per-row probe of the in-flight index. Flattened into an anti
      -- join, the planner trusts the (always stale) statistic of ~1 processing row and
      -- compares every candidate with every in-flight row: 2,000 × 2,000 = 0.5 s per claim
      -- while another worker holds a batch, against 5 ms probed (EXPLAIN ANALYZE).
      AND NOT EXISTS (SELECT 1 FROM reporting_outbox p WHERE p.status = 'processing' AND p.org_id = o.org_id
                      AND p.source_type = o.source_type AND p.source_id = o.source_id OFFSET 0)
    ORDER BY o.id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
  )
  UPDATE reporting_outbox o
     SET status = 'processing', attempts = o.attempts + 1,
         lease_until = now() + make_interval(secs => $2::double precision / 1000), updated_at = now()
    FROM c WHERE o.id = c.id
  RETURNING o.id::text AS id, o.org_id, o.source_type, o.source_id, o.attempts`;

export interface FailedRow { id: string; source_type: OutboxType; source_id: string; attempts: number; last_error: string | null; updated_at: Date }

/**
 * The outbox's SQL after its rows are written (SPEC §5): claim, fence, finish, release, prune,
 * retry, and the counts operators and metrics read; patterns after pg-boss / graphile-worker.
 * Rows are written by the statements that change their sources (ingest, backfill, the seeder),
 * in the same statement, and reporting's freshness reads their age per dataset.
 */
@Injectable()
export class OutboxRepository {
  /**
   * Claims due pending rows, oldest first, with SKIP LOCKED so concurrent claimers never take the
   * same row; never a source that is already in flight elsewhere. Attempts are counted at claim time.
   */
  async claim(em: EntityManager, limit: number, leaseMs: number, orgId?: string): Promise<ClaimedRow[]> {
    await em.query(CLAIM_PLAN_SQL);
    return queryRows<ClaimedRow>(em, CLAIM_SQL, [limit, leaseMs, orgId ?? null]);
  }

  /**
   * Fencing: of the rows this worker claimed, the ones still its own — processing, with the
   * attempts count of its claim (attempts are counted at claim time, so a re-claim after a lease
   * expiry changes them) — locked until the transaction ends. While a transaction holds these
   * locks no other worker can release or re-claim the rows, even when it outlives its lease.
   * Re-pricing steps run under it; a projection batch only when its unfenced run met rows it no
   * longer owned (completeClaimed). An unfenced batch can be projecting a source while a worker
   * that re-claimed it after the lease does too; only the owner's completion can commit.
   */
  async lockOwned(em: EntityManager, rows: ClaimedRow[]): Promise<Set<string>> {
    const owned = await queryRows<{ id: string }>(em,
      `SELECT o.id::text AS id FROM reporting_outbox o
         JOIN unnest($1::bigint[], $2::int[]) AS c(id, attempts) ON c.id = o.id AND c.attempts = o.attempts
        WHERE o.status = 'processing'
        ORDER BY o.id
        FOR UPDATE OF o`,
      [rows.map((r) => r.id), rows.map((r) => r.attempts)],
    );
    return new Set(owned.map((r) => r.id));
  }

  /**
   * A long unit of work (re-pricing) renews its lease at each step, under lockOwned in the same
   * transaction, so a live worker keeps it and a dead one's expires one lease after its last step.
   */
  async renewLease(em: EntityManager, id: string, leaseMs: number): Promise<void> {
    await em.query(`UPDATE reporting_outbox SET lease_until = now() + make_interval(secs => $2::double precision / 1000), updated_at = now()
      WHERE id = $1 AND status = 'processing'`, [id, leaseMs]);
  }

  /**
   * The end of an unfenced projection: marks the claimed rows completed in the transaction that
   * projected them, and says whether every one was still this worker's — processing, with the
   * attempts of its claim. The update takes the rows' locks itself, so a batch projected without
   * lockOwned first (one lock, one WAL record and one statement per batch fewer) still never
   * commits rows another worker owns: when one was released or re-claimed meanwhile (its lease
   * expired mid-batch), the caller rolls the whole batch back, this update with it, and projects
   * it again under lockOwned.
   */
  async completeClaimed(em: EntityManager, rows: ClaimedRow[]): Promise<boolean> {
    if (rows.length === 0) return true;
    const done = await this.completed(em, rows.map((r) => r.id));
    const claimed = new Map(rows.map((r) => [r.id, r.attempts]));
    return done.length === rows.length && done.every((r) => claimed.get(r.id) === r.attempts);
  }

  /** Marks rows completed; callers hold them through lockOwned in the same transaction. */
  async complete(em: EntityManager, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.completed(em, ids)).length;
  }

  /** The completion itself: the listed rows still processing marked completed, returned with their attempts. */
  private completed(em: EntityManager, ids: string[]): Promise<{ id: string; attempts: number }[]> {
    return queryRows(em,
      // clock_timestamp(): when the facts were written, not when the transaction began — this
      // is the moment a row became visible, which freshness measurements read.
      `UPDATE reporting_outbox SET status = 'completed', lease_until = NULL, last_error = NULL, updated_at = clock_timestamp()
        WHERE id = ANY($1::bigint[]) AND status = 'processing' RETURNING id::text AS id, attempts`,
      [ids],
    );
  }

  /**
   * A failed attempt: back to pending after a backoff, or `failed` at the retry limit.
   * Returns whether the row became terminally failed.
   */
  async fail(em: EntityManager, row: ClaimedRow, error: string, maxAttempts: number, delayMs: number): Promise<'failed' | 'retry' | 'superseded' | 'lost'> {
    const superseded = await queryRows(em,
      `DELETE FROM reporting_outbox o WHERE o.id = $1 AND o.attempts = $2 AND o.status = 'processing' AND ${SUPERSEDED} RETURNING 1`,
      [row.id, row.attempts],
    );
    if (superseded.length > 0) return 'superseded';
    const [r] = await queryRows<{ status: string }>(em,
      `UPDATE reporting_outbox
          SET status = CASE WHEN attempts >= $2 THEN 'failed' ELSE 'pending' END,
              next_attempt_at = now() + make_interval(secs => $3::double precision / 1000),
              last_error = left($4, 500), lease_until = NULL, updated_at = now()
        WHERE id = $1 AND attempts = $5 AND status = 'processing'
        RETURNING status`,
      [row.id, maxAttempts, delayMs, error, row.attempts],
    );
    // No row: the lease expired and another worker owns it now; its outcome is theirs to record.
    return r === undefined ? 'lost' : r.status === 'failed' ? 'failed' : 'retry';
  }

  /** Rows of crashed workers (lease expired) become claimable again, or failed at the limit. */
  async releaseExpired(em: EntityManager, maxAttempts: number): Promise<number> {
    const rows = await queryRows(em,
      `WITH exp AS (
         SELECT o.id, ${SUPERSEDED} AS superseded FROM reporting_outbox o
         WHERE o.status = 'processing' AND o.lease_until < now() FOR UPDATE SKIP LOCKED
       ),
       gone AS (DELETE FROM reporting_outbox o USING exp WHERE o.id = exp.id AND exp.superseded RETURNING o.id)
       UPDATE reporting_outbox o
          SET status = CASE WHEN o.attempts >= $1 THEN 'failed' ELSE 'pending' END,
              last_error = CASE WHEN o.attempts >= $1 THEN coalesce(o.last_error, 'lease expired') ELSE o.last_error END,
              lease_until = NULL, next_attempt_at = now(), updated_at = now()
         FROM exp WHERE o.id = exp.id AND NOT exp.superseded
       RETURNING 1`,
      [maxAttempts],
    );
    return rows.length;
  }

  /**
   * Gives back claims this worker abandoned when the database went away mid-pass (the rows it
   * claimed are still `processing` under its lease): back to pending at once, or removed when a
   * newer pending row of the same source carries the work — instead of idling until the lease
   * (5 min by default) expires. Fenced by the claim's attempts, so a row re-claimed meanwhile
   * (after a lease expiry) is left to its new owner.
   */
  async releaseClaims(em: EntityManager, rows: ClaimedRow[]): Promise<number> {
    const released = await queryRows(em,
      `WITH mine AS (
         SELECT o.id, ${SUPERSEDED} AS superseded FROM reporting_outbox o
           JOIN unnest($1::bigint[], $2::int[]) AS c(id, attempts) ON c.id = o.id AND c.attempts = o.attempts
          WHERE o.status = 'processing'
          ORDER BY o.id
          FOR UPDATE OF o SKIP LOCKED
       ),
       gone AS (DELETE FROM reporting_outbox o USING mine WHERE o.id = mine.id AND mine.superseded RETURNING o.id)
       UPDATE reporting_outbox o SET status = 'pending', lease_until = NULL, next_attempt_at = now(), updated_at = now()
         FROM mine WHERE o.id = mine.id AND NOT mine.superseded
       RETURNING 1`,
      [rows.map((r) => r.id), rows.map((r) => r.attempts)],
    );
    return released.length;
  }

  async prune(em: EntityManager, retentionHours: number, batch = 10_000): Promise<number> {
    const rows = await queryRows(em,
      `DELETE FROM reporting_outbox WHERE id IN (
         SELECT id FROM reporting_outbox WHERE status = 'completed' AND updated_at < now() - make_interval(hours => $1) LIMIT $2)
       RETURNING 1`,
      [retentionHours, batch],
    );
    return rows.length;
  }

  /** SPEC §5 retry: failed rows (all of the org's, or the listed ids) back to pending. */
  async retryFailed(em: EntityManager, orgId: string, ids: string[] | null): Promise<number> {
    const superseded = await queryRows(em,
      `DELETE FROM reporting_outbox o WHERE o.org_id = $1 AND o.status = 'failed' AND ($2::bigint[] IS NULL OR o.id = ANY($2))
         AND ${SUPERSEDED} RETURNING 1`,
      [orgId, ids],
    );
    const rows = await queryRows(em,
      `UPDATE reporting_outbox SET status = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()
        WHERE org_id = $1 AND status = 'failed' AND ($2::bigint[] IS NULL OR id = ANY($2)) RETURNING 1`,
      [orgId, ids],
    );
    return superseded.length + rows.length;
  }

  /** Rows by status, of the listed orgs or all. */
  async countByStatus(em: EntityManager, orgIds: string[] | null): Promise<Record<'pending' | 'processing' | 'completed' | 'failed', number>> {
    const rows = await queryRows<{ status: string; n: number }>(em,
      `SELECT status, count(*)::int AS n FROM reporting_outbox WHERE ($1::uuid[] IS NULL OR org_id = ANY($1)) GROUP BY status`,
      [orgIds],
    );
    const n = (s: string) => rows.find((r) => r.status === s)?.n ?? 0;
    return { pending: n('pending'), processing: n('processing'), completed: n('completed'), failed: n('failed') };
  }

  /** Age in ms of the org's oldest pending row; null when none. */
  async oldestPendingAgeMs(em: EntityManager, orgId: string): Promise<number | null> {
    const [r] = await queryRows<{ age: number | null }>(em,
      `SELECT (extract(epoch FROM now() - min(created_at)) * 1000)::bigint AS age FROM reporting_outbox WHERE org_id = $1 AND status = 'pending'`,
      [orgId],
    );
    return r.age === null ? null : Math.max(0, r.age);
  }

  /** The org's most recently failed rows. */
  async recentFailures(em: EntityManager, orgId: string, limit: number): Promise<FailedRow[]> {
    return queryRows<FailedRow>(em,
      `SELECT id::text, source_type, source_id, attempts, last_error, updated_at FROM reporting_outbox
        WHERE org_id = $1 AND status = 'failed' ORDER BY updated_at DESC, id DESC LIMIT $2`,
      [orgId, limit],
    );
  }

  /** Age in seconds of the oldest unprojected row of all orgs (0 when none). */
  async lagSeconds(em: EntityManager): Promise<number> {
    // The oldest pending row is the lowest pending id (ids grow with creation); in-flight rows are few.
    const [r] = await queryRows<{ s: number }>(em,
      `SELECT coalesce(extract(epoch FROM now() - least(
         (SELECT created_at FROM reporting_outbox WHERE status = 'pending' ORDER BY id LIMIT 1),
         (SELECT min(created_at) FROM reporting_outbox WHERE status = 'processing'))), 0)::float8 AS s`,
    );
    return r.s;
  }
}
