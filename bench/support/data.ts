import type { DataSource } from 'typeorm';
import { PROJECTED_EVENT_TYPES_SQL } from '#src/pipeline/pipeline.vocabulary.js';
import { batchParams } from '#src/projector/projections/common.sql.js';
import { PROJECT_EVENTS_SQL } from '#src/projector/projections/event.projection.js';
import { PROJECT_LLM_GENERATIONS_SQL } from '#src/projector/projections/llm-generation.projection.js';
import { PROJECT_SESSIONS_SQL } from '#src/projector/projections/session.projection.js';
import { PROJECT_USAGE_LEDGER_SQL } from '#src/projector/projections/usage-ledger.projection.js';

/**
 * Benchmark data, written set-based inside PostgreSQL (INSERT … SELECT over generate_series), so
 * ten million rows take minutes. Values are pseudo-random but deterministic: derived from
 * hashint8extended(row number, salt) and md5(org tag, kind, number) for ids.
 *
 * Parameters everywhere: $1 org id, $2 a short org tag (ids), $3 the end of the time window,
 * $4 the window in days, $5 and $6 the first and last row number.
 */

/** A uniform pseudo-random number in [0, 1) for row `i`, different per salt. */
const rnd = (i: string, salt: number) => `((hashint8extended(${i}::bigint, ${salt}) & 2147483647)::float8 / 2147483648.0)`;
/** An integer in [0, n) for row `i`. */
const pick = (i: string, salt: number, n: number | string) => `floor(${rnd(i, salt)} * ${n})::int`;
const id = (kind: string, n: string) => `md5($2 || ':${kind}:' || ${n})::uuid`;
const when = (i: string, salt: number) => `($3::timestamptz - ${rnd(i, salt)} * ($4::float8 * interval '1 day'))`;

export const MODELS = ['gpt-5', 'gpt-5-mini', 'claude-4-sonnet', 'claude-4-haiku', 'gemini-3-pro', 'llama-4'];
const PROVIDERS = ['openai', 'openai', 'anthropic', 'anthropic', 'google', 'meta'];
const arr = (xs: (string | null)[]) => `ARRAY[${xs.map((x) => (x === null ? 'NULL' : `'${x}'`)).join(', ')}]::text[]`;

export interface OrgShape {
  sessions: number;
  users: number;
  agents: number;
}

export const SESSIONS_SQL = (shape: OrgShape) => `
  INSERT INTO sessions (org_id, id, status, created_at, started_at, finished_at, agent_id, agent_name, harness_id, harness_name,
                        app_id, blueprint_id, user_id, principal_id, input_tokens, output_tokens)
  SELECT $1, ${id('s', 'i')}, (${arr(['completed', 'completed', 'completed', 'failed', 'cancelled', 'running'])})[1 + i % 6],
         t, t, CASE WHEN i % 6 = 5 THEN NULL ELSE t + ${rnd('i', 2)} * interval '10 minutes' END,
         ${id('a', `(i % ${shape.agents})`)}, 'agent-' || (i % ${shape.agents}), ${id('h', '(i % 3)')}, 'harness-' || (i % 3),
         ${id('app', '(i % 5)')}, 'bp-' || (i % 7), ${id('u', pick('i', 3, shape.users))}, ${id('p', pick('i', 4, shape.users))},
         ${pick('i', 5, 20000)}, ${pick('i', 6, 5000)}
  FROM generate_series($5::bigint, $6::bigint) AS i, LATERAL (SELECT ${when('i', 1)} AS t) w`;

