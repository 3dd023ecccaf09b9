import autocannon from 'autocannon';
import { newPublicId } from '#src/common/ids/public-id.js';
import { generation } from '../support/factories.js';
import { http, rssBytes, sleep, startService, until, type ServiceProcess } from '../support/service.js';
import { startTestApp, type TestApp, type TestKey } from '../support/test-app.js';
import { outboxCounts } from './checks.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const RANGE = { from: '2026-04-01T00:00:00Z', to: '2026-06-01T00:00:00Z' };
const MiB = 1024 * 1024;

/** Full GC in the service (test/support/gc-on-signal.cjs), then its memory as it reports it and /proc shows it. */
async function memoryAfterGc(service: ServiceProcess): Promise<{ rss: number; heapUsed: number }> {
  const before = service.proc.stderr().split('gc-report').length;
  process.kill(service.pid, 'SIGUSR2');
  await until(async () => service.proc.stderr().split('gc-report').length, (n) => n > before, { everyMs: 20, what: 'gc report' });
  const last = service.proc.stderr().split('gc-report ').pop()!.split('\n')[0];
  return { rss: await rssBytes(service.pid), heapUsed: JSON.parse(last).heapUsed };
}

type Request = autocannon.Request;

/**
 * SPEC §8/§9 under load, with a real load tool (autocannon) against a spawned service: mixed
 * traffic — ingest, rollup and fact queries, envelope and streamed exports, app-run ingest and
 * history, the catalog — over many connections. Bounded in time and count; loopback only.
 */
describe('mixed traffic under load (SPEC §8)', () => {
  let t: TestApp;
  let service: ServiceProcess;
  const orgs: { key: TestKey; app: { id: string; channel: string } }[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    service = await startService(
      { DATABASE_URL: t.db.url, RATE_LIMIT_PER_MINUTE: '10000000', REPORTING_PROJECTOR_ENABLED: 'true', DB_POOL_SIZE: '20' },
      { gcOnSignal: true },
    );
    for (let i = 0; i < 16; i++) {
      const key = await t.key(`load-${i}`, 'owner');
      const app = { id: newPublicId('app'), channel: newPublicId('appchan') };
      const res = await http(service.url, 'POST', '/v1/ingest/apps', { key: key.key, body: { records: [{ id: app.id, name: 'Load bot', channels: [{ id: app.channel, type: 'api_endpoint' }] }] } });
      expect(res.status).toBe(200);
      orgs.push({ key, app });
    }
  });
  afterAll(async () => {
    await service.stop();
    await t.close();
  });

  /**
   * One request of each kind, cycled by every connection. A connection keeps one org's key (at
   * most 4 connections per org: the per-org query cap of 4 is never the limit here; it has its
   * own tests), and each ingest sends records never seen before.
   */
  function mixedRequests(): Request[] {
    let nextOrg = 0;
    const org = (context: Record<string, unknown>) => {
      context.org ??= orgs[nextOrg++ % orgs.length];
      return context.org as (typeof orgs)[number];
    };
    const authed = (build: (o: (typeof orgs)[number]) => Partial<autocannon.Request>): Request => ({
      method: 'GET',
      setupRequest: (req: autocannon.Request, context: object) => {
        const o = org(context as Record<string, unknown>);
        const extra = build(o);
        return { ...req, ...extra, headers: { 'content-type': 'application/json', authorization: `Bearer ${o.key.key}`, ...(extra.headers ?? {}) } } as autocannon.Request;
      },
    });
    const query = (body: unknown) => JSON.stringify(body);
    return [
      authed(() => ({ method: 'POST', path: '/v1/ingest/llm_generations', body: JSON.stringify({ records: Array.from({ length: 10 }, () => generation({ created_at: '2026-05-03T10:00:00Z' })) }) })),
      authed(() => ({ method: 'POST', path: '/v1/reports/query', body: query({ dataset: 'llm_generations', time_range: RANGE, dimensions: ['day', 'model'], measures: ['generation_count', 'total_tokens'] }) })),
      authed(() => ({ method: 'POST', path: '/v1/reports/query', body: query({ dataset: 'llm_generations', time_range: RANGE, dimensions: ['model'], measures: ['p95_duration_ms'], limit: 50, exact: true }) })),
      authed((o) => ({ method: 'POST', path: '/v1/ingest/app_runs', body: JSON.stringify({ records: [{ id: newPublicId('apprun'), app_id: o.app.id, channel_id: o.app.channel, status: 'ok', created_at: new Date().toISOString() }] }) })),
      authed(() => ({ method: 'POST', path: '/v1/reports/query/export', body: query({ query: { dataset: 'llm_generations', time_range: RANGE, dimensions: ['model', 'provider'], measures: ['input_tokens'] } }) })),
      authed(() => ({ method: 'POST', path: '/v1/reports/query/export', body: query({ query: { dataset: 'llm_generations', time_range: RANGE, dimensions: ['hour'], measures: ['generation_count'] } }), headers: { accept: 'text/csv' } })),
      authed((o) => ({ method: 'GET', path: `/v1/apps/${o.app.id}/runs?group_by=hour&limit=20`, body: undefined })),
      authed(() => ({ method: 'GET', path: '/v1/reports/catalog', body: undefined })),
    ];
  }

  const run = (options: Partial<autocannon.Options>) =>
    autocannon({ url: service.url, requests: mixedRequests(), ...options } as autocannon.Options) as unknown as Promise<autocannon.Result>;

  it('3,000 mixed requests over 50 connections: zero errors, zero non-2xx; memory back near its baseline afterwards', async () => {
    // Bounded in count, not time: a slower machine takes longer, never fails for it.
    const warm = await run({ connections: 16, amount: 400 });
    expect({ errors: warm.errors, timeouts: warm.timeouts, non2xx: warm.non2xx }).toEqual({ errors: 0, timeouts: 0, non2xx: 0 });
    await until(() => outboxCounts(t.db.pool), (c) => c.pending + c.processing === 0, { what: 'warm-up projected' });
    const baseline = await memoryAfterGc(service);

    const result = await run({ connections: 50, amount: 3000 });
    expect({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, mismatches: result.mismatches, resets: result.resets }).toEqual({ errors: 0, timeouts: 0, non2xx: 0, mismatches: 0, resets: 0 });
    expect(result['2xx']).toBe(result.requests.total);
    expect(result.requests.total).toBe(3000);

    // Everything ingested is projected by the schedule, and nothing failed.
    const drained = await until(() => outboxCounts(t.db.pool), (c) => c.pending + c.processing === 0, { what: 'outbox drained after the run' });
    expect(drained.failed).toBe(0);
    const { rows } = await t.db.pool.query(`SELECT (SELECT count(*) FROM llm_generations)::int AS canonical, (SELECT count(*) FROM fact_llm_generation)::int AS facts`);
    expect(rows[0].facts).toBe(rows[0].canonical);

    // Memory returns near its baseline once the run is over (a leak would keep what the run took).
    await sleep(500);
    const after = await memoryAfterGc(service);
    expect(after.heapUsed).toBeLessThan(baseline.heapUsed + 32 * MiB);
    expect(after.rss).toBeLessThan(baseline.rss + 96 * MiB);
    console.log(
      `load: ${result.requests.total} requests in ${result.duration} s over ${result.connections} connections (${Math.round(result.requests.average)} req/s, ` +
        `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms), ${result['2xx']} × 2xx, ${result.non2xx} non-2xx, ${result.errors} errors; ` +
        `${rows[0].canonical} generations ingested and projected; heap after GC ${(baseline.heapUsed / MiB).toFixed(1)} → ${(after.heapUsed / MiB).toFixed(1)} MiB, ` +
        `RSS ${(baseline.rss / MiB).toFixed(0)} → ${(after.rss / MiB).toFixed(0)} MiB`,
    );
  }, 120_000);
});

