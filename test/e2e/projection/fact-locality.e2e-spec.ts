import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '#src/database/data-source-options.js';
import { FactLocality1732600000014 } from '#src/database/migrations/1732600000014-fact-locality.js';
import { compileReportQuery } from '#src/reporting/query/report-query.compile.js';
import { validateReportQuery } from '#src/reporting/query/report-query.validate.js';
import { client } from '../../support/api.js';
import { planNodes, planRelations, type PlanNode } from '../../support/plans.js';
import { inMigrationTransaction } from '../../support/migration-run.js';
import { startTestApp, type TestApp, type TestKey } from '../../support/test-app.js';
import { batches, makeWorkload, SOURCES, WORKLOAD_RANGE } from '../../reliability/workload.js';

const hex = (uuid: string) => uuid.replaceAll('-', '');

/** The fact tables (`fact_%`, plain or partitioned, not partitions), as the migration finds them. */
async function factTables(pool: pg.Pool): Promise<{ name: string; kind: string }[]> {
  const { rows } = await pool.query(`SELECT relname AS name, relkind AS kind FROM pg_class
    WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition AND relname LIKE 'fact\\_%' ORDER BY 1`);
  return rows;
}

/** Every row of a table as JSON text, in key order: what "carried over" compares. */
async function rowsOf(pool: pg.Pool, table: string): Promise<string[]> {
  const { rows } = await pool.query(`SELECT to_jsonb(f)::text AS j FROM ${table} f ORDER BY org_id, source_key`);
  return rows.map((r) => r.j);
}

/** The table's indexes as SQL, as on a plain table (a partitioned table's read `ON ONLY`). */
async function indexesOf(pool: pg.Pool, table: string): Promise<string[]> {
  const { rows } = await pool.query(`SELECT replace(indexdef, ' ON ONLY ', ' ON ') AS def FROM pg_indexes
    WHERE schemaname = current_schema() AND tablename = $1 ORDER BY indexname`, [table]);
  return rows.map((r) => r.def);
}

/** How many rows of each org sit in which partition: "<org> <partition> <n>". */
async function placement(pool: pg.Pool, table: string): Promise<string[]> {
  const { rows } = await pool.query(`SELECT org_id::text AS org, tableoid::regclass::text AS part, count(*)::int AS n
    FROM ${table} GROUP BY 1, 2 ORDER BY 1, 2`);
  return rows.map((r) => `${r.org} ${r.part} ${r.n}`);
}

/**
 * SPEC §15 org locality (migration 14): from the previous schema — plain fact tables holding two
 * orgs' projected facts and rows of an org that has no `orgs` row — the migration carries every
 * row over, each into its org's partition (the unknown org's into the default partition), keeps
 * every index; an org created later gets its partitions with its rows moved out of the default
 * one; and a query scoped to an org reads only its partition, with a custom plan and a generic one.
 */
