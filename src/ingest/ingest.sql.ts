import {
  PROJECTED_EVENT_TYPES_SQL as PROJECTED, SESSION_COUNTED_EVENT_TYPES_SQL as COUNTED, sourceTypeSql as src, TOOL_CALL_EVENT_TYPE as TOOL_CALL, TURN_EVENT_TYPES_SQL as TURN_TYPES,
} from '#src/pipeline/pipeline.vocabulary.js';

/**
 * The ingest statements (SPEC §4): each upserts a whole batch set-based from a JSON array and,
 * in the same statement, writes the outbox rows of every change — so no committed change can
 * miss projection. Unchanged records update nothing and enqueue nothing (idempotent re-sends).
 * $1 = org id, $2 = the batch as JSON, deduplicated by id and sorted by id (stable lock order).
 */

/**
 * The outbox rows of a batch's changes, from a query of `(source_type, source_id)` pairs.
 *
 * - Sorted and deduplicated: concurrent ingests (a session batch re-enqueueing the events hanging
 *   off its sessions while an event batch enqueues those sessions) meet on the pending-row unique
 *   index in one global order, so they wait for each other instead of deadlocking.
 * - A source that already has a pending row gets no second one, but that row is locked (a no-op
 *   update) until this transaction commits. Claims skip locked rows, so no worker can claim the
 *   pending row and project the source's old version in the gap between this statement and the
 *   commit — after which nothing would be left to carry the new version (SPEC §5: no committed
 *   change may miss projection).
 * - `enqueued` counts only rows added (RETURNING old.*, PostgreSQL 18: no old row = inserted).
 */
const enqueue = (pairs: string) => `enq AS (
    INSERT INTO reporting_outbox AS o (org_id, source_type, source_id)
    SELECT DISTINCT $1::uuid, p.source_type, p.source_id FROM (${pairs}) AS p(source_type, source_id)
    ORDER BY 2, 3
    ON CONFLICT (org_id, source_type, source_id) WHERE status = 'pending' DO UPDATE SET updated_at = o.updated_at
    RETURNING old.id IS NULL AS added
  )
  SELECT count(*) FILTER (WHERE added)::int AS enqueued FROM enq`;

/**
 * Ingests whose changes interact never overlap within an org (per-org advisory locks, taken first
 * in the transaction, so the statements after them see what the other committed — READ
 * COMMITTED). Without them two concurrent batches each miss the other's uncommitted rows:
 * - a session batch re-enqueues the facts hanging off its sessions, but not an event, generation
 *   or posting another batch is writing at the same time, which may then be projected with the
 *   session's old attribution (write skew) — so sessions hold the attribution lock exclusively,
 *   the sources attributed from sessions share it;
 * - a tool call re-enqueues its turn only if it sees the turn event, and a turn counts only the
 *   tool calls it sees — so event batches hold the event lock exclusively.
 * - a generation re-enqueues its turn only if it sees the turn event, and a turn sums only the
 *   generations it sees (SPEC §10 cost) — so generation batches hold the event lock shared.
 * Generations and postings of one org still ingest in parallel; the locks are held for the
 * length of one set-based statement. Lock order is fixed (attribution, then events).
 */
const ATTRIBUTION_LOCK = 1_717_920_001;
const EVENT_LOCK = 1_717_920_002;
const ORG_KEY = `hashtext($1::text)`;
export const INGEST_LOCK_SQL = {
  sessions: `SELECT pg_advisory_xact_lock(${ATTRIBUTION_LOCK}, ${ORG_KEY})`,
  events: `SELECT pg_advisory_xact_lock_shared(${ATTRIBUTION_LOCK}, ${ORG_KEY}) AS a, pg_advisory_xact_lock(${EVENT_LOCK}, ${ORG_KEY}) AS b`,
  attributed: `SELECT pg_advisory_xact_lock_shared(${ATTRIBUTION_LOCK}, ${ORG_KEY})`,
  /** Generations also re-project the turns that sum their cost (SPEC §10): they exclude event batches too. */
  generations: `SELECT pg_advisory_xact_lock_shared(${ATTRIBUTION_LOCK}, ${ORG_KEY}) AS a, pg_advisory_xact_lock_shared(${EVENT_LOCK}, ${ORG_KEY}) AS b`,
} as const;

