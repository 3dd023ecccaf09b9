import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { client } from '../../support/api.js';
import { session } from '../../support/factories.js';
import { PROBLEM } from '../../support/problems.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const RANGE = { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' };
// By user: a high-cardinality id that no rollup covers (SPEC §6), so these queries read
// fact_session, the table the tests lock, whichever store a planner would prefer.
const QUERY = { dataset: 'sessions', time_range: RANGE, dimensions: ['user'], measures: ['session_count'] };

/**
 * Holds an ACCESS EXCLUSIVE lock on a fact table in an open transaction: a report query over it
 * waits until the test lets go. That makes "a query that runs too long" and "a query still
 * running" deterministic, with no timing in the assertions.
 */
async function lockTable(t: TestApp, table: string): Promise<{ release(): Promise<void> }> {
  const c: pg.PoolClient = await t.db.pool.connect();
  await c.query('BEGIN');
  await c.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  return {
    release: async () => {
      await c.query('ROLLBACK');
      c.release();
    },
  };
}

/** Waits until `n` backends of the app wait for a lock on `table` (the queries are in flight). */
async function waitForLockWaiters(t: TestApp, table: string, n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { rows } = await t.db.pool.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`,
      [`%FROM ${table} f%`],
    );
    if (rows[0].n >= n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no ${n} queries waiting on ${table}`);
}

describe('statement timeout → 503 (SPEC §8)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REPORTING_QUERY_TIMEOUT_MS: '100' } });
  });
  afterAll(() => t.close());

  it('a query cut by the statement timeout is a 503 query_timeout with retry_after_seconds, never a hang or a 500', async () => {
    const api = client(t, (await t.key('slow', 'member')).key);
    const lock = await lockTable(t, 'fact_session');
    try {
      for (const [path, body] of [['/v1/reports/query', QUERY], ['/v1/reports/query/export', { query: QUERY }]] as const) {
        const res = await api.post(path, body);
        expect({ status: res.status, type: res.headers['content-type'], retryAfter: res.headers['retry-after'], body: res.body }).toEqual({
          status: 503,
          type: PROBLEM,
          retryAfter: '5',
          body: {
            type: '/problems/query_timeout',
            title: 'Query timed out',
            status: 503,
            detail: 'The query was cancelled by the statement timeout.',
            code: 'query_timeout',
            instance: path,
            retry_after_seconds: 5,
          },
        });
      }
    } finally {
      await lock.release();
    }
    // The slot and the connection came back: the same query now answers.
    expect((await api.post('/v1/reports/query', QUERY)).status).toBe(200);
  });
});

describe('per-org concurrency cap → 503 (SPEC §8)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REPORTING_QUERY_CONCURRENCY_PER_ORG: '1' } });
  });
  afterAll(() => t.close());

  it("one org's running query makes its next one a 503 with Retry-After; other orgs are not affected", async () => {
    const busy = client(t, (await t.key('busy', 'owner')).key);
    const other = client(t, (await t.key('calm', 'member')).key);
    const s = session({ created_at: '2026-05-01T10:00:00Z' });
    await busy.ingest('sessions', [s]);
    await busy.project();
    const saved = await busy.post('/v1/reports/saved', { name: 'Sessions', query: QUERY });
    expect(saved.status).toBe(201);

    const lock = await lockTable(t, 'fact_session');
    let first: Promise<{ status: number; body: { rows: unknown[] } }>;
    let third: Promise<{ status: number }>;
    try {
      first = busy.post('/v1/reports/query', QUERY).then((r) => r);
      await waitForLockWaiters(t, 'fact_session', 1);

      const capped = {
        type: '/problems/query_concurrency_limited',
        title: 'Too many concurrent queries',
        status: 503,
        detail: 'Your org already has 1 report query running (the cap); retry shortly.',
        code: 'query_concurrency_limited',
        retry_after_seconds: 1,
        allowed_actions: [{ rel: 'retry-later', hint: 'Retry after 1 s.' }],
      };
      for (const [path, body, accept] of [
        ['/v1/reports/query', QUERY, 'application/json'],
        ['/v1/reports/query/export', { query: QUERY }, 'application/json'],
        ['/v1/reports/query/export', { query: QUERY }, 'text/csv'],
        [`/v1/reports/saved/${saved.body.id}/run`, undefined, 'application/json'],
      ] as const) {
        const res = await busy.post(path, body).set('accept', accept);
        expect({ path, accept, status: res.status, type: res.headers['content-type'], retryAfter: res.headers['retry-after'], disposition: res.headers['content-disposition'], body: res.body }).toEqual({
          path, accept, status: 503, type: PROBLEM, retryAfter: '1', disposition: undefined, body: { ...capped, instance: path },
        });
      }

      // The cap is per org: another org's query is admitted (it waits on the same lock).
      third = other.post('/v1/reports/query', QUERY).then((r) => r);
      await waitForLockWaiters(t, 'fact_session', 2);
    } finally {
      await lock.release();
    }
    expect(await first).toMatchObject({ status: 200, body: { rows: [{ user: s.user_id, session_count: 1 }] } });
    expect((await third).status).toBe(200);
    // Finished queries give their slot back.
    expect((await busy.post('/v1/reports/query', QUERY)).status).toBe(200);
    expect((await busy.post('/v1/reports/query/export', { query: QUERY }).set('accept', 'text/csv')).status).toBe(200);
    expect((await busy.post('/v1/reports/query', QUERY)).status).toBe(200);
  });

  it('a client that goes away mid-stream gives its slot and its connection back', async () => {
    const owner = await t.key('leaver', 'owner');
    const api = client(t, owner.key);
    // Enough rows that the server is still streaming (held by backpressure) when the client leaves.
    await t.db.pool.query(
      `INSERT INTO fact_session (org_id, source_key, session_id, status, turn_count, tool_call_count, created_at, source_updated_at)
       SELECT $1, 'session:' || i, lpad(to_hex(i), 32, '0')::uuid, 'completed', 0, 0, timestamptz '2026-05-01T00:00:00Z' + i * interval '1 second', now()
       FROM generate_series(1, 100000) AS i`,
      [owner.orgId],
    );
    const server = t.app.getHttpServer();
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const body = JSON.stringify({ query: { ...QUERY, dimensions: ['session'] } });
    const firstChunk = await new Promise<string>((resolve, reject) => {
      const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/v1/reports/query/export', headers: { authorization: `Bearer ${owner.key}`, 'content-type': 'application/json', accept: 'text/csv' } }, (res) => {
        res.once('data', (chunk: Buffer) => {
          req.destroy();
          resolve(chunk.toString('utf8').split('\r\n')[0]);
        });
      });
      req.on('error', () => undefined);
      req.setTimeout(30_000, () => reject(new Error('no data')));
      req.end(body);
    });
    expect(firstChunk).toBe('"session","session_count"');

    // The release is asynchronous (the server notices the closed socket): wait for it, bounded.
    let status = 0;
    for (let i = 0; i < 250 && status !== 200; i++) {
      status = (await api.post('/v1/reports/query', QUERY)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe(200);
    let streaming = -1;
    for (let i = 0; i < 250 && streaming !== 0; i++) {
      const { rows } = await t.db.pool.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE $1 AND state <> 'idle'`,
        ['%FROM fact_session f%'],
      );
      streaming = rows[0].n;
      if (streaming !== 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(streaming).toBe(0);
  });
});
