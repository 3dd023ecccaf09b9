import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '#src/database/embedded-postgres.js';
import { CLI_JS, MAIN_JS, spawnNode, type Spawned } from '../../support/processes.js';

const LISTENING = /Factline is listening on (http:\/\/[^\s]+)/;
const OWNER_KEY = /\n(fl_[A-Za-z0-9_-]{43})\n/;
const SERVICE_ENV = { PORT: '0', LOG_LEVEL: 'warn', REPORTING_PROJECTOR_ENABLED: 'false' };

async function cli(dataDir: string, ...args: string[]) {
  const proc = spawnNode(CLI_JS, args, { DATA_DIR: dataDir });
  const { code } = await proc.exited;
  return { code, stdout: proc.stdout(), stderr: proc.stderr(), last: proc.stdout().trimEnd().split('\n').pop() ?? '' };
}

const call = (base: string, key: string, method = 'GET', route = '/v1/reports/catalog', body?: unknown) =>
  fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

const postmaster = (dataDir: string) => {
  const lines = readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n');
  return { pid: Number(lines[0]), port: Number(lines[3]) };
};

/** Pids whose parent is `pid`, from /proc (the postmaster's children outlive it briefly). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      return Number(readFileSync(`/proc/${d}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]) === pid;
    } catch {
      return false;
    }
  }).map(Number);
}

const gone = (pid: number) => !existsSync(`/proc/${pid}`) || /^[^)]*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 100));
}

describe('the CLI next to a running service, embedded default (SPEC §15a)', () => {
  let dir: string;
  let service: Spawned | undefined;
  let base: string;
  let ownerKey: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'factline-cli-next-'));
    // The server may run as the `postgres` user (CI is root): it must be able to enter the folder.
    await chmod(dir, 0o755);
    service = spawnNode(MAIN_JS, [], { DATA_DIR: dir, ...SERVICE_ENV });
    [, base] = await service.waitFor(LISTENING, 280_000);
    [, ownerKey] = await service.waitFor(OWNER_KEY);
  }, 300_000);

  afterAll(async () => {
    if (service && service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('first boot says how to get another key', () => {
    expect(service!.stdout()).toContain(
      `Another key: POST ${base}/v1/keys {"name": "…", "role": "member"} with this key, or npm run cli -- keys create --org default --role member\n`,
    );
  });

  it("keys create uses the service's PostgreSQL and prints a working key; revoked keys (CLI or API) are refused on the next request", async () => {
    const server = postmaster(dir);
    const created = await cli(dir, 'keys', 'create', '--org', 'default', '--role', 'member');
    expect({ code: created.code, stderr: created.stderr, last: created.last }).toEqual({ code: 0, stderr: '', last: expect.stringMatching(/^fl_[A-Za-z0-9_-]{43}$/) });
    expect((await call(base, created.last)).status).toBe(200);
    // The CLI attached: the same server still runs, and the service still answers.
    expect(postmaster(dir)).toEqual(server);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    const viaApi = await call(base, ownerKey, 'POST', '/v1/keys', { name: 'dashboard', role: 'member' });
    expect(viaApi.status).toBe(201);
    const apiKey = (await viaApi.json()) as { id: string; key: string };
    expect((await call(base, apiKey.key)).status).toBe(200);
    expect((await call(base, ownerKey, 'DELETE', `/v1/keys/${apiKey.id}`)).status).toBe(204);
    expect((await call(base, apiKey.key)).status).toBe(401);

    const cliKeyId = /key (key_[0-9a-f]{32}) /.exec(created.stdout)![1];
    const revoked = await cli(dir, 'keys', 'revoke', '--id', cliKeyId);
    expect({ code: revoked.code, stdout: revoked.stdout }).toEqual({ code: 0, stdout: `revoked ${cliKeyId}\n` });
    expect((await call(base, created.last)).status).toBe(401);
  }, 300_000);

  it('a second service on the same DATA_DIR stops with one line', async () => {
    const second = spawnNode(MAIN_JS, [], { DATA_DIR: dir, ...SERVICE_ENV });
    const { code } = await second.exited;
    const { pid, port } = postmaster(dir);
    expect({ code, stderr: second.stderr() }).toEqual({
      code: 1,
      stderr: `factline failed to start: Another Factline process (a service, or a CLI command still running) already runs the embedded PostgreSQL of ${dir} (pid ${pid}, port ${port}) — stop it first, or set DATA_DIR to another folder.\n`,
    });
  }, 300_000);

  it('a stale postmaster.pid (service and server killed) → the CLI starts its own server, and stops it', async () => {
    const { pid } = postmaster(dir);
    const children = childrenOf(pid);
    service!.child.kill('SIGKILL');
    await service!.exited;
    process.kill(pid, 'SIGKILL');
    await until(() => [pid, ...children].every(gone));
    expect(existsSync(path.join(dir, 'pg', 'postmaster.pid'))).toBe(true);

    const created = await cli(dir, 'keys', 'create', '--org', 'default', '--role', 'ingest');
    expect({ code: created.code, stderr: created.stderr, last: created.last }).toEqual({ code: 0, stderr: '', last: expect.stringMatching(/^fl_/) });
    expect(existsSync(path.join(dir, 'pg', 'postmaster.pid'))).toBe(false);

    // With the service stopped (no lock file at all), the CLI starts its own as before.
    const again = await cli(dir, 'keys', 'create', '--org', 'default', '--role', 'member');
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
  }, 300_000);

  it('a lock file whose server is a zombie (killed, not yet reaped by its new parent) → the CLI starts its own', async () => {
    // `sleep 0.05` exits first; its parent execs `sleep` (which never reaps): a zombie that signal 0 still reaches.
    const parent = spawn('bash', ['-c', 'sleep 0.05 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombiePid = Number((await once(parent.stdout, 'data'))[0].toString().trim());
      await until(() => /^[^)]*\) Z/.test(readFileSync(`/proc/${zombiePid}/stat`, 'utf8')));
      const port = await freePort();
      await writeFile(path.join(dir, 'pg', 'postmaster.pid'), `${zombiePid}\n${dir}/pg\n0\n${port}\n\n127.0.0.1\n0 0\nready\n`);

      const created = await cli(dir, 'keys', 'create', '--org', 'default', '--role', 'member');
      expect({ code: created.code, stderr: created.stderr, last: created.last }).toEqual({ code: 0, stderr: '', last: expect.stringMatching(/^fl_/) });
      expect(existsSync(path.join(dir, 'pg', 'postmaster.pid'))).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  }, 300_000);

  it('a live process holding the lock file whose server does not answer → one line, no second server', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'factline-cli-lock-'));
    try {
      const port = await freePort();
      await mkdir(path.join(other, 'pg'));
      await writeFile(path.join(other, 'pg.secret'), 'x\n');
      // This very test process stands in for a server that is still starting.
      await writeFile(path.join(other, 'pg', 'postmaster.pid'), `${process.pid}\n${other}/pg\n0\n${port}\n\n127.0.0.1\n0 0\nstarting\n`);
      const res = await cli(other, 'keys', 'create', '--org', 'default', '--role', 'member');
      expect({ code: res.code, stdout: res.stdout, stderr: res.stderr }).toEqual({
        code: 1, stdout: '',
        stderr: `A PostgreSQL server (pid ${process.pid}) holds ${other}/pg but does not answer on port ${port} — it may still be starting or stopping: retry in a moment; if no Factline service runs, stop that process.\n`,
      });
      expect(existsSync(path.join(other, 'pg', 'PG_VERSION'))).toBe(false);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  }, 300_000);
});