describe('fact tables partitioned by org (SPEC §15, migration 14)', () => {
  let t: TestApp;
  let ds: DataSource;
  const orgs: TestKey[] = [];
  const stray = randomUUID();
  const before = new Map<string, { rows: string[]; indexes: string[] }>();
  let tables: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    ds = new DataSource(buildDataSourceOptions({ url: t.db.url, poolSize: 1, applicationName: 'fact-locality-test' }));
    await ds.initialize();
    // The previous schema: migration 14 undone (plain fact tables, no trigger on orgs).
    await inMigrationTransaction(ds, (q) => new FactLocality1732600000014().down(q));
    expect(new Set((await factTables(t.db.pool)).map((x) => x.kind))).toEqual(new Set(['r']));
    for (const [i, slug] of ['locality-a', 'locality-b'].entries()) {
      const owner = await t.key(slug, 'owner');
      orgs.push(owner);
      const api = client(t, owner.key);
      const w = makeWorkload(1400 + i, { sessions: 40, generationsPerSession: 3, ledgerPerSession: 2 });
      for (const source of SOURCES) for (const batch of batches(source, w[source], 1000)) await api.ingest(source, batch);
      await api.project();
    }
    tables = (await factTables(t.db.pool)).map((x) => x.name);
    for (const table of tables) {
      // Rows of an org without an orgs row (no partition will exist for it): a copy of the first org's.
      const { rows } = await t.db.pool.query(`SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS cols,
          string_agg(CASE WHEN attname = 'org_id' THEN '$1::uuid' ELSE quote_ident(attname) END, ', ' ORDER BY attnum) AS sel
        FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, [table]);
      await t.db.pool.query(`INSERT INTO ${table} (${rows[0].cols}) SELECT ${rows[0].sel} FROM ${table} WHERE org_id = $2`, [stray, orgs[0].orgId]);
      before.set(table, { rows: await rowsOf(t.db.pool, table), indexes: await indexesOf(t.db.pool, table) });
    }
    await inMigrationTransaction(ds, (q) => new FactLocality1732600000014().up(q));
  }, 120_000);
  afterAll(async () => {
    await ds?.destroy();
    await t.close();
  });

  it('carries every row of every fact table over, each into its org\'s partition, and keeps every index and key', async () => {
    expect(tables).toEqual(expect.arrayContaining(['fact_budget_posting', 'fact_llm_generation', 'fact_session', 'fact_tool_call', 'fact_turn']));
    expect((await factTables(t.db.pool)).map((x) => `${x.name} ${x.kind}`)).toEqual(tables.map((x) => `${x} p`));
    for (const table of tables) {
      const was = before.get(table)!;
      expect(was.rows.length).toBeGreaterThan(0);
      expect({ table, rows: await rowsOf(t.db.pool, table) }).toEqual({ table, rows: was.rows });
      // Non-unique indexes lose their leading org_id, constant in a partition (see the migration).
      const indexes = was.indexes.map((d) => (d.startsWith('CREATE UNIQUE ') ? d : d.replace('btree (org_id, ', 'btree (')));
      expect({ table, indexes: await indexesOf(t.db.pool, table) }).toEqual({ table, indexes });
      // Expected placement from the rows as they were: each known org in its own partition, the stray org in the default one.
      const counts = new Map<string, number>();
      for (const j of was.rows) {
        const org = (JSON.parse(j) as { org_id: string }).org_id;
        counts.set(org, (counts.get(org) ?? 0) + 1);
      }
      const expected = [...counts].map(([org, n]) => `${org} ${org === stray ? `${table}_default` : `${table}_${hex(org)}`} ${n}`).sort();
      expect({ table, placement: await placement(t.db.pool, table) }).toEqual({ table, placement: expected });
    }
  });

  it('the projector still upserts into the partitioned tables (its ON CONFLICT targets match the keys)', async () => {
    const api = client(t, orgs[1].key);
    const w = makeWorkload(1499, { sessions: 10, generationsPerSession: 2, ledgerPerSession: 1 });
    for (const source of SOURCES) for (const batch of batches(source, w[source], 1000)) await api.ingest(source, batch);
    const run = await api.project();
    expect(run.failed).toBe(0);
    const { rows } = await t.db.pool.query(`SELECT (SELECT count(*)::int FROM llm_generations WHERE org_id = $1) AS canonical,
      (SELECT count(*)::int FROM fact_llm_generation WHERE org_id = $1) AS facts,
      (SELECT count(*)::int FROM ${'fact_llm_generation_' + hex(orgs[1].orgId)}) AS in_partition`, [orgs[1].orgId]);
    expect(rows[0]).toEqual({ canonical: rows[0].canonical, facts: rows[0].canonical, in_partition: rows[0].canonical });
  });

  it('an org created later gets its partitions, and its rows leave the default partition', async () => {
    const counts = new Map<string, number>();
    for (const table of tables) counts.set(table, (await t.db.pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE org_id = $1`, [stray])).rows[0].n);
    await t.db.pool.query(`INSERT INTO orgs (id, slug, name) VALUES ($1, 'locality-stray', 'locality-stray')`, [stray]);
    for (const table of tables) {
      expect({ table, placement: await placement(t.db.pool, table) }).toEqual({
        table,
        placement: expect.arrayContaining([`${stray} ${table}_${hex(stray)} ${counts.get(table)}`]),
      });
      const { rows } = await t.db.pool.query(`SELECT count(*)::int AS n FROM ${table}_default`);
      expect({ table, default_rows: rows[0].n }).toEqual({ table, default_rows: 0 });
    }
  });

  it('two sessions creating the same org\'s partitions at once: one creates them, the other finds them', async () => {
    const org = randomUUID();
    const a = await t.db.pool.connect();
    const b = await t.db.pool.connect();
    try {
      await a.query('BEGIN');
      const first = await a.query('SELECT fact_partitions_ensure($1) AS n', [org]);
      const second = b.query('SELECT fact_partitions_ensure($1) AS n', [org]);
      // b waits on the per-org advisory lock until a commits.
      for (;;) {
        const { rows } = await t.db.pool.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`);
        if (rows[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await a.query('COMMIT');
      expect([first.rows[0].n, (await second).rows[0].n]).toEqual([tables.length, 0]);
      expect((await b.query('SELECT fact_partitions_ensure($1) AS n', [org])).rows[0].n).toBe(0);
    } finally {
      a.release();
      b.release();
    }
  });

  it('a query scoped to one org reads only that org\'s partition, with a custom plan and with a generic one', async () => {
    const v = validateReportQuery({ dataset: 'llm_generations', time_range: WORKLOAD_RANGE, dimensions: ['user'], measures: ['p95_duration_ms'] });
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    const org = orgs[0].orgId;
    const { sql, params } = compileReportQuery(v.query, org, v.query.limit + 1, 'facts');
    const partition = `fact_llm_generation_${hex(org)}`;
    const custom = await t.db.pool.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    expect(planRelations(custom.rows[0]['QUERY PLAN'][0].Plan)).toEqual([partition]);

    const { rows: [{ n: partitions }] } = await t.db.pool.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'fact_llm_generation'::regclass`);
    const c = await t.db.pool.connect();
    try {
      const args = params.map((p) => c.escapeLiteral(p instanceof Date ? p.toISOString() : String(p))).join(', ');
      await c.query(`PREPARE locality AS ${sql}`);
      // Five custom plans, then the plan cache may settle on a generic one: pruning must hold either way.
      for (let i = 0; i < 6; i++) await c.query(`EXECUTE locality(${args})`);
      const settled = await c.query(`EXPLAIN (FORMAT JSON) EXECUTE locality(${args})`);
      expect(planRelations(settled.rows[0]['QUERY PLAN'][0].Plan)).toEqual([partition]);
      // A generic plan prunes at executor startup: the other partitions are removed subplans.
      await c.query(`SET plan_cache_mode = force_generic_plan`);
      const generic = await c.query(`EXPLAIN (FORMAT JSON) EXECUTE locality(${args})`);
      const plan: PlanNode = generic.rows[0]['QUERY PLAN'][0].Plan;
      expect(planRelations(plan)).toEqual([partition]);
      const appends = planNodes(plan).filter((n) => n['Node Type'] === 'Append') as (PlanNode & { 'Subplans Removed'?: number })[];
      expect(appends.map((n) => n['Subplans Removed'])).toEqual([partitions - 1]);
    } finally {
      await c.query('DEALLOCATE ALL; RESET plan_cache_mode').catch(() => undefined);
      c.release();
    }
  });
});
