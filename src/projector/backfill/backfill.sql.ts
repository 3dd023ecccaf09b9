import {
  type FactTarget, SESSION_COUNTED_EVENT_TYPES_SQL, type SourceDef, SOURCES, sourceKeySql, type SourceTime, type SourceType, sourceTypeSql, sourceUpdatedSql,
  sqlList, TOOL_CALL_EVENT_TYPE, TURN_EVENT_TYPES_SQL,
} from '#src/pipeline/pipeline.vocabulary.js';
import { applicablePrice } from '#src/reporting/prices/price-rule.sql.js';

/**
 * SPEC §5 backfill, the statements. The org's canonical rows are walked in one order — by source
 * type (events, sessions, llm_generations, usage_ledger), then oldest first by (created_at, id) —
 * and a row is enqueued when its fact is missing or older than its sources and it is not already
 * waiting in the outbox. "Older" compares the fact's source_updated_at with the same greatest(...)
 * of source times the projection records, so a projected row is never picked again.
 *
 * One statement reads one source type within a range of that order (after a row, up to one, or
 * both: a call resumes where the previous one stopped, see backfill.ts) and enqueues up to $2
 * rows, in one of two ways:
 *
 * - `probe` (where rows are expected to need work): walk the (org_id, created_at, id) index in
 *   order and stop at the limit, so a call reads only as far as it needs. Per row, the fact is
 *   probed (only when it exists, the session's or the turn's tool calls' newest update too) and
 *   the in-flight index; a row already pending is dropped by the insert's ON CONFLICT, which
 *   always probes the pending-source unique index. A `NOT EXISTS` on pending rows would not: the
 *   planner may serve it from the per-org age index, scanning all of the org's pending rows per
 *   canonical row, whenever the outbox's statistics say the org has none yet — which is the case
 *   during a first backfill, before autovacuum has analyzed it (measured: unbounded at 200k).
 * - `hash` (where most rows are expected to be waiting already: the end of a pass, or when a
 *   probe walk meets mostly waiting rows): read the whole range at once and join the org's
 *   pending rows out with a hash anti join first, so only the rest is probed.
 *
 * Every probe is a subquery the planner keeps as a probe (OFFSET 0, or a scalar subquery: never
 * turned into a join). The plan settings below are transaction-local and set per statement.
 */
export const BACKFILL_PLAN_SQL = {
  /** The walk is the ordered index: no sequential or bitmap scan and sort in its place, as how far a call must read depends on how many rows are waiting, which no statistic knows. */
  probe: `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true),
    set_config('enable_nestloop', 'on', true), set_config('enable_mergejoin', 'on', true)`,
  /** The waiting rows are joined out by hashing them once, not probed per row (or, left to stale statistics, scanned per row). */
  hash: `SELECT set_config('enable_seqscan', 'on', true), set_config('enable_bitmapscan', 'on', true), set_config('enable_sort', 'on', true),
    set_config('enable_nestloop', 'off', true), set_config('enable_mergejoin', 'off', true), set_config('work_mem', '256MB', true)`,
} as const;
export type BackfillMode = keyof typeof BACKFILL_PLAN_SQL;

const sessionUpdated = (sessionId: string) => `(SELECT s.updated_at FROM sessions s WHERE s.org_id = $1 AND s.id = ${sessionId})`;
/** The newest update of the session's events that its counts come from. FILTER keeps max() from being
 * planned as a backward walk of the (org_id, updated_at) index until the session turns up. */
const eventsUpdated = (where: string) => `(SELECT max(t.updated_at) FILTER (WHERE true) FROM events t WHERE t.org_id = $1 AND ${where})`;

/** Each staleness time (pipeline.vocabulary.ts) of canonical row `x`, as a scalar subquery. */
const TIMES: Record<SourceTime, string> = {
  row: 'x.updated_at',
  session: sessionUpdated('x.session_id'),
  turn_tool_calls: eventsUpdated(`t.session_id = x.session_id AND t.turn_id = x.turn_id AND t.type = '${TOOL_CALL_EVENT_TYPE}'`),
  session_events: eventsUpdated(`t.session_id = x.id AND t.type IN ${SESSION_COUNTED_EVENT_TYPES_SQL}`),
};

/**
 * SPEC §10: a generation fact priced by a price that no longer applies (deleted, or outranked by
 * one added since) is stale too. The price that applies now is looked up for the fact's own
 * provider, model and time (price-rule.sql.ts); a reported cost (no price id) is never stale.
 */
const PRICED_CURRENT = `AND (f.price_id IS NULL AND f.cost_usd IS NOT NULL OR f.price_id IS NOT DISTINCT FROM (
        SELECT w.id FROM (SELECT f.org_id, f.provider, f.model, f.created_at, NULL::numeric AS cost_usd) pg ${applicablePrice('pg', 'w')}))`;

/**
 * A fact of `target` for this row that is at least as new as its sources. A fact's created_at
 * is its source's (every projection copies it), and a source whose created_at changed was updated
 * after its fact was written (ingest bumps updated_at on every change), so the fact is stale
 * either way: matching created_at too drops no row that needs work, and it makes every index of the fact table that could serve this probe a point lookup —
 * the time index as much as the primary key — whatever the statistics say about the org.
 */
const current = (type: SourceType, target: FactTarget) => `EXISTS (SELECT 1 FROM ${target.table} f
      WHERE f.org_id = $1 AND f.source_key = ${sourceKeySql(type, 'x.id')} AND f.created_at = x.created_at AND f.source_updated_at >= ${sourceUpdatedSql(target, TIMES)}
        ${type === 'llm_generation' ? PRICED_CURRENT : ''} OFFSET 0)`;

