import { sourceTypeSql } from '#src/pipeline/pipeline.vocabulary.js';
import { logNormal, NamedParams, stratified, timeAt, ts, uniform, uuid7 } from './sql-expr.js';

/** The org's fixed things: the org row (an existing slug keeps its id), apps, channels. */
export const SEED_ORG_SQL = `
  WITH ins AS (INSERT INTO orgs (id, slug, name) VALUES ($1, $2, $3) ON CONFLICT ON CONSTRAINT orgs_slug_key DO NOTHING RETURNING id)
  SELECT id FROM ins UNION ALL SELECT id FROM orgs WHERE slug = $2`;

export const SEED_APPS_SQL = `
  WITH apps_in AS (
    INSERT INTO apps (org_id, id, name, created_at)
    SELECT $1, a.id, a.name, $4 FROM unnest($2::uuid[], $3::text[]) AS a(id, name)
    ON CONFLICT (org_id, id) DO NOTHING
    RETURNING 1
  ),
  channels_in AS (
    INSERT INTO app_channels (org_id, id, app_id, type, name)
    SELECT $1, c.id, c.app_id, c.type, c.name FROM unnest($5::uuid[], $6::uuid[], $7::text[], $8::text[]) AS c(id, app_id, type, name)
    ON CONFLICT (org_id, id) DO NOTHING
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM apps_in)::int AS apps, (SELECT count(*) FROM channels_in)::int AS app_channels`;

export const TOP_UP_PARAMS = new NamedParams({
  org_id: 'uuid', seed: 'bigint', start_ms: 'bigint', end_ms: 'bigint', weeks: 'int',
  budget_ids: 'uuid[]', budget_pub: 'text[]', budget_currency: 'text[]', budget_top_up: 'numeric[]',
});
const T = TOP_UP_PARAMS.ref;

/** Every budget is topped up weekly, 9 hours into the week: credits without a session (SPEC §4: amount < 0). */
export const SEED_TOP_UPS_SQL = `
  WITH p AS (
    SELECT w, b, ${T.start_ms} + w::bigint * 604800000 + 32400000 AS at_ms
    FROM generate_series(0, ${T.weeks} - 1) w CROSS JOIN generate_series(1, cardinality(${T.budget_ids})) b
  ),
  ins AS (
    INSERT INTO usage_ledger (org_id, id, session_id, budget_id, subject_type, subject_id, currency, meter_source, ref_type, amount, created_at)
    SELECT ${T.org_id}, ${uuid7(T.seed, 'p.at_ms', '(p.w * 16 + p.b)', 71)}, NULL, (${T.budget_ids})[p.b], 'budget', (${T.budget_pub})[p.b],
           (${T.budget_currency})[p.b], 'manual', 'top_up', -(${T.budget_top_up})[p.b], ${ts('p.at_ms')}
    FROM p WHERE p.at_ms < ${T.end_ms}
    ON CONFLICT (org_id, id) DO NOTHING
    RETURNING id
  ),
  enqueued AS (
    INSERT INTO reporting_outbox (org_id, source_type, source_id) SELECT ${T.org_id}, ${sourceTypeSql('usage_ledger')}, id FROM ins
    ON CONFLICT (org_id, source_type, source_id) WHERE status = 'pending' DO NOTHING
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM ins)::int AS usage_ledger, (SELECT count(*) FROM enqueued)::int AS enqueued`;

export const APP_RUN_PARAMS = new NamedParams({
  org_id: 'uuid', seed: 'bigint', n: 'float8', from: 'bigint', to: 'bigint', start_ms: 'bigint', end_ms: 'bigint', last_hour_ms: 'bigint',
  hours: 'float8[]', flat: 'float8[]', app_cum: 'float8[]', app_ids: 'uuid[]', chan_start: 'int[]', chan_count: 'int[]',
  chan_ids: 'uuid[]', chan_app: 'int[]', chan_type: 'text[]', chan_err: 'float8[]',
});
const R = APP_RUN_PARAMS.ref;
const U = (key: string, salt: number) => uniform(R.seed, key, salt);
/**
 * App runs [from, to) of one org (SPEC §7 reads them canonically; they are not projected).
 * The first runs visit every channel once, so every app and channel has history. Scheduled
 * channels fire on the quarter hour around the clock; the others follow the business rhythm.
 * A run still going at the window's end is `running`, and so are the 2 % that hang (waiting for
 * input, or stuck) — the histogram's `running` column has something to show.
 */
export const SEED_APP_RUNS_SQL = `
  WITH r0 AS (
    SELECT i, ${stratified(R.seed, 'i', R.n, 82)} AS u, CASE WHEN i <= cardinality(${R.chan_ids}) THEN i::int END AS fixed,
           width_bucket(${U('i', 80)}, ${R.app_cum}) AS app
    FROM generate_series(${R.from}, ${R.to} - 1) i
  ),
  r1 AS (
    SELECT i, u, coalesce(fixed, (${R.chan_start})[app] + floor(${U('i', 81)} * (${R.chan_count})[app])::int) AS ch FROM r0
  ),
  r2 AS (
    SELECT r1.*, (${R.chan_type})[ch] = 'schedule' AS scheduled,
           CASE WHEN (${R.chan_type})[ch] = 'schedule' THEN width_bucket(u, ${R.flat}) ELSE width_bucket(u, ${R.hours}) END AS b
    FROM r1
  ),
  r3 AS (
    SELECT i, ch,
           CASE WHEN scheduled
                -- on the quarter hour, give or take two seconds
                THEN least(${R.end_ms} - 1, ${timeAt('u', 'b', R.flat, R.start_ms, R.last_hour_ms)} / 900000 * 900000 + floor(${U('i', 84)} * 2000)::bigint)
                ELSE ${timeAt('u', 'b', R.hours, R.start_ms, R.last_hour_ms)} END AS created_ms,
           ${logNormal(R.seed, 'i', 85, '20000', 0.8, 300)} AS dur_ms,
           ${U('i', 86)} < (${R.chan_err})[ch] AS failed,
           ${U('i', 88)} < 0.02 AS hung
    FROM r2
  ),
  ins AS (
    INSERT INTO app_runs (org_id, id, app_id, channel_id, status, created_at, completed_at)
    SELECT ${R.org_id}, ${uuid7(R.seed, 'r.created_ms', 'r.i', 87)}, (${R.app_ids})[(${R.chan_app})[r.ch]], (${R.chan_ids})[r.ch],
           CASE WHEN r.hung OR r.created_ms + r.dur_ms >= ${R.end_ms} THEN 'running' WHEN r.failed THEN 'err' ELSE 'ok' END,
           ${ts('r.created_ms')}, CASE WHEN NOT r.hung AND r.created_ms + r.dur_ms < ${R.end_ms} THEN ${ts('r.created_ms + r.dur_ms')} END
    FROM r3 r
    ON CONFLICT (org_id, id) DO NOTHING
    RETURNING 1
  )
  SELECT count(*)::int AS app_runs FROM ins`;