const SESSION_ATTRIBUTION = ['agent_id', 'agent_name', 'harness_id', 'harness_name', 'app_id', 'blueprint_id', 'user_id', 'principal_id'];
const SESSION_COLUMNS: [string, string][] = [
  ['status', 'text'], ['created_at', 'timestamptz'], ['started_at', 'timestamptz'], ['finished_at', 'timestamptz'],
  ['last_active_at', 'timestamptz'], ['agent_id', 'uuid'], ['agent_name', 'text'], ['harness_id', 'uuid'], ['harness_name', 'text'],
  ['app_id', 'uuid'], ['blueprint_id', 'text'], ['user_id', 'uuid'], ['principal_id', 'uuid'], ['input_tokens', 'bigint'],
  ['output_tokens', 'bigint'], ['total_tokens', 'bigint'],
];

function upsert(table: string, columns: [string, string][], returning: string): string {
  const names = columns.map(([n]) => n);
  return `INSERT INTO ${table} AS t (org_id, id, ${names.join(', ')})
    SELECT $1, i.id, ${names.map((n) => `i.${n}`).join(', ')} FROM input i
    ON CONFLICT (org_id, id) DO UPDATE SET ${names.map((n) => `${n} = excluded.${n}`).join(', ')}, updated_at = clock_timestamp()
    WHERE (${names.map((n) => `t.${n}`).join(', ')}) IS DISTINCT FROM (${names.map((n) => `excluded.${n}`).join(', ')})
    RETURNING ${returning}`;
}

function input(columns: [string, string][]): string {
  return `input AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS r(id uuid, ${columns.map(([n, t]) => `${n} ${t}`).join(', ')}))`;
}

/**
 * A session that is new, or whose attribution changed, re-projects every fact hanging off it
 * (its generations, ledger postings and fact-feeding events), so attribution never stays stale.
 */
export const INGEST_SESSIONS_SQL = `
  WITH ${input(SESSION_COLUMNS)},
  old AS (
    SELECT s.id, ${SESSION_ATTRIBUTION.map((c) => `s.${c}`).join(', ')}
    FROM sessions s WHERE s.org_id = $1 AND s.id IN (SELECT id FROM input)
  ),
  up AS (${upsert('sessions', SESSION_COLUMNS, `t.id, ${SESSION_ATTRIBUTION.map((c) => `t.${c}`).join(', ')}`)}),
  changed AS (
    SELECT up.id, (old.id IS NULL OR (${SESSION_ATTRIBUTION.map((c) => `old.${c}`).join(', ')}) IS DISTINCT FROM (${SESSION_ATTRIBUTION.map((c) => `up.${c}`).join(', ')})) AS reattribute
    FROM up LEFT JOIN old ON old.id = up.id
  ),
  ${enqueue(`
    SELECT ${src('session')}, c.id FROM changed c
    UNION ALL SELECT ${src('llm_generation')}, g.id FROM changed c JOIN llm_generations g ON c.reattribute AND g.org_id = $1 AND g.session_id = c.id
    UNION ALL SELECT ${src('usage_ledger')}, l.id FROM changed c JOIN usage_ledger l ON c.reattribute AND l.org_id = $1 AND l.session_id = c.id
    UNION ALL SELECT ${src('event')}, e.id FROM changed c JOIN events e ON c.reattribute AND e.org_id = $1 AND e.session_id = c.id AND e.type IN ${PROJECTED}`)}`;

const EVENT_COLUMNS: [string, string][] = [['session_id', 'uuid'], ['turn_id', 'uuid'], ['type', 'text'], ['created_at', 'timestamptz'], ['data', 'jsonb']];

/**
 * A fact-feeding event re-projects itself; a turn or tool call also its session (turn and
 * tool-call counts: capability usage counts in no session number, so it does not); a tool call
 * also re-projects its turn (the turn's tool-call count). An event that stops feeding facts is
 * enqueued too, so its stale fact is removed.
 */
