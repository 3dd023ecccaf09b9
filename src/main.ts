import 'reflect-metadata';
import { createApp } from './app.setup.js';
import { ApiKeyService } from './auth/api-key.service.js';
import { JsonLogger } from './common/logging/json-logger.js';
import { loadConfigOrExit } from './config/app-config.js';
import { databaseErrorLine, DatabaseStartError } from './database/database-error.js';
import { findRunningEmbedded, startEmbeddedPostgres, takeOverShutdownSignals, type EmbeddedDatabase } from './database/embedded-postgres.js';
import { runMigrations } from './database/migrate.js';

async function main(): Promise<void> {
  let config = loadConfigOrExit(process.env);
  const logger = new JsonLogger(config.logLevel);
  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl) {
    // Said before trying, rather than left to PostgreSQL's lock-file error.
    const other = await findRunningEmbedded(config.dataDir);
    if (other) {
      throw new DatabaseStartError(
        `Another Factline process (a service, or a CLI command still running) already runs the embedded PostgreSQL of ${config.dataDir} (pid ${other.pid}, port ${other.port}) — stop it first, or set DATA_DIR to another folder.`,
      );
    }
    logger.emit('info', 'starting embedded PostgreSQL', { data_dir: config.dataDir });
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, log: (line) => logger.emit('debug', line, { context: 'postgres' }) });
    config = { ...config, databaseUrl: embedded.url };
  }
  let applied: string[];
  try {
    applied = await runMigrations(config.databaseUrl!);
  } catch (e) {
    const line = databaseErrorLine(e, config.databaseUrl!, embedded !== undefined);
    throw line ? new DatabaseStartError(line) : e;
  }
  if (applied.length > 0) logger.emit('info', 'migrations applied', { migrations: applied });

  const app = await createApp(config, logger);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.emit('info', 'shutting down', { signal });
    await app.close().catch((e) => logger.emit('error', 'error while closing', { error: String(e) }));
    await embedded?.stop();
    process.exit(0);
  };
  takeOverShutdownSignals();
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ port: config.port, host: config.host });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  logger.emit('info', 'listening', { url: base, docs: `${base}/docs` });

  const created = await app.get(ApiKeyService).ensureBootstrapKey();
  const banner = [`Factline is listening on ${base}`, `Explorer: ${base}/`, `Swagger UI: ${base}/docs`];
  if (created && !config.bootstrapApiKey) {
    // SPEC §1: the first-boot owner key is printed once, to the console only, never to the log.
    banner.push(
      `Owner API key for org "${created.orgSlug}" (shown once, store it now):`,
      created.key,
      // SPEC §15a: how to get another key, with the service still running.
      `Another key: POST ${base}/v1/keys {"name": "…", "role": "member"} with this key, or npm run cli -- keys create --org ${created.orgSlug} --role member`,
    );
  } else if (created) {
    banner.push(`Owner API key from BOOTSTRAP_API_KEY created for org "${created.orgSlug}".`);
  }
  process.stdout.write(`\n${banner.join('\n')}\n\n`);
}

main().catch((e) => {
  // An expected failure (no database, a busy data directory) is one line; a bug keeps its stack.
  const text = e instanceof DatabaseStartError ? e.message : e instanceof Error ? e.stack ?? e.message : String(e);
  process.stderr.write(`factline failed to start: ${text}\n`);
  process.exit(1);
});
