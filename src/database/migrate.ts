import { DataSource } from 'typeorm';
import { loadBuiltinPrices } from '#src/reporting/prices/builtin-prices.load.js';
import { buildDataSourceOptions } from './data-source-options.js';

// Arbitrary constant: serializes migration runs across service instances and the CLI.
const MIGRATION_LOCK_KEY = 7_321_650_001;

/**
 * SPEC §15 (migrations 14, 17): partitions for every org that lacks one of its fact or rollup
 * tables' — an org whose creation gave up on them (lock timeout) has its rows moved out of the
 * default partition.
 */
const ORGS_WITHOUT_PARTITIONS_SQL = `
  SELECT fact_partitions_ensure(o.id) FROM orgs o
  WHERE EXISTS (
    SELECT 1 FROM pg_partitioned_table pt JOIN pg_class c ON c.oid = pt.partrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND NOT c.relispartition AND (c.relname LIKE 'fact\\_%' OR c.relname LIKE 'rollup\\_%')
      AND to_regclass(format('%I.%I', n.nspname, fact_partition_name(c.relname, o.id))) IS NULL)`;

/**
 * Applies pending migrations under an advisory lock, then loads the built-in prices (SPEC §10:
 * at boot, idempotently — the service, the CLI and the test template all pass here); returns the
 * names of the migrations applied. Then every org's fact partitions (migration 14).
 */
export async function runMigrations(url: string): Promise<string[]> {
  const ds = new DataSource(buildDataSourceOptions({ url, poolSize: 2, applicationName: 'factline-migrate' }));
  await ds.initialize();
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      await ds.query(ORGS_WITHOUT_PARTITIONS_SQL);
      await loadBuiltinPrices(ds);
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
    await ds.destroy();
  }
}
