import { PROJECTED_EVENT_TYPES_SQL as PROJECTED, sourceTypeSql as src } from '#src/pipeline/pipeline.vocabulary.js';
import { logNormal, NamedParams, stratified, timeAt, ts, uniform, uuid7 } from './sql-expr.js';

/**
 * The seeder's statements. Each generates a slice of one org's rows inside PostgreSQL
 * (generate_series + hashes) and writes the canonical rows and their outbox rows in one
 * statement, as ingest does (SPEC §4) — no row crosses the wire, so 10M facts take minutes.
 * Re-running with the same seed inserts nothing (ids are deterministic; ON CONFLICT DO NOTHING),
 * and only rows really inserted are enqueued.
 */

const ENQUEUE_ON_CONFLICT = `ON CONFLICT (org_id, source_type, source_id) WHERE status = 'pending' DO NOTHING`;

export const SESSION_PARAMS = new NamedParams({
  org_id: 'uuid', seed: 'bigint', n: 'float8', from: 'bigint', to: 'bigint', start_ms: 'bigint', end_ms: 'bigint', last_hour_ms: 'bigint', hours: 'float8[]',
  app_share: 'float8', app_cum: 'float8[]', app_ids: 'uuid[]', app_agent: 'int[]',
  agent_cum: 'float8[]', agent_ids: 'uuid[]', agent_names: 'text[]', agent_pub: 'text[]', agent_harness: 'int[]', agent_blueprint: 'text[]',
  agent_model1: 'int[]', agent_model2: 'int[]', agent_budget: 'int[]',
  harness_ids: 'uuid[]', harness_names: 'text[]',
  user_ids: 'uuid[]', user_pub: 'text[]', principal_ids: 'uuid[]', n_users: 'int', n_service: 'int',
  turns_cum: 'float8[]', iter_cum: 'float8[]', outcome_cum: 'float8[]', outcome_names: 'text[]', turn_fail: 'float8', refund_share: 'float8',
  model_names: 'text[]', model_providers: 'text[]', model_ttft: 'float8[]', model_ms_tok: 'float8[]', model_err: 'float8[]',
  model_price_in: 'float8[]', model_price_out: 'float8[]', model_cache_read: 'bool[]', model_cache_write: 'bool[]',
  fr_tool: 'text[]', fr_stop: 'text[]', fr_length: 'text[]',
  tool_cum: 'float8[]', tool_names: 'text[]', tool_display: 'text[]', tool_caps: 'text[]', tool_cap_names: 'text[]', tool_effect: 'bool[]', tool_median: 'float8[]', tool_err: 'float8[]',
  tool_timeout: 'float8[]', tool_price: 'float8[]', n_tools: 'int',
  budget_ids: 'uuid[]', budget_currency: 'text[]',
});

const P = SESSION_PARAMS.ref;
const U = (key: string, salt: number) => uniform(P.seed, key, salt);
const ID = (ms: string, key: string, salt: number) => uuid7(P.seed, ms, key, salt);
/** The first tool of an agent's rotated tool mix (see g1): whose capability the agent is configured with. */
const MAIN_TOOL = (agent: string) => `1 + (${agent} * 3) % ${P.n_tools}`;
/**
 * Sessions [from, to) of one org with everything hanging off them. Keys: session i, turn
 * tk = i·64 + j, generation gk = tk·16 + k. A turn is K iterations — an LLM call, then a tool
 * call unless it is the last — laid end to end; turns follow each other after a think time.
 * Rows after the window's end do not exist yet: a session still going at the end is `running`.
 */
