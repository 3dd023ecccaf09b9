import type { DataSource, QueryRunner } from 'typeorm';

/** Runs a migration's `up` or `down` as the migrator does: on one connection, in one transaction. */
export async function inMigrationTransaction(ds: DataSource, work: (q: QueryRunner) => Promise<void>): Promise<void> {
  const q = ds.createQueryRunner();
  await q.connect();
  try {
    await q.startTransaction();
    await work(q);
    await q.commitTransaction();
  } finally {
    await q.release();
  }
}
