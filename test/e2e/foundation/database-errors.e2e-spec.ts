import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '#src/database/embedded-postgres.js';
import { CLI_JS, MAIN_JS, spawnNode } from '../../support/processes.js';
import { testServerUrl } from '../../support/test-env.js';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
// As root the permission case runs as `nobody`, which must be able to read the built code: from a
// clone in a private folder (root's home) it cannot, and root-private-clone.e2e-spec.ts covers that.
const permissionsTestable = !isRoot || spawnSync('test', ['-r', MAIN_JS], { uid: NOBODY, gid: NOBODY }).status === 0;

/**
 * SPEC §15a: every failure to reach or start a database, in the service and in the CLI, is one
 * line on stderr — what failed, the likely cause, what to do — and exit 1, never a stack trace.
 */
async function failures(env: Record<string, string>, as?: { uid: number; gid: number }) {
  const runs = ([['service', MAIN_JS, []], ['cli', CLI_JS, ['keys', 'create', '--org', 'x', '--role', 'member']]] as const).map(async ([name, script, args]) => {
    const proc = spawnNode(script, [...args], { PORT: '0', LOG_LEVEL: 'warn', ...env }, as);
    const { code } = await proc.exited;
    return [name, { code, stdout: proc.stdout(), stderr: proc.stderr() }] as const;
  });
  return Object.fromEntries(await Promise.all(runs));
}

/** The service prefixes the line with what it was doing; the CLI prints the line alone. */
const both = (line: string) => ({
  service: { code: 1, stdout: '', stderr: `factline failed to start: ${line}\n` },
  cli: { code: 1, stdout: '', stderr: `${line}\n` },
});

describe('database failures are one clear line (SPEC §15a)', () => {
  it('DATABASE_URL where nothing listens', async () => {
    const port = await freePort();
    expect(await failures({ DATABASE_URL: `postgres://u:secret@127.0.0.1:${port}/factline_test` })).toEqual(both(
      `Cannot reach PostgreSQL at 127.0.0.1:${port}/factline_test: connection refused (no server listens there) — start it, check DATABASE_URL, or unset it to use the embedded PostgreSQL under DATA_DIR.`,
    ));
  }, 300_000);

  it('DATABASE_URL with a wrong password: the password is never printed', async () => {
    const url = new URL(testServerUrl());
    url.password = 'not-the-password';
    url.pathname = '/postgres';
    const res = await failures({ DATABASE_URL: url.toString() });
    expect(res).toEqual(both(
      `PostgreSQL at ${url.hostname}:${url.port}/postgres refused the login (password authentication failed for user "${url.username}") — check the user and password in DATABASE_URL.`,
    ));
  }, 300_000);

  it('DATABASE_URL naming a database that does not exist', async () => {
    const url = new URL(testServerUrl());
    url.pathname = '/factline_nowhere_test';
    expect(await failures({ DATABASE_URL: url.toString() })).toEqual(both(
      `PostgreSQL at ${url.hostname}:${url.port}/factline_nowhere_test: database "factline_nowhere_test" does not exist — create it (createdb) or fix the database name in DATABASE_URL.`,
    ));
  }, 300_000);

  (permissionsTestable ? it : it.skip)('a DATA_DIR that cannot be created (permission denied)', async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'factline-ro-'));
    try {
      // Read-only for everyone; as root (which ignores modes) the processes run as `nobody`.
      await chmod(parent, 0o555);
      const dataDir = path.join(parent, 'data');
      expect(await failures({ DATA_DIR: dataDir }, isRoot ? { uid: NOBODY, gid: NOBODY } : undefined)).toEqual(both(
        `Cannot create DATA_DIR ${dataDir}: permission denied — set DATA_DIR to a folder you can write to, or set DATABASE_URL.`,
      ));
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  }, 300_000);

  (isRoot ? it : it.skip)('as root: a cluster already inside a folder the postgres user cannot enter', async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'factline-private-'));
    try {
      await chmod(parent, 0o700);
      await mkdir(path.join(parent, 'data', 'pg'), { recursive: true });
      const pgDir = path.join(parent, 'data', 'pg');
      expect(await failures({ DATA_DIR: path.join(parent, 'data') })).toEqual(both(
        `The postgres system user cannot reach the cluster in ${pgDir} (a parent folder is private, e.g. mode 0700) — move the folder where that user can enter it, or make its parents searchable (chmod o+x).`,
      ));
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  }, 300_000);
});
