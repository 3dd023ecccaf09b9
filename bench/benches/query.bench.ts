import { DATASET_BY_NAME } from '#src/reporting/catalog/catalog.js';
import { rollupOf } from '#src/reporting/catalog/rollup.js';
import { compileReportQuery } from '#src/reporting/query/report-query.compile.js';
import { planReportQuery, type ServedBy } from '#src/reporting/query/report-query.plan.js';
import { validateReportQuery } from '#src/reporting/query/report-query.validate.js';
import type { Bench, BenchContext, Figure } from '../support/context.js';
import { explain } from '../support/explain.js';
import { load } from '../support/load.js';
import type { Service } from '../support/service.js';
import { repeat, round, summary, timed } from '../support/stats.js';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** A 30-day query ending at `ctx.end` (a whole hour), or `shiftMs` earlier (a dashboard's "last 30 days" at 14:37). */
function wire(ctx: BenchContext, dimensions: string[], measures: string[], shiftMs = 0, days = 30) {
  const to = ctx.end.getTime() - shiftMs;
  return {
    dataset: 'llm_generations',
    time_range: { from: new Date(to - days * DAY_MS).toISOString(), to: new Date(to).toISOString() },
    dimensions,
    measures,
    limit: 10_000,
  };
}

/** The SQL the API runs for a query (or the other path's), to time it directly through pg. */
function compiled(ctx: BenchContext, query: object, source?: ServedBy) {
  const v = validateReportQuery(query);
  if (!v.ok) throw new Error(`bench query invalid: ${JSON.stringify(v.errors)}`);
  return compileReportQuery(v.query, ctx.orgs.big.id, v.query.limit + 1, source ?? planReportQuery(v.query));
}

async function api(service: Service, key: string, query: object): Promise<{ served_by: string; rows: unknown[] }> {
  const res = await fetch(`${service.url}/v1/reports/query`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(query),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`query → ${res.status} ${JSON.stringify(body)}`);
  return body as { served_by: string; rows: unknown[] };
}

/** The report of the rollup query, computed from the canonical table (what the platform had before Factline). */
const CANONICAL_DAY_MODEL = `
  SELECT date_trunc('day', g.created_at, 'UTC') AS day, g.model, count(*) AS generation_count,
         coalesce(sum(g.input_tokens + g.output_tokens + coalesce(g.cache_read_tokens, 0) + coalesce(g.cache_creation_tokens, 0)), 0) AS total_tokens,
         avg(g.duration_ms)::float8 AS avg_duration_ms
  FROM llm_generations g WHERE g.org_id = $1 AND g.created_at >= $2 AND g.created_at < $3
  GROUP BY 1, 2 ORDER BY 1, 2`;

/** A report the rollup cannot serve, from canonical tables: attribution needs the join facts avoid. */
const CANONICAL_DAY_AGENT = `
  SELECT date_trunc('day', g.created_at, 'UTC') AS day, s.agent_name, count(*) AS generation_count,
         coalesce(sum(g.input_tokens + g.output_tokens + coalesce(g.cache_read_tokens, 0) + coalesce(g.cache_creation_tokens, 0)), 0) AS total_tokens
  FROM llm_generations g LEFT JOIN sessions s ON s.org_id = g.org_id AND s.id = g.session_id
  WHERE g.org_id = $1 AND g.created_at >= $2 AND g.created_at < $3
  GROUP BY 1, 2 ORDER BY 1, 2`;

/**
 * Would a daily rollup level pay for long ranges? The day × model query (as the API compiles it
 * for the rollup) over a saturated hourly rollup — every hour holding every model × finish_reason
 * of the bench data, as at full size — of 365 days, against the same query over its daily
 * aggregate; both built in temp tables shaped like the real rollup (same columns and indexes), for
 * the big org only, so the figure does not depend on the bench scale.
 */
async function dailyLevel(ctx: BenchContext) {
  const dataset = DATASET_BY_NAME.get('llm_generations')!;
  const spec = rollupOf(dataset);
  const dims = spec.dimensions.map((d) => d.column);
  const runner = ctx.ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`CREATE TEMP TABLE bench_hourly (LIKE ${spec.table} INCLUDING ALL)`);
    await runner.query(`CREATE TEMP TABLE bench_daily (LIKE ${spec.table} INCLUDING ALL)`);
    const combos: { n: number }[] = await runner.query(`SELECT count(*)::int AS n FROM (SELECT DISTINCT ${dims.join(', ')} FROM ${spec.table} WHERE org_id = $1) c`, [ctx.orgs.big.id]);
    // Every combination seen in the real rollup, in every hour of the year before ctx.end.
    await runner.query(
      `INSERT INTO bench_hourly (org_id, hour, ${dims.join(', ')}, ${spec.columns.map((c) => c.name).join(', ')})
       SELECT $1::uuid, h, ${dims.map((d) => `c.${d}`).join(', ')}, ${spec.columns.map(() => '1 + (random() * 100)::int').join(', ')}
       FROM generate_series($2::timestamptz - interval '365 days', $2::timestamptz - interval '1 hour', interval '1 hour') h
       CROSS JOIN (SELECT DISTINCT ${dims.join(', ')} FROM ${spec.table} WHERE org_id = $1) c`,
      [ctx.orgs.big.id, ctx.end],
    );
    await runner.query(
      `INSERT INTO bench_daily (org_id, hour, ${dims.join(', ')}, ${spec.columns.map((c) => c.name).join(', ')})
       SELECT org_id, date_trunc('day', hour, 'UTC'), ${dims.join(', ')}, ${spec.columns.map((c) => `sum(${c.name})`).join(', ')}
       FROM bench_hourly GROUP BY 1, 2, ${dims.map((_, i) => i + 3).join(', ')}`,
    );
    await runner.query('ANALYZE bench_hourly');
    await runner.query('ANALYZE bench_daily');
    const time = async (days: number, table: string) => {
      // UTC day buckets on a range of whole days, so the daily aggregate answers it exactly.
      const end = new Date(Math.floor(ctx.end.getTime() / DAY_MS) * DAY_MS);
      const q = { dataset: 'llm_generations', time_range: { from: new Date(end.getTime() - days * DAY_MS).toISOString(), to: end.toISOString() }, dimensions: ['day', 'model'], measures: ['generation_count', 'total_tokens', 'avg_duration_ms'], limit: 10_000 };
      const c = compiled(ctx, q, 'rollup');
      const sql = c.sql.replace(` ${spec.table} f`, ` ${table} f`);
      return summary(await repeat(ctx.scale.samples, () => runner.query(sql, c.params)));
    };
    const hourly30 = await time(30, 'bench_hourly');
    const daily30 = await time(30, 'bench_daily');
    const hourly365 = await time(365, 'bench_hourly');
    const daily365 = await time(365, 'bench_daily');
    return { combos: combos[0].n, hourly30, daily30, hourly365, daily365 };
  } finally {
    await runner.query('DROP TABLE IF EXISTS bench_hourly, bench_daily').catch(() => undefined);
    await runner.release();
  }
}

