import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Middleware } from 'openapi-fetch';
import { createFactlineClient, type FactlineClient, type Schemas } from '../../../clients/typescript/src/index.js';
import { generateSdkFiles, SDK_COMMAND, SDK_DIR, SDK_FILES } from '#src/sdk/sdk.generate.js';
import { METRICS_TOKEN, startTestApp, type TestApp } from '../../support/test-app.js';

/*
 * The typed client in clients/typescript: fresh (regenerated in memory from the served document
 * and compared with the committed files), and able to drive every operation. This file is also
 * type-checked on its own under tsc --strict (tsconfig.sdk.json, run by `npm test`) and may not
 * cast: the SDK's types must be enough.
 */

const STALE = `clients/typescript is stale: run \`${SDK_COMMAND}\` and commit ${SDK_DIR}`;
const at = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

describe('the typed client SDK (clients/typescript)', () => {
  let t: TestApp;
  let api: FactlineClient;
  const called = new Set<string>();
  const broken: string[] = [];

  // Every SDK response is checked against the document too (the SDK bypasses supertest).
  const contract: Middleware = {
    async onResponse({ request, response, schemaPath }) {
      called.add(`${request.method.toLowerCase()} ${schemaPath}`);
      const text = await response.clone().text();
      const json = /json/.test(response.headers.get('content-type') ?? '') && text !== '' ? JSON.parse(text) : undefined;
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => (headers[name] = value));
      broken.push(...t.contract.violations(request.method, request.url, { status: response.status, headers, body: json, text }));
    },
  };

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    const { key } = await t.key('sdk', 'owner');
    api = createFactlineClient({ baseUrl: await t.app.getUrl(), apiKey: key });
    api.use(contract);
  });
  afterAll(() => t.close());

  it('the committed client was generated from the document the service serves', async () => {
    const served = (await t.http().get('/openapi.json')).body;
    const files = await generateSdkFiles(served);
    const generated: (keyof typeof SDK_FILES)[] = ['document', 'schema'];
    const stale = generated.filter((k) => readFileSync(join(SDK_DIR, SDK_FILES[k]), 'utf8') !== files[k]);
    expect({ stale: stale.map((k) => join(SDK_DIR, SDK_FILES[k])), fix: stale.length ? STALE : 'none' }).toEqual({ stale: [], fix: 'none' });
  }, 240_000); // not a timing assertion: openapi-typescript loads slowly on a busy machine

  it('drives every operation of the document through the SDK', async () => {
    expect((await api.GET('/healthz')).data).toEqual({ status: 'ok' });
    expect((await api.GET('/readyz')).data).toEqual({ status: 'ready', database: 'up', migrations: 'applied' });
    expect((await api.GET('/metrics', { parseAs: 'text', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).data).toContain('factline_http_requests_total');

    const session = 'session_0190b5a0000070008000000000000101';
    const sessions = await api.POST('/v1/ingest/sessions', {
      body: { records: [{ id: session, status: 'completed', created_at: at(60), started_at: at(60), finished_at: at(59), input_tokens: 10, output_tokens: 5, agent_name: null }] },
    });
    expect(sessions.data).toEqual({ accepted: 1, enqueued: 1 });
    const events = await api.POST('/v1/ingest/events', {
      body: { records: [{ id: 'event_0190b5a0000070008000000000000101', session_id: session, type: 'tool.completed', created_at: at(60), data: { tool_name: 'search', status: 'success' } }] },
    });
    expect(events.data?.accepted).toBe(1);
    const generations = await api.POST('/v1/ingest/llm_generations', {
      body: { records: [{ id: 'gen_0190b5a0000070008000000000000101', session_id: session, model: 'gpt-5', provider: 'openai', input_tokens: 10, output_tokens: 5, created_at: at(60) }] },
    });
    expect(generations.data?.accepted).toBe(1);
    const ledger = await api.POST('/v1/ingest/usage_ledger', {
      body: { records: [{ id: 'ledger_0190b5a0000070008000000000000101', currency: 'USD', amount: 0.25, created_at: at(60) }] },
    });
    expect(ledger.data?.accepted).toBe(1);
    const app = 'app_0190b5a0000070008000000000000101';
    const channel = 'appchan_0190b5a0000070008000000000000101';
    expect((await api.POST('/v1/ingest/apps', { body: { records: [{ id: app, name: 'Support bot', channels: [{ id: channel, type: 'slack', name: 'Support' }] }] } })).data?.accepted).toBe(1);
    const runs = await api.POST('/v1/ingest/app_runs', {
      body: { records: [{ id: 'apprun_0190b5a0000070008000000000000101', app_id: app, channel_id: channel, status: 'ok', created_at: at(30), completed_at: at(29) }] },
    });
    expect(runs.data?.accepted).toBe(1);

    const projected = await api.POST('/v1/reports/projector/run', { params: { query: { limit: 5000 } } });
    expect(projected.data).toEqual({ claimed: 4, completed: 4, failed: 0 });
    expect((await api.POST('/v1/reports/admin/backfill', { body: { limit: 10 } })).data).toEqual({ enqueued: 0, events: 0, llm_generations: 0, sessions: 0, usage_ledger: 0 });
    expect((await api.POST('/v1/reports/admin/outbox/retry', { body: {} })).data).toEqual({ retried: 0 });
    const diagnostics = await api.GET('/v1/reports/admin/diagnostics');
    expect(diagnostics.data?.outbox.failed).toBe(0);

    const catalog = await api.GET('/v1/reports/catalog');
    expect(catalog.data?.datasets.map((d) => d.name)).toContain('sessions');
    const range = { from: at(24 * 60), to: at(-1) };
    const query: Schemas['ReportQueryDto'] = { dataset: 'sessions', time_range: range, dimensions: ['status'], measures: ['session_count'], order_by: [{ measure: 'session_count', direction: 'desc' }] };
    const result = await api.POST('/v1/reports/query', { body: query });
    expect(result.data?.rows).toEqual([{ status: 'completed', session_count: 1 }]);
    const exported = await api.POST('/v1/reports/query/export', { body: { format: 'csv', query } });
    // The 200 is the JSON envelope or (Accept: text/csv) the file: the type says so, the test narrows.
    expect(typeof exported.data === 'object' ? exported.data.content : exported.data).toBe('"status","session_count"\r\n"completed","1"\r\n');

    const created = await api.POST('/v1/reports/saved', { body: { name: 'Weekly sessions', description: 'For Mondays.', query: { ...query, time_range: { last: '7d' } } } });
    expect(created.response.status).toBe(201);
    const id = created.data?.id ?? '';
    const path = { params: { path: { report_id: id } } };
    expect((await api.GET('/v1/reports/saved', { params: { query: { limit: 10 } } })).data?.data.map((r) => r.id)).toEqual([id]);
    expect((await api.GET('/v1/reports/saved/{report_id}', path)).data?.description).toBe('For Mondays.');
    const updated = await api.PATCH('/v1/reports/saved/{report_id}', { ...path, body: { description: 'Reviewed every Monday.' } });
    expect(updated.data?.description).toBe('Reviewed every Monday.');
    const cleared = await api.PATCH('/v1/reports/saved/{report_id}', { ...path, body: { description: null } });
    expect(cleared.data?.description).toBeNull();
    expect((await api.POST('/v1/reports/saved/{report_id}/run', path)).data?.rows).toEqual([{ status: 'completed', session_count: 1 }]);
    const savedExport = await api.POST('/v1/reports/saved/{report_id}/export', { ...path, body: { format: 'csv' } });
    expect(typeof savedExport.data === 'object' ? savedExport.data.filename : savedExport.data).toBe('weekly-sessions.csv');

    const listed = await api.GET('/v1/apps/{app_id}/runs', { params: { path: { app_id: app }, query: { window: '24h', limit: 10 } } });
    expect(listed.data?.data.map((r) => r.status)).toEqual(['ok']);

    // A problem comes back typed as the error.
    const missing = await api.GET('/v1/reports/saved/{report_id}', { params: { path: { report_id: '2489e9ad-2ee2-8e00-8ec9-32d5f69181c0' } } });
    expect(missing.error?.code).toBe('saved_report_not_found');
    // Alerts and deliveries (SPEC §14). An IP literal: a public address without a DNS lookup; nothing is sent (deliveries are off).
    const destination = await api.POST('/v1/reports/destinations', { body: { name: 'Ops alerts', url: 'https://8.8.8.8/factline' } });
    expect(destination.response.status).toBe(201);
    expect(destination.data?.signing_secret).toMatch(/^whsec_/);
    const destinationId = destination.data?.id ?? '';
    expect((await api.GET('/v1/reports/destinations')).data?.data.map((d) => d.id)).toEqual([destinationId]);
    const schedule = await api.POST('/v1/reports/saved/{report_id}/schedules', { ...path, body: { cron: '0 9 * * 1', timezone: 'Europe/Berlin', destination_id: destinationId, format: 'csv' } });
    expect(schedule.response.status).toBe(201);
    const scheduleId = schedule.data?.id ?? '';
    expect((await api.GET('/v1/reports/saved/{report_id}/schedules', path)).data?.data.map((s) => [s.id, s.format, s.last_run_at])).toEqual([[scheduleId, 'csv', null]]);
    // An alert reads one aggregate row: a saved report without dimensions.
    const total = await api.POST('/v1/reports/saved', { body: { name: 'All sessions', query: { dataset: 'sessions', time_range: { last: '7d' }, measures: ['session_count'] } } });
    const alert = await api.POST('/v1/reports/alerts', {
      body: { name: 'Sessions over 100', saved_report_id: total.data?.id ?? '', measure: 'session_count', op: 'gt', threshold: 100, every: '5m', destination_id: destinationId },
    });
    expect(alert.response.status).toBe(201);
    const alertId = alert.data?.id ?? '';
    const alertPath = { params: { path: { alert_id: alertId } } };
    expect((await api.GET('/v1/reports/alerts')).data?.data.map((a) => a.id)).toEqual([alertId]);
    const fetched = await api.GET('/v1/reports/alerts/{alert_id}', alertPath);
    expect(fetched.data && { state: fetched.data.state, last_value: fetched.data.last_value, threshold: fetched.data.threshold }).toEqual({ state: 'ok', last_value: null, threshold: 100 });
    expect((await api.GET('/v1/reports/deliveries', { params: { query: { status: 'pending', limit: 10 } } })).data).toEqual({ data: [], next_cursor: null });
    const retried = await api.POST('/v1/reports/deliveries/{delivery_id}/retry', { params: { path: { delivery_id: 'delivery_0190b5a0000070008000000000000e01' } } });
    expect(retried.error?.code).toBe('delivery_not_found');
    expect((await api.DELETE('/v1/reports/alerts/{alert_id}', alertPath)).response.status).toBe(204);
    expect((await api.DELETE('/v1/reports/saved/{report_id}/schedules/{schedule_id}', { params: { path: { report_id: id, schedule_id: scheduleId } } })).response.status).toBe(204);
    expect((await api.DELETE('/v1/reports/destinations/{destination_id}', { params: { path: { destination_id: destinationId } } })).response.status).toBe(204);

    expect((await api.DELETE('/v1/reports/saved/{report_id}', path)).response.status).toBe(204);

    const newKey = await api.POST('/v1/keys', { body: { name: 'dashboard', role: 'member' } });
    expect(newKey.response.status).toBe(201);
    expect(newKey.data?.key).toMatch(/^fl_/);
    const keyId = newKey.data?.id ?? '';
    expect((await api.GET('/v1/keys')).data?.data.map((k) => k.id)).toContain(keyId);
    expect((await api.DELETE('/v1/keys/{key_id}', { params: { path: { key_id: keyId } } })).response.status).toBe(204);

    // Prices (SPEC §10): an org price, listed beside the built-in ones, then deleted.
    const price = await api.POST('/v1/reports/prices', {
      body: { provider: 'sdk-provider', model: 'sdk-model', match: 'exact', input_per_mtok: '1.5', output_per_mtok: 6, effective_from: '2026-01-01T00:00:00Z', note: 'From the SDK' },
    });
    expect(price.response.status).toBe(201);
    expect(price.data && { source: price.data.source, input: price.data.input_per_mtok, output: price.data.output_per_mtok, cache_read: price.data.cache_read_per_mtok })
      .toEqual({ source: 'org', input: '1.5', output: '6', cache_read: '1.5' });
    const priceId = price.data?.id ?? '';
    expect((await api.GET('/v1/reports/prices', { params: { query: { provider: 'sdk-provider' } } })).data?.data.map((p) => p.id)).toEqual([priceId]);
    expect((await api.DELETE('/v1/reports/prices/{price_id}', { params: { path: { price_id: priceId } } })).response.status).toBe(204);

    expect(broken).toEqual([]);
    const documented = Object.entries(t.contract.document.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m} ${p}`));
    // A new route must be driven here too: add its call above.
    expect(documented.filter((op) => !called.has(op))).toEqual([]);
  });
});