/** Generations: each in its own turn (so a per-turn export has one row per generation), attributed to a session. */
export const GENERATIONS_SQL = (shape: OrgShape) => `
  INSERT INTO llm_generations (org_id, id, session_id, turn_id, model, provider, finish_reason, input_tokens, output_tokens,
                               cache_read_tokens, cache_creation_tokens, duration_ms, time_to_first_token_ms, error, created_at)
  SELECT $1, ${id('g', 'i')}, ${id('s', pick('i', 11, shape.sessions))}, ${id('t', 'i')},
         (${arr(MODELS)})[1 + m], (${arr(PROVIDERS)})[1 + m], (${arr(['stop', 'stop', 'length', 'tool_calls', null])})[1 + ${pick('i', 12, 5)}],
         ${pick('i', 13, 8000)}, ${pick('i', 14, 2000)}, CASE WHEN i % 3 = 0 THEN ${pick('i', 15, 4000)} END, CASE WHEN i % 11 = 0 THEN ${pick('i', 16, 500)} END,
         50 + ${pick('i', 17, 9000)}, CASE WHEN i % 10 <> 0 THEN 20 + ${pick('i', 18, 900)} END, ${rnd('i', 19)} < 0.03, ${when('i', 10)}
  FROM generate_series($5::bigint, $6::bigint) AS i, LATERAL (SELECT ${pick('i', 20, MODELS.length)} AS m) x`;

/** Events: four per turn, three tool calls then the turn's end, plus data as the platform sends it. */
export const EVENTS_SQL = (shape: OrgShape) => `
  INSERT INTO events (org_id, id, session_id, turn_id, type, created_at, data)
  SELECT $1, ${id('e', 'i')}, ${id('s', `((i / 4) % ${shape.sessions})`)}, ${id('et', '(i / 4)')},
         CASE WHEN i % 4 = 3 THEN (${arr(['turn.completed', 'turn.completed', 'turn.failed', 'turn.cancelled'])})[1 + ${pick('i', 21, 4)}] ELSE 'tool.completed' END,
         ${when('(i / 4)', 22)} + (i % 4) * interval '1 second',
         CASE WHEN i % 4 = 3
              THEN jsonb_build_object('duration_ms', ${pick('i', 23, 60000)}, 'iterations', 1 + ${pick('i', 24, 6)}, 'input_tokens', ${pick('i', 25, 9000)}, 'output_tokens', ${pick('i', 26, 3000)})
              ELSE jsonb_build_object('tool_name', (${arr(['web.search', 'code.run', 'file.read', 'sql.query', 'http.get'])})[1 + ${pick('i', 27, 5)}],
                                      'status', (${arr(['success', 'success', 'success', 'error', 'timeout', 'cancelled'])})[1 + ${pick('i', 28, 6)}],
                                      'duration_ms', ${pick('i', 29, 20000)}) END
  FROM generate_series($5::bigint, $6::bigint) AS i`;

export const LEDGER_SQL = (shape: OrgShape) => `
  INSERT INTO usage_ledger (org_id, id, session_id, budget_id, subject_type, subject_id, currency, meter_source, ref_type, amount, created_at)
  SELECT $1, ${id('l', 'i')}, ${id('s', pick('i', 31, shape.sessions))}, ${id('b', '(i % 4)')}, 'agent', 'agent-' || (i % ${shape.agents}),
         (${arr(['USD', 'USD', 'EUR'])})[1 + ${pick('i', 32, 3)}], (${arr(['llm', 'tool', null])})[1 + ${pick('i', 33, 3)}], 'generation',
         CASE WHEN i % 25 = 0 THEN -round((${rnd('i', 34)} * 20)::numeric, 4) ELSE round((${rnd('i', 35)} * 2)::numeric, 4) END, ${when('i', 30)}
  FROM generate_series($5::bigint, $6::bigint) AS i`;

/** Facts written directly (the other orgs of the 10M-fact database; their canonical rows are not needed). */
export const FILLER_FACTS_SQL = (shape: OrgShape) => `
  INSERT INTO fact_llm_generation (org_id, source_key, turn_id, session_id, user_id, principal_id, agent_id, agent_name, harness_id,
    harness_name, app_id, blueprint_id, model, provider, finish_reason, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens,
    total_tokens, duration_ms, time_to_first_token_ms, is_error, created_at, source_updated_at)
  SELECT $1, 'llm_generation:gen_' || md5($2 || ':g:' || i), ${id('t', 'i')}, ${id('s', pick('i', 11, shape.sessions))},
         ${id('u', pick('i', 3, shape.users))}, NULL, ${id('a', `(i % ${shape.agents})`)}, 'agent-' || (i % ${shape.agents}), NULL, NULL, NULL, NULL,
         (${arr(MODELS)})[1 + m], (${arr(PROVIDERS)})[1 + m], 'stop', inp, outp, NULL, NULL, inp + outp, 50 + ${pick('i', 17, 9000)}, NULL, false, t, t
  FROM generate_series($5::bigint, $6::bigint) AS i,
       LATERAL (SELECT ${pick('i', 20, MODELS.length)} AS m, ${pick('i', 13, 8000)} AS inp, ${pick('i', 14, 2000)} AS outp, ${when('i', 10)} AS t) x`;

