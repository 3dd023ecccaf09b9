import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseStartError } from '#src/database/database-error.js';
import type { PostgresBinaries } from './postgres-binaries.js';
import type { SystemUser } from './postgres-user.js';

// English messages: start-up is detected, and failures explained, from the server's own words.
const ENV = () => ({ ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' });

/** The lines worth quoting from a server's stderr: its FATAL/ERROR lines, else the last one. */
function gist(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const fatal = lines.filter((l) => /\b(FATAL|ERROR|PANIC)\b|^initdb: error/.test(l)).map((l) => l.replace(/^.*?\b(FATAL|ERROR|PANIC):\s*/, '').replace(/^initdb: error:\s*/, ''));
  return (fatal.length ? fatal.slice(0, 2).join('; ') : lines[lines.length - 1] ?? 'no output').slice(0, 300);
}

function spawnFailure(bin: string, e: NodeJS.ErrnoException): DatabaseStartError {
  const why = e.code === 'EACCES' ? 'permission denied' : e.code === 'ENOENT' ? 'not found' : e.message;
  return new DatabaseStartError(`Cannot run ${bin}: ${why} — the user running PostgreSQL must be able to execute it (reinstall with npm ci, or set DATABASE_URL).`);
}

/** initdb with the cluster password from a file only the server's user can read, removed after. */
export async function initCluster(bins: PostgresBinaries, pgDir: string, password: string, runAs: SystemUser | null, log: (line: string) => void): Promise<void> {
  const pwfile = path.join(path.dirname(pgDir), `.initdb-pw-${randomBytes(6).toString('hex')}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (runAs) await chown(pwfile, runAs.uid, runAs.gid);
  try {
    const args = [`--pgdata=${pgDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'];
    const { code, stderr } = await run(bins.initdb, args, runAs, log);
    if (code !== 0) {
      throw new DatabaseStartError(`initdb could not create the PostgreSQL cluster in ${pgDir}: ${gist(stderr)} — check that the folder is empty and writable, or delete it to start afresh.`);
    }
  } finally {
    await unlink(pwfile).catch(() => undefined);
  }
}

function run(bin: string, args: string[], runAs: SystemUser | null, log: (line: string) => void): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { ...(runAs ?? {}), env: ENV(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => log(d.toString().trim()));
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      log(d.toString().trim());
    });
    child.once('error', (e) => reject(spawnFailure(bin, e)));
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

export interface RunningServer {
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts the postmaster and resolves once it accepts connections; rejects with one line when it
 * cannot start (the reason read from its FATAL line: a lock held by another server, a busy port,
 * a permission).
 */
export function startServer(
  bins: PostgresBinaries, pgDir: string, port: number, flags: string[], runAs: SystemUser | null, log: (line: string) => void,
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(bins.postgres, ['-D', pgDir, '-p', String(port), ...flags], { ...(runAs ?? {}), env: ENV(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let ready = false;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString();
      log(text.trim());
      if (ready) return;
      stderr += text;
      if (stderr.includes('database system is ready to accept connections')) {
        ready = true;
        stderr = '';
        resolve({
          child,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
            await exited;
          },
        });
      }
    });
    child.once('error', (e) => reject(spawnFailure(bins.postgres, e)));
    child.once('exit', (code, signal) => {
      if (!ready) reject(explainExit(stderr, pgDir, port, code, signal));
    });
  });
}

function explainExit(stderr: string, pgDir: string, port: number, code: number | null, signal: NodeJS.Signals | null): DatabaseStartError {
  const lock = /lock file "postmaster\.pid" already exists[\s\S]*?PID (\d+)/.exec(stderr);
  if (lock || /lock file "postmaster\.pid" already exists/.test(stderr)) {
    return new DatabaseStartError(
      `Embedded PostgreSQL did not start: another PostgreSQL server${lock ? ` (pid ${lock[1]})` : ''} is using ${pgDir}, probably a running Factline service — stop it first, or set DATA_DIR to another folder (the CLI uses the running service's server by itself).`,
    );
  }
  if (/could not bind .*Address already in use|could not create any TCP\/IP sockets/.test(stderr)) {
    return new DatabaseStartError(`Embedded PostgreSQL did not start: port ${port} on 127.0.0.1 is taken — retry; if it persists, set DATABASE_URL.`);
  }
  if (/Permission denied|could not open|could not access/i.test(stderr)) {
    return new DatabaseStartError(`Embedded PostgreSQL did not start in ${pgDir}: ${gist(stderr)} — check that the user running PostgreSQL owns that folder (mode 0700), or set DATA_DIR to another folder.`);
  }
  return new DatabaseStartError(`Embedded PostgreSQL exited during start-up (${signal ?? `code ${code}`}): ${gist(stderr)} — look at the data in ${pgDir}, or set DATABASE_URL.`);
}
