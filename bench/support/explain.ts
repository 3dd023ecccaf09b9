import type { DataSource } from 'typeorm';

/**
 * EXPLAIN (ANALYZE, BUFFERS) of a statement as the bench runs it, for BENCHMARKS.md's "where the
 * time goes". Runs in a transaction that is rolled back, so a write (the backfill's INSERT) leaves
 * nothing behind; `setup` runs first in the same transaction (the route's planner settings).
 */
export async function explain(ds: DataSource, sql: string, params: unknown[], setup?: string): Promise<string> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    if (setup) await runner.query(setup);
    const rows: { 'QUERY PLAN': string }[] = await runner.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    await runner.rollbackTransaction().catch(() => undefined);
    await runner.release();
  }
}
