import { BACKFILL_PLAN_SQL, backfillStep } from '#src/projector/backfill/backfill.sql.js';
import type { Bench } from '../support/context.js';
import { explain } from '../support/explain.js';
import type { DataSource } from 'typeorm';
import { ALL_SOURCES_SQL, ENQUEUE_ALL_SQL } from '../support/data.js';
import { round, timed } from '../support/stats.js';

/**
 * Where the insert's time goes: the org's outbox rows (picked beforehand, in key order) inserted
 * into a copy of the outbox, first with its primary key alone, then again after each index a
 * pending row enters is added, then with ON CONFLICT as the route writes them. Seconds per step.
 */
async function insertCostByIndex(ds: DataSource, orgId: string): Promise<Record<string, number>> {
  const indexes: { indexname: string; indexdef: string }[] = await ds.query(`
    SELECT indexname, indexdef FROM pg_indexes
    WHERE schemaname = current_schema() AND tablename = 'reporting_outbox' AND indexname <> 'reporting_outbox_pkey'
      AND (indexdef NOT LIKE '% WHERE %' OR indexdef LIKE '%''pending''%')
    ORDER BY indexname <> 'reporting_outbox_pending_source_key', indexname`);
  await ds.query(`DROP TABLE IF EXISTS bench_outbox, bench_picked`); // a killed run's, on BENCH_DATABASE_URL
  const insert = `INSERT INTO bench_outbox (org_id, source_type, source_id) SELECT $1, source_type, source_id FROM bench_picked`;
  const seconds: Record<string, number> = {};
  const step = async (label: string, sql: string) => {
    await ds.query(`TRUNCATE bench_outbox`);
    await ds.query(`CHECKPOINT`).catch(() => undefined); // superuser only; the same start for every step
    seconds[label] = round((await timed(() => ds.query(sql, [orgId]))).ms / 1000, 2);
  };
  try {
    await ds.query(`CREATE TABLE bench_picked AS SELECT * FROM (${ALL_SOURCES_SQL}) s ORDER BY source_type, source_id`, [orgId]);
    await ds.query(`CREATE TABLE bench_outbox (LIKE reporting_outbox INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS)`);
    await ds.query(`ALTER TABLE bench_outbox ADD PRIMARY KEY (id)`);
    await step('insert_s_primary_key_only', insert);
    for (const { indexname, indexdef } of indexes) {
      await ds.query(indexdef.replace(indexname, `bench_${indexname}`).replace(/ ON (\S+\.)?reporting_outbox /, ' ON bench_outbox '));
      await step(`insert_s_plus_${indexname.replace('reporting_outbox_', '')}`, insert);
    }
    await step('insert_s_all_on_conflict', `${insert} ON CONFLICT (org_id, source_type, source_id) WHERE status = 'pending' DO NOTHING`);
  } finally {
    await ds.query(`DROP TABLE IF EXISTS bench_outbox, bench_picked`);
  }
  return seconds;
}

/**
 * SPEC §9 backfill: 1M canonical rows enqueued in ≤ 20 s, through the API (each call enqueues at
 * most 100,000; the operator repeats it until a call enqueues fewer than it asked for, which means
 * that call went round every row). One more call, timed apart, shows that running it again
 * enqueues nothing. Baseline: one INSERT … SELECT of an outbox row for every one of those rows,
 * without looking at facts or the outbox.
 */
export const backfillBench: Bench = {
  name: 'backfill',
  async run(ctx, service) {
    const org = ctx.orgs.big;
    const headers = { authorization: `Bearer ${org.key}`, 'content-type': 'application/json' };
    // A call's walk over the generations: 100,000 picked, nothing waiting yet (rolled back).
    const walk = backfillStep('probe', 'llm_generation', org.id, 100_000, null, null);
    const firstCall = await explain(ctx.ds, walk.sql, walk.params, BACKFILL_PLAN_SQL.probe);
    await ctx.ds.query(`VACUUM reporting_outbox`); // the rolled-back rows must not slow the timed calls
    let enqueued = 0;
    let calls = 0;
    const api = await timed(async () => {
      for (;;) {
        const res = await fetch(`${service.url}/v1/reports/admin/backfill`, { method: 'POST', headers, body: JSON.stringify({ limit: 100_000 }) });
        const body = (await res.json()) as { enqueued: number };
        if (res.status !== 200) throw new Error(`backfill → ${res.status} ${JSON.stringify(body)}`);
        calls += 1;
        enqueued += body.enqueued;
        if (body.enqueued < 100_000) return;
      }
    });
    let again = 0;
    const againCall = await timed(async () => {
      const res = await fetch(`${service.url}/v1/reports/admin/backfill`, { method: 'POST', headers, body: JSON.stringify({ limit: 100_000 }) });
      again = ((await res.json()) as { enqueued: number }).enqueued;
    });
    if (again !== 0) throw new Error(`backfill run again enqueued ${again}`);
    // And once every row waits: the walk over all of them that closes a pass, finding nothing.
    const closing = backfillStep('hash', 'llm_generation', org.id, 100_000, null, null);
    const lastCall = await explain(ctx.ds, closing.sql, closing.params, BACKFILL_PLAN_SQL.hash);
    await ctx.ds.query(`DELETE FROM reporting_outbox WHERE org_id = $1`, [org.id]);
    await ctx.ds.query(`VACUUM reporting_outbox`);
    const bulk = await timed(() => ctx.ds.query(ENQUEUE_ALL_SQL, [org.id]));
    await ctx.ds.query(`DELETE FROM reporting_outbox WHERE org_id = $1`, [org.id]);
    const byIndex = await insertCostByIndex(ctx.ds, org.id);
    const rate = enqueued / (api.ms / 1000);
    const perMillion = (api.ms / enqueued) * 1e6 / 1000;
    return [{
      name: 'backfill enqueue',
      bar: '1M canonical rows enqueued in ≤ 20 s',
      figure: `${enqueued} rows in ${round(api.ms / 1000, 2)} s (${Math.round(rate)}/s, ${calls} calls; ${round(perMillion, 1)} s per 1M); ` +
        `run again: 0 rows in ${round(againCall.ms / 1000, 2)} s`,
      baseline: `one bulk INSERT … SELECT of the same outbox rows: ${round(bulk.ms / 1000, 2)} s; the rows presorted into a copy ` +
        `of the outbox: ${byIndex.insert_s_primary_key_only} s with its primary key alone, ${byIndex.insert_s_all_on_conflict} s with every index and ON CONFLICT`,
      ratio: round(api.ms / bulk.ms, 2),
      ratioLabel: 'API ÷ bulk insert',
      pass: perMillion <= 20,
      details: {
        rows: enqueued, calls, seconds: api.ms / 1000, rows_per_s: rate, seconds_per_million: perMillion, again_seconds: againCall.ms / 1000,
        bulk_seconds: bulk.ms / 1000, ...byIndex,
      },
      plans: { 'a call\'s walk over generations (100,000 picked, nothing waiting)': firstCall, 'the walk over every generation, all waiting': lastCall },
    }];
  },
};