/** SPEC §8 rate limit per key: a flood gets proper 429 problems, other keys are untouched, and the key recovers. */
describe('rate limiting under a flood (SPEC §8)', () => {
  let t: TestApp;
  let service: ServiceProcess;
  beforeAll(async () => {
    t = await startTestApp();
    // 60 per minute: a bucket of 60, refilled at one token a second, so recovery takes ~1 s.
    service = await startService({ DATABASE_URL: t.db.url, RATE_LIMIT_PER_MINUTE: '60', REPORTING_PROJECTOR_ENABLED: 'false' });
  });
  afterAll(async () => {
    await service.stop();
    await t.close();
  });

  it('400 requests from one key over 20 connections: 2xx then 429s only; another key unaffected; a retry after Retry-After succeeds', async () => {
    const flooder = await t.key('flood', 'member');
    const bystander = await t.key('flood', 'admin');
    const result = (await autocannon({
      url: `${service.url}/v1/reports/catalog`, connections: 20, amount: 400, headers: { authorization: `Bearer ${flooder.key}` },
    })) as unknown as autocannon.Result;
    const stats = (result.statusCodeStats ?? {}) as Record<string, { count: number }>;
    expect(Object.keys(stats).sort()).toEqual(['200', '429']);
    expect(result.errors).toBe(0);
    expect(result['2xx']).toBeGreaterThanOrEqual(60);
    expect(result['2xx'] + stats['429'].count).toBe(400);

    // The bucket refills one token a second: the next request or two may pass, then it is a 429 again.
    const limited = await until(() => http(service.url, 'GET', '/v1/reports/catalog', { key: flooder.key }), (r) => r.status === 429, { everyMs: 0, tries: 10, what: 'a 429' });
    expect({ status: limited.status, type: limited.contentType, retryAfter: limited.headers.get('retry-after'), body: limited.body }).toEqual({
      status: 429, type: PROBLEM, retryAfter: '1',
      body: {
        type: '/problems/rate_limited', title: 'Too Many Requests', status: 429, detail: 'Rate limit exceeded for this API key; retry in 1 s.', code: 'rate_limited',
        instance: '/v1/reports/catalog', retry_after_seconds: 1, allowed_actions: [{ rel: 'retry-later', hint: 'Wait 1 s, then repeat the same request.' }],
      },
    });
    expect((await http(service.url, 'GET', '/v1/reports/catalog', { key: bystander.key })).status).toBe(200);
    // Doing what the problem says: wait Retry-After, repeat.
    await sleep(Number(limited.headers.get('retry-after')) * 1000 + 50);
    expect((await http(service.url, 'GET', '/v1/reports/catalog', { key: flooder.key })).status).toBe(200);
    console.log(`rate limit: 400 requests from one key → ${result['2xx']} × 200, ${400 - result['2xx']} × 429; recovered after Retry-After`);
  });
});
