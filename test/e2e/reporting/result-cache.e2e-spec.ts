import { ApiKeyService } from '#src/auth/api-key.service.js';
import { DATASETS } from '#src/reporting/catalog/catalog.js';
import { FreshnessService, probeFromOrg } from '#src/reporting/freshness/freshness.service.js';
import { client } from '../../support/api.js';
import { generation } from '../../support/factories.js';
import { METRICS_TOKEN, startTestApp, type TestApp } from '../../support/test-app.js';

/** SPEC §15: identical queries within an unchanged projection state come from a cache keyed by (org, normalized query, watermark). */

const FROM = '2026-01-01T00:00:00Z';
const TO = '2026-01-02T00:00:00Z';
const QUERY = { dataset: 'llm_generations', time_range: { from: FROM, to: TO }, dimensions: ['model'], measures: ['generation_count', 'total_tokens'] };
const COLUMNS = [
  { name: 'model', kind: 'dimension' },
  { name: 'generation_count', kind: 'measure' },
  { name: 'total_tokens', kind: 'measure' },
];
const at = (minute: number) => new Date(Date.parse(FROM) + minute * 60_000).toISOString();
const gen = (model: string, minute: number, input: number) => generation({ model, input_tokens: input, output_tokens: 0, created_at: at(minute) });

async function cacheCounters(t: TestApp): Promise<{ hit: number; miss: number; evicted: number }> {
  const text = (await t.http().get('/metrics').set('authorization', `Bearer ${METRICS_TOKEN}`)).text;
  const value = (line: string) => Number(text.split('\n').find((l) => l.startsWith(line))?.split(' ').pop());
  return {
    hit: value('factline_report_cache_lookups_total{outcome="hit"}'),
    miss: value('factline_report_cache_lookups_total{outcome="miss"}'),
    evicted: value('factline_report_cache_evictions_total'),
  };
}

/** The counters' change over `work`. */
async function counted<T>(t: TestApp, work: () => Promise<T>): Promise<{ result: T; hit: number; miss: number; evicted: number }> {
  const before = await cacheCounters(t);
  const result = await work();
  const after = await cacheCounters(t);
  return { result, hit: after.hit - before.hit, miss: after.miss - before.miss, evicted: after.evicted - before.evicted };
}

