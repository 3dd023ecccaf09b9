import { DataSource } from 'typeorm';
import { loadBuiltinPrices } from '#src/reporting/prices/builtin-prices.load.js';
import { buildDataSourceOptions } from './data-source-options.js';

// Arbitrary constant: serializes migration runs across service instances and the CLI.
const MIGRATION_LOCK_KEY = 7_321_650_001;

/**
 * Applies pending migrations under an advisory lock, then loads the built-in prices (SPEC §10:
 * at boot, idempotently — the service, the CLI and the test template all pass here); returns the
 * names of the migrations applied.
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
