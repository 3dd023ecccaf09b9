import { HOURLY_BUCKETS_SQL } from '#src/apps/app-runs.sql.js';
import type { Bench } from '../support/context.js';
import { explain } from '../support/explain.js';
import { load } from '../support/load.js';
import { repeat, round, summary } from '../support/stats.js';

/** The histogram counted from the runs themselves, as it was before app_run_hourly. */
const COUNT_FROM_RUNS_SQL = `
  SELECT date_bin(interval '1 hour', created_at, timestamptz '2000-01-01T00:00:00Z') AS hour,
         count(*) FILTER (WHERE status = 'ok') AS ok, count(*) FILTER (WHERE status = 'err') AS err, count(*) FILTER (WHERE status = 'running') AS running
  FROM app_runs WHERE org_id = $1 AND app_id = $2 AND created_at >= $3 AND created_at <= $4 GROUP BY 1`;

/**
 * SPEC §9 app runs: the 7-day hourly histogram of an app with 1M runs, p95 ≤ 100 ms (through the
 * API, with a first page of runs). Baselines: the route's own histogram SQL run directly, and the
 * same histogram counted from the runs without the hourly table.
 */
export const appRunsBench: Bench = {
  name: 'app runs',
  async run(ctx, service) {
    const org = ctx.orgs.apps;
    const path = `/v1/apps/${ctx.appId}/runs?window=7d&group_by=hour&limit=100`;
    const get = async () => {
      const res = await fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${org.key}` } });
      const body = (await res.json()) as { buckets: { ok: number; err: number; running: number }[] };
      if (res.status !== 200) throw new Error(`app runs → ${res.status} ${JSON.stringify(body)}`);
      return body;
    };
    const counted = (await get()).buckets.reduce((n, b) => n + b.ok + b.err + b.running, 0);
    const sequential = summary(await repeat(ctx.scale.samples, get));
    const concurrent = await load({ url: service.url, connections: 4, amount: ctx.scale.samples * 2, headers: { authorization: `Bearer ${org.key}` }, requests: [{ method: 'GET', path }] });
    const underLoad = summary(concurrent.latencies);
    const now = new Date();
    const params = [org.id, ctx.appUuid, new Date(now.getTime() - 7 * 86_400_000), now];
    const sql = summary(await repeat(ctx.scale.samples, () => ctx.ds.query(HOURLY_BUCKETS_SQL, params)));
    const naive = summary(await repeat(Math.min(ctx.scale.samples, 20), () => ctx.ds.query(COUNT_FROM_RUNS_SQL, params), 1));
    const ms = (x: number) => `${round(x, 1)} ms`;
    return [{
      name: 'app runs 7-day histogram',
      bar: 'p95 ≤ 100 ms for an app with 1M runs',
      figure: `${counted} runs in the window; API p50 ${ms(sequential.p50)}, p95 ${ms(sequential.p95)} (n=${sequential.n}); 4 connections: p95 ${ms(underLoad.p95)}`,
      baseline: `histogram counted from app_runs (no hourly table): p50 ${ms(naive.p50)}, p95 ${ms(naive.p95)}; the route's SQL direct: p95 ${ms(sql.p95)}`,
      ratio: round(naive.p95 / sequential.p95, 1),
      ratioLabel: 'count-from-runs p95 ÷ API p95 (speed-up)',
      pass: sequential.p95 <= 100,
      details: {
        runs: counted, api_p50_ms: sequential.p50, api_p95_ms: sequential.p95, load_p95_ms: underLoad.p95, sql_p95_ms: sql.p95,
        naive_p50_ms: naive.p50, naive_p95_ms: naive.p95,
      },
      plans: {
        'hourly histogram (what the API runs)': await explain(ctx.ds, HOURLY_BUCKETS_SQL, params),
        'histogram counted from app_runs': await explain(ctx.ds, COUNT_FROM_RUNS_SQL, params),
      },
    }];
  },
};
