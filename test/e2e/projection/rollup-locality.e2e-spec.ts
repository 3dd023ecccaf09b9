import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '#src/database/data-source-options.js';
import { checkAllRollups } from '#src/projector/rollups/rollup-maintenance.js';
import { RollupLocality1732600000017 } from '#src/database/migrations/1732600000017-rollup-locality.js';
import { compileReportQuery } from '#src/reporting/query/report-query.compile.js';
import { validateReportQuery } from '#src/reporting/query/report-query.validate.js';
import { client } from '../../support/api.js';
import { planRelations } from '../../support/plans.js';
import { inMigrationTransaction } from '../../support/migration-run.js';
import { startTestApp, type TestApp, type TestKey } from '../../support/test-app.js';
import { batches, makeWorkload, SOURCES, WORKLOAD_RANGE } from '../../reliability/workload.js';

const hex = (uuid: string) => uuid.replaceAll('-', '');

/** The rollup tables (`rollup_%`, plain or partitioned, not partitions) and their kinds. */
async function rollupTables(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query(`SELECT relname || ' ' || relkind::text AS t FROM pg_class
    WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition AND relname LIKE 'rollup\\_%' ORDER BY 1`);
  return rows.map((r) => r.t);
}

/** "<org> <partition> <row as JSON>" for every row of a table, sorted. */
async function placedRows(pool: pg.Pool, table: string): Promise<string[]> {
  const { rows } = await pool.query(`SELECT org_id::text || ' ' || tableoid::regclass::text || ' ' || to_jsonb(r)::text AS x FROM ${table} r ORDER BY 1`);
  return rows.map((r) => r.x);
}

/**
 * SPEC §15 org locality for the hourly rollups (migration 17): every rollup table is partitioned
 * by org like the fact tables, an org's partitions are made with its fact partitions (the trigger
 * on orgs), the migration carries every row into its org's partition both ways, the projector
 * keeps upserting through the partitioned keys, and a rollup-served query reads its org's
 * partition only.
 */