describe('report query result cache (SPEC §15)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers an identical query from the cache, and the next one after a projected change from the new facts, with freshness read every time', async () => {
    const k = await t.key('cache-stale', 'owner');
    const api = client(t, k.key);
    await api.ingest('llm_generations', [gen('gpt-5', 1, 10), gen('gpt-5', 2, 20)]);
    await api.project();
    const before = [{ model: 'gpt-5', generation_count: 2, total_tokens: 30 }];

    const first = await counted(t, () => api.post('/v1/reports/query', QUERY));
    expect({ status: first.result.status, rows: first.result.body.rows, hit: first.hit, miss: first.miss }).toEqual({ status: 200, rows: before, hit: 0, miss: 1 });
    const again = await counted(t, () => api.post('/v1/reports/query', QUERY));
    expect({ status: again.result.status, hit: again.hit, miss: again.miss }).toEqual({ status: 200, hit: 1, miss: 0 });
    expect(again.result.body).toEqual({ ...first.result.body, as_of: again.result.body.as_of, freshness_lag_ms: again.result.body.freshness_lag_ms });
    expect(again.result.body).toEqual({ as_of: expect.any(String), columns: COLUMNS, freshness_lag_ms: 0, rows: before, served_by: 'rollup', time_range: { from: FROM, to: TO }, truncated: false });

    // Ingested, not yet projected: the facts (and so the answer) are unchanged, but as_of says so.
    await api.ingest('llm_generations', [gen('gpt-5', 3, 100), gen('o3', 4, 7)]);
    const [{ oldest }] = (await t.db.pool.query(`SELECT min(created_at) AS oldest FROM reporting_outbox WHERE org_id = $1 AND status = 'pending'`, [k.orgId])).rows;
    const pending = await counted(t, () => api.post('/v1/reports/query', QUERY));
    expect({ hit: pending.hit, miss: pending.miss, as_of: pending.result.body.as_of, rows: pending.result.body.rows, lagged: pending.result.body.freshness_lag_ms > 0 })
      .toEqual({ hit: 1, miss: 0, as_of: (oldest as Date).toISOString(), rows: before, lagged: true });

    // Projected: the watermark moved, so the identical query misses and sees the new facts.
    await api.project();
    const sent = Date.now();
    const after = await counted(t, () => api.post('/v1/reports/query', QUERY));
    expect({ hit: after.hit, miss: after.miss }).toEqual({ hit: 0, miss: 1 });
    expect(after.result.body).toEqual({
      as_of: expect.any(String), columns: COLUMNS, freshness_lag_ms: 0, served_by: 'rollup', time_range: { from: FROM, to: TO }, truncated: false,
      rows: [{ model: 'gpt-5', generation_count: 3, total_tokens: 130 }, { model: 'o3', generation_count: 1, total_tokens: 7 }],
    });
    expect(Date.parse(after.result.body.as_of)).toBeGreaterThanOrEqual(sent - 1000);
  });

  it('the query route reads freshness and watermarks with the key, in one statement: every dataset gets what its own probe reads, and no second probe runs', async () => {
    const k = await t.key('cache-org-probe', 'owner');
    const other = await t.key('cache-org-probe-other', 'owner');
    const api = client(t, k.key);
    // Unprojected rows of several types and statuses, each type's oldest at its own time; another
    // org's older rows, which must not count; usage_ledger none at all (as_of = now).
    const row = (org: string, type: string, status: string, at: string) =>
      t.db.pool.query(
        `INSERT INTO reporting_outbox (org_id, source_type, source_id, status, created_at, lease_until)
         VALUES ($1, $2, gen_random_uuid(), $3, $4, CASE WHEN $3 = 'processing' THEN now() + interval '1 hour' END)`,
        [org, type, status, at],
      );
    await row(k.orgId, 'event', 'pending', '2026-03-05T00:00:00Z');
    await row(k.orgId, 'event', 'failed', '2026-03-02T00:00:00Z');
    await row(k.orgId, 'session', 'processing', '2026-03-03T00:00:00Z');
    await row(k.orgId, 'llm_generation', 'pending', '2026-03-04T00:00:00Z');
    await row(k.orgId, 'reprice', 'pending', '2026-03-01T12:00:00Z');
    await row(other.orgId, 'usage_ledger', 'pending', '2026-01-01T00:00:00Z');
    await t.db.pool.query(
      `INSERT INTO reporting_watermarks (org_id, source_type, version) VALUES ($1, 'event', 7), ($1, 'llm_generation', 40), ($1, 'reprice', 500), ($2, 'session', 9)`,
      [k.orgId, other.orgId],
    );
    const keys = t.app.get(ApiKeyService);
    const freshness = t.app.get(FreshnessService);
    const auth = await keys.authenticate(`Bearer ${k.key}`, { takeToken: true, probeOrg: true });
    if (!auth.ok || !auth.orgProbe) throw new Error('no org probe');
    for (const dataset of DATASETS) {
      const own = await freshness.probe(k.orgId, dataset);
      const fromKey = probeFromOrg(auth.orgProbe, dataset);
      const settled = own.freshness.freshness_lag_ms === 0; // as_of is each statement's now()
      expect({ dataset: dataset.name, watermark: fromKey.watermark, as_of: settled ? 'now' : fromKey.freshness.as_of, lag: fromKey.freshness.freshness_lag_ms === 0 })
        .toEqual({ dataset: dataset.name, watermark: own.watermark, as_of: settled ? 'now' : own.freshness.as_of, lag: settled });
    }
    // The figures the assertions above compare are not all alike: they test something.
    // event 7; re-pricing work counts for generations, turns and sessions (500); none for postings.
    expect(Object.fromEntries(DATASETS.map((d) => [d.name, probeFromOrg(auth.orgProbe!, d).watermark]))).toEqual({
      llm_generations: '540', tool_calls: '7', turns: '507', sessions: '500', budget_postings: '0', capability_usage: '7',
    });

    // Over HTTP: the route's answers carry the same freshness, and the per-dataset probe is not run.
    let probes = 0;
    const probe = freshness.probe.bind(freshness);
    freshness.probe = (...args) => ((probes += 1), probe(...args));
    try {
      const range = { from: FROM, to: TO };
      const tools = await api.post('/v1/reports/query', { dataset: 'tool_calls', time_range: range, measures: ['call_count'] });
      const gens = await api.post('/v1/reports/query', QUERY);
      const again = await counted(t, () => api.post('/v1/reports/query', QUERY));
      expect([tools.status, tools.body.as_of, gens.status, gens.body.as_of, again.hit, again.result.body.as_of, probes])
        .toEqual([200, '2026-03-02T00:00:00.000Z', 200, '2026-03-01T12:00:00.000Z', 1, '2026-03-01T12:00:00.000Z', 0]);
    } finally {
      freshness.probe = probe;
    }
  });

  it('never serves one org the answer cached for another: identical queries, same watermark, different data', async () => {
    const a = client(t, (await t.key('cache-org-a', 'member')).key);
    const b = client(t, (await t.key('cache-org-b', 'member')).key);
    const ownerA = client(t, (await t.key('cache-org-a', 'owner')).key);
    const ownerB = client(t, (await t.key('cache-org-b', 'owner')).key);
    // One projected batch each: both orgs' watermarks are equal, so only the org tells the entries apart.
    await ownerA.ingest('llm_generations', [gen('gpt-5', 1, 11)]);
    await ownerA.project();
    await ownerB.ingest('llm_generations', [gen('claude', 1, 5), gen('claude', 2, 6)]);
    await ownerB.project();
    const rowsA = [{ model: 'gpt-5', generation_count: 1, total_tokens: 11 }];
    const rowsB = [{ model: 'claude', generation_count: 2, total_tokens: 11 }];

    const firstA = await counted(t, () => a.post('/v1/reports/query', QUERY));
    const firstB = await counted(t, () => b.post('/v1/reports/query', QUERY));
    expect([firstA.result.body.rows, firstA.miss, firstB.result.body.rows, firstB.miss, firstB.hit]).toEqual([rowsA, 1, rowsB, 1, 0]);
    const againB = await counted(t, () => b.post('/v1/reports/query', QUERY));
    const againA = await counted(t, () => a.post('/v1/reports/query', QUERY));
    expect([againB.result.body.rows, againB.hit, againA.result.body.rows, againA.hit]).toEqual([rowsB, 1, rowsA, 1]);
  });

  it('runs of a saved report share the cache with the identical ad-hoc query, defaults spelled out or not', async () => {
    const k = await t.key('cache-saved', 'owner');
    const api = client(t, k.key);
    await api.ingest('llm_generations', [gen('gpt-5', 1, 3)]);
    await api.project();
    const created = await api.post('/v1/reports/saved', { name: 'Tokens by model', query: QUERY });
    expect(created.status).toBe(201);
    const rows = [{ model: 'gpt-5', generation_count: 1, total_tokens: 3 }];
    const run = await counted(t, () => api.post(`/v1/reports/saved/${created.body.id}/run`));
    const adHoc = await counted(t, () => api.post('/v1/reports/query', { ...QUERY, time_range: { to: TO, from: FROM }, limit: 100, timezone: 'UTC' }));
    expect([run.result.status, run.result.body.rows, run.miss, adHoc.result.body.rows, adHoc.hit]).toEqual([200, rows, 1, rows, 1]);
  });

  it('a query with fill: "zero" is another question than the same query without it (its own entry, its own rows)', async () => {
    const api = client(t, (await t.key('cache-fill', 'owner')).key);
    await api.ingest('llm_generations', [gen('gpt-5', 1, 3)]);
    await api.project();
    const byHour = { ...QUERY, time_range: { from: FROM, to: at(120) }, dimensions: ['hour'], measures: ['generation_count'] };
    const plain = await counted(t, () => api.post('/v1/reports/query', byHour));
    const filled = await counted(t, () => api.post('/v1/reports/query', { ...byHour, fill: 'zero' }));
    expect([plain.result.body.rows, plain.miss, filled.result.body.rows, filled.miss, filled.hit]).toEqual([
      [{ hour: '2026-01-01T00:00:00Z', generation_count: 1 }], 1,
      [{ hour: '2026-01-01T00:00:00Z', generation_count: 1 }, { hour: '2026-01-01T01:00:00Z', generation_count: 0 }], 1, 0,
    ]);
  });
});

