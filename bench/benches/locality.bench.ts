import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import pg from 'pg';
import QueryStream from 'pg-query-stream';
import { compileReportQuery } from '#src/reporting/query/report-query.compile.js';
import { planReportQuery } from '#src/reporting/query/report-query.plan.js';
import { validateReportQuery } from '#src/reporting/query/report-query.validate.js';
import type { Bench, BenchContext, Figure } from '../support/context.js';
import { explain } from '../support/explain.js';
import { round, summary, timed } from '../support/stats.js';

const DAY_MS = 86_400_000;
const FACTS = 'fact_llm_generation';
/** The org's rows alone, in a table of their own: what "stored together" is measured against. */
const ORG_ONLY = 'bench_locality_org_only';

/** The uncovered query of query.bench.ts (p95 duration by user over 30 days), compiled as the API runs it. */
function uncoveredSql(ctx: BenchContext): { sql: string; params: unknown[] } {
  const v = validateReportQuery({
    dataset: 'llm_generations',
    time_range: { from: new Date(ctx.end.getTime() - 30 * DAY_MS).toISOString(), to: ctx.end.toISOString() },
    dimensions: ['user'],
    measures: ['p95_duration_ms'],
    limit: 10_000,
  });
  if (!v.ok) throw new Error(`bench query invalid: ${JSON.stringify(v.errors)}`);
  const plan = planReportQuery(v.query);
  if (plan !== 'facts') throw new Error(`expected the facts to serve p95 by user, got ${plan}`);
  return compileReportQuery(v.query, ctx.orgs.big.id, v.query.limit + 1, plan);
}

/** The fact tables a plan reads (partitions included), from EXPLAIN (FORMAT JSON): pruning leaves one. */
async function relationsRead(ds: BenchContext['ds'], sql: string, params: unknown[]): Promise<string[]> {
  const [row] = await ds.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
  const names = new Set<string>();
  const walk = (node: Record<string, unknown>) => {
    if (typeof node['Relation Name'] === 'string') names.add(node['Relation Name']);
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  walk(row['QUERY PLAN'][0].Plan);
  return [...names].sort();
}

/**
 * The org's rows the query reads, copied into an in-memory DuckDB (columns the query uses only:
 * a columnar engine reads no others anyway), and the same aggregate there.
 */
async function duckdbReference(ctx: BenchContext, samples: number): Promise<{ p50: number; p95: number; n: number; rows: number; loadMs: number }> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const duck = await instance.connect();
  const client = new pg.Client({ connectionString: ctx.databaseUrl });
  await client.connect();
  try {
    await duck.run('CREATE TABLE facts (user_id VARCHAR, duration_ms BIGINT, created_at TIMESTAMP)');
    const loaded = await timed(async () => {
      const appender = await duck.createAppender('facts');
      const stream = client.query(new QueryStream(
        `SELECT user_id::text AS u, duration_ms AS d, (extract(epoch FROM created_at) * 1000000)::bigint::text AS t FROM ${FACTS} WHERE org_id = $1`,
        [ctx.orgs.big.id], { batchSize: 10_000 },
      ));
      let n = 0;
      for await (const r of stream as AsyncIterable<{ u: string | null; d: string | null; t: string }>) {
        if (r.u === null) appender.appendNull(); else appender.appendVarchar(r.u);
        if (r.d === null) appender.appendNull(); else appender.appendBigInt(BigInt(r.d));
        appender.appendTimestamp(new DuckDBTimestampValue(BigInt(r.t)));
        appender.endRow();
        n++;
      }
      appender.closeSync();
      return n;
    });
    const from = new Date(ctx.end.getTime() - 30 * DAY_MS).toISOString().replace('Z', '');
    const to = ctx.end.toISOString().replace('Z', '');
    // The compiled query's shape: p95 of the known durations per user, users ordered by it.
    const sql = `SELECT 'user_' || replace(user_id, '-', '') AS "user", quantile_cont(duration_ms, 0.95) AS p95_duration_ms FROM facts
      WHERE created_at >= TIMESTAMP '${from}' AND created_at < TIMESTAMP '${to}'
      GROUP BY 1 ORDER BY 2 DESC NULLS FIRST, 1 ASC NULLS LAST LIMIT 10001`;
    for (let i = 0; i < 2; i++) await duck.runAndReadAll(sql);
    const ms: number[] = [];
    for (let i = 0; i < samples; i++) ms.push((await timed(() => duck.runAndReadAll(sql))).ms);
    const s = summary(ms);
    return { ...s, rows: loaded.value, loadMs: loaded.ms };
  } finally {
    await client.end();
    duck.closeSync();
    instance.closeSync();
  }
}

/**
 * SPEC §15/§16 org locality: the uncovered query (p95 duration by user, 30 days) on the org with
 * the most facts, over the fact table as stored (partitioned by org: it must read only that org's
 * partition) against the same SQL over a table holding only the org's rows with the same indexes,
 * interleaved so both see the same machine; and DuckDB on the same rows as the physical reference.
 */