/** An app with one channel, and its runs over the last $4 days, with their hourly counts. */
export const APP_SQL = `
  WITH a AS (INSERT INTO apps (org_id, id, name) VALUES ($1, ${id('app', '0')}, 'bench app') RETURNING id)
  INSERT INTO app_channels (org_id, id, app_id, type, name) SELECT $1, ${id('chan', '0')}, a.id, 'slack', 'bench' FROM a`;
export const APP_RUNS_SQL = `
  INSERT INTO app_runs (org_id, id, app_id, channel_id, status, created_at, completed_at)
  SELECT $1, ${id('run', 'i')}, ${id('app', '0')}, ${id('chan', '0')}, s, t, CASE WHEN s = 'running' THEN NULL ELSE t + interval '2 seconds' END
  FROM generate_series($5::bigint, $6::bigint) AS i,
       LATERAL (SELECT (${arr(['ok', 'ok', 'ok', 'ok', 'err', 'running'])})[1 + ${pick('i', 41, 6)}] AS s, ${when('i', 40)} AS t) x`;
export const APP_RUN_HOURLY_SQL = `
  INSERT INTO app_run_hourly (org_id, app_id, hour, ok, err, running)
  SELECT org_id, app_id, date_bin(interval '1 hour', created_at, timestamptz '2000-01-01T00:00:00Z'),
         count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status = 'err'), count(*) FILTER (WHERE status = 'running')
  FROM app_runs WHERE org_id = $1 GROUP BY 1, 2, 3`;

export interface OrgRef {
  id: string;
  tag: string;
}

/** Runs a generator in chunks (so progress shows and no statement holds everything at once). */
export async function generate(
  ds: DataSource, sql: string, org: OrgRef, end: Date, days: number, rows: number,
  onChunk: (done: number) => void = () => undefined, chunk = 250_000,
): Promise<void> {
  for (let from = 0; from < rows; from += chunk) {
    const to = Math.min(rows, from + chunk) - 1;
    await ds.query(sql, [org.id, org.tag, end, days, from, to]);
    onChunk(to + 1);
  }
}

const PROJECTIONS: [table: string, sql: string][] = [
  ['sessions', PROJECT_SESSIONS_SQL], ['events', PROJECT_EVENTS_SQL], ['llm_generations', PROJECT_LLM_GENERATIONS_SQL], ['usage_ledger', PROJECT_USAGE_LEDGER_SQL],
];

/**
 * Projects every canonical row of an org with the projector's own statements over all of its
 * keys at once (chunked): the "one bulk INSERT … SELECT of the same facts" baseline, and how the
 * benchmark fills facts and rollups without waiting for the outbox. Returns the rows projected.
 * The default chunk is the projector's batch size: a chunk of 100,000 sessions priced its
 * generations in one statement whose plan (estimating a few hundred generations for a million)
 * ran for more than 14 minutes at full size, so the whole bench never got past loading.
 *
 * Rows are taken in time order, as a running projector meets them (ingest arrives as it
 * happens), so each chunk moves the rollup rows of a few hours. In id order (random times: the
 * bench's ids are hashes) every chunk moved nearly every rollup row of the org's 30 days — each
 * row rewritten ~200 times for the big org — and the rollup the query benches read was left
 * spread over 2–3× the pages a live system's is (BENCHMARKS.md, 2026-11-30 second run).
 */
