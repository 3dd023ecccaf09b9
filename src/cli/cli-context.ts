import { DataSource } from 'typeorm';
import { loadConfigOrExit, type AppConfig } from '#src/config/app-config.js';
import { buildDataSourceOptions } from '#src/database/data-source-options.js';
import { databaseErrorLine, DatabaseStartError } from '#src/database/database-error.js';
import { findRunningEmbedded, startEmbeddedPostgres, type EmbeddedDatabase } from '#src/database/embedded-postgres.js';
import { runMigrations } from '#src/database/migrate.js';

export interface CliContext {
  config: AppConfig;
  dataSource: DataSource;
  close(): Promise<void>;
}

/**
 * The CLI works on the service's database (SPEC §4, §15a): DATABASE_URL; else, with the embedded
 * default, the PostgreSQL a running service started on the same data directory; else its own
 * server on that directory, stopped when the command ends. Migrations are applied first.
 */
export async function openCliContext(): Promise<CliContext> {
  let config = loadConfigOrExit(process.env);
  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl) {
    const running = await findRunningEmbedded(config.dataDir);
    if (running) {
      config = { ...config, databaseUrl: `${running.serverUrl}/factline` };
    } else {
      embedded = await startEmbeddedPostgres({ dataDir: config.dataDir });
      config = { ...config, databaseUrl: embedded.url };
    }
  }
  const dataSource = new DataSource(buildDataSourceOptions({ url: config.databaseUrl!, poolSize: 8, applicationName: 'factline-cli' }));
  try {
    await runMigrations(config.databaseUrl!);
    await dataSource.initialize();
  } catch (e) {
    await embedded?.stop();
    const line = databaseErrorLine(e, config.databaseUrl!, !process.env.DATABASE_URL);
    throw line ? new DatabaseStartError(line) : e;
  }
  return {
    config,
    dataSource,
    close: async () => {
      await dataSource.destroy();
      await embedded?.stop();
    },
  };
}