/** The row's fact is current: of the one table the source feeds, or of the table its event type feeds. */
function currentFact(s: SourceDef): string {
  if (s.facts.length === 1) return current(s.type, s.facts[0]);
  const last = s.facts[s.facts.length - 1];
  return `CASE ${s.facts.slice(0, -1).map((f) => `WHEN x.type IN ${sqlList(f.eventTypes!)}
      THEN ${current(s.type, f)}`).join(' ')}
      ELSE ${current(s.type, last)} END`;
}

/** The source is being projected right now (the in-flight index is the only one of processing rows). */
const inFlight = (type: SourceType) => `EXISTS (SELECT 1 FROM reporting_outbox o
      WHERE o.org_id = $1 AND o.source_type = ${sourceTypeSql(type)} AND o.source_id = x.id AND o.status = 'processing' OFFSET 0)`;

/** A row of the walk's order within one source type: (created_at, id), created_at as text (microseconds, unlike a JS Date). */
export interface WalkRow { createdAt: string; id: string }

/**
 * The statement for one source type and range of the walk, with its parameters: up to `limit`
 * rows of the org, after `after` and up to and including `upTo` when given. Returns how many rows
 * it picked, how many of them it enqueued (in `probe` mode the picked rows include those already
 * pending, which the insert skips; in `hash` mode only rows enqueued meanwhile make the two differ)
 * and the last row picked. Run after BACKFILL_PLAN_SQL[mode].
 *
 * Rows are inserted in key order: the pending-source unique index then grows at its right edge
 * instead of at random places (about a third less time for a million rows), and concurrent
 * enqueues meet on it in one order, as ingest's do (each statement commits on its own: see
 * backfill.ts). The claim follows
 * outbox ids, so one backfill's rows are projected by type and id; which rows a call picks is
 * still oldest first.
 */
export function backfillStep(
  mode: BackfillMode, type: SourceType, orgId: string, limit: number, after: WalkRow | null, upTo: WalkRow | null,
): { sql: string; params: unknown[] } {
  const s = SOURCES[type];
  const where = s.eventTypes ? `AND x.type IN ${sqlList(s.eventTypes)}` : '';
  const params: unknown[] = [orgId, limit];
  const bound = (op: string, row: WalkRow | null) => {
    if (!row) return '';
    params.push(row.createdAt, row.id);
    return `AND (x.created_at, x.id) ${op} ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  };
  const range = `x.org_id = $1 ${where} ${bound('>', after)} ${bound('<=', upTo)}`;
  const rows = mode === 'probe' ? `${s.table} x WHERE ${range}` : `(
      SELECT x.* FROM ${s.table} x
      WHERE ${range}
        AND NOT EXISTS (SELECT 1 FROM reporting_outbox o WHERE o.org_id = $1 AND o.source_type = ${sourceTypeSql(type)} AND o.source_id = x.id AND o.status = 'pending')
      OFFSET 0) x WHERE true`;
  // SPEC §10: a generation picked although it has a fact (priced by a price that no longer
  // applies, or older than its source) also re-enqueues the turn and session whose cost sums it;
  // their own staleness checks look at their own sources only, never at prices. One insert in key
  // order for all of them, as ingest inserts a generation with its turn and session.
  const generations = type === 'llm_generation';
  const enqueue = generations ? `(
      SELECT ${sourceTypeSql(type)} AS source_type, id AS source_id FROM picked
      UNION ALL
      SELECT ${sourceTypeSql('session')}, s.id FROM (SELECT DISTINCT session_id FROM repriced) r
        JOIN sessions s ON s.org_id = $1 AND s.id = r.session_id
      UNION ALL
      SELECT ${sourceTypeSql('event')}, e.id FROM (SELECT DISTINCT session_id, turn_id FROM repriced WHERE turn_id IS NOT NULL) r
        JOIN events e ON e.org_id = $1 AND e.session_id = r.session_id AND e.turn_id = r.turn_id AND e.type IN ${TURN_EVENT_TYPES_SQL}
    ) p ORDER BY source_type, source_id` : `(SELECT ${sourceTypeSql(type)} AS source_type, id AS source_id FROM picked) p ORDER BY source_id`;
  const repriced = generations ? `
  repriced AS (
    SELECT g.session_id, g.turn_id FROM picked p JOIN llm_generations g ON g.org_id = $1 AND g.id = p.id
    WHERE g.session_id IS NOT NULL
      AND EXISTS (SELECT 1 FROM fact_llm_generation f WHERE f.org_id = $1 AND f.source_key = ${sourceKeySql('llm_generation', 'g.id')})
  ),` : '';
  const count = (t: SourceType) => `(SELECT count(*) FROM ins WHERE source_type = ${sourceTypeSql(t)})::int`;
  const sql = `
  WITH picked AS (
    SELECT x.id, x.created_at FROM ${rows}
      AND NOT ${currentFact(s)}
      AND NOT ${inFlight(type)}
    ORDER BY x.created_at, x.id
    LIMIT $2
  ),${repriced}
  ins AS (
    INSERT INTO reporting_outbox (org_id, source_type, source_id)
    SELECT $1, source_type, source_id FROM ${enqueue}
    ON CONFLICT (org_id, source_type, source_id) WHERE status = 'pending' DO NOTHING
    RETURNING source_type
  )
  SELECT (SELECT count(*) FROM picked)::int AS picked, ${count(type)} AS enqueued,
         ${generations ? count('session') : '0'} AS sessions, ${generations ? count('event') : '0'} AS events,
         last.created_at::text AS created_at, last.id::text AS id
  FROM (SELECT 1) one
  LEFT JOIN LATERAL (SELECT created_at, id FROM picked ORDER BY created_at DESC, id DESC LIMIT 1) last ON true`;
  return { sql, params };
}