export const SEED_SESSIONS_SQL = `
  WITH q AS (
    SELECT i, u, width_bucket(u, ${P.hours}) AS b
    FROM generate_series(${P.from}, ${P.to} - 1) i CROSS JOIN LATERAL (SELECT ${stratified(P.seed, 'i', P.n, 1)} AS u) x
  ),
  s0 AS (
    SELECT i, ${timeAt('u', 'b', P.hours, P.start_ms, P.last_hour_ms)} AS created_ms,
           CASE WHEN ${U('i', 3)} < ${P.app_share} THEN width_bucket(${U('i', 4)}, ${P.app_cum}) END AS app,
           width_bucket(${U('i', 5)}, ${P.agent_cum}) AS agent0,
           1 + floor(power(${U('i', 6)}, 1.6) * ${P.n_users})::int AS usr,
           width_bucket(${U('i', 7)}, ${P.turns_cum}) AS turns,
           -- 'open': the last turn finished but the session waits for its user — still running.
           (${P.outcome_names})[width_bucket(${U('i', 8)}, ${P.outcome_cum})] AS final_status,
           ${U('i', 9)} AS u_principal,
           200 + floor(${U('i', 10)} * 1800)::bigint AS queue_ms
    FROM q
  ),
  s AS (
    SELECT s0.*, coalesce((${P.app_agent})[s0.app], s0.agent0) AS agent,
           CASE WHEN u_principal < 0.85 THEN usr ELSE ${P.n_users} + 1 + floor(u_principal * 997)::int % ${P.n_service} END AS principal
    FROM s0
  ),
  t0 AS (
    SELECT s.i, j, s.i * 64 + j AS tk, s.agent, s.created_ms, s.queue_ms,
           width_bucket(${U('(s.i * 64 + j)', 20)}, ${P.iter_cum}) AS iters,
           CASE WHEN ${U('(s.i * 64 + j)', 21)} < 0.8 THEN (${P.agent_model1})[s.agent] ELSE (${P.agent_model2})[s.agent] END AS model,
           CASE WHEN j = 1 THEN 0 ELSE least(1200000, ${logNormal(P.seed, '(s.i * 64 + j)', 22, '45000', 0.9, 2000)}) END AS gap_ms,
           CASE WHEN j = s.turns AND s.final_status <> 'open' THEN s.final_status WHEN ${U('(s.i * 64 + j)', 24)} < ${P.turn_fail} THEN 'failed' ELSE 'completed' END AS status,
           900 + floor(${U('(s.i * 64 + j)', 25)} * 5000)::bigint AS ctx_tokens,
           250 + floor(${U('(s.i * 64 + j)', 26)} * 2200)::bigint AS grow_tokens
    FROM s CROSS JOIN LATERAL generate_series(1, s.turns) j
  ),
  -- A failed turn fails on its last LLM call; other calls fail at the model's error rate and are
  -- retried by the next iteration (no tool call). A cancelled turn ends during its last tool call.
  g0 AS (
    SELECT t.i, t.j, t.tk, k, t.tk * 16 + k AS gk, t.model, t.agent, t.iters, t.status AS turn_status,
           t.ctx_tokens + (k - 1) * t.grow_tokens AS input_tokens, t.grow_tokens,
           CASE WHEN k = t.iters THEN t.status = 'failed' ELSE ${U('(t.tk * 16 + k)', 30)} < (${P.model_err})[t.model] END AS error
    FROM t0 t CROSS JOIN LATERAL generate_series(1, t.iters) k
  ),
  gc AS (
    SELECT g0.*, NOT error AND (k < iters OR turn_status = 'cancelled') AS calls_tool FROM g0
  ),
  g1 AS (
    SELECT gc.*,
           CASE WHEN calls_tool THEN 1 + (width_bucket(${U('gk', 38)}, ${P.tool_cum}) - 1 + agent * 3) % ${P.n_tools} END AS tool,
           -- 4096 = the provider's length limit (finish reason "length")
           CASE WHEN error THEN 0
                WHEN calls_tool THEN 30 + floor(${U('gk', 32)} * 220)::bigint
                WHEN ${U('gk', 31)} < 0.02 THEN 4096
                ELSE least(4000, ${logNormal(P.seed, 'gk', 33, '180', 0.8, 12)}) END AS output_tokens,
           ${logNormal(P.seed, 'gk', 35, `(${P.model_ttft})[model]`, 0.35, 60)} AS planned_ttft
    FROM gc
  ),
  g1b AS (
    SELECT g1.*,
           CASE WHEN error THEN NULL ELSE planned_ttft END AS ttft_ms,
           CASE WHEN error THEN planned_ttft / 2 + floor(${U('gk', 40)} * 4000)::bigint
                ELSE planned_ttft + floor(output_tokens * (${P.model_ms_tok})[model] * (0.8 + 0.4 * ${U('gk', 37)}))::bigint END AS gen_ms,
           CASE WHEN tool IS NULL THEN NULL
                WHEN turn_status = 'cancelled' AND k = iters THEN 'cancelled'
                WHEN ${U('gk', 39)} < (${P.tool_err})[tool] THEN 'error'
                WHEN ${U('gk', 39)} < (${P.tool_err})[tool] + (${P.tool_timeout})[tool] THEN 'timeout' ELSE 'success' END AS tool_status
    FROM g1
  ),
  g2 AS (
    SELECT g1b.*,
           CASE WHEN tool IS NULL THEN NULL WHEN tool_status = 'timeout' THEN 30000
                ELSE ${logNormal(P.seed, 'gk', 41, `(${P.tool_median})[tool]`, 0.7, 5)} END AS tool_ms
    FROM g1b
  ),
  g AS (
    SELECT g2.*, gen_ms + coalesce(tool_ms, 0) + 25 AS step_ms FROM g2
  ),
  gw AS (
    SELECT g.*, (sum(step_ms) OVER (PARTITION BY i, j ORDER BY k))::bigint - step_ms AS offset_ms FROM g
  ),
  ta AS (
    SELECT i, j, sum(step_ms)::bigint AS dur_ms, sum(input_tokens)::bigint AS input_tokens, sum(output_tokens)::bigint AS output_tokens
    FROM g GROUP BY i, j
  ),
  tt AS (
    SELECT t0.*, ta.dur_ms, ta.input_tokens, ta.output_tokens,
           t0.created_ms + t0.queue_ms + (sum(t0.gap_ms + ta.dur_ms) OVER (PARTITION BY t0.i ORDER BY t0.j))::bigint - ta.dur_ms AS start_ms
    FROM t0 JOIN ta ON ta.i = t0.i AND ta.j = t0.j
  ),
  turns AS (
    SELECT tt.*, tt.start_ms + tt.dur_ms AS end_ms, ${ID('tt.start_ms', 'tt.tk', 60)} AS turn_id FROM tt
  ),
  gens AS (
    SELECT gw.*, t.turn_id, t.start_ms + gw.offset_ms AS at_ms, t.start_ms + gw.offset_ms + gw.gen_ms + coalesce(gw.tool_ms, 0) AS tool_end_ms
    FROM gw JOIN turns t ON t.i = gw.i AND t.j = gw.j
  ),
  ends AS (
    SELECT i, max(end_ms) + 150 AS natural_end_ms FROM turns GROUP BY i
  ),
  spent AS (
    SELECT i, sum(input_tokens)::bigint AS input_tokens, sum(output_tokens)::bigint AS output_tokens
    FROM gens WHERE at_ms < ${P.end_ms} GROUP BY i
  ),
  sess AS (
    SELECT s.*, ${ID('s.created_ms', 's.i', 61)} AS id, e.natural_end_ms, sp.input_tokens, sp.output_tokens,
           e.natural_end_ms >= ${P.end_ms} OR s.final_status = 'open' AS running
    FROM s JOIN ends e ON e.i = s.i LEFT JOIN spent sp ON sp.i = s.i
  ),
  ins_sessions AS (
    INSERT INTO sessions (org_id, id, status, created_at, started_at, finished_at, last_active_at, agent_id, agent_name, harness_id,
                          harness_name, app_id, blueprint_id, user_id, principal_id, input_tokens, output_tokens, total_tokens)
    SELECT ${P.org_id}, x.id, CASE WHEN x.running THEN 'running' ELSE x.final_status END, ${ts('x.created_ms')},
           CASE WHEN x.created_ms + x.queue_ms < ${P.end_ms} THEN ${ts('x.created_ms + x.queue_ms')} END,
           CASE WHEN NOT x.running THEN ${ts('x.natural_end_ms')} END,
           ${ts(`least(x.natural_end_ms, ${P.end_ms} - 1)`)},
           (${P.agent_ids})[x.agent], (${P.agent_names})[x.agent],
           (${P.harness_ids})[(${P.agent_harness})[x.agent]], (${P.harness_names})[(${P.agent_harness})[x.agent]],
           (${P.app_ids})[x.app], (${P.agent_blueprint})[x.agent], (${P.user_ids})[x.usr], (${P.principal_ids})[x.principal],
           coalesce(x.input_tokens, 0), coalesce(x.output_tokens, 0), coalesce(x.input_tokens, 0) + coalesce(x.output_tokens, 0)
    FROM sess x
    ON CONFLICT (org_id, id) DO NOTHING
    RETURNING id
  ),
  ev AS (
    SELECT ${ID('x.created_ms + x.queue_ms', 'x.i', 62)} AS id, x.id AS session_id, NULL::uuid AS turn_id, 'session.started' AS type,
           x.created_ms + x.queue_ms AS at_ms,
           jsonb_build_object('trigger', CASE WHEN x.app IS NULL THEN 'api' ELSE 'app' END) AS data
    FROM sess x
    UNION ALL
    SELECT ${ID('t.start_ms', 't.tk', 63)}, x.id, t.turn_id, 'turn.started', t.start_ms, jsonb_build_object('turn_index', t.j)
    FROM turns t JOIN sess x ON x.i = t.i
    UNION ALL
    SELECT ${ID('g.tool_end_ms', 'g.gk', 64)}, x.id, g.turn_id, 'tool.completed', g.tool_end_ms,
           jsonb_build_object('tool_name', (${P.tool_names})[g.tool], 'tool_display_name', (${P.tool_display})[g.tool],
                              'capability_id', (${P.tool_caps})[g.tool], 'status', g.tool_status, 'duration_ms', g.tool_ms)
    FROM gens g JOIN sess x ON x.i = g.i WHERE g.tool IS NOT NULL
    UNION ALL
    SELECT ${ID('t.end_ms', 't.tk', 65)}, x.id, t.turn_id, 'turn.' || t.status, t.end_ms,
           jsonb_build_object('duration_ms', t.dur_ms, 'iterations', t.iters, 'input_tokens', t.input_tokens, 'output_tokens', t.output_tokens)
    FROM turns t JOIN sess x ON x.i = t.i
    -- SPEC §11 capability usage: the agent's main capability (its first tool's) is configured and
    -- resolved as the session starts and exposed to the model at its first turn; each tool call
    -- invokes its tool's capability, and a successful call of a tool with an effect runs it.
    UNION ALL
    SELECT ${ID('x.created_ms + x.queue_ms', 'x.i', 71)}, x.id, NULL::uuid, 'capability.usage', x.created_ms + x.queue_ms,
           jsonb_build_object('capability_id', (${P.tool_caps})[${MAIN_TOOL('x.agent')}], 'capability_name', (${P.tool_cap_names})[${MAIN_TOOL('x.agent')}], 'kind', 'configured')
    FROM sess x
    UNION ALL
    SELECT ${ID('x.created_ms + x.queue_ms', 'x.i', 72)}, x.id, NULL::uuid, 'capability.usage', x.created_ms + x.queue_ms,
           jsonb_build_object('capability_id', (${P.tool_caps})[${MAIN_TOOL('x.agent')}], 'capability_name', (${P.tool_cap_names})[${MAIN_TOOL('x.agent')}], 'kind', 'resolved',
                              'duration_ms', 5 + floor(${U('x.i', 73)} * 60)::bigint)
    FROM sess x
    UNION ALL
    SELECT ${ID('t.start_ms', 't.tk', 74)}, x.id, t.turn_id, 'capability.usage', t.start_ms,
           jsonb_build_object('capability_id', (${P.tool_caps})[${MAIN_TOOL('x.agent')}], 'capability_name', (${P.tool_cap_names})[${MAIN_TOOL('x.agent')}], 'kind', 'exposed')
    FROM turns t JOIN sess x ON x.i = t.i WHERE t.j = 1
    UNION ALL
    SELECT ${ID('g.tool_end_ms', 'g.gk', 75)}, x.id, g.turn_id, 'capability.usage', g.tool_end_ms,
           jsonb_build_object('capability_id', (${P.tool_caps})[g.tool], 'capability_name', (${P.tool_cap_names})[g.tool], 'kind', 'invoked',
                              'tool_name', (${P.tool_names})[g.tool], 'duration_ms', g.tool_ms)
    FROM gens g JOIN sess x ON x.i = g.i WHERE g.tool IS NOT NULL
    UNION ALL
    SELECT ${ID('g.tool_end_ms', 'g.gk', 76)}, x.id, g.turn_id, 'capability.usage', g.tool_end_ms,
           jsonb_build_object('capability_id', (${P.tool_caps})[g.tool], 'capability_name', (${P.tool_cap_names})[g.tool], 'kind', 'effect_ran',
                              'tool_name', (${P.tool_names})[g.tool])
    FROM gens g JOIN sess x ON x.i = g.i WHERE g.tool IS NOT NULL AND g.tool_status = 'success' AND (${P.tool_effect})[g.tool]
  ),
  ins_events AS (
    INSERT INTO events (org_id, id, session_id, turn_id, type, created_at, data)
    SELECT ${P.org_id}, id, session_id, turn_id, type, ${ts('at_ms')}, data FROM ev WHERE at_ms < ${P.end_ms}
    ON CONFLICT (org_id, id) DO NOTHING
    RETURNING id, type
  ),
  ins_generations AS (
    INSERT INTO llm_generations (org_id, id, session_id, turn_id, model, provider, finish_reason, input_tokens, output_tokens,
                                 cache_read_tokens, cache_creation_tokens, duration_ms, time_to_first_token_ms, error, created_at)
    SELECT ${P.org_id}, ${ID('g.at_ms', 'g.gk', 66)}, x.id, g.turn_id, (${P.model_names})[g.model], (${P.model_providers})[g.model],
           CASE WHEN g.error THEN 'error' WHEN g.tool IS NOT NULL THEN (${P.fr_tool})[g.model]
                WHEN g.output_tokens = 4096 THEN (${P.fr_length})[g.model] ELSE (${P.fr_stop})[g.model] END,
           g.input_tokens, g.output_tokens,
           CASE WHEN (${P.model_cache_read})[g.model] THEN CASE WHEN g.k > 1 THEN (g.input_tokens * 7) / 10 ELSE 0 END END,
           CASE WHEN (${P.model_cache_write})[g.model] THEN CASE WHEN g.k = 1 THEN g.input_tokens / 2 ELSE (g.grow_tokens * 4) / 5 END END,
           g.gen_ms, g.ttft_ms, g.error, ${ts('g.at_ms')}
    FROM gens g JOIN sess x ON x.i = g.i
    WHERE g.at_ms < ${P.end_ms}
    ON CONFLICT (org_id, id) DO NOTHING
    RETURNING id
  ),
  postings AS (
    -- The LLM cost of a finished turn, billed to its agent's budget.
    SELECT ${ID('t.end_ms', 't.tk', 67)} AS id, x.id AS session_id, (${P.agent_budget})[x.agent] AS budget, 'agent' AS subject_type,
           (${P.agent_pub})[x.agent] AS subject_id, 'llm_tokens' AS meter_source, 'llm_usage' AS ref_type,
           round(((t.input_tokens * (${P.model_price_in})[t.model] + t.output_tokens * (${P.model_price_out})[t.model]) / 1e6)::numeric, 8) AS amount,
           t.end_ms AS at_ms
    FROM turns t JOIN sess x ON x.i = t.i
    UNION ALL
    -- Metered tools, billed to the user who ran the session.
    SELECT ${ID('g.tool_end_ms', 'g.gk', 68)}, x.id, (${P.agent_budget})[x.agent], 'user', (${P.user_pub})[x.usr], 'tool_calls', 'tool_usage',
           round(((${P.tool_price})[g.tool])::numeric, 8), g.tool_end_ms
    FROM gens g JOIN sess x ON x.i = g.i WHERE g.tool IS NOT NULL AND (${P.tool_price})[g.tool] > 0
    UNION ALL
    -- Some failed turns are refunded an hour later: credits are negative amounts (SPEC §4).
    SELECT ${ID('t.end_ms + 3600000', 't.tk', 69)}, x.id, (${P.agent_budget})[x.agent], 'agent', (${P.agent_pub})[x.agent], 'llm_tokens', 'refund',
           -round(((t.input_tokens * (${P.model_price_in})[t.model] + t.output_tokens * (${P.model_price_out})[t.model]) / 1e6)::numeric, 8),
           t.end_ms + 3600000
    FROM turns t JOIN sess x ON x.i = t.i WHERE t.status = 'failed' AND ${U('t.tk', 70)} < ${P.refund_share}
  ),
  ins_ledger AS (
    INSERT INTO usage_ledger (org_id, id, session_id, budget_id, subject_type, subject_id, currency, meter_source, ref_type, amount, created_at)
    SELECT ${P.org_id}, p.id, p.session_id, (${P.budget_ids})[p.budget], p.subject_type, p.subject_id, (${P.budget_currency})[p.budget],
           p.meter_source, p.ref_type, p.amount, ${ts('p.at_ms')}
    FROM postings p WHERE p.at_ms < ${P.end_ms}
    ON CONFLICT (org_id, id) DO NOTHING
    RETURNING id
  ),
  enqueued AS (
    INSERT INTO reporting_outbox (org_id, source_type, source_id)
    SELECT ${P.org_id}, ${src('session')}, id FROM ins_sessions
    UNION ALL SELECT ${P.org_id}, ${src('event')}, id FROM ins_events WHERE type IN ${PROJECTED}
    UNION ALL SELECT ${P.org_id}, ${src('llm_generation')}, id FROM ins_generations
    UNION ALL SELECT ${P.org_id}, ${src('usage_ledger')}, id FROM ins_ledger
    ${ENQUEUE_ON_CONFLICT}
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM ins_sessions)::int AS sessions,
         (SELECT count(*) FROM ins_events)::int AS events,
         (SELECT count(*) FROM ins_generations)::int AS llm_generations,
         (SELECT count(*) FROM ins_ledger)::int AS usage_ledger,
         (SELECT count(*) FROM enqueued)::int AS enqueued`;
