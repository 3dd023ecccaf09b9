import type { DataSource, QueryRunner } from 'typeorm';
import { OUTBOX_CHANNEL, SOURCE_TYPES, type SourceType } from '#src/pipeline/pipeline.vocabulary.js';
import { BACKFILL_PLAN_SQL, type BackfillMode, backfillStep, type WalkRow } from './backfill.sql.js';

export interface BackfillCounts { enqueued: number; events: number; llm_generations: number; sessions: number; usage_ledger: number }

interface Position extends WalkRow { type: SourceType }
interface Step { type: SourceType; after: Position | null; upTo: Position | null }

/**
 * The walk a call makes, starting after `from`: the rest of from's source type, the types after it,
 * then — wrapping around — the types before it and from's type up to `from`. Without a position,
 * every type whole, in order. A call that goes round without filling its limit has read every row.
 */
function walk(from: Position | null): Step[] {
  if (!from) return SOURCE_TYPES.map((type) => ({ type, after: null, upTo: null }));
  const k = SOURCE_TYPES.indexOf(from.type);
  return [
    { type: from.type, after: from, upTo: null },
    ...SOURCE_TYPES.slice(k + 1).map((type) => ({ type, after: null, upTo: null })),
    ...SOURCE_TYPES.slice(0, k).map((type) => ({ type, after: null, upTo: null })),
    { type: from.type, after: null, upTo: from },
  ];
}

/** Backfill calls of one org queue on this advisory lock (two-key form: its own key space, apart from ingest's). */
const BACKFILL_LOCK = 1_717_920_003;

/**
 * One backfill call (SPEC §5): enqueues up to `limit` of the org's canonical rows whose facts are
 * missing or stale and that are not already waiting, in the order events, sessions,
 * llm_generations, usage_ledger, oldest first.
 *
 * Resumable without re-reading: the org's row in reporting_backfill_positions holds the last row
 * the previous call picked, and this call continues after it. A call that fills its limit leaves
 * its last row there; one that does not has gone round every row (wrapping past the end to the
 * position it started from) and clears it, so the next call starts a new pass from the oldest row.
 * Rows that become stale behind the position are found when the walk comes round to them. So a
 * call that enqueues fewer than its limit leaves nothing behind, running it again enqueues nothing
 * new, and a million rows are read about once in all rather than once per call.
 *
 * Each statement commits on its own, with the position it reached: a statement inserts one source
 * type's rows in id order, the order ingest inserts in, so the two never wait on each other in a
 * cycle — one transaction across statements (session rows, then generations; a wrap, then rows
 * before the ones it holds) could deadlock with an ingest of the same sources. A call that fails
 * part way has enqueued what it committed and resumes from there. Concurrent calls of one org
 * queue on an advisory lock held for the call, so each continues where the previous one stopped;
 * other orgs are not held up.
 */
export async function backfill(ds: DataSource, orgId: string, limit: number): Promise<BackfillCounts> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SELECT pg_advisory_lock($1, hashtext($2::text))`, [BACKFILL_LOCK, orgId]);
    try {
      return await walkAndEnqueue(runner, orgId, limit);
    } finally {
      await runner.query(`SELECT pg_advisory_unlock($1, hashtext($2::text))`, [BACKFILL_LOCK, orgId]);
    }
  } finally {
    await runner.release();
  }
}

async function walkAndEnqueue(runner: QueryRunner, orgId: string, limit: number): Promise<BackfillCounts> {
  const [p]: { source_type: SourceType | null; created_at: string | null; id: string | null }[] = await runner.query(
    `SELECT source_type, created_at::text AS created_at, id::text AS id FROM reporting_backfill_positions WHERE org_id = $1`,
    [orgId],
  );
  const from = p?.source_type ? { type: p.source_type, createdAt: p.created_at!, id: p.id! } : null;
  const savePosition = (at: Position | null) => runner.query(
    `INSERT INTO reporting_backfill_positions (org_id, source_type, created_at, id) VALUES ($1, $2, $3::timestamptz, $4::uuid)
     ON CONFLICT (org_id) DO UPDATE SET source_type = excluded.source_type, created_at = excluded.created_at, id = excluded.id, updated_at = clock_timestamp()`,
    [orgId, at?.type ?? null, at?.createdAt ?? null, at?.id ?? null],
  );
  const enqueued: Record<SourceType, number> = { event: 0, session: 0, llm_generation: 0, usage_ledger: 0 };
  let remaining = limit;
  let last: Position | null = null;
  for (const step of walk(from)) {
    let after = step.after;
    // Behind the position (the end of a pass) most rows are likely waiting: read them at once.
    let mode: BackfillMode = step.upTo ? 'hash' : 'probe';
    while (remaining > 0) {
      const { sql, params } = backfillStep(mode, step.type, orgId, remaining, after, step.upTo);
      await runner.startTransaction();
      let r: { picked: number; enqueued: number; sessions: number; events: number; created_at: string | null; id: string | null };
      try {
        await runner.query(BACKFILL_PLAN_SQL[mode]);
        [r] = await runner.query(sql, params);
        if (r.picked > 0) await savePosition({ type: step.type, createdAt: r.created_at!, id: r.id! });
        await runner.commitTransaction();
      } catch (err) {
        await runner.rollbackTransaction();
        throw err;
      }
      enqueued[step.type] += r.enqueued;
      // The turns and sessions of re-priced generations (backfill.sql.ts): counted, not limited.
      enqueued.session += r.sessions;
      enqueued.event += r.events;
      const asked = remaining;
      remaining -= r.enqueued;
      if (r.picked === 0) break;
      last = after = { type: step.type, createdAt: r.created_at!, id: r.id! };
      // Fewer picked than asked: this range has no more rows to give. Picked but not all enqueued
      // (some were waiting in the outbox already): go on after the last one picked — reading the
      // rest at once when most were waiting, as when a finished backfill is run again.
      if (r.picked < asked) break;
      if (r.enqueued * 2 < r.picked) mode = 'hash';
    }
    if (remaining === 0) break;
  }
  await savePosition(remaining === 0 ? last : null);
  const total = enqueued.event + enqueued.session + enqueued.llm_generation + enqueued.usage_ledger;
  if (total > 0) await runner.query(`SELECT pg_notify($1, $2)`, [OUTBOX_CHANNEL, orgId]);
  return { enqueued: total, events: enqueued.event, sessions: enqueued.session, llm_generations: enqueued.llm_generation, usage_ledger: enqueued.usage_ledger };
}
