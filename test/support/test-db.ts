import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { configurePgTypes } from '#src/database/pg-types.js';
import { templateDatabase, testServerUrl } from './test-env.js';

export interface TestDatabase {
  name: string;
  url: string;
  /** A direct pool for arranging and checking data, never for the code under test. */
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template: each test file gets its own. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const server = testServerUrl();
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${templateDatabase()}`);
  } finally {
    await admin.end();
  }
  const url = `${server}/${name}`;
  // The tests read counts as the app does (numbers), whether or not an app was built first.
  configurePgTypes();
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  // An idle client whose connection the server ends (a forced drop, a restart) must not crash the worker.
  pool.on('error', () => undefined);
  return {
    name,
    url,
    pool,
    drop: async () => {
      await pool.end();
      const c = new pg.Client({ connectionString: `${server}/postgres` });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