export async function bulkProject(ds: DataSource, orgId: string, chunk = 5_000): Promise<number> {
  let n = 0;
  for (const [table, sql] of PROJECTIONS) {
    const ids: { id: string }[] = await ds.query(`SELECT id FROM ${table} WHERE org_id = $1 ORDER BY created_at, id`, [orgId]);
    for (let i = 0; i < ids.length; i += chunk) {
      const part = ids.slice(i, i + chunk).map((r) => r.id);
      await ds.query(sql, batchParams(part.map(() => orgId), part));
    }
    n += ids.length;
  }
  return n;
}

/** Every canonical row of org $1 that has a projection, as (source_type, source_id). */
export const ALL_SOURCES_SQL = `
  SELECT 'event' AS source_type, id AS source_id FROM events WHERE org_id = $1 AND type IN ${PROJECTED_EVENT_TYPES_SQL}
  UNION ALL SELECT 'session', id FROM sessions WHERE org_id = $1
  UNION ALL SELECT 'llm_generation', id FROM llm_generations WHERE org_id = $1
  UNION ALL SELECT 'usage_ledger', id FROM usage_ledger WHERE org_id = $1`;

/** One outbox row per canonical row of the org that feeds facts (as ingest or backfill would write). */
export const ENQUEUE_ALL_SQL = `
  INSERT INTO reporting_outbox (org_id, source_type, source_id)
  SELECT $1, source_type, source_id FROM (${ALL_SOURCES_SQL}) s
  ON CONFLICT (org_id, source_type, source_id) WHERE status = 'pending' DO NOTHING`;

/** Removes an org's facts and rollup rows (to measure projecting them again). */
export async function clearFacts(ds: DataSource, orgId: string): Promise<void> {
  for (const t of [
    'fact_llm_generation', 'fact_tool_call', 'fact_turn', 'fact_session', 'fact_budget_posting', 'fact_capability_usage',
    'rollup_llm_generation_hourly', 'rollup_tool_call_hourly', 'rollup_turn_hourly', 'rollup_session_hourly', 'rollup_budget_posting_hourly',
    'rollup_capability_usage_hourly',
  ]) {
    await ds.query(`DELETE FROM ${t} WHERE org_id = $1`, [orgId]);
  }
}

/**
 * What autovacuum leaves a running system (SPEC §15, migration 14): statistics for the fact
 * partitions that hold rows, none for an org's partition never written to. The harness's
 * whole-database `VACUUM ANALYZE` would record such a partition as empty (0 rows), and a
 * projection statement planned on that — before its own rows land — probes the stored facts by
 * sequential scan of the partition it is filling, once per key (quadratic in the batch; 21,000
 * rows took 48–71 s instead of 4 s at quick size). Autovacuum never analyzes a table nothing was
 * written to, so the bench forgets those statistics again.
 */
export async function forgetEmptyPartitionStats(ds: DataSource): Promise<void> {
  const parts: { name: string }[] = await ds.query(`
    SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
    WHERE p.relkind = 'p' AND (p.relname LIKE 'fact\\_%' OR p.relname LIKE 'rollup\\_%') AND p.relnamespace = current_schema()::regnamespace`);
  for (const { name } of parts) {
    const [{ empty }] = await ds.query(`SELECT NOT EXISTS (SELECT 1 FROM ${name}) AS empty`);
    if (empty) await ds.query(`SELECT pg_clear_relation_stats(current_schema(), $1)`, [name]);
  }
}

/** The projector org's turn-and-tool-call events, sessions and generations, by id: what the cost and sketch benches project again and again. */
export async function projectionKeys(ds: DataSource, orgId: string): Promise<{ keys: { event: string[]; session: string[]; llm_generation: string[] }; rows: number }> {
  const ids = async (sql: string) => ((await ds.query(sql, [orgId])) as { id: string }[]).map((r) => r.id);
  const keys = {
    event: await ids(`SELECT id FROM events WHERE org_id = $1 AND type IN ('tool.completed', 'turn.completed', 'turn.failed', 'turn.cancelled') ORDER BY id`),
    session: await ids(`SELECT id FROM sessions WHERE org_id = $1 ORDER BY id`),
    llm_generation: await ids(`SELECT id FROM llm_generations WHERE org_id = $1 ORDER BY id`),
  };
  return { keys, rows: keys.event.length + keys.session.length + keys.llm_generation.length };
}
