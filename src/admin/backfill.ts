import type { EntityManager } from 'typeorm';
import { OUTBOX_CHANNEL } from '../ingest/ingest.service.js';
import { BACKFILL_PLAN_SQL, BACKFILL_SOURCE_TYPES, type BackfillMode, type BackfillSourceType, backfillStep, type WalkRow } from './backfill.sql.js';

export interface BackfillCounts { enqueued: number; events: number; llm_generations: number; sessions: number; usage_ledger: number }

interface Position extends WalkRow { type: BackfillSourceType }
interface Step { type: BackfillSourceType; after: Position | null; upTo: Position | null }

/**
 * The walk a call makes, starting after `from`: the rest of from's source type, the types after it,
 * then — wrapping around — the types before it and from's type up to `from`. Without a position,
 * every type whole, in order. A call that goes round without filling its limit has read every row.
 */
function walk(from: Position | null): Step[] {
  if (!from) return BACKFILL_SOURCE_TYPES.map((type) => ({ type, after: null, upTo: null }));
  const k = BACKFILL_SOURCE_TYPES.indexOf(from.type);
  return [
    { type: from.type, after: from, upTo: null },
    ...BACKFILL_SOURCE_TYPES.slice(k + 1).map((type) => ({ type, after: null, upTo: null })),
    ...BACKFILL_SOURCE_TYPES.slice(0, k).map((type) => ({ type, after: null, upTo: null })),
    { type: from.type, after: null, upTo: from },
  ];
}

/**
 * One backfill call (SPEC §5) in the caller's transaction: enqueues up to `limit` of the org's
 * canonical rows whose facts are missing or stale and that are not already waiting, in the order
 * events, sessions, llm_generations, usage_ledger, oldest first.
 *
 * Resumable without re-reading: the org's row in reporting_backfill_positions holds the last row
 * the previous call picked, and this call continues after it. A call that fills its limit leaves
 * its last row there; one that does not has gone round every row (wrapping past the end to the
 * position it started from) and clears it, so the next call starts a new pass from the oldest row.
 * Rows that become stale behind the position are found when the walk comes round to them. So a
 * call that enqueues fewer than its limit leaves nothing behind, running it again enqueues nothing
 * new, and a million rows are read about once in all rather than once per call.
 *
 * Concurrent calls of one org queue on the position row (FOR UPDATE), so each continues where the
 * previous one stopped and none picks a row another has just enqueued; other orgs are not held up.
 */
export async function backfillOnce(em: EntityManager, orgId: string, limit: number): Promise<BackfillCounts> {
  await em.query(`INSERT INTO reporting_backfill_positions (org_id) VALUES ($1) ON CONFLICT (org_id) DO NOTHING`, [orgId]);
  const [p]: { source_type: BackfillSourceType | null; created_at: string | null; id: string | null }[] = await em.query(
    `SELECT source_type, created_at::text AS created_at, id::text AS id FROM reporting_backfill_positions WHERE org_id = $1 FOR UPDATE`,
    [orgId],
  );
  const from = p.source_type ? { type: p.source_type, createdAt: p.created_at!, id: p.id! } : null;
  const enqueued: Record<BackfillSourceType, number> = { event: 0, session: 0, llm_generation: 0, usage_ledger: 0 };
  let remaining = limit;
  let last: Position | null = null;
  let mode: BackfillMode | null = null;
  for (const step of walk(from)) {
    let after = step.after;
    // Behind the position (the end of a pass) most rows are likely waiting: read them at once.
    let want: BackfillMode = step.upTo ? 'hash' : 'probe';
    while (remaining > 0) {
      if (mode !== want) await em.query(BACKFILL_PLAN_SQL[(mode = want)]);
      const { sql, params } = backfillStep(mode, step.type, orgId, remaining, after, step.upTo);
      const [r]: { picked: number; enqueued: number; created_at: string | null; id: string | null }[] = await em.query(sql, params);
      enqueued[step.type] += r.enqueued;
      const asked = remaining;
      remaining -= r.enqueued;
      if (r.picked === 0) break;
      last = after = { type: step.type, createdAt: r.created_at!, id: r.id! };
      // Fewer picked than asked: this range has no more rows to give. Picked but not all enqueued
      // (some were waiting in the outbox already): go on after the last one picked — reading the
      // rest at once when most were waiting, as when a finished backfill is run again.
      if (r.picked < asked) break;
      if (r.enqueued * 2 < r.picked) want = 'hash';
    }
    if (remaining === 0) break;
  }
  const next = remaining === 0 ? last : null;
  await em.query(
    `UPDATE reporting_backfill_positions SET source_type = $2, created_at = $3::timestamptz, id = $4::uuid, updated_at = clock_timestamp() WHERE org_id = $1`,
    [orgId, next?.type ?? null, next?.createdAt ?? null, next?.id ?? null],
  );
  const total = limit - remaining;
  if (total > 0) await em.query(`SELECT pg_notify($1, $2)`, [OUTBOX_CHANNEL, orgId]);
  return { enqueued: total, events: enqueued.event, sessions: enqueued.session, llm_generations: enqueued.llm_generation, usage_ledger: enqueued.usage_ledger };
}
