/**
 * SPEC §5 backfill, one statement: the org's canonical rows whose facts are missing or older than
 * their sources, oldest first, sharing one budget ($2) in the order events, sessions,
 * llm_generations, usage_ledger. "Older" compares the fact's source_updated_at with the same
 * greatest(...) of source times the projection records, so a projected row is never picked again;
 * rows already waiting in the outbox are skipped, so repeated calls move on (resumable).
 *
 * Every join is meant to be a hash join over the org's rows: each call reads each canonical table
 * of the org once. The planner is told so (BACKFILL_PLAN_SQL, same transaction): left to the
 * outbox's statistics — always behind, since backfill and ingest grow it faster than autovacuum
 * analyzes — it picks nested loops that probe (or scan) the outbox once per canonical row: 46 s
 * for the first 100k of 200k rows in one measurement, over 20 minutes at 1M in another.
 * The joins also run in the order written (collapse limits 1): rows already waiting in the outbox
 * are dropped first (a uuid hash), and only the rest are matched with their facts (a text key)
 * and sessions — once a backfill is under way, most rows are waiting (1.8 s → 1.0 s per call at
 * 1M rows, all waiting).
 */
export const BACKFILL_PLAN_SQL = `SELECT set_config('enable_nestloop', 'off', true), set_config('work_mem', '256MB', true),
  set_config('join_collapse_limit', '1', true), set_config('from_collapse_limit', '1', true)`;

/** The org's rows of a canonical table not waiting in the outbox, as a FROM item joined first. */
const WAITING_NOT = (table: string, alias: string, type: string, where = '') =>
  `(SELECT * FROM ${table} ${alias} WHERE ${alias}.org_id = $1${where} AND ${LIVE(type, `${alias}.id`)}) ${alias}`;
const LIVE = (type: string, id: string) => `NOT EXISTS (SELECT 1 FROM reporting_outbox o WHERE o.org_id = $1 AND o.source_type = '${type}'
    AND o.source_id = ${id} AND o.status = 'pending')
      AND NOT EXISTS (SELECT 1 FROM reporting_outbox o WHERE o.org_id = $1 AND o.source_type = '${type}'
    AND o.source_id = ${id} AND o.status = 'processing')`;
const PROJECTED = `('tool.completed', 'turn.completed', 'turn.failed', 'turn.cancelled')`;
const key = (prefix: string, col: string) => `'${prefix}_' || replace(${col}::text, '-', '')`;

export const BACKFILL_SQL = `
  WITH turn_tools AS (
    SELECT session_id, turn_id, max(updated_at) AS updated_at FROM events
    WHERE org_id = $1 AND type = 'tool.completed' AND turn_id IS NOT NULL GROUP BY session_id, turn_id
  ),
  session_events AS (
    SELECT session_id, max(updated_at) AS updated_at FROM events WHERE org_id = $1 AND type IN ${PROJECTED} GROUP BY session_id
  ),
  ev AS (
    SELECT e.id, e.created_at FROM ${WAITING_NOT('events', 'e', 'event', ` AND e.type IN ${PROJECTED}`)}
    LEFT JOIN sessions s ON s.org_id = e.org_id AND s.id = e.session_id
    LEFT JOIN fact_tool_call ft ON e.type = 'tool.completed' AND ft.org_id = e.org_id AND ft.source_key = 'event:' || ${key('event', 'e.id')}
    LEFT JOIN fact_turn fu ON e.type <> 'tool.completed' AND fu.org_id = e.org_id AND fu.source_key = 'event:' || ${key('event', 'e.id')}
    LEFT JOIN turn_tools tc ON e.type <> 'tool.completed' AND tc.session_id = e.session_id AND tc.turn_id = e.turn_id
    WHERE CASE WHEN e.type = 'tool.completed'
               THEN ft.source_key IS NULL OR ft.source_updated_at < greatest(e.updated_at, s.updated_at)
               ELSE fu.source_key IS NULL OR fu.source_updated_at < greatest(e.updated_at, s.updated_at, tc.updated_at) END
    ORDER BY e.created_at, e.id
    LIMIT $2
  ),
  se AS (
    SELECT s.id, s.created_at FROM ${WAITING_NOT('sessions', 's', 'session')}
    LEFT JOIN fact_session f ON f.org_id = s.org_id AND f.source_key = 'session:' || ${key('session', 's.id')}
    LEFT JOIN session_events ev ON ev.session_id = s.id
    WHERE f.source_key IS NULL OR f.source_updated_at < greatest(s.updated_at, ev.updated_at)
    ORDER BY s.created_at, s.id
    LIMIT greatest(0, $2 - (SELECT count(*) FROM ev))
  ),
  ge AS (
    SELECT g.id, g.created_at FROM ${WAITING_NOT('llm_generations', 'g', 'llm_generation')}
    LEFT JOIN fact_llm_generation f ON f.org_id = g.org_id AND f.source_key = 'llm_generation:' || ${key('gen', 'g.id')}
    LEFT JOIN sessions s ON s.org_id = g.org_id AND s.id = g.session_id
    WHERE f.source_key IS NULL OR f.source_updated_at < greatest(g.updated_at, s.updated_at)
    ORDER BY g.created_at, g.id
    LIMIT greatest(0, $2 - (SELECT count(*) FROM ev) - (SELECT count(*) FROM se))
  ),
  le AS (
    SELECT l.id, l.created_at FROM ${WAITING_NOT('usage_ledger', 'l', 'usage_ledger')}
    LEFT JOIN fact_budget_posting f ON f.org_id = l.org_id AND f.source_key = 'usage_ledger:' || ${key('ledger', 'l.id')}
    LEFT JOIN sessions s ON s.org_id = l.org_id AND s.id = l.session_id
    WHERE f.source_key IS NULL OR f.source_updated_at < greatest(l.updated_at, s.updated_at)
    ORDER BY l.created_at, l.id
    LIMIT greatest(0, $2 - (SELECT count(*) FROM ev) - (SELECT count(*) FROM se) - (SELECT count(*) FROM ge))
  ),
  -- Inserted in key order: the pending-source unique index then grows at its right edge instead
  -- of at random places (about a third less time for a million rows), and concurrent enqueues
  -- meet on it in one order, as ingest's do. The claim follows outbox ids, so one backfill's rows
  -- are projected by type and id, not by age: which rows a call picks is still oldest first.
  ins AS (
    INSERT INTO reporting_outbox (org_id, source_type, source_id)
    SELECT $1, t, id FROM (
      SELECT 'event' AS t, id FROM ev
      UNION ALL SELECT 'session', id FROM se
      UNION ALL SELECT 'llm_generation', id FROM ge
      UNION ALL SELECT 'usage_ledger', id FROM le
    ) picked
    ORDER BY t, id
    ON CONFLICT (org_id, source_type, source_id) WHERE status = 'pending' DO NOTHING
    RETURNING source_type
  )
  SELECT count(*) FILTER (WHERE source_type = 'event')::int AS events,
         count(*) FILTER (WHERE source_type = 'session')::int AS sessions,
         count(*) FILTER (WHERE source_type = 'llm_generation')::int AS llm_generations,
         count(*) FILTER (WHERE source_type = 'usage_ledger')::int AS usage_ledger
  FROM ins`;