export const INGEST_EVENTS_SQL = `
  WITH ${input(EVENT_COLUMNS)},
  old AS (SELECT e.id, e.type, e.session_id, e.turn_id FROM events e WHERE e.org_id = $1 AND e.id IN (SELECT id FROM input)),
  up AS (${upsert('events', EVENT_COLUMNS, 't.id, t.session_id, t.turn_id, t.type')}),
  changed AS (
    SELECT up.*, old.session_id AS old_session_id, old.turn_id AS old_turn_id, old.type AS old_type
    FROM up LEFT JOIN old ON old.id = up.id
    WHERE up.type IN ${PROJECTED} OR old.type IN ${PROJECTED}
  ),
  ${enqueue(`
    SELECT ${src('event')}, c.id FROM changed c
    UNION ALL SELECT ${src('session')}, s.session_id FROM changed c CROSS JOIN LATERAL (VALUES (c.session_id), (c.old_session_id)) s(session_id)
      WHERE s.session_id IS NOT NULL AND (c.type IN ${COUNTED} OR c.old_type IN ${COUNTED})
    UNION ALL SELECT ${src('event')}, e.id FROM (
        SELECT c.session_id, c.turn_id FROM changed c WHERE c.type = '${TOOL_CALL}' AND c.turn_id IS NOT NULL
        UNION SELECT c.old_session_id, c.old_turn_id FROM changed c WHERE c.old_type = '${TOOL_CALL}' AND c.old_turn_id IS NOT NULL
      ) t
      -- Exact (session, turn) keys: an index lookup per turn, where an OR of the two pairs in the
      -- join condition read every turn event of the org for each tool call (~0.5 s per 1,000 events).
      JOIN events e ON e.org_id = $1 AND e.session_id = t.session_id AND e.turn_id = t.turn_id AND e.type IN ${TURN_TYPES}`)}`;

const GENERATION_COLUMNS: [string, string][] = [
  ['session_id', 'uuid'], ['turn_id', 'uuid'], ['model', 'text'], ['provider', 'text'], ['finish_reason', 'text'],
  ['input_tokens', 'bigint'], ['output_tokens', 'bigint'], ['cache_read_tokens', 'bigint'], ['cache_creation_tokens', 'bigint'],
  ['duration_ms', 'bigint'], ['time_to_first_token_ms', 'bigint'], ['error', 'boolean'], ['cost_usd', 'numeric'], ['created_at', 'timestamptz'],
];
/** What a generation's cost, and where it is summed, depends on (SPEC §10; price-rule.sql.ts). */
const GENERATION_COST_INPUTS = [
  'session_id', 'turn_id', 'model', 'provider', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens', 'cost_usd', 'created_at',
];

/**
 * A generation whose cost may have changed (new, or one of its cost inputs changed) re-projects
 * its turn (the turn.* events of its session and turn) and its session, which sum their
 * generations' costs — before and after the change, when it moved. Takes the event lock shared
 * (INGEST_LOCK_SQL): a turn event ingested concurrently is either seen here or sees this
 * generation when it is projected.
 */
export const INGEST_LLM_GENERATIONS_SQL = `
  WITH ${input(GENERATION_COLUMNS)},
  old AS (
    SELECT g.id, ${GENERATION_COST_INPUTS.map((c) => `g.${c}`).join(', ')}
    FROM llm_generations g WHERE g.org_id = $1 AND g.id IN (SELECT id FROM input)
  ),
  up AS (${upsert('llm_generations', GENERATION_COLUMNS, `t.id, ${GENERATION_COST_INPUTS.map((c) => `t.${c}`).join(', ')}`)}),
  costed AS (
    SELECT up.session_id, up.turn_id, old.session_id AS old_session_id, old.turn_id AS old_turn_id
    FROM up LEFT JOIN old ON old.id = up.id
    WHERE old.id IS NULL OR (${GENERATION_COST_INPUTS.map((c) => `old.${c}`).join(', ')}) IS DISTINCT FROM (${GENERATION_COST_INPUTS.map((c) => `up.${c}`).join(', ')})
  ),
  ${enqueue(`
    SELECT ${src('llm_generation')}, id FROM up
    UNION ALL SELECT ${src('session')}, s.id FROM (SELECT session_id FROM costed UNION SELECT old_session_id FROM costed) c
      JOIN sessions s ON s.org_id = $1 AND s.id = c.session_id
    UNION ALL SELECT ${src('event')}, e.id FROM (
        SELECT session_id, turn_id FROM costed WHERE turn_id IS NOT NULL
        UNION SELECT old_session_id, old_turn_id FROM costed WHERE old_turn_id IS NOT NULL
      ) t
      JOIN events e ON e.org_id = $1 AND e.session_id = t.session_id AND e.turn_id = t.turn_id AND e.type IN ${TURN_TYPES}`)}`;

const LEDGER_COLUMNS: [string, string][] = [
  ['session_id', 'uuid'], ['budget_id', 'uuid'], ['subject_type', 'text'], ['subject_id', 'text'], ['currency', 'text'],
  ['meter_source', 'text'], ['ref_type', 'text'], ['amount', 'numeric'], ['created_at', 'timestamptz'],
];

export const INGEST_USAGE_LEDGER_SQL = `
  WITH ${input(LEDGER_COLUMNS)},
  up AS (${upsert('usage_ledger', LEDGER_COLUMNS, 't.id')}),
  ${enqueue(`SELECT ${src('usage_ledger')}, id FROM up`)}`;