describe('rollup tables partitioned by org (SPEC §15, migration 17)', () => {
  let t: TestApp;
  let ds: DataSource;
  const orgs: TestKey[] = [];
  let names: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    ds = new DataSource(buildDataSourceOptions({ url: t.db.url, poolSize: 1, applicationName: 'rollup-locality-test' }));
    await ds.initialize();
    for (const [i, slug] of ['rollup-locality-a', 'rollup-locality-b'].entries()) {
      const owner = await t.key(slug, 'owner');
      orgs.push(owner);
      const api = client(t, owner.key);
      const w = makeWorkload(1700 + i, { sessions: 30, generationsPerSession: 3, ledgerPerSession: 2 });
      for (const source of SOURCES) for (const batch of batches(source, w[source], 1000)) await api.ingest(source, batch);
      expect((await api.project()).failed).toBe(0);
    }
    names = (await rollupTables(t.db.pool)).map((x) => x.split(' ')[0]);
  }, 120_000);
  afterAll(async () => {
    await ds?.destroy();
    await t.close();
  });

  it('every rollup table is partitioned, and an org made through the API has its partition of each, holding its rows', async () => {
    expect(names).toEqual(expect.arrayContaining(['rollup_budget_posting_hourly', 'rollup_capability_usage_hourly', 'rollup_llm_generation_hourly',
      'rollup_session_hourly', 'rollup_tool_call_hourly', 'rollup_turn_hourly']));
    expect(await rollupTables(t.db.pool)).toEqual(names.map((n) => `${n} p`));
    for (const table of names) {
      const { rows } = await t.db.pool.query(`SELECT tableoid::regclass::text AS part, count(*)::int AS n FROM ${table} WHERE org_id = ANY($1::uuid[]) GROUP BY 1 ORDER BY 1`,
        [orgs.map((o) => o.orgId)]);
      // Every org's rows sit in its own partition (some datasets have no rows for the workload).
      for (const r of rows) expect(orgs.map((o) => `${table}_${hex(o.orgId)}`)).toContain(r.part);
    }
    const { rows } = await t.db.pool.query(`SELECT count(*)::int AS n FROM rollup_llm_generation_hourly_${hex(orgs[0].orgId)}`);
    expect(rows[0].n).toBeGreaterThan(0);
  });

  it('down and up again carry every row over, each into its org\'s partition (an org without an orgs row into the default one)', async () => {
    const stray = randomUUID();
    const table = 'rollup_llm_generation_hourly';
    await t.db.pool.query(`INSERT INTO ${table} SELECT (jsonb_populate_record(r, jsonb_build_object('org_id', $1::uuid))).* FROM ${table} r WHERE org_id = $2`,
      [stray, orgs[0].orgId]);
    const before = new Map<string, string[]>();
    for (const n of names) before.set(n, (await placedRows(t.db.pool, n)).map((x) => x.replace(/^(\S+) \S+ /, '$1 ')));
    await inMigrationTransaction(ds, (q) => new RollupLocality1732600000017().down(q));
    expect(await rollupTables(t.db.pool)).toEqual(names.map((n) => `${n} r`));
    await inMigrationTransaction(ds, (q) => new RollupLocality1732600000017().up(q));
    expect(await rollupTables(t.db.pool)).toEqual(names.map((n) => `${n} p`));
    for (const n of names) {
      const after = await placedRows(t.db.pool, n);
      expect({ n, rows: after.map((x) => x.replace(/^(\S+) \S+ /, '$1 ')) }).toEqual({ n, rows: before.get(n) });
      for (const x of after) {
        const [org, part] = x.split(' ');
        expect({ org, part }).toEqual({ org, part: org === stray ? `${n}_default` : `${n}_${hex(org)}` });
      }
    }
    const { rows } = await t.db.pool.query(`SELECT count(*)::int AS n FROM ${table}_default`);
    expect(rows[0].n).toBeGreaterThan(0);
    await t.db.pool.query(`DELETE FROM ${table} WHERE org_id = $1`, [stray]);
  });

  it('the projector still moves the rollups through the partitioned keys, and `rollups check` finds them exact', async () => {
    const api = client(t, orgs[1].key);
    const w = makeWorkload(1799, { sessions: 10, generationsPerSession: 2, ledgerPerSession: 1 });
    for (const source of SOURCES) for (const batch of batches(source, w[source], 1000)) await api.ingest(source, batch);
    expect((await api.project()).failed).toBe(0);
    const { rows } = await t.db.pool.query(`
      SELECT (SELECT count(*)::int FROM fact_llm_generation WHERE org_id = $1) AS facts,
             (SELECT sum(row_count)::int FROM rollup_llm_generation_hourly WHERE org_id = $1) AS rolled_up,
             (SELECT sum(row_count)::int FROM ${'rollup_llm_generation_hourly_' + hex(orgs[1].orgId)}) AS in_partition`, [orgs[1].orgId]);
    expect(rows[0]).toEqual({ facts: rows[0].facts, rolled_up: rows[0].facts, in_partition: rows[0].facts });
    expect(rows[0].facts).toBeGreaterThan(0);
    const drift = await checkAllRollups(ds);
    expect(drift.map((d) => `${d.dataset} ${d.missing} ${d.extra}`)).toEqual(drift.map((d) => `${d.dataset} 0 0`));
    expect(drift.length).toBe(names.length);
  });

  it('a rollup-served query scoped to one org reads only that org\'s rollup partition, with a custom plan and with a generic one', async () => {
    const v = validateReportQuery({ dataset: 'llm_generations', time_range: WORKLOAD_RANGE, dimensions: ['model'], measures: ['generation_count', 'p95_duration_ms'] });
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    const org = orgs[0].orgId;
    const { sql, params } = compileReportQuery(v.query, org, v.query.limit + 1, 'rollup');
    const partition = `rollup_llm_generation_hourly_${hex(org)}`;
    const custom = await t.db.pool.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    expect(planRelations(custom.rows[0]['QUERY PLAN'][0].Plan)).toEqual([partition]);
    const c = await t.db.pool.connect();
    try {
      const args = params.map((p) => c.escapeLiteral(p instanceof Date ? p.toISOString() : String(p))).join(', ');
      await c.query(`PREPARE rollup_locality AS ${sql}`);
      await c.query(`SET plan_cache_mode = force_generic_plan`);
      const generic = await c.query(`EXPLAIN (FORMAT JSON) EXECUTE rollup_locality(${args})`);
      expect(planRelations(generic.rows[0]['QUERY PLAN'][0].Plan)).toEqual([partition]);
    } finally {
      await c.query('DEALLOCATE ALL; RESET plan_cache_mode').catch(() => undefined);
      c.release();
    }
  });
});
