import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { DeliveryWorker } from '#src/alerts/deliveries/delivery-worker.service.js';
import { client, uuidOf } from '../../support/api.js';
import { generation } from '../../support/factories.js';
import { PROBLEM } from '../../support/problems.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { startReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';

type Api = ReturnType<typeof client>;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DELIVERY = /^delivery_[0-9a-f]{32}$/;
const RANGE = { from: '2026-05-01T00:00:00Z', to: '2026-06-01T00:00:00Z' };
const GPT5 = { dataset: 'llm_generations', time_range: RANGE, measures: ['generation_count', 'total_tokens'], filters: [{ field: 'model', op: 'eq', value: 'gpt-5' }] };

describe('schedules, alerts and deliveries (SPEC §14)', () => {
  let t: TestApp;
  let owner: Api;
  let member: Api;
  let stranger: Api;
  let receiver: WebhookReceiver;
  let reportId: string;
  let byModelId: string;
  let dest: { id: string; signing_secret: string };
  const flip = generation({ model: 'gpt-5', created_at: '2026-05-03T10:00:00Z' });

  const sql = (query: string, params: unknown[] = []) => t.app.get(DataSource).query(query, params);
  const worker = () => t.app.get(DeliveryWorker);
  /** Worker passes until no delivery is pending or in flight (backoff is 1 ms here). */
  const settle = async () => {
    for (let i = 0; i < 100; i++) {
      await worker().runOnce();
      const [{ n }] = await sql(`SELECT count(*)::int AS n FROM report_deliveries WHERE status IN ('pending', 'processing')`);
      if (n === 0) return;
    }
    throw new Error('deliveries did not settle');
  };
  const deliveries = async () => (await owner.get('/v1/reports/deliveries')).body.data as Record<string, unknown>[];
  const scheduleOn = async (format: 'json' | 'csv', destinationId = dest.id) => {
    const res = await owner.post(`/v1/reports/saved/${reportId}/schedules`, { cron: '0 9 * * 1', timezone: 'Europe/Berlin', destination_id: destinationId, format });
    expect(res.status).toBe(201);
    return res.body as { id: string };
  };
  const makeDue = (scheduleId: string, tick: string) => sql(`UPDATE report_schedules SET next_run_at = $2 WHERE id = $1`, [uuidOf(scheduleId), tick]);
  const verify = (secret: string, r: { headers: Record<string, unknown>; body: string }) =>
    new Webhook(secret).verify(r.body, { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) });

  beforeAll(async () => {
    t = await startTestApp({
      env: { WEBHOOK_ALLOW_PRIVATE: 'true', REPORTING_DELIVERIES_BACKOFF_BASE_MS: '1', REPORTING_DELIVERIES_BACKOFF_CAP_MS: '1', REPORTING_DELIVERIES_MAX_ATTEMPTS: '3' },
    });
    owner = client(t, (await t.key('deliver', 'owner')).key);
    member = client(t, (await t.key('deliver', 'member')).key);
    stranger = client(t, (await t.key('deliver-elsewhere', 'owner')).key);
    receiver = await startReceiver();
    await owner.ingest('llm_generations', [flip, generation({ model: 'gpt-5', created_at: '2026-05-02T10:00:00Z' }), generation({ model: 'claude', created_at: '2026-05-02T11:00:00Z' })]);
    await owner.project();
    reportId = (await owner.post('/v1/reports/saved', { name: 'GPT-5 calls', query: GPT5 })).body.id;
    byModelId = (await owner.post('/v1/reports/saved', { name: 'By model', query: { ...GPT5, dimensions: ['model'] } })).body.id;
    dest = (await owner.post('/v1/reports/destinations', { name: 'receiver', url: receiver.url })).body;
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });
  beforeEach(async () => {
    await sql(`DELETE FROM report_schedules`);
    await sql(`DELETE FROM report_alerts`);
    receiver.received.length = 0;
  });

  it('a schedule tick delivers the ReportResult once, signed per Standard Webhooks (the library verifies it)', async () => {
    const res = await owner.post(`/v1/reports/saved/${reportId.toUpperCase()}/schedules`, { cron: '0 9 * * 1', timezone: 'Europe/Berlin', destination_id: dest.id, format: 'json' });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 201,
      body: {
        id: expect.stringMatching(/^sched_[0-9a-f]{32}$/), saved_report_id: reportId, cron: '0 9 * * 1', timezone: 'Europe/Berlin', destination_id: dest.id, format: 'json',
        next_run_at: expect.stringMatching(/T0[78]:00:00\.000Z$/), last_run_at: null, last_error: null, created_at: expect.stringMatching(ISO),
      },
    });
    expect(new Date(res.body.next_run_at).getUTCDay()).toBe(1);
    const expected = (await owner.post(`/v1/reports/saved/${reportId}/run`)).body;

    await makeDue(res.body.id, '2026-05-04T07:00:00Z');
    await settle();
    const [got] = await receiver.waitFor(1);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['webhook-id']).toMatch(DELIVERY);
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verify(dest.signing_secret, got)).toEqual({
      type: 'report.scheduled', timestamp: expect.stringMatching(ISO),
      data: { schedule_id: res.body.id, saved_report_id: reportId, scheduled_for: '2026-05-04T07:00:00.000Z', format: 'json', result: { ...expected, as_of: expect.stringMatching(ISO) } },
    });
    expect(() => verify(dest.signing_secret, { ...got, body: got.body.replace('"json"', '"csv"') })).toThrow();
    expect(expected.rows).toEqual([{ generation_count: 2, total_tokens: 30 }]);

    expect((await deliveries())[0]).toEqual({
      id: got.headers['webhook-id'], destination_id: dest.id, schedule_id: res.body.id, alert_id: null, event_type: 'report.scheduled',
      status: 'succeeded', attempts: 1, last_response_status: 200, last_error: null, next_attempt_at: null,
      delivered_at: expect.stringMatching(ISO), created_at: expect.stringMatching(ISO), updated_at: expect.stringMatching(ISO),
    });
    const listed = (await member.get(`/v1/reports/saved/${reportId}/schedules`)).body.data;
    expect(listed).toEqual([{ ...res.body, last_run_at: '2026-05-04T07:00:00.000Z', next_run_at: expect.stringMatching(/T0[78]:00:00\.000Z$/) }]);
    expect(Date.parse(listed[0].next_run_at)).toBeGreaterThan(Date.now());

    // The same tick again (a second instance that read the old next_run_at): the unique key keeps it to one delivery.
    await makeDue(res.body.id, '2026-05-04T07:00:00Z');
    await settle();
    expect((await deliveries()).filter((d) => d.schedule_id === res.body.id)).toHaveLength(1);
    expect(receiver.received).toHaveLength(1);
  });

  it('format csv delivers the export envelope', async () => {
    const s = await scheduleOn('csv');
    await makeDue(s.id, '2026-05-11T07:00:00Z');
    await settle();
    const [got] = await receiver.waitFor(1);
    expect(verify(dest.signing_secret, got)).toEqual({
      type: 'report.scheduled', timestamp: expect.stringMatching(ISO),
      data: {
        schedule_id: s.id, saved_report_id: reportId, scheduled_for: '2026-05-11T07:00:00.000Z', format: 'csv',
        export: { as_of: expect.stringMatching(ISO), content: '"generation_count","total_tokens"\r\n"2","30"\r\n', content_type: 'text/csv; charset=utf-8', filename: 'gpt-5-calls.csv', format: 'csv', freshness_lag_ms: 0, time_range: RANGE },
      },
    });
  });

  it('a receiver answering 500, 500, 200 gets three attempts with one webhook-id, each signed', async () => {
    receiver.respond(500, 500);
    const s = await scheduleOn('json');
    await makeDue(s.id, '2026-05-18T07:00:00Z');
    await settle();
    const got = await receiver.waitFor(3);
    expect(got.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    for (const r of got) expect(verify(dest.signing_secret, r)).toMatchObject({ type: 'report.scheduled' });
    expect((await deliveries())[0]).toMatchObject({ id: got[0].headers['webhook-id'], status: 'succeeded', attempts: 3, last_response_status: 200, last_error: null });
  });

  it('failed after the retry limit; the retry route sends it again with the same webhook-id', async () => {
    receiver.respond(500, 500, 500);
    const s = await scheduleOn('json');
    await makeDue(s.id, '2026-05-25T07:00:00Z');
    await settle();
    const got = await receiver.waitFor(3);
    const id = String(got[0].headers['webhook-id']);
    const failed = (await deliveries())[0];
    expect(failed).toMatchObject({ id, status: 'failed', attempts: 3, last_response_status: 500, last_error: 'HTTP 500', next_attempt_at: null, delivered_at: null });

    expect((await member.post(`/v1/reports/deliveries/${id}/retry`)).status).toBe(403);
    const other = await stranger.post(`/v1/reports/deliveries/${id}/retry`);
    expect({ status: other.status, type: other.headers['content-type'], body: other.body }).toEqual({
      status: 404, type: PROBLEM,
      body: { type: '/problems/delivery_not_found', title: 'Delivery not found', status: 404, code: 'delivery_not_found', detail: `Delivery ${id} was not found.`, instance: `/v1/reports/deliveries/${id}/retry` },
    });
    const bad = await owner.post('/v1/reports/deliveries/nope/retry');
    expect({ status: bad.status, code: bad.body.code }).toEqual({ status: 400, code: 'invalid_delivery_id' });

    const retried = await owner.post(`/v1/reports/deliveries/${id}/retry`);
    expect({ status: retried.status, body: retried.body }).toEqual({ status: 200, body: { ...failed, status: 'pending', attempts: 0, next_attempt_at: expect.stringMatching(ISO), updated_at: expect.stringMatching(ISO) } });
    await settle();
    const again = await receiver.waitFor(4);
    expect(again[3].headers['webhook-id']).toBe(id);
    expect((await deliveries())[0]).toMatchObject({ id, status: 'succeeded', attempts: 1, last_response_status: 200 });
    expect((await stranger.get('/v1/reports/deliveries')).body).toEqual({ data: [], next_cursor: null });
  });

  it('an alert fires once when the value crosses the threshold and resolves once', async () => {
    const res = await owner.post('/v1/reports/alerts', { name: 'GPT-5 busy', saved_report_id: reportId, measure: 'generation_count', op: 'gt', threshold: 2, every: '5m', destination_id: dest.id });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 201,
      body: {
        id: expect.stringMatching(/^alert_[0-9a-f]{32}$/), name: 'GPT-5 busy', saved_report_id: reportId, measure: 'generation_count', op: 'gt', threshold: 2, every: '5m',
        destination_id: dest.id, state: 'ok', last_value: null, last_evaluated_at: null, last_error: null, next_evaluation_at: expect.stringMatching(ISO), created_at: expect.stringMatching(ISO),
      },
    });
    const alertId = res.body.id;
    const evaluate = async () => {
      await sql(`UPDATE report_alerts SET next_eval_at = now() WHERE id = $1`, [uuidOf(alertId)]);
      await settle();
      return (await member.get(`/v1/reports/alerts/${alertId}`)).body;
    };
    const alertDeliveries = async () => (await deliveries()).filter((d) => d.alert_id === alertId);

    expect(await evaluate()).toMatchObject({ state: 'ok', last_value: 2, last_evaluated_at: expect.stringMatching(ISO) });
    expect(await alertDeliveries()).toEqual([]);

    await owner.ingest('llm_generations', [generation({ model: 'gpt-5', created_at: '2026-05-04T10:00:00Z' })]);
    await owner.project();
    expect(await evaluate()).toMatchObject({ state: 'firing', last_value: 3 });
    expect(await evaluate()).toMatchObject({ state: 'firing', last_value: 3 });
    const [fired] = await receiver.waitFor(1);
    expect(verify(dest.signing_secret, fired)).toEqual({
      type: 'alert.firing', timestamp: expect.stringMatching(ISO),
      data: {
        alert_id: alertId, name: 'GPT-5 busy', saved_report_id: reportId, measure: 'generation_count', op: 'gt', threshold: 2, value: 3,
        state: 'firing', previous_state: 'ok', as_of: expect.stringMatching(ISO), evaluated_at: expect.stringMatching(ISO),
      },
    });

    // A generation re-attributed to another model: the value drops back under the threshold.
    await owner.ingest('llm_generations', [{ ...flip, model: 'claude' }]);
    await owner.project();
    expect(await evaluate()).toMatchObject({ state: 'ok', last_value: 2 });
    expect(await evaluate()).toMatchObject({ state: 'ok', last_value: 2 });
    const got = await receiver.waitFor(2);
    expect(verify(dest.signing_secret, got[1])).toMatchObject({ type: 'alert.resolved', data: { value: 2, threshold: 2, state: 'ok', previous_state: 'firing' } });
    expect((await alertDeliveries()).map((d) => [d.event_type, d.status])).toEqual([['alert.resolved', 'succeeded'], ['alert.firing', 'succeeded']]);
    expect(receiver.received).toHaveLength(2);
    expect((await member.get('/v1/reports/alerts')).body).toEqual({ data: [expect.objectContaining({ id: alertId, state: 'ok' })] });
  });

  it('an alert needs a single-row report: 400 when it has dimensions, and a measure the report selects', async () => {
    const body = { name: 'x', saved_report_id: byModelId, measure: 'generation_count', op: 'gt', threshold: 1, every: '1m', destination_id: dest.id };
    const dims = await owner.post('/v1/reports/alerts', body);
    expect({ status: dims.status, type: dims.headers['content-type'], body: dims.body }).toEqual({
      status: 400, type: PROBLEM,
      body: {
        type: '/problems/alert_report_not_single_row', title: 'Report is not single-row', status: 400, code: 'alert_report_not_single_row', instance: '/v1/reports/alerts',
        detail: `Saved report ${byModelId} has dimensions (model): an alert needs one aggregate row.`, errors: [{ pointer: '/saved_report_id', message: 'the saved report must have no dimensions' }],
      },
    });
    const measure = await owner.post('/v1/reports/alerts', { ...body, saved_report_id: reportId, measure: 'error_count' });
    expect({ status: measure.status, body: measure.body }).toEqual({
      status: 400,
      body: {
        type: '/problems/validation_failed', title: 'Invalid request', status: 400, code: 'validation_failed', instance: '/v1/reports/alerts',
        detail: `"error_count" is not a measure of saved report ${reportId}.`, errors: [{ pointer: '/measure', message: "must be one of the saved report's measures", allowed: ['generation_count', 'total_tokens'] }],
      },
    });
    const fields = await owner.post('/v1/reports/alerts', { ...body, op: 'eq', every: '30s', threshold: 'high' });
    expect(fields.status).toBe(400);
    expect(fields.body.errors).toEqual([
      { pointer: '/op', message: 'op must be one of the following values: gt, gte, lt, lte', allowed: ['gt', 'gte', 'lt', 'lte'] },
      { pointer: '/threshold', message: 'threshold must be a number conforming to the specified constraints' },
      { pointer: '/every', message: 'every must be <n>m or <n>h (1m to 168h)' },
    ]);
    const tooRare = await owner.post('/v1/reports/alerts', { ...body, saved_report_id: reportId, every: '169h', destination_id: 'dest_x' });
    expect(tooRare.body.errors).toEqual([
      { pointer: '/every', message: 'every must be <n>m or <n>h, from 1m to 168h' },
      { pointer: '/destination_id', message: 'must be a dest_ id (dest_ followed by 32 lowercase hex characters)' },
    ]);
    expect((await member.post('/v1/reports/alerts', body)).status).toBe(403);
  });

  it("another org's destination or report cannot be used (404)", async () => {
    const theirs = (await stranger.post('/v1/reports/destinations', { name: 'theirs', url: receiver.url })).body;
    const sched = await owner.post(`/v1/reports/saved/${reportId}/schedules`, { cron: '@daily', destination_id: theirs.id });
    expect({ status: sched.status, type: sched.headers['content-type'], body: sched.body }).toEqual({
      status: 404, type: PROBLEM,
      body: { type: '/problems/destination_not_found', title: 'Destination not found', status: 404, code: 'destination_not_found', detail: `Destination ${theirs.id} was not found.`, instance: `/v1/reports/saved/${reportId}/schedules` },
    });
    const alert = await owner.post('/v1/reports/alerts', { name: 'x', saved_report_id: reportId, measure: 'generation_count', op: 'gt', threshold: 1, every: '1m', destination_id: theirs.id });
    expect({ status: alert.status, code: alert.body.code }).toEqual({ status: 404, code: 'destination_not_found' });
    const report = await stranger.post(`/v1/reports/saved/${reportId}/schedules`, { cron: '@daily', destination_id: theirs.id });
    expect({ status: report.status, code: report.body.code }).toEqual({ status: 404, code: 'saved_report_not_found' });
    const alertOnReport = await stranger.post('/v1/reports/alerts', { name: 'x', saved_report_id: reportId, measure: 'generation_count', op: 'gt', threshold: 1, every: '1m', destination_id: theirs.id });
    expect({ status: alertOnReport.status, code: alertOnReport.body.code }).toEqual({ status: 404, code: 'saved_report_not_found' });
    const mine = await scheduleOn('json');
    expect((await stranger.get(`/v1/reports/saved/${reportId}/schedules`)).status).toBe(404);
    expect((await stranger.delete(`/v1/reports/saved/${reportId}/schedules/${mine.id}`)).status).toBe(404);
    const a = (await owner.post('/v1/reports/alerts', { name: 'x', saved_report_id: reportId, measure: 'generation_count', op: 'gt', threshold: 1, every: '1m', destination_id: dest.id })).body;
    for (const res of [await stranger.get(`/v1/reports/alerts/${a.id}`), await stranger.delete(`/v1/reports/alerts/${a.id}`)]) {
      expect({ status: res.status, body: res.body }).toEqual({ status: 404, body: expect.objectContaining({ code: 'alert_not_found', detail: `Alert ${a.id} was not found.` }) });
    }
    expect((await stranger.get('/v1/reports/alerts')).body).toEqual({ data: [] });
  });

  it('schedules: validation, a destination in use cannot be deleted, delete', async () => {
    const bad = await owner.post(`/v1/reports/saved/${reportId}/schedules`, { cron: '*/5 * * * * *', timezone: 'Mars/Base', destination_id: 'nope', format: 'pdf' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ pointer: '/format', message: 'format must be one of the following values: json, csv', allowed: ['json', 'csv'] }]);
    const bad2 = await owner.post(`/v1/reports/saved/${reportId}/schedules`, { cron: '*/5 * * * * *', timezone: 'Mars/Base', destination_id: 'nope' });
    expect({ status: bad2.status, body: bad2.body }).toEqual({
      status: 400,
      body: {
        type: '/problems/validation_failed', title: 'Invalid request', status: 400, code: 'validation_failed', instance: `/v1/reports/saved/${reportId}/schedules`, detail: 'The body has 3 invalid fields.',
        errors: [
          { pointer: '/cron', message: 'cron must have five fields (minute hour day-of-month month day-of-week) or be a nickname such as @daily' },
          { pointer: '/timezone', message: 'unknown time zone "Mars/Base" (an IANA name such as Europe/Berlin)' },
          { pointer: '/destination_id', message: 'must be a dest_ id (dest_ followed by 32 lowercase hex characters)' },
        ],
      },
    });
    expect((await owner.post('/v1/reports/saved/not-a-uuid/schedules', { cron: '@daily', destination_id: dest.id })).body.code).toBe('invalid_report_id');
    expect((await member.post(`/v1/reports/saved/${reportId}/schedules`, { cron: '@daily', destination_id: dest.id })).status).toBe(403);

    const s = await owner.post(`/v1/reports/saved/${reportId}/schedules`, { cron: '@daily', destination_id: dest.id });
    expect(s.body).toMatchObject({ timezone: 'UTC', format: 'json', next_run_at: expect.stringMatching(/T00:00:00\.000Z$/) });
    const inUse = await owner.delete(`/v1/reports/destinations/${dest.id}`);
    expect({ status: inUse.status, body: inUse.body }).toEqual({
      status: 409,
      body: { type: '/problems/destination_in_use', title: 'Destination in use', status: 409, code: 'destination_in_use', detail: 'Schedules or alerts still deliver to this destination; delete them first.', instance: `/v1/reports/destinations/${dest.id}` },
    });
    expect((await member.delete(`/v1/reports/saved/${reportId}/schedules/${s.body.id}`)).status).toBe(403);
    expect((await owner.delete(`/v1/reports/saved/${reportId}/schedules/sched_zz`)).body.code).toBe('invalid_schedule_id');
    const del = await owner.delete(`/v1/reports/saved/${reportId}/schedules/${s.body.id}`);
    expect(del.status).toBe(204);
    const gone = await owner.delete(`/v1/reports/saved/${reportId}/schedules/${s.body.id}`);
    expect({ status: gone.status, code: gone.body.code }).toEqual({ status: 404, code: 'schedule_not_found' });
  });

  it('the address is checked again at send time: a host that now resolves to the metadata address is refused', async () => {
    const moved = (await owner.post('/v1/reports/destinations', { name: 'moves', url: receiver.url })).body;
    const s = await scheduleOn('json', moved.id);
    // As if its DNS answer changed after creation.
    await sql(`UPDATE webhook_destinations SET url = 'http://169.254.169.254/latest/meta-data/' WHERE id = $1`, [uuidOf(moved.id)]);
    await makeDue(s.id, '2026-06-01T07:00:00Z');
    await settle();
    expect(receiver.received).toHaveLength(0);
    expect((await deliveries())[0]).toMatchObject({
      destination_id: moved.id, status: 'failed', attempts: 3, last_response_status: null,
      last_error: 'destination refused: 169.254.169.254 resolves to 169.254.169.254, a link-local, metadata or reserved address',
    });
  });

  it('the delivery log pages newest first and filters by status', async () => {
    const all = await deliveries();
    expect(all.length).toBeGreaterThan(2);
    const first = await member.get('/v1/reports/deliveries?limit=2');
    expect(first.body.data).toEqual(all.slice(0, 2));
    expect(first.body.next_cursor).toBe(all[1].id);
    const second = await member.get(`/v1/reports/deliveries?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.data).toEqual(all.slice(2, 4));
    const failed = await member.get('/v1/reports/deliveries?status=failed');
    expect(failed.body).toEqual({ data: all.filter((d) => d.status === 'failed'), next_cursor: null });
    const bad = await member.get('/v1/reports/deliveries?status=lost&limit=0&cursor=x');
    expect({ status: bad.status, errors: bad.body.errors }).toEqual({
      status: 400,
      errors: [
        { pointer: '/query/status', message: 'status must be one of the following values: pending, processing, succeeded, failed', allowed: ['pending', 'processing', 'succeeded', 'failed'] },
        { pointer: '/query/limit', message: 'limit must not be less than 1' },
      ],
    });
    const badCursor = await member.get('/v1/reports/deliveries?cursor=x');
    expect({ status: badCursor.status, errors: badCursor.body.errors }).toEqual({ status: 400, errors: [{ pointer: '/query/cursor', message: 'malformed cursor; pass next_cursor from the previous page' }] });
  });
});