/** Apps and their channels; a channel missing from an app's list is removed. App runs are read canonically. */
export const INGEST_APPS_SQL = `
  WITH input AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS r(id uuid, name text, channels jsonb)),
  up AS (${upsert('apps', [['name', 'text']], 't.id')}),
  chan AS (
    SELECT c.id, i.id AS app_id, c.type, c.name
    FROM input i CROSS JOIN LATERAL jsonb_to_recordset(i.channels) AS c(id uuid, type text, name text)
  ),
  gone AS (
    DELETE FROM app_channels ac USING input i
    WHERE ac.org_id = $1 AND ac.app_id = i.id AND ac.id NOT IN (SELECT id FROM chan)
    RETURNING 1
  ),
  ups AS (
    INSERT INTO app_channels AS t (org_id, id, app_id, type, name)
    SELECT $1, id, app_id, type, name FROM chan
    ON CONFLICT (org_id, id) DO UPDATE SET app_id = excluded.app_id, type = excluded.type, name = excluded.name
    WHERE (t.app_id, t.type, t.name) IS DISTINCT FROM (excluded.app_id, excluded.type, excluded.name)
    RETURNING 1
  )
  SELECT 0 AS enqueued, (SELECT count(*) FROM up) + (SELECT count(*) FROM gone) + (SELECT count(*) FROM ups) AS changed`;

const APP_RUN_COLUMNS: [string, string][] = [
  ['app_id', 'uuid'], ['channel_id', 'uuid'], ['status', 'text'], ['created_at', 'timestamptz'], ['completed_at', 'timestamptz'],
];

/** The UTC hour of an instant, as app_run_hourly and the histogram bin it. */
export const RUN_HOUR = (ts: string) => `date_bin(interval '1 hour', ${ts}, timestamptz '2000-01-01T00:00:00Z')`;

/**
 * App runs, and their hourly counts by status in the same statement: each written run adds one to
 * its (app, hour, status) and, when it replaced a stored run, takes one from where that run was.
 * RETURNING old.* (PostgreSQL 18) yields the row as the upsert actually found it — also when a
 * concurrent ingest of the same run committed first — so concurrent writers never double-count.
 */
export const INGEST_APP_RUNS_SQL = `
  WITH ${input(APP_RUN_COLUMNS)},
  up AS (${upsert('app_runs', APP_RUN_COLUMNS, 'old.app_id AS old_app_id, old.created_at AS old_created_at, old.status AS old_status, new.app_id, new.created_at, new.status')}),
  delta AS (
    SELECT app_id, ${RUN_HOUR('created_at')} AS hour, status, 1 AS n FROM up
    UNION ALL
    SELECT old_app_id, ${RUN_HOUR('old_created_at')}, old_status, -1 FROM up WHERE old_app_id IS NOT NULL
  ),
  hourly AS (
    INSERT INTO app_run_hourly AS h (org_id, app_id, hour, ok, err, running)
    SELECT $1, app_id, hour, coalesce(sum(n) FILTER (WHERE status = 'ok'), 0), coalesce(sum(n) FILTER (WHERE status = 'err'), 0),
           coalesce(sum(n) FILTER (WHERE status = 'running'), 0)
    FROM delta GROUP BY app_id, hour
    HAVING bool_or(n <> 0) AND (sum(n) FILTER (WHERE status = 'ok') <> 0 OR sum(n) FILTER (WHERE status = 'err') <> 0 OR sum(n) FILTER (WHERE status = 'running') <> 0)
    ORDER BY app_id, hour
    ON CONFLICT (org_id, app_id, hour) DO UPDATE SET ok = h.ok + excluded.ok, err = h.err + excluded.err, running = h.running + excluded.running
    RETURNING 1
  )
  SELECT 0 AS enqueued, (SELECT count(*) FROM up)::int AS changed, (SELECT count(*) FROM hourly)::int AS hours`;

/** The (app, channel) pairs of a batch that exist in the org: app runs must name a channel of their app. */
export const KNOWN_APP_CHANNELS_SQL = `
  SELECT a.id AS app_id, c.id AS channel_id
  FROM jsonb_to_recordset($2::jsonb) AS r(app_id uuid, channel_id uuid)
  JOIN apps a ON a.org_id = $1 AND a.id = r.app_id
  LEFT JOIN app_channels c ON c.org_id = $1 AND c.id = r.channel_id AND c.app_id = a.id`;