/**
 * SPEC §9 query bars on the org with the most facts:
 * - a 30-day day × model query served by the rollup: p50/p95 through the API, sequentially and
 *   under concurrent load, against the same query's SQL over the facts;
 * - a query the rollup cannot serve (p95 duration by user): API time against the same compiled
 *   SQL run directly (the API's own overhead);
 * - facts vs canonical: the same reports computed from the canonical tables;
 * - SPEC §16: the covered query on a range off the hour (rollup+facts) against the aligned one;
 * - whether a daily rollup level would pay for long ranges (dailyLevel).
 */
export const queryBench: Bench = {
  name: 'query',
  async run(ctx, service): Promise<Figure[]> {
    const org = ctx.orgs.big;
    const range = [org.id, new Date(ctx.end.getTime() - 30 * DAY_MS), ctx.end];
    const slow = Math.min(ctx.scale.samples, 20);

    // Rollup-served day × model.
    const covered = wire(ctx, ['day', 'model'], ['generation_count', 'total_tokens', 'avg_duration_ms']);
    const first = await api(service, org.key, covered);
    if (first.served_by !== 'rollup') throw new Error(`expected the rollup to serve day × model, got ${first.served_by}`);
    const sequential = summary(await repeat(ctx.scale.samples, () => api(service, org.key, covered)));
    const concurrent = await load({
      url: service.url, connections: 4, amount: ctx.scale.samples * 2, headers: { authorization: `Bearer ${org.key}` },
      requests: [{ method: 'POST', path: '/v1/reports/query', body: () => JSON.stringify(covered) }],
    });
    const underLoad = summary(concurrent.latencies);
    const factsSql = compiled(ctx, covered, 'facts');
    const facts = summary(await repeat(slow, () => ctx.ds.query(factsSql.sql, factsSql.params), 1));
    const rollupSql = compiled(ctx, covered, 'rollup');
    const rollupDirect = summary(await repeat(ctx.scale.samples, () => ctx.ds.query(rollupSql.sql, rollupSql.params)));

    // Uncovered: p95 by user, API vs the same SQL, interleaved so both see the same machine.
    const uncovered = wire(ctx, ['user'], ['p95_duration_ms']);
    const byUser = compiled(ctx, uncovered);
    if ((await api(service, org.key, uncovered)).served_by !== 'facts') throw new Error('expected facts to serve p95 by user');
    const apiMs: number[] = [];
    const sqlMs: number[] = [];
    for (let i = 0; i < slow; i++) {
      apiMs.push((await timed(() => api(service, org.key, uncovered))).ms);
      sqlMs.push((await timed(() => ctx.ds.query(byUser.sql, byUser.params))).ms);
    }
    const uApi = summary(apiMs);
    const uSql = summary(sqlMs);

    // Facts vs canonical.
    const canonical = summary(await repeat(Math.min(slow, 10), () => ctx.ds.query(CANONICAL_DAY_MODEL, range), 1));
    const canonicalRows: unknown[] = await ctx.ds.query(CANONICAL_DAY_MODEL, range);
    if (canonicalRows.length !== first.rows.length) throw new Error(`canonical day × model has ${canonicalRows.length} rows, the API ${first.rows.length}`);
    const byAgent = compiled(ctx, wire(ctx, ['day', 'agent_name'], ['generation_count', 'total_tokens']));
    const agentFacts = summary(await repeat(Math.min(slow, 10), () => ctx.ds.query(byAgent.sql, byAgent.params), 1));
    const agentCanonical = summary(await repeat(Math.min(slow, 10), () => ctx.ds.query(CANONICAL_DAY_AGENT, range), 1));

    const plans = {
      'day × model from the rollup (what the API runs)': await explain(ctx.ds, rollupSql.sql, rollupSql.params),
      'day × model from the facts': await explain(ctx.ds, factsSql.sql, factsSql.params),
      'p95 duration by user from the facts (what the API runs)': await explain(ctx.ds, byUser.sql, byUser.params),
      'day × model from canonical llm_generations': await explain(ctx.ds, CANONICAL_DAY_MODEL, range),
      'day × agent_name from the facts': await explain(ctx.ds, byAgent.sql, byAgent.params),
      'day × agent_name from canonical tables': await explain(ctx.ds, CANONICAL_DAY_AGENT, range),
    };
    // SPEC §15/§16: the same covered query on a range that starts and ends at :37 (rollup+facts),
    // interleaved with the hour-aligned one so both see the same machine.
    const unaligned = wire(ctx, ['day', 'model'], ['generation_count', 'total_tokens', 'avg_duration_ms'], 23 * MINUTE_MS);
    const hybridFirst = await api(service, org.key, unaligned);
    if (hybridFirst.served_by !== 'rollup+facts') throw new Error(`expected rollup+facts to serve the unaligned day × model, got ${hybridFirst.served_by}`);
    const hybridSql = compiled(ctx, unaligned);
    const unalignedFactsSql = compiled(ctx, unaligned, 'facts');
    const hybridRows: unknown[] = await ctx.ds.query(hybridSql.sql, hybridSql.params);
    const { ms: unalignedFactsMs, value: unalignedFactsRows } = await timed(() => ctx.ds.query(unalignedFactsSql.sql, unalignedFactsSql.params) as Promise<unknown[]>);
    if (JSON.stringify(hybridRows) !== JSON.stringify(unalignedFactsRows)) throw new Error('the unaligned day × model differs between rollup+facts and the facts');
    const pairs = Math.max(ctx.scale.samples, 60);
    const alignedMs: number[] = [];
    const unalignedMs: number[] = [];
    for (let i = 0; i < 3; i++) await api(service, org.key, unaligned);
    for (let i = 0; i < pairs; i++) {
      alignedMs.push((await timed(() => api(service, org.key, covered))).ms);
      unalignedMs.push((await timed(() => api(service, org.key, unaligned))).ms);
    }
    const aligned = summary(alignedMs);
    const hybrid = summary(unalignedMs);
    const hybridDirect = summary(await repeat(ctx.scale.samples, () => ctx.ds.query(hybridSql.sql, hybridSql.params)));
    const daily = await dailyLevel(ctx);

    const ms = (x: number) => `${round(x, 1)} ms`;
    return [
      {
        name: 'rollup query (30-day day × model)',
        bar: 'p95 ≤ 50 ms, served by the rollup',
        figure: `API p50 ${ms(sequential.p50)}, p95 ${ms(sequential.p95)} (n=${sequential.n}); 4 connections: p50 ${ms(underLoad.p50)}, p95 ${ms(underLoad.p95)} (n=${underLoad.n})`,
        baseline: `same query over the facts (SQL direct): p50 ${ms(facts.p50)}, p95 ${ms(facts.p95)}`,
        ratio: round(facts.p95 / sequential.p95, 1),
        ratioLabel: 'facts p95 ÷ API p95 (speed-up)',
        pass: sequential.p95 <= 50,
        details: {
          api_p50_ms: sequential.p50, api_p95_ms: sequential.p95, load_p50_ms: underLoad.p50, load_p95_ms: underLoad.p95,
          facts_sql_p50_ms: facts.p50, facts_sql_p95_ms: facts.p95, rollup_sql_p50_ms: rollupDirect.p50, rollup_sql_p95_ms: rollupDirect.p95,
          rows: first.rows.length, load_non_2xx: Object.entries(concurrent.statuses).filter(([s]) => !s.startsWith('2')).reduce((n, [, c]) => n + c, 0),
        },
        plans,
      },
      {
        name: 'unaligned covered query (30-day day × model at :37)',
        bar: 'SPEC §16: p95 ≤ 50 ms, and ≤ 1.5 × the same query on an hour-aligned range; served by rollup+facts',
        figure: `unaligned (rollup+facts) API p50 ${ms(hybrid.p50)}, p95 ${ms(hybrid.p95)} (n=${hybrid.n}); its SQL direct p95 ${ms(hybridDirect.p95)}`,
        baseline: `hour-aligned (rollup), interleaved: API p50 ${ms(aligned.p50)}, p95 ${ms(aligned.p95)}; the unaligned query over the facts alone (SQL direct) ${ms(unalignedFactsMs)}`,
        ratio: round(hybrid.p95 / aligned.p95, 2),
        ratioLabel: 'unaligned p95 ÷ aligned p95',
        pass: hybrid.p95 <= 50 && hybrid.p95 <= 1.5 * aligned.p95,
        details: {
          unaligned_api_p50_ms: hybrid.p50, unaligned_api_p95_ms: hybrid.p95, aligned_api_p50_ms: aligned.p50, aligned_api_p95_ms: aligned.p95,
          unaligned_sql_p50_ms: hybridDirect.p50, unaligned_sql_p95_ms: hybridDirect.p95, unaligned_facts_sql_ms: unalignedFactsMs, rows: hybridFirst.rows.length,
        },
        plans: { 'unaligned day × model, rollup+facts (what the API runs)': await explain(ctx.ds, hybridSql.sql, hybridSql.params) },
      },
      {
        name: 'daily rollup level? (day × model, 30 and 365 days)',
        bar: 'decision input, not a SPEC bar: a daily level is worth building only if the hourly rollup misses 50 ms p95 on a 365-day query',
        figure: `from a saturated hourly rollup (SQL direct): 30 days p95 ${ms(daily.hourly30.p95)}, 365 days p95 ${ms(daily.hourly365.p95)}`,
        baseline: `from its daily aggregate: 30 days p95 ${ms(daily.daily30.p95)}, 365 days p95 ${ms(daily.daily365.p95)}`,
        ratio: round(daily.hourly365.p95 / daily.daily365.p95, 1),
        ratioLabel: 'hourly p95 ÷ daily p95 (365 days)',
        pass: daily.hourly365.p95 <= 50,
        details: {
          hourly_rows_per_day: daily.combos * 24, daily_rows_per_day: daily.combos,
          hourly30_p50_ms: daily.hourly30.p50, hourly30_p95_ms: daily.hourly30.p95, daily30_p50_ms: daily.daily30.p50, daily30_p95_ms: daily.daily30.p95,
          hourly365_p50_ms: daily.hourly365.p50, hourly365_p95_ms: daily.hourly365.p95, daily365_p50_ms: daily.daily365.p50, daily365_p95_ms: daily.daily365.p95,
        },
      },
      {
        name: 'uncovered query (p95 duration by user)',
        bar: 'API time ≤ 1.25 × the same compiled SQL run directly',
        figure: `API p50 ${ms(uApi.p50)}, p95 ${ms(uApi.p95)} (n=${uApi.n})`,
        baseline: `same SQL via pg: p50 ${ms(uSql.p50)}, p95 ${ms(uSql.p95)}`,
        ratio: round(uApi.p95 / uSql.p95, 3),
        ratioLabel: 'API p95 ÷ SQL p95',
        pass: uApi.p95 <= 1.25 * uSql.p95,
        details: { api_p50_ms: uApi.p50, api_p95_ms: uApi.p95, sql_p50_ms: uSql.p50, sql_p95_ms: uSql.p95, api_p50_over_sql_p50: uApi.p50 / uSql.p50 },
      },
      {
        name: 'facts vs canonical (30-day day × model report)',
        bar: 'the same report from canonical tables ≥ 10× slower',
        figure: `Factline (API, rollup) p50 ${ms(sequential.p50)}, p95 ${ms(sequential.p95)}`,
        baseline: `from canonical llm_generations: p50 ${ms(canonical.p50)}, p95 ${ms(canonical.p95)}`,
        ratio: round(canonical.p50 / sequential.p50, 1),
        ratioLabel: 'canonical p50 ÷ API p50',
        pass: canonical.p50 >= 10 * sequential.p50,
        details: {
          api_p50_ms: sequential.p50, canonical_p50_ms: canonical.p50, canonical_p95_ms: canonical.p95,
          agent_day_facts_p50_ms: agentFacts.p50, agent_day_canonical_p50_ms: agentCanonical.p50, agent_day_ratio: agentCanonical.p50 / agentFacts.p50,
        },
      },
    ];
  },
};
