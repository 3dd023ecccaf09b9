import { newPublicId } from '#src/common/ids/public-id.js';
import { generation } from '../support/factories.js';
import { http, startService, until, type HttpResult, type ServiceProcess } from '../support/service.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { outboxCounts } from './checks.js';
import { compareFacts } from './oracle.js';
import type { Rec } from './workload.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const RANGE = { from: '2026-04-01T00:00:00Z', to: '2026-06-01T00:00:00Z' };

type Phase = 'before' | 'cut' | 'after';
interface Outcome {
  kind: string;
  phase: Phase;
  path: string;
  status: number | 'transport_error';
  contentType: string | null;
  retryAfter: string | null;
  body: unknown;
}

/**
 * SPEC §8 "Database unreachable → 503 problem; the projector backs off and resumes by itself;
 * nothing is lost". A spawned service reaches its database through a TCP proxy; while mixed
 * traffic runs (ingest, queries, exports, saved-report runs, app runs, readiness), the proxy drops
 * every connection and refuses new ones, then comes back. The suite's shared PostgreSQL is never
 * stopped.
 */
describe('database outage under traffic (SPEC §8)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let t: TestApp;
  let service: ServiceProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = TcpProxy.forUrl(db.url);
    await proxy.start();
    t = await startTestApp({ db });
    service = await startService({
      DATABASE_URL: proxy.rewrite(db.url),
      REPORTING_PROJECTOR_ENABLED: 'true',
      REPORTING_PROJECTOR_INTERVAL_MS: '100',
      RATE_LIMIT_PER_MINUTE: '10000000',
      // Six clients at once: the per-org query cap (its own 503) stays out of the way of the outage's.
      REPORTING_QUERY_CONCURRENCY_PER_ORG: '16',
      // A claim whose commit was in flight when the connection dropped cannot be told from one
      // that failed: those rows come back when their lease expires, like a crashed worker's
      // (claims abandoned mid-projection are handed back at once). A short lease keeps that wait short.
      REPORTING_OUTBOX_LEASE_MS: '3000',
    });
  });
  afterAll(async () => {
    await proxy.restore();
    await service.stop();
    await t.close();
    await proxy.stop();
    await db.drop();
  });

  it('every request answers 200 or a 503 problem with retry_after_seconds; the projector backs off; all resumes by itself; no acknowledged ingest is lost', async () => {
    const owner = await t.key('outage', 'owner');
    const key = owner.key;
    const app = { id: newPublicId('app'), name: 'Bot', channels: [{ id: newPublicId('appchan'), type: 'slack', name: '#help' }] };
    expect((await http(service.url, 'POST', '/v1/ingest/apps', { key, body: { records: [app] } })).status).toBe(200);
    const query = { dataset: 'llm_generations', time_range: RANGE, dimensions: ['model'], measures: ['generation_count', 'input_tokens'] };
    const saved = await http(service.url, 'POST', '/v1/reports/saved', { key, body: { name: 'By model', query } });
    expect(saved.status).toBe(201);

    const sentGenerations = new Map<string, Rec[]>(); // batch id → records, for every ingest attempted
    const acknowledged: string[] = []; // batch ids that got a 200
    const ackedRuns: string[] = [];
    let batchNo = 0;
    const kinds: Record<string, () => Promise<[string, HttpResult]>> = {
      ingest: async () => {
        const id = `b${batchNo++}`;
        const records = Array.from({ length: 20 }, () => generation({ created_at: '2026-05-02T10:00:00Z' })) as Rec[];
        sentGenerations.set(id, records);
        const res = await http(service.url, 'POST', '/v1/ingest/llm_generations', { key, body: { records } });
        if (res.status === 200) acknowledged.push(id);
        return [`/v1/ingest/llm_generations`, res];
      },
      app_run: async () => {
        const run = { id: newPublicId('apprun'), app_id: app.id, channel_id: app.channels[0].id, status: 'ok', created_at: new Date().toISOString() };
        const res = await http(service.url, 'POST', '/v1/ingest/app_runs', { key, body: { records: [run] } });
        if (res.status === 200) ackedRuns.push(run.id);
        return ['/v1/ingest/app_runs', res];
      },
      query: async () => ['/v1/reports/query', await http(service.url, 'POST', '/v1/reports/query', { key, body: query })],
      export: async () => ['/v1/reports/query/export', await http(service.url, 'POST', '/v1/reports/query/export', { key, body: { query } })],
      export_stream: async () => ['/v1/reports/query/export', await http(service.url, 'POST', '/v1/reports/query/export', { key, body: { query }, headers: { accept: 'text/csv' } })],
      saved_run: async () => [`/v1/reports/saved/${saved.body.id}/run`, await http(service.url, 'POST', `/v1/reports/saved/${saved.body.id}/run`, { key })],
      app_runs: async () => [`/v1/apps/${app.id}/runs`, await http(service.url, 'GET', `/v1/apps/${app.id}/runs?group_by=hour`, { key })],
      diagnostics: async () => ['/v1/reports/admin/diagnostics', await http(service.url, 'GET', '/v1/reports/admin/diagnostics', { key })],
      readyz: async () => ['/readyz', await http(service.url, 'GET', '/readyz')],
    };

    let phase: Phase = 'before';
    let stop = false;
    const outcomes: Outcome[] = [];
    const inFlight = new Map<number, { kind: string; phase: Phase; since: number }>();
    let requestNo = 0;
    const worker = async (offset: number) => {
      const names = Object.keys(kinds);
      for (let i = offset; !stop; i++) {
        const kind = names[i % names.length];
        const at = phase;
        const no = requestNo++;
        inFlight.set(no, { kind, phase: at, since: Date.now() });
        try {
          const [path, res] = await kinds[kind]();
          outcomes.push({ kind, phase: at, path, status: res.status, contentType: res.contentType, retryAfter: res.headers.get('retry-after'), body: res.body });
        } catch (e) {
          outcomes.push({ kind, phase: at, path: '', status: 'transport_error', contentType: null, retryAfter: null, body: String(e) });
        } finally {
          inFlight.delete(no);
        }
      }
    };
    const count = (p: Phase, status: number) => (kind: string) => outcomes.filter((o) => o.kind === kind && o.phase === p && o.status === status).length;
    const everyKind = (p: Phase, status: number, n: number) => () => Promise.resolve(Object.keys(kinds).map(count(p, status))).then((c) => c.every((x) => x >= n));
    const workers = Array.from({ length: 6 }, (_, i) => worker(i));
    const pid = service.pid;

    try {
      await until(everyKind('before', 200, 1), (ok) => ok, { tries: 300, what: 'every kind answered 200 before the cut' });
      await proxy.cut();
      phase = 'cut';
      await until(everyKind('cut', 503, 5), (ok) => ok, { tries: 300, what: 'every kind answered 503 during the cut' });
      // The schedule fails, waits, fails again and waits longer: two backoffs before the restore.
      await until(async () => service.logLines().filter((l) => l.msg === 'projector pass failed; backing off').length, (n) => n >= 2, { tries: 300, what: 'projector backing off twice' });
      await proxy.restore();
      phase = 'after';
      await until(everyKind('after', 200, 2), (ok) => ok, { tries: 300, what: 'every kind answered 200 after the restore' });
    } catch (e) {
      // What was seen so far, per kind, phase and status: the reason a phase never completed.
      const seen: Record<string, number> = {};
      for (const o of outcomes) seen[`${o.phase} ${o.kind} ${o.status}`] = (seen[`${o.phase} ${o.kind} ${o.status}`] ?? 0) + 1;
      console.log(JSON.stringify(seen, null, 1), outcomes.filter((o) => o.status !== 200 && o.status !== 503).slice(0, 2), service.proc.child.exitCode, service.proc.child.signalCode, service.proc.stderr().slice(-3000), service.proc.stdout().slice(-2000));
      throw e;
    } finally {
      stop = true;
      // "Never hangs": every request still open must complete. Bounded, so a hung one is named.
      await until(async () => inFlight.size, (n) => n === 0, { tries: 200, what: `open requests to complete (${JSON.stringify([...inFlight.values()])})` });
      await Promise.all(workers);
    }

    // Never a 500, never anything but 200 or a proper 503 problem (a request in flight when the
    // connections were dropped included): every request completed. The one exception is a CSV
    // stream already under way when its connection dropped: its 200 and headers are sent, so
    // the file can only be cut short (the client sees an aborted transfer, not a hang).
    const aborted = outcomes.filter((o) => o.status === 'transport_error');
    expect(aborted.filter((o) => !(o.kind === 'export_stream' && o.phase === 'before'))).toEqual([]);
    const statuses = [...new Set(outcomes.filter((o) => o.status !== 'transport_error').map((o) => `${o.kind} ${o.status}`))].sort();
    expect(statuses).toEqual(Object.keys(kinds).flatMap((k) => [`${k} 200`, `${k} 503`]).sort());
    for (const o of outcomes.filter((x) => x.status === 503)) {
      expect({ kind: o.kind, contentType: o.contentType, retryAfter: o.retryAfter, body: o.body }).toEqual({
        kind: o.kind,
        contentType: PROBLEM,
        retryAfter: '5',
        body: { type: '/problems/service_unavailable', title: 'Service Unavailable', status: 503, detail: expect.any(String), code: 'service_unavailable', instance: o.path, retry_after_seconds: 5 },
      });
    }
    const backoffs = service.logLines().filter((l) => l.msg === 'projector pass failed; backing off').map((l) => l.backoff_ms);
    expect(backoffs.slice(0, 2)).toEqual([1000, 2000]);
    expect(backoffs.every((ms) => typeof ms === 'number' && ms >= 1000 && ms <= 30_000)).toBe(true);
    expect(service.pid).toBe(pid);

    // A client re-sends what was not acknowledged (ingest is idempotent); then the scheduled
    // projector — never called by hand here — drains everything by itself.
    for (const [id, records] of sentGenerations) {
      if (acknowledged.includes(id)) continue;
      expect((await http(service.url, 'POST', '/v1/ingest/llm_generations', { key, body: { records } })).status).toBe(200);
    }
    const drained = await until(() => outboxCounts(t.db.pool, owner.orgId), (c) => c.pending + c.processing === 0, { what: 'outbox drained by the schedule' });
    expect(drained.failed).toBe(0);

    // Every acknowledged record is there and projected exactly.
    const all = [...sentGenerations.values()].flat();
    const { rows } = await t.db.pool.query(`SELECT count(*)::int AS n FROM llm_generations WHERE org_id = $1`, [owner.orgId]);
    expect(rows[0].n).toBe(all.length);
    const { diffs, counts } = await compareFacts(t.db.pool, owner.orgId, { sessions: [], events: [], llm_generations: all, usage_ledger: [] });
    expect(diffs).toEqual([]);
    expect(counts.fact_llm_generation).toBe(all.length);
    const runs = await t.db.pool.query(`SELECT count(*)::int AS n FROM app_runs WHERE org_id = $1 AND replace(id::text, '-', '') = ANY($2)`, [owner.orgId, ackedRuns.map((r) => r.slice(7))]);
    expect(runs.rows[0].n).toBe(ackedRuns.length);

    const by = (p: Phase) => outcomes.filter((o) => o.phase === p).length;
    console.log(
      `outage: ${outcomes.length} requests (${by('before')} before, ${by('cut')} during, ${by('after')} after the cut), ` +
        `${outcomes.filter((o) => o.status === 503).length} × 503, 0 × 500, ${aborted.length} CSV stream(s) cut short; backoffs ${backoffs.join(', ')} ms; ` +
        `${acknowledged.length} of ${sentGenerations.size} ingest batches acknowledged, all ${all.length} records present and projected after re-sending the rest`,
    );
  }, 120_000);
});