describe('report query result cache bounds (SPEC §15)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REPORTING_QUERY_CACHE_MAX_ENTRIES: '2' } });
  });
  afterAll(() => t.close());

  it('keeps at most REPORTING_QUERY_CACHE_MAX_ENTRIES answers, evicting the least recently used', async () => {
    const api = client(t, (await t.key('cache-lru', 'owner')).key);
    await api.ingest('llm_generations', [gen('gpt-5', 1, 3)]);
    await api.project();
    const q = (measure: string) => ({ ...QUERY, measures: [measure] });
    const fill = await counted(t, async () => {
      for (const m of ['generation_count', 'total_tokens', 'input_tokens']) await api.post('/v1/reports/query', q(m));
    });
    expect([fill.miss, fill.evicted]).toEqual([3, 1]);
    const recent = await counted(t, () => api.post('/v1/reports/query', q('input_tokens')));
    const evicted = await counted(t, () => api.post('/v1/reports/query', q('generation_count')));
    expect([recent.hit, evicted.miss, evicted.evicted, evicted.result.body.rows]).toEqual([1, 1, 1, [{ model: 'gpt-5', generation_count: 1 }]]);
  });
});

describe('report query result cache byte bound (SPEC §15)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REPORTING_QUERY_CACHE_MAX_BYTES: '1024' } });
  });
  afterAll(() => t.close());

  it('does not keep an answer larger than REPORTING_QUERY_CACHE_MAX_BYTES, and keeps a small one', async () => {
    const api = client(t, (await t.key('cache-bytes', 'owner')).key);
    await api.ingest('llm_generations', Array.from({ length: 20 }, (_, h) => gen('gpt-5', h * 60, 1)));
    await api.project();
    const large = { ...QUERY, dimensions: ['hour', 'model'] };
    await api.post('/v1/reports/query', large);
    const again = await counted(t, () => api.post('/v1/reports/query', large));
    expect([again.hit, again.miss, again.result.body.rows.length, JSON.stringify(again.result.body.rows).length > 1024]).toEqual([0, 1, 20, true]);
    await api.post('/v1/reports/query', QUERY);
    expect((await counted(t, () => api.post('/v1/reports/query', QUERY))).hit).toBe(1);
  });
});

describe('report query result cache across instances (SPEC §15)', () => {
  let first: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    first = await startTestApp();
    second = await startTestApp({ db: first.db });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  it('an instance with a cached answer misses after another instance projects: each its own cache, one shared watermark', async () => {
    const k = await first.key('cache-instances', 'owner');
    const viaFirst = client(first, k.key);
    const viaSecond = client(second, k.key);
    await viaSecond.ingest('llm_generations', [gen('gpt-5', 1, 4)]);
    await viaSecond.project();
    await viaFirst.post('/v1/reports/query', QUERY);
    const cached = await counted(first, () => viaFirst.post('/v1/reports/query', QUERY));
    expect([cached.hit, cached.result.body.rows]).toEqual([1, [{ model: 'gpt-5', generation_count: 1, total_tokens: 4 }]]);

    await viaSecond.ingest('llm_generations', [gen('gpt-5', 2, 6)]);
    await viaSecond.project();
    const after = await counted(first, () => viaFirst.post('/v1/reports/query', QUERY));
    expect([after.hit, after.miss, after.result.body.rows]).toEqual([0, 1, [{ model: 'gpt-5', generation_count: 2, total_tokens: 10 }]]);
  });
});
