import { generation, session } from '../support/factories.js';
import { PROBLEM } from '../support/problems.js';
import { http, startService, until, type ServiceProcess } from '../support/service.js';
import { startTestApp, type TestApp, type TestKey } from '../support/test-app.js';

/** Runs the tasks `width` at a time (a fleet of clients, not one burst that only measures the pools). */
async function inFlight<T>(width: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
    }
  }));
  return out;
}

/**
 * Three service instances on one database behave as one (SCALING.md): the per-key rate limit and
 * the per-org query cap hold across them, and mixed traffic spread over them — ingest, queries,
 * three schedulers projecting through SKIP LOCKED — ends with every fact projected exactly once.
 */
describe('three instances on one database', () => {
  let t: TestApp;
  let services: ServiceProcess[];
  const PER_MINUTE = 60;

  beforeAll(async () => {
    t = await startTestApp();
    // One after the other: three cold starts at once on a busy machine can outlast the start timeout.
    services = [];
    for (let i = 0; i < 3; i++) {
      services.push(await startService({
        DATABASE_URL: t.db.url, RATE_LIMIT_PER_MINUTE: String(PER_MINUTE), REPORTING_QUERY_CONCURRENCY_PER_ORG: '1',
        REPORTING_PROJECTOR_ENABLED: 'true',
      }));
    }
  }, 300_000);
  afterAll(async () => {
    await Promise.all((services ?? []).map((s) => s.stop()));
    await t.close();
  });

  const at = (i: number) => services[i % services.length].url;

  it('the per-key rate limit is one bucket over all instances, not one per instance', async () => {
    const flooder = await t.key('flood', 'member');
    const bystander = await t.key('flood', 'admin');
    const started = Date.now();
    // Three buckets of 60 (one per instance) would let 180 through.
    const statuses = await inFlight(12, Array.from({ length: 3 * PER_MINUTE }, (_, i) => () => http(at(i), 'GET', '/v1/reports/catalog', { key: flooder.key }).then((r) => r.status)));
    const seconds = (Date.now() - started) / 1000;
    const ok = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // The bucket of 60 refills at one token a second while the requests run: at most that many more.
    expect(ok).toBeGreaterThanOrEqual(PER_MINUTE);
    expect(ok).toBeLessThanOrEqual(PER_MINUTE + Math.ceil(seconds) + 1);
    console.log(`3 instances, one key: ${statuses.length} requests in ${seconds.toFixed(1)} s → ${ok} × 200 (bucket ${PER_MINUTE}, refill 1/s)`);
    for (let i = 0; i < 3; i++) expect((await http(at(i), 'GET', '/v1/reports/catalog', { key: bystander.key })).status).toBe(200);
  }, 180_000);

  it('the per-org query cap counts the queries of every instance', async () => {
    const owner = await t.key('capped', 'owner');
    const query = { dataset: 'llm_generations', time_range: { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }, measures: ['generation_count'] };
    // Another instance's query holds the org's one slot (REPORTING_QUERY_CONCURRENCY_PER_ORG=1):
    // the slot is the advisory lock a query transaction takes, held here the same way.
    const holder = await t.db.pool.connect();
    try {
      await holder.query('BEGIN');
      const [{ taken }] = (await holder.query(`SELECT pg_try_advisory_xact_lock(1717920004, hashtext($1::text || ':0')) AS taken`, [owner.orgId])).rows;
      expect(taken).toBe(true);
      for (let i = 0; i < 3; i++) {
        const res = await http(at(i), 'POST', '/v1/reports/query', { key: owner.key, body: query });
        expect({ status: res.status, type: res.contentType, retryAfter: res.headers.get('retry-after'), code: res.body.code }).toEqual({
          status: 503, type: PROBLEM, retryAfter: '1', code: 'query_concurrency_limited',
        });
      }
      const other = await t.key('uncapped', 'owner');
      expect((await http(at(0), 'POST', '/v1/reports/query', { key: other.key, body: query })).status).toBe(200);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    for (let i = 0; i < 3; i++) expect((await http(at(i), 'POST', '/v1/reports/query', { key: owner.key, body: query })).status).toBe(200);
  }, 180_000);

  it('mixed traffic over three instances: every record projected once, answers agree everywhere', async () => {
    const orgs: TestKey[] = [];
    for (let i = 0; i < 3; i++) orgs.push(await t.key(`mixed-${i}`, 'owner'));
    const BATCHES = 8;
    const PER_BATCH = 40;
    const sessions = orgs.map(() => Array.from({ length: BATCHES }, () => session()));
    // Each org's batches go to all three instances at once, with queries in between (each key
    // stays well under its rate limit: 8 ingests and 8 queries).
    await inFlight(6, orgs.flatMap((org, o) => Array.from({ length: BATCHES }, (_, b) => async () => {
      const s = sessions[o][b];
      const gens = Array.from({ length: PER_BATCH }, () => generation({ session_id: s.id }));
      const ingested = await Promise.all([
        http(at(b), 'POST', '/v1/ingest/sessions', { key: org.key, body: { records: [s] } }),
        http(at(b + 1), 'POST', '/v1/ingest/llm_generations', { key: org.key, body: { records: gens } }),
      ]);
      expect(ingested.map((r) => r.status)).toEqual([200, 200]);
      const q = await http(at(b + 2), 'POST', '/v1/reports/query', {
        key: org.key, body: { dataset: 'sessions', time_range: { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }, measures: ['session_count'] },
      });
      expect([200, 503]).toContain(q.status); // 503 only as the per-org cap of 1, never anything else
    })));

    // The three schedulers drain the outbox between them.
    await until(async () => (await t.db.pool.query(`SELECT count(*)::int AS n FROM reporting_outbox WHERE status IN ('pending', 'processing')`)).rows[0].n, (n) => n === 0, { what: 'outbox drained' });
    const facts = (await t.db.pool.query(
      `SELECT org_id, count(*)::int AS n, count(DISTINCT source_key)::int AS distinct_keys, count(agent_id)::int AS attributed FROM fact_llm_generation GROUP BY org_id ORDER BY org_id`,
    )).rows;
    expect(facts).toEqual(orgs.map((o) => ({ org_id: o.orgId, n: BATCHES * PER_BATCH, distinct_keys: BATCHES * PER_BATCH, attributed: BATCHES * PER_BATCH })).sort((a, b) => (a.org_id < b.org_id ? -1 : 1)));
    expect((await t.db.pool.query(`SELECT count(*)::int AS n FROM reporting_outbox WHERE status = 'failed'`)).rows[0].n).toBe(0);

    // Every instance gives the same answer, from the rollup and from the facts.
    const range = { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' };
    for (const org of orgs) {
      for (let i = 0; i < 3; i++) {
        const rollup = await http(at(i), 'POST', '/v1/reports/query', { key: org.key, body: { dataset: 'llm_generations', time_range: range, measures: ['generation_count', 'total_tokens'] } });
        const facts = await http(at(i), 'POST', '/v1/reports/query', { key: org.key, body: { dataset: 'llm_generations', time_range: range, dimensions: ['agent'], measures: ['generation_count'] } });
        expect({ served_by: rollup.body.served_by, rows: rollup.body.rows }).toEqual({ served_by: 'rollup', rows: [{ generation_count: BATCHES * PER_BATCH, total_tokens: BATCHES * PER_BATCH * 15 }] });
        expect(facts.body.rows.reduce((n: number, r: { generation_count: number }) => n + r.generation_count, 0)).toBe(BATCHES * PER_BATCH);
      }
    }
  }, 300_000);
});
