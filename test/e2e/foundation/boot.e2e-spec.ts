import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../support/test-db.js';
import { CLI_JS, MAIN_JS, spawnNode } from '../../support/processes.js';

const LISTENING = /Factline is listening on (http:\/\/[^\s]+)/;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function keysIn(db: TestDatabase) {
  const { rows } = await db.pool.query(
    `SELECT encode(k.key_hash, 'hex') AS hash, k.role, o.slug FROM api_keys k JOIN orgs o ON o.id = k.org_id ORDER BY k.created_at`,
  );
  return rows as { hash: string; role: string; slug: string }[];
}

describe('booting the service (SPEC §1)', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(() => db.drop());

  it('first boot prints one owner key for the default org; the second boot prints none', async () => {
    const env = { DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'warn', REPORTING_PROJECTOR_ENABLED: 'false' };
    const first = spawnNode(MAIN_JS, [], env);
    try {
      const [, base] = await first.waitFor(LISTENING);
      const [, key] = await first.waitFor(/Owner API key for org "default" \(shown once, store it now\):\n(fl_[A-Za-z0-9_-]{43})\n/);
      expect(first.stdout()).toContain(`Swagger UI: ${base}/docs`);
      expect(await keysIn(db)).toEqual([{ hash: sha(key), role: 'owner', slug: 'default' }]);
      const docs = await fetch(`${base}/docs`);
      expect(docs.status).toBe(200);
    } finally {
      first.child.kill('SIGTERM');
      expect((await first.exited).code).toBe(0);
    }
    const second = spawnNode(MAIN_JS, [], env);
    try {
      await second.waitFor(LISTENING);
      await new Promise((r) => setTimeout(r, 300));
      expect(second.stdout()).not.toContain('Owner API key');
      expect(await keysIn(db)).toHaveLength(1);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  it('BOOTSTRAP_API_KEY creates that exact owner key and never prints it', async () => {
    const token = `fl_${'b'.repeat(43)}`;
    const proc = spawnNode(MAIN_JS, [], { DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'info', BOOTSTRAP_API_KEY: token, REPORTING_PROJECTOR_ENABLED: 'false' });
    try {
      await proc.waitFor(/Owner API key from BOOTSTRAP_API_KEY created for org "default"\./);
      expect(await keysIn(db)).toEqual([{ hash: sha(token), role: 'owner', slug: 'default' }]);
      expect(proc.stdout() + proc.stderr()).not.toContain(token);
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  });

  it.each([
    ['PORT', 'abc', /PORT="abc"/],
    ['REPORTING_PROJECTOR_ENABLED', 'maybe', /REPORTING_PROJECTOR_ENABLED="maybe"/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL="mysql:\/\/x": must be a postgres:\/\/ URL/],
    ['BOOTSTRAP_API_KEY', 'short', /BOOTSTRAP_API_KEY="short"/],
  ])('a bad %s stops the process with exit 1 naming it', async (name, value, message) => {
    const proc = spawnNode(MAIN_JS, [], { DATABASE_URL: db.url, PORT: '0', [name]: value });
    const { code } = await proc.exited;
    expect(code).toBe(1);
    expect(proc.stderr()).toMatch(message);
  });

  it('CLI keys create prints the key alone on the last line of stdout', async () => {
    const proc = spawnNode(CLI_JS, ['keys', 'create', '--org', 'cli-org', '--role', 'admin'], { DATABASE_URL: db.url });
    const { code } = await proc.exited;
    expect(code).toBe(0);
    const lines = proc.stdout().trimEnd().split('\n');
    const key = lines[lines.length - 1];
    expect(key).toMatch(/^fl_[A-Za-z0-9_-]{43}$/);
    expect(await keysIn(db)).toEqual([{ hash: sha(key), role: 'admin', slug: 'cli-org' }]);
  });

  it('CLI rejects a bad role with exit 2', async () => {
    const proc = spawnNode(CLI_JS, ['keys', 'create', '--org', 'x', '--role', 'root'], { DATABASE_URL: db.url });
    expect((await proc.exited).code).toBe(2);
    expect(proc.stderr()).toContain('--role must be one of owner, admin, member, ingest');
  });
});

describe('the embedded default (no DATABASE_URL)', () => {
  it('starts its own PostgreSQL under DATA_DIR, serves /readyz, stops it on SIGTERM; the CLI then opens the same data', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'factline-boot-'));
    await chmod(dir, 0o755);
    try {
      const proc = spawnNode(MAIN_JS, [], { DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'warn', REPORTING_PROJECTOR_ENABLED: 'false' });
      const [, base] = await proc.waitFor(LISTENING, 120_000);
      const [, key] = await proc.waitFor(/\n(fl_[A-Za-z0-9_-]{43})\n/);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', database: 'up', migrations: 'applied' });
      expect(existsSync(path.join(dir, 'pg', 'PG_VERSION'))).toBe(true);
      proc.child.kill('SIGTERM');
      expect((await proc.exited).code).toBe(0);
      // A cleanly stopped cluster leaves no postmaster.pid behind.
      expect(existsSync(path.join(dir, 'pg', 'postmaster.pid'))).toBe(false);

      const cli = spawnNode(CLI_JS, ['keys', 'create', '--org', 'default', '--role', 'member'], { DATA_DIR: dir });
      expect((await cli.exited).code).toBe(0);
      expect(cli.stdout()).toContain('for org "default"');
      expect(cli.stdout()).not.toContain(key);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
