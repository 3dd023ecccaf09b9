import { DataSource } from 'typeorm';
import { INGEST_LLM_GENERATIONS_SQL, INGEST_SESSIONS_SQL } from '#src/ingest/ingest.sql.js';
import { client, uuidOf } from '../support/api.js';
import { generation, session } from '../support/factories.js';
import { http, startService, until, type ServiceProcess } from '../support/service.js';
import { METRICS_TOKEN, startTestApp, type TestApp } from '../support/test-app.js';
import { attemptsOfCompleted, counterTotal, ingestWave, outboxCounts, rollupDrift } from './checks.js';
import { compareFacts, expectedTotals } from './oracle.js';
import { finalState, makeChanges, makeWorkload, recordCount, WORKLOAD_RANGE } from './workload.js';

/**
 * SPEC §5 "safe with any number of service instances and manual runs at once": three service
 * processes project on their schedules while the test ingests tens of thousands of mixed records
 * through them and keeps calling the manual run endpoint on each. Afterwards every fact must
 * equal the oracle's, every rollup its facts, every outbox row be completed after exactly one
 * claim (attempts are counted at claim time and the lease is long, so a second claim of a row —
 * two workers on one source — would show as attempts 2).
 */
describe('concurrent projector processes and manual runs (SPEC §5)', () => {
  let t: TestApp;
  let services: ServiceProcess[] = [];
  let abort = false;

  beforeAll(async () => {
    t = await startTestApp();
    services = await Promise.all(
      [1, 2, 3].map(() =>
        startService({
          DATABASE_URL: t.db.url,
          REPORTING_PROJECTOR_ENABLED: 'true',
          REPORTING_PROJECTOR_INTERVAL_MS: '50',
          REPORTING_PROJECTOR_BATCH_SIZE: '500',
          RATE_LIMIT_PER_MINUTE: '10000000',
          METRICS_TOKEN,
          DB_POOL_SIZE: '8',
        }),
      ),
    );
  });
  afterAll(async () => {
    abort = true;
    await Promise.all(services.map((s) => s.stop()));
    await t.close();
    const errors = services.flatMap((s) => s.logLines().filter((l) => l.level === 'error'));
    if (errors.length > 0) console.log(`service errors:\n${errors.slice(0, 10).map((l) => JSON.stringify(l)).join('\n')}`);
  });

  it('three processes and manual runs over ~40k outbox rows: facts exact, rollups exact, every row claimed once, nothing left', async () => {
    const orgs = [await t.key('conc-a', 'owner'), await t.key('conc-b', 'owner')];
    const urls = services.map((s) => s.url);
    const waves = orgs.map((_, i) => {
      const first = makeWorkload(100 + i, { sessions: 900, generationsPerSession: 6, ledgerPerSession: 2 });
      return { first, second: makeChanges(200 + i, first) };
    });

    // Manual runs on every process, for every org, with varying limits, until the backlog is gone.
    let ingesting = true;
    const manual = { runs: 0, claimed: 0, completed: 0, failed: 0, statuses: new Set<number>() };
    const runner = async (url: string, key: string, seed: number) => {
      for (let i = seed; !abort; i++) {
        const res = await http(url, 'POST', `/v1/reports/projector/run?limit=${50 + ((i * 97) % 450)}`, { key });
        manual.statuses.add(res.status);
        manual.runs++;
        if (res.status !== 200) return;
        manual.claimed += res.body.claimed;
        manual.completed += res.body.completed;
        manual.failed += res.body.failed;
        if (!ingesting && res.body.claimed === 0) {
          const c = await outboxCounts(t.db.pool);
          if (c.pending + c.processing === 0) return;
        }
      }
    };
    const runners = urls.flatMap((url, i) => orgs.map((o, j) => runner(url, o.key, i * 7 + j)));

    const started = Date.now();
    let requests: number[];
    try {
      requests = await Promise.all(
        orgs.map(async (o, i) => (await ingestWave(urls, o.key, waves[i].first, 1000)) + (await ingestWave(urls, o.key, waves[i].second, 500))),
      );
    } catch (e) {
      abort = true;
      throw e;
    } finally {
      ingesting = false;
      await Promise.allSettled(runners);
    }
    const drained = await until(() => outboxCounts(t.db.pool), (c) => c.pending + c.processing === 0, { what: 'outbox drained' });
    const seconds = (Date.now() - started) / 1000;

    expect(manual.statuses).toEqual(new Set([200]));
    expect(manual.failed).toBe(0);
    expect(drained.failed).toBe(0);
    // Exactly one claim per row: no row was ever taken by two workers.
    expect(await attemptsOfCompleted(t.db.pool)).toEqual({ '1': drained.completed });

    const perProcess = await Promise.all(services.map(async (s) => counterTotal((await http(s.url, 'GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text, 'factline_projector_rows_total')));
    const conflictRetries = await Promise.all(services.map(async (s) => counterTotal((await http(s.url, 'GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text, 'factline_projector_failures_total', 'conflict_retry')));
    // Every process took part, and the manual runs did too (they are what made it concurrent).
    for (const n of perProcess) expect(n).toBeGreaterThan(0);
    expect(manual.completed).toBeGreaterThan(0);
    expect(perProcess.reduce((a, b) => a + b, 0)).toBe(drained.completed);

    const finals = waves.map((w) => finalState(w.first, w.second));
    for (const [i, o] of orgs.entries()) {
      const { diffs, counts } = await compareFacts(t.db.pool, o.orgId, finals[i]);
      expect(diffs).toEqual([]);
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(9000);
    }
    expect(await rollupDrift(t.app.get(DataSource))).toEqual({ llm_generations: 0, tool_calls: 0, turns: 0, sessions: 0, budget_postings: 0, capability_usage: 0 });

    // The API's answers (served from the rollups) equal the oracle's totals.
    for (const [i, o] of orgs.entries()) {
      const totals = expectedTotals(finals[i]);
      const byModel = await http(urls[i], 'POST', '/v1/reports/query', {
        key: o.key,
        body: { dataset: 'llm_generations', time_range: WORKLOAD_RANGE, dimensions: ['model'], measures: ['generation_count', 'input_tokens', 'output_tokens'], order_by: [{ dimension: 'model' }] },
      });
      expect(byModel.body.served_by).toBe('rollup');
      expect(Object.fromEntries(byModel.body.rows.map((r: Record<string, unknown>) => [r.model, { generation_count: r.generation_count, input_tokens: r.input_tokens, output_tokens: r.output_tokens }]))).toEqual(totals.byModel);
      const byCurrency = await http(urls[i], 'POST', '/v1/reports/query', {
        key: o.key,
        body: { dataset: 'budget_postings', time_range: WORKLOAD_RANGE, dimensions: ['currency'], measures: ['amount'] },
      });
      expect(byCurrency.body.served_by).toBe('rollup');
      expect(Object.fromEntries(byCurrency.body.rows.map((r: Record<string, unknown>) => [r.currency, Math.round((r.amount as number) * 100)]))).toEqual(totals.centsByCurrency);
    }

    const records = finals.reduce((n, w) => n + recordCount(w), 0);
    console.log(
      `concurrency: ${records} records in ${requests.reduce((a, b) => a + b, 0)} ingest requests, ${drained.completed} outbox rows in ${seconds.toFixed(1)} s; ` +
        `per process ${perProcess.join('/')} rows, manual runs ${manual.runs} (${manual.completed} rows), conflict retries ${conflictRetries.join('/')}`,
    );
  }, 150_000);
});

/**
 * The narrowest race of the outbox: a source already has a pending row, and a new version of it is
 * being ingested. If a worker claimed and projected that pending row between the ingest's
 * statement and its commit, it would read the old version, and the new one — whose enqueue found
 * the pending row and added none — would never be projected. Driven step by step here with the
 * service's own ingest statements in a transaction the test holds open.
 */
describe('a change committed while its pending outbox row is claimed (SPEC §5)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const toRow = (rec: Record<string, unknown>, ids: string[]) =>
    Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, ids.includes(k) && typeof v === 'string' ? uuidOf(v) : v]));

  it('a new version of a generation whose old version is pending is projected, not lost', async () => {
    const owner = await t.key('race-gen', 'owner');
    const api = client(t, owner.key);
    const g = generation({ output_tokens: 1 });
    await api.ingest('llm_generations', [g]);

    const tx = await t.db.pool.connect();
    try {
      await tx.query('BEGIN');
      const [{ enqueued }] = (await tx.query(INGEST_LLM_GENERATIONS_SQL, [owner.orgId, JSON.stringify([toRow({ ...g, output_tokens: 2 }, ['id'])])])).rows;
      expect(enqueued).toBe(0);
      // A worker runs while the ingest is not yet committed; it must not finish the row on the old version.
      await api.post('/v1/reports/projector/run');
      await tx.query('COMMIT');
    } finally {
      tx.release();
    }
    await api.project();
    const { rows } = await t.db.pool.query(`SELECT output_tokens::int FROM fact_llm_generation WHERE org_id = $1`, [owner.orgId]);
    expect(rows).toEqual([{ output_tokens: 2 }]);
  });

  it("a session's new attribution reaches a generation whose pending row is claimed meanwhile", async () => {
    const owner = await t.key('race-session', 'owner');
    const api = client(t, owner.key);
    const s = session();
    await api.ingest('sessions', [s]);
    await api.project();
    const g = generation({ session_id: s.id });
    await api.ingest('llm_generations', [g]);

    const tx = await t.db.pool.connect();
    const agent = session().agent_id as string;
    try {
      await tx.query('BEGIN');
      const ids = ['id', 'agent_id', 'user_id'];
      await tx.query(INGEST_SESSIONS_SQL, [owner.orgId, JSON.stringify([toRow({ ...s, agent_id: agent }, ids)])]);
      await api.post('/v1/reports/projector/run');
      await tx.query('COMMIT');
    } finally {
      tx.release();
    }
    await api.project();
    const { rows } = await t.db.pool.query(`SELECT agent_id::text FROM fact_llm_generation WHERE org_id = $1`, [owner.orgId]);
    expect(rows).toEqual([{ agent_id: uuidOf(agent) }]);
  });
});