export const localityBench: Bench = {
  name: 'locality',
  async run(ctx): Promise<Figure[]> {
    const org = ctx.orgs.big;
    const samples = Math.min(ctx.scale.samples, 20);
    const facts = uncoveredSql(ctx);
    if ((facts.sql.match(new RegExp(`\\b${FACTS}\\b`, 'g')) ?? []).length !== 1) throw new Error(`expected ${FACTS} once in the compiled SQL`);
    const orgOnly = { sql: facts.sql.replace(new RegExp(`\\b${FACTS}\\b`), ORG_ONLY), params: facts.params };

    const read = await relationsRead(ctx.ds, facts.sql, facts.params);
    const partition = `${FACTS}_${org.id.replaceAll('-', '')}`;
    if (read.length !== 1 || read[0] !== partition) throw new Error(`expected the plan to read ${partition} only, it reads ${read.join(', ')}`);

    await ctx.ds.query(`DROP TABLE IF EXISTS ${ORG_ONLY}`);
    await ctx.ds.query(`CREATE TABLE ${ORG_ONLY} AS SELECT * FROM ${FACTS} WHERE org_id = $1`, [org.id]);
    try {
      // The fact table's own indexes, as its partitions have them, on the copy.
      const defs: { def: string }[] = await ctx.ds.query(`SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = $1::regclass`, [FACTS]);
      for (const { def } of defs) await ctx.ds.query(def.replace(/^CREATE (UNIQUE )?INDEX \S+ ON ONLY \S+/, `CREATE $1INDEX ON ${ORG_ONLY}`));
      await ctx.ds.query(`VACUUM ANALYZE ${ORG_ONLY}`);
      const [{ n: orgRows }] = await ctx.ds.query(`SELECT count(*)::int AS n FROM ${ORG_ONLY}`);
      const [{ n: allRows }] = await ctx.ds.query(`SELECT count(*)::int AS n FROM ${FACTS}`);

      for (let i = 0; i < 2; i++) {
        await ctx.ds.query(facts.sql, facts.params);
        await ctx.ds.query(orgOnly.sql, orgOnly.params);
      }
      const factsMs: number[] = [];
      const orgOnlyMs: number[] = [];
      for (let i = 0; i < samples; i++) {
        factsMs.push((await timed(() => ctx.ds.query(facts.sql, facts.params))).ms);
        orgOnlyMs.push((await timed(() => ctx.ds.query(orgOnly.sql, orgOnly.params))).ms);
      }
      const f = summary(factsMs);
      const o = summary(orgOnlyMs);
      const plans = {
        'p95 duration by user over the partitioned facts (what the API runs)': await explain(ctx.ds, facts.sql, facts.params),
        'the same SQL over a table of the org\'s rows only': await explain(ctx.ds, orgOnly.sql, orgOnly.params),
      };
      const duck = await duckdbReference(ctx, samples);
      const ms = (x: number) => `${round(x, 1)} ms`;
      return [
        {
          name: 'org locality (uncovered query vs an org-only table)',
          bar: '≤ 1.5 × the same SQL over a table that holds only that org\'s rows',
          figure: `p50 ${ms(f.p50)}, p95 ${ms(f.p95)} (n=${f.n}) over ${FACTS} (${allRows} rows; the plan reads ${read[0]} only)`,
          baseline: `same SQL over ${ORG_ONLY} (${orgRows} rows, same indexes): p50 ${ms(o.p50)}, p95 ${ms(o.p95)}`,
          ratio: round(f.p95 / o.p95, 3),
          ratioLabel: 'facts p95 ÷ org-only p95',
          pass: f.p95 <= 1.5 * o.p95,
          details: { facts_p50_ms: f.p50, facts_p95_ms: f.p95, org_only_p50_ms: o.p50, org_only_p95_ms: o.p95, org_rows: orgRows, all_rows: allRows, relations_read: read.join(',') },
          plans,
        },
        {
          name: 'columnar reference (DuckDB, same rows)',
          bar: 'reported, no bar (SPEC §16: the physical reference)',
          figure: `DuckDB in-process, in memory: p50 ${ms(duck.p50)}, p95 ${ms(duck.p95)} (n=${duck.n}; ${duck.rows} rows loaded in ${ms(duck.loadMs)})`,
          baseline: `PostgreSQL over the org's partition: p95 ${ms(f.p95)}`,
          ratio: round(f.p95 / Math.max(duck.p95, 0.01), 1),
          ratioLabel: 'PostgreSQL p95 ÷ DuckDB p95',
          pass: true,
          details: { duckdb_p50_ms: duck.p50, duckdb_p95_ms: duck.p95, duckdb_rows: duck.rows, duckdb_load_ms: duck.loadMs },
        },
      ];
    } finally {
      await ctx.ds.query(`DROP TABLE IF EXISTS ${ORG_ONLY}`);
    }
  },
};
