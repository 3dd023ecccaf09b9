import { newPublicId, toPublicId } from '#src/common/ids/public-id.js';
import { client, uuidOf } from '../support/api.js';
import { capabilityEvent, generation, ledger, session, toolEvent, turnEvent } from '../support/factories.js';
import { METRICS_TOKEN, startTestApp, type TestApp, type TestKey } from '../support/test-app.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const RANGE = { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' };
const DATASETS = ['llm_generations', 'tool_calls', 'turns', 'sessions', 'budget_postings', 'capability_usage'];

/**
 * SPEC §2 tenancy: org B's key, aimed at everything of org A — its ids in paths, its entities in
 * filters, its saved reports, apps, runs, outbox rows — over every route the OpenAPI document
 * lists (a route without a case here fails the test), sees nothing of A and changes nothing of
 * A: every row of A, in every table, is byte-for-byte the same afterwards.
 */
describe('tenant isolation matrix (SPEC §2)', () => {
  let t: TestApp;
  let a: TestKey;
  let b: TestKey;
  beforeAll(async () => {
    t = await startTestApp();
    a = await t.key('tenant-a', 'owner');
    b = await t.key('tenant-b', 'owner');
  });
  afterAll(() => t.close());

  /** Every row of org A in every table that has an org (and A's org row), as one digest per table. */
  async function digestOfA(): Promise<Record<string, string>> {
    const { rows: tables } = await t.db.pool.query(
      `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'org_id' ORDER BY table_name`,
    );
    const out: Record<string, string> = {};
    for (const { table_name: table } of tables) {
      const { rows } = await t.db.pool.query(`SELECT count(*)::int AS n, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM ${table} x WHERE org_id = $1`, [a.orgId]);
      out[table] = `${rows[0].n}:${rows[0].h}`;
    }
    const org = await t.db.pool.query(`SELECT md5(x::text) AS h FROM orgs x WHERE id = $1`, [a.orgId]);
    out.orgs = org.rows[0].h;
    return out;
  }

  it("org B's key on every route: another org's ids are 404s, its entities filter to nothing, nothing of A changes", async () => {
    const apiA = client(t, a.key);
    const apiB = client(t, b.key);
    const asB = (method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: unknown) => {
      const req = t.http()[method](path).set('authorization', `Bearer ${b.key}`);
      return body === undefined ? req : req.send(body as object);
    };

    // Org A: a session with events, generations, postings, two apps with runs, a saved report,
    // projected — then one pending change, one failed outbox row and one fact deleted (stale).
    const sA = session({ agent_id: newPublicId('agent'), app_id: newPublicId('app') }) as ReturnType<typeof session> & { app_id: string };
    const turnA = newPublicId('turn');
    const eventsA = [toolEvent(sA.id, { turn_id: turnA }), turnEvent(sA.id, turnA), capabilityEvent(sA.id, { turn_id: turnA })];
    const gensA = [generation({ session_id: sA.id }), generation({ session_id: sA.id })];
    const ledgerA = [ledger({ session_id: sA.id, budget_id: newPublicId('budget') })];
    const appA = { id: newPublicId('app'), name: 'A bot', channels: [{ id: newPublicId('appchan'), type: 'slack', name: '#a' }] };
    const appA2 = { id: newPublicId('app'), name: 'A other', channels: [{ id: newPublicId('appchan'), type: 'webhook' }] };
    const runsA = [appA, appA2].map((app) => ({ id: newPublicId('apprun'), app_id: app.id, channel_id: app.channels[0].id, status: 'ok', created_at: new Date().toISOString() }));
    await apiA.ingest('sessions', [sA]);
    await apiA.ingest('events', eventsA);
    await apiA.ingest('llm_generations', gensA);
    await apiA.ingest('usage_ledger', ledgerA);
    await apiA.ingest('apps', [appA, appA2]);
    await apiA.ingest('app_runs', runsA);
    await apiA.project();
    const queryA = { dataset: 'llm_generations', time_range: RANGE, dimensions: ['agent'], measures: ['generation_count'] };
    const reportA = (await apiA.post('/v1/reports/saved', { name: 'A only', query: queryA })).body;
    expect(reportA.id).toEqual(expect.any(String));
    await apiA.ingest('llm_generations', [generation({ session_id: sA.id })]);
    const failedA = await t.db.pool.query(
      `INSERT INTO reporting_outbox (org_id, source_type, source_id, status, attempts, last_error) VALUES ($1, 'llm_generation', $2, 'failed', 8, 'boom') RETURNING id::text`,
      [a.orgId, uuidOf(gensA[0].id)],
    );
    await t.db.pool.query(`DELETE FROM fact_budget_posting WHERE org_id = $1`, [a.orgId]);
    // A's destination (an IP literal: no DNS, allowed without WEBHOOK_ALLOW_PRIVATE), schedule, alert and a failed delivery.
    const destA = (await apiA.post('/v1/reports/destinations', { name: 'A hook', url: 'https://8.8.8.8/a' })).body;
    const singleA = (await apiA.post('/v1/reports/saved', { name: 'A total', query: { ...queryA, dimensions: [] } })).body;
    const schedA = (await apiA.post(`/v1/reports/saved/${singleA.id}/schedules`, { cron: '@daily', destination_id: destA.id })).body;
    const alertA = (await apiA.post('/v1/reports/alerts', { name: 'A alert', saved_report_id: singleA.id, measure: 'generation_count', op: 'gt', threshold: 1, every: '1h', destination_id: destA.id })).body;
    expect([destA.id, schedA.id, alertA.id]).toEqual([expect.stringMatching(/^dest_/), expect.stringMatching(/^sched_/), expect.stringMatching(/^alert_/)]);
    const deliveryA = toPublicId('delivery', (await t.db.pool.query(
      `INSERT INTO report_deliveries (id, org_id, destination_id, alert_id, dedupe_key, event_type, body, status, attempts)
       VALUES (gen_random_uuid(), $1, $2, $3, 'a', 'alert.firing', '{}', 'failed', 8) RETURNING id::text`,
      [a.orgId, uuidOf(destA.id), uuidOf(alertA.id)],
    )).rows[0].id);
    // A price of A's own that prices none of its generations (nothing to re-project).
    const priceA = (await apiA.post('/v1/reports/prices', { provider: 'a-only', model: 'a-model', match: 'exact', input_per_mtok: '1', output_per_mtok: '2', effective_from: '2026-01-01T00:00:00Z' })).body;
    expect(priceA.id).toMatch(/^price_/);

    // Org B: a little data of its own, projected.
    const sB = session();
    await apiB.ingest('sessions', [sB]);
    await apiB.ingest('llm_generations', [generation({ session_id: sB.id })]);
    await apiB.project();
    const reportB = (await apiB.post('/v1/reports/saved', { name: 'B only', query: queryA })).body;
    const singleB = (await apiB.post('/v1/reports/saved', { name: 'B total', query: { ...queryA, dimensions: [] } })).body;
    const destB = (await apiB.post('/v1/reports/destinations', { name: 'B hook', url: 'https://8.8.8.8/b' })).body;

    const before = await digestOfA();
    const idsOfA = [a.orgId, sA.id, sA.agent_id, sA.user_id, sA.app_id, turnA, ...eventsA.map((e) => e.id), ...gensA.map((g) => g.id), ...ledgerA.map((l) => l.id), appA.id, appA2.id, ...runsA.map((r) => r.id), reportA.id,
      destA.id, singleA.id, schedA.id, alertA.id, deliveryA, priceA.id] as string[];
    const leaks = (text: string) => idsOfA.filter((id) => text.includes(id) || text.includes(uuidOf(id)));
    const notFound = (res: { status: number; headers: Record<string, string>; body: unknown }, code: string, title: string, instance: string) => {
      expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
        status: 404, type: PROBLEM, body: { type: `/problems/${code}`, title, status: 404, detail: expect.any(String), code, instance },
      });
    };
    const savedNotFound = (res: { status: number; headers: Record<string, string>; body: unknown }, suffix = '') =>
      notFound(res, 'saved_report_not_found', 'Saved report not found', `/v1/reports/saved/${reportA.id}${suffix}`);

    const cases: Record<string, () => Promise<void>> = {
      // Ingest: B writing records with A's ids creates B's own rows; A's stay as they were.
      ingest_sessions: async () => expect((await asB('post', '/v1/ingest/sessions', { records: [{ ...sA, agent_name: 'B was here', status: 'failed' }] })).status).toBe(200),
      ingest_events: async () => expect((await asB('post', '/v1/ingest/events', { records: eventsA.map((e) => ({ ...e, data: { ...e.data, duration_ms: 1 } })) })).status).toBe(200),
      ingest_llm_generations: async () => expect((await asB('post', '/v1/ingest/llm_generations', { records: gensA.map((g) => ({ ...g, input_tokens: 999 })) })).status).toBe(200),
      ingest_usage_ledger: async () => expect((await asB('post', '/v1/ingest/usage_ledger', { records: ledgerA.map((l) => ({ ...l, amount: -5 })) })).status).toBe(200),
      ingest_apps: async () => expect((await asB('post', '/v1/ingest/apps', { records: [{ ...appA, name: 'B took it', channels: [] }] })).status).toBe(200),
      ingest_app_runs: async () => {
        const res = await asB('post', '/v1/ingest/app_runs', { records: [{ ...runsA[1], status: 'err' }] });
        expect({ status: res.status, errors: res.body.errors }).toEqual({
          status: 400, errors: [{ pointer: '/records/0/app_id', message: `app ${appA2.id} does not exist (ingest it through POST /v1/ingest/apps first)` }],
        });
      },
      // Queries and exports filtered by A's entities find nothing; unfiltered, they show only B.
      run_report_query: async () => {
        for (const dataset of DATASETS) {
          for (const [field, value] of [['session', sA.id], ['agent', sA.agent_id], ['user', sA.user_id], ['app', sA.app_id]]) {
            const res = await asB('post', '/v1/reports/query', { dataset, time_range: RANGE, dimensions: ['session'], filters: [{ field, op: 'in', value: [value] }] });
            expect({ dataset, field, status: res.status, rows: res.body.rows }).toEqual({ dataset, field, status: 200, rows: [] });
          }
          const all = await asB('post', '/v1/reports/query', { dataset, time_range: RANGE, dimensions: ['session', 'agent', 'user', 'app'] });
          expect({ dataset, leaks: leaks(JSON.stringify(all.body)) }).toEqual({ dataset, leaks: [] });
        }
      },
      export_query: async () => {
        const filtered = await asB('post', '/v1/reports/query/export', { query: { ...queryA, filters: [{ field: 'session', op: 'eq', value: sA.id }] } });
        expect(filtered.body.content).toBe('"agent","generation_count"\r\n');
        for (const accept of ['application/json', 'text/csv']) {
          const all = await asB('post', '/v1/reports/query/export', { query: { ...queryA, dimensions: ['session', 'agent', 'user'] } }).set('accept', accept);
          expect({ accept, status: all.status, leaks: leaks(all.text) }).toEqual({ accept, status: 200, leaks: [] });
        }
      },
      // Saved reports of A: invisible in the list, 404 for every operation on its id (any case).
      list_saved_reports: async () => {
        const res = await asB('get', '/v1/reports/saved?limit=100');
        const { rows } = await t.db.pool.query(`SELECT id::text FROM saved_reports WHERE org_id = $1 ORDER BY created_at DESC, id DESC`, [b.orgId]);
        expect(res.body.data.map((r: { id: string }) => r.id)).toEqual(rows.map((r) => r.id));
        expect(rows.map((r) => r.id)).toContain(reportB.id);
      },
      create_saved_report: async () => expect((await asB('post', '/v1/reports/saved', { name: 'B again', query: queryA })).status).toBe(201),
      get_saved_report: async () => {
        savedNotFound(await asB('get', `/v1/reports/saved/${reportA.id}`));
        const upper = await asB('get', `/v1/reports/saved/${reportA.id.toUpperCase()}`);
        expect(upper.status).toBe(404);
      },
      update_saved_report: async () => savedNotFound(await asB('patch', `/v1/reports/saved/${reportA.id}`, { name: 'hijacked' })),
      delete_saved_report: async () => savedNotFound(await asB('delete', `/v1/reports/saved/${reportA.id}`)),
      run_saved_report: async () => savedNotFound(await asB('post', `/v1/reports/saved/${reportA.id}/run`), '/run'),
      export_saved_report: async () => {
        savedNotFound(await asB('post', `/v1/reports/saved/${reportA.id}/export`), '/export');
        savedNotFound(await asB('post', `/v1/reports/saved/${reportA.id}/export`).set('accept', 'text/csv'), '/export');
      },
      // App runs of A's apps: the same 404 as a missing app.
      list_app_runs: async () => {
        for (const app of [appA, appA2]) notFound(await asB('get', `/v1/apps/${app.id}/runs?group_by=hour`), 'app_not_found', 'App not found', `/v1/apps/${app.id}/runs`);
      },
      // Operator routes act on B's rows only.
      run_projector: async () => {
        const res = await asB('post', '/v1/reports/projector/run?limit=5000');
        expect(res.status).toBe(200);
        const pendingA = await t.db.pool.query(`SELECT count(*)::int AS n FROM reporting_outbox WHERE org_id = $1 AND status = 'pending'`, [a.orgId]);
        // A's last generation, its session (which sums its cost, SPEC §10), and the re-pricing
        // work A's own price enqueued (one outbox row per price change, whatever it affects).
        expect(pendingA.rows[0].n).toBe(3);
      },
      backfill_reporting: async () => {
        const res = await asB('post', '/v1/reports/admin/backfill', { limit: 100000 });
        expect(res.body).toEqual({ enqueued: 0, events: 0, llm_generations: 0, sessions: 0, usage_ledger: 0 });
      },
      get_reporting_diagnostics: async () => {
        const res = await asB('get', '/v1/reports/admin/diagnostics');
        const { rows } = await t.db.pool.query(`SELECT status, count(*)::int AS n FROM reporting_outbox WHERE org_id = $1 GROUP BY status`, [b.orgId]);
        const n = (s: string) => rows.find((r) => r.status === s)?.n ?? 0;
        expect(res.body.outbox).toEqual({ pending: n('pending'), processing: n('processing'), completed: n('completed'), failed: n('failed') });
        expect(res.body.recent_failures).toEqual([]);
        expect(leaks(JSON.stringify(res.body))).toEqual([]);
      },
      retry_outbox: async () => {
        expect((await asB('post', '/v1/reports/admin/outbox/retry', { ids: [failedA.rows[0].id] })).body).toEqual({ retried: 0 });
        expect((await asB('post', '/v1/reports/admin/outbox/retry', {})).body).toEqual({ retried: 0 });
      },
      // Keys of A: not listed, not revocable (404 like a missing key), still working.
      list_api_keys: async () => {
        const res = await asB('get', '/v1/keys');
        const { rows } = await t.db.pool.query(`SELECT id::text FROM api_keys WHERE org_id = $1 ORDER BY created_at DESC, id DESC`, [b.orgId]);
        expect(res.body.data.map((k: { id: string }) => uuidOf(k.id))).toEqual(rows.map((r) => r.id));
      },
      create_api_key: async () => {
        const res = await asB('post', '/v1/keys', { name: 'B member', role: 'member' });
        expect({ status: res.status, org: (await t.db.pool.query(`SELECT org_id FROM api_keys WHERE key_hash = sha256(convert_to($1, 'UTF8'))`, [res.body.key])).rows }).toEqual({
          status: 201, org: [{ org_id: b.orgId }],
        });
      },
      revoke_api_key: async () => {
        // A's key staying active is part of the digest checked below.
        notFound(await asB('delete', `/v1/keys/key_${a.keyId.replace(/-/g, '')}`), 'api_key_not_found', 'API key not found', `/v1/keys/key_${a.keyId.replace(/-/g, '')}`);
      },
      // Alerts and deliveries of A: invisible in lists, 404 by id, unusable as a reference.
      create_destination: async () => expect((await asB('post', '/v1/reports/destinations', { name: 'B again', url: 'https://8.8.8.8/b2' })).status).toBe(201),
      list_destinations: async () => {
        const res = await asB('get', '/v1/reports/destinations');
        expect({ status: res.status, leaks: leaks(JSON.stringify(res.body)) }).toEqual({ status: 200, leaks: [] });
        expect(res.body.data.map((d: { id: string }) => d.id)).toContain(destB.id);
      },
      delete_destination: async () => notFound(await asB('delete', `/v1/reports/destinations/${destA.id}`), 'destination_not_found', 'Destination not found', `/v1/reports/destinations/${destA.id}`),
      create_schedule: async () => {
        notFound(await asB('post', `/v1/reports/saved/${singleA.id}/schedules`, { cron: '@daily', destination_id: destB.id }), 'saved_report_not_found', 'Saved report not found', `/v1/reports/saved/${singleA.id}/schedules`);
        notFound(await asB('post', `/v1/reports/saved/${singleB.id}/schedules`, { cron: '@daily', destination_id: destA.id }), 'destination_not_found', 'Destination not found', `/v1/reports/saved/${singleB.id}/schedules`);
      },
      list_schedules: async () => notFound(await asB('get', `/v1/reports/saved/${singleA.id}/schedules`), 'saved_report_not_found', 'Saved report not found', `/v1/reports/saved/${singleA.id}/schedules`),
      delete_schedule: async () => {
        const path = `/v1/reports/saved/${singleA.id}/schedules/${schedA.id}`;
        notFound(await asB('delete', path), 'saved_report_not_found', 'Saved report not found', path);
        const own = `/v1/reports/saved/${singleB.id}/schedules/${schedA.id}`;
        notFound(await asB('delete', own), 'schedule_not_found', 'Schedule not found', own);
      },
      create_alert: async () => {
        const body = { name: 'B', saved_report_id: singleA.id, measure: 'generation_count', op: 'gt', threshold: 1, every: '1h', destination_id: destB.id };
        notFound(await asB('post', '/v1/reports/alerts', body), 'saved_report_not_found', 'Saved report not found', '/v1/reports/alerts');
        notFound(await asB('post', '/v1/reports/alerts', { ...body, saved_report_id: singleB.id, destination_id: destA.id }), 'destination_not_found', 'Destination not found', '/v1/reports/alerts');
      },
      list_alerts: async () => expect((await asB('get', '/v1/reports/alerts')).body).toEqual({ data: [] }),
      get_alert: async () => notFound(await asB('get', `/v1/reports/alerts/${alertA.id}`), 'alert_not_found', 'Alert not found', `/v1/reports/alerts/${alertA.id}`),
      delete_alert: async () => notFound(await asB('delete', `/v1/reports/alerts/${alertA.id}`), 'alert_not_found', 'Alert not found', `/v1/reports/alerts/${alertA.id}`),
      list_deliveries: async () => expect((await asB('get', '/v1/reports/deliveries')).body).toEqual({ data: [], next_cursor: null }),
      retry_delivery: async () => notFound(await asB('post', `/v1/reports/deliveries/${deliveryA}/retry`), 'delivery_not_found', 'Delivery not found', `/v1/reports/deliveries/${deliveryA}/retry`),
      // Prices: A's own are invisible to B, cannot be deleted by B, and B's own price nothing of A's.
      list_prices: async () => {
        const res = await asB('get', '/v1/reports/prices');
        const { rows } = await t.db.pool.query(`SELECT id::text FROM prices WHERE org_id = $1`, [b.orgId]);
        const own = res.body.data.filter((p: { source: string }) => p.source === 'org').map((p: { id: string }) => uuidOf(p.id)).sort();
        expect({ status: res.status, own, leaks: leaks(JSON.stringify(res.body)) }).toEqual({ status: 200, own: rows.map((r) => r.id).sort(), leaks: [] });
      },
      create_price: async () => {
        for (const body of [
          { provider: 'a-only', model: 'a-model', match: 'exact', input_per_mtok: '9', output_per_mtok: '9', effective_from: '2026-01-01T00:00:00Z' },
          { provider: gensA[0].provider, model: gensA[0].model, match: 'exact', input_per_mtok: '999', output_per_mtok: '999', effective_from: '2000-01-01T00:00:00Z' },
        ]) expect((await asB('post', '/v1/reports/prices', body)).status).toBe(201);
      },
      delete_price: async () => notFound(await asB('delete', `/v1/reports/prices/${priceA.id}`), 'price_not_found', 'Price not found', `/v1/reports/prices/${priceA.id}`),
      get_report_catalog: async () => expect(leaks(JSON.stringify((await asB('get', '/v1/reports/catalog')).body))).toEqual([]),
      // Public routes carry no org data at all.
      get_healthz: async () => expect(leaks((await t.http().get('/healthz')).text)).toEqual([]),
      get_readyz: async () => expect(leaks((await t.http().get('/readyz')).text)).toEqual([]),
      get_metrics: async () => expect(leaks((await t.http().get('/metrics').set('authorization', `Bearer ${METRICS_TOKEN}`)).text)).toEqual([]),
    };

    const doc = (await t.http().get('/openapi.json')).body as { paths: Record<string, Record<string, { operationId: string }>> };
    const operations = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId)).sort();
    // A route added later without a tenancy case here fails this line.
    expect(operations).toEqual(Object.keys(cases).sort());
    // Reads first: the ingest cases then give B rows of its own under A's public ids.
    for (const op of [...operations.filter((o) => !o.startsWith('ingest_')), ...operations.filter((o) => o.startsWith('ingest_'))]) await cases[op]();

    // B's own app under A's app id (ingest_apps above) lists B's runs only: none.
    const shadow = await asB('get', `/v1/apps/${appA.id}/runs?group_by=hour`);
    const counted = shadow.body.buckets.reduce((n: number, x: { ok: number; err: number; running: number }) => n + x.ok + x.err + x.running, 0);
    expect({ status: shadow.status, data: shadow.body.data, counted }).toEqual({ status: 200, data: [], counted: 0 });

    // Nothing of A changed, and A still sees all of its own.
    expect(await digestOfA()).toEqual(before);
    expect((await apiA.get(`/v1/reports/saved/${reportA.id}`)).body.name).toBe('A only');
    expect((await apiA.get(`/v1/apps/${appA2.id}/runs`)).body.data.map((r: { id: string }) => r.id)).toEqual([runsA[1].id]);
    const own = await apiA.post('/v1/reports/query', { ...queryA, filters: [{ field: 'session', op: 'eq', value: sA.id }] });
    expect(own.body.rows).toEqual([{ agent: sA.agent_id, generation_count: 2 }]);
  });
});
