import { DataSource } from 'typeorm';
import { loadConfigOrExit, type AppConfig } from '../config/app-config.js';
import { buildDataSourceOptions } from '../database/data-source-options.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../database/embedded-postgres.js';
import { runMigrations } from '../database/migrate.js';

export interface CliContext {
  config: AppConfig;
  dataSource: DataSource;
  close(): Promise<void>;
}

/**
 * The CLI works on the service's database (SPEC §4): DATABASE_URL, or the embedded server on the
 * same data directory (so run it while the service is stopped). Migrations are applied first.
 */
export async function openCliContext(): Promise<CliContext> {
  let config = loadConfigOrExit(process.env);
  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir });
    config = { ...config, databaseUrl: embedded.url };
  }
  await runMigrations(config.databaseUrl!);
  const dataSource = new DataSource(buildDataSourceOptions({ url: config.databaseUrl!, poolSize: 8, applicationName: 'factline-cli' }));
  await dataSource.initialize();
  return {
    config,
    dataSource,
    close: async () => {
      await dataSource.destroy();
      await embedded?.stop();
    },
  };
}
