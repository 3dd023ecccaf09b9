// Jest loads global setup outside its transform, so this file is plain ESM over the build
// (`npm test` builds first). It starts one PostgreSQL for the run — the embedded one, or
// DATABASE_URL's server when that names a test database — and migrates one template database;
// each test file then clones its own database from the template (test/support/test-db.ts).
import { chmod, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../dist/src/database/embedded-postgres.js';
import { runMigrations } from '../../dist/src/database/migrate.js';

export default async function globalSetup() {
  let serverUrl;
  const given = process.env.DATABASE_URL;
  if (given) {
    const url = new URL(given);
    const db = decodeURIComponent(url.pathname.slice(1));
    if (!/test/i.test(db)) {
      throw new Error(`Refusing to run tests against DATABASE_URL database "${db}": its name must contain "test".`);
    }
    url.pathname = '';
    serverUrl = url.toString().replace(/\/$/, '');
  } else {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'factline-test-pg-'));
    // The server may run as the `postgres` user (CI is root): it must be able to enter the folder.
    await chmod(dir, 0o755);
    const embedded = await startEmbeddedPostgres({
      dataDir: dir,
      database: 'postgres',
      // Durability off: test data is thrown away, speed matters.
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '500' },
    });
    globalThis.__factlineEmbedded = embedded;
    globalThis.__factlineEmbeddedDir = dir;
    serverUrl = embedded.serverUrl;
  }
  const template = `factline_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${template}`);
    await admin.query(`CREATE DATABASE ${template}`);
  } finally {
    await admin.end();
  }
  await runMigrations(`${serverUrl}/${template}`);
  process.env.FACTLINE_TEST_SERVER_URL = serverUrl;
  process.env.FACTLINE_TEST_TEMPLATE_DB = template;
  // Test apps get their database explicitly; none may inherit a developer's DATABASE_URL.
  delete process.env.DATABASE_URL;
}
