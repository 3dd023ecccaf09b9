import { DataSource } from 'typeorm';
import { DeliveryWorker } from '#src/alerts/deliveries/delivery-worker.service.js';
import { client, uuidOf } from '../../support/api.js';
import { generation } from '../../support/factories.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { startReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';

const SCHEDULES = 12;
const TICKS = 3;
const ALERTS = 12;

describe('two service instances on one database (SPEC §14: one delivery per tick or transition)', () => {
  let a: TestApp;
  let b: TestApp;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    // Both instances run their schedulers (a short interval) against the same database.
    const env = { WEBHOOK_ALLOW_PRIVATE: 'true', REPORTING_DELIVERIES_ENABLED: 'true', REPORTING_DELIVERIES_INTERVAL_MS: '20', DB_POOL_SIZE: '12' };
    a = await startTestApp({ env });
    b = await startTestApp({ env, db: a.db });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await receiver.close();
  });

  it('every schedule tick and every alert transition is delivered exactly once', async () => {
    const owner = client(a, (await a.key('twin', 'owner')).key);
    await owner.ingest('llm_generations', [generation({ created_at: '2026-05-02T10:00:00Z' })]);
    await owner.project();
    const report = (await owner.post('/v1/reports/saved', { name: 'Calls', query: { dataset: 'llm_generations', time_range: { from: '2026-05-01T00:00:00Z', to: '2026-06-01T00:00:00Z' }, measures: ['generation_count'] } })).body;
    const dest = (await owner.post('/v1/reports/destinations', { name: 'receiver', url: receiver.url })).body;
    const sql = (q: string, p: unknown[] = []) => a.app.get(DataSource).query(q, p);

    const schedules: string[] = [];
    for (let i = 0; i < SCHEDULES; i++) {
      schedules.push((await owner.post(`/v1/reports/saved/${report.id}/schedules`, { cron: '0 0 1 1 *', destination_id: dest.id })).body.id);
    }
    // Alerts are due at once on creation and fire at their first evaluation (1 > 0).
    for (let i = 0; i < ALERTS; i++) {
      const res = await owner.post('/v1/reports/alerts', { name: `a${i}`, saved_report_id: report.id, measure: 'generation_count', op: 'gt', threshold: 0, every: '1h', destination_id: dest.id });
      expect(res.status).toBe(201);
    }
    const expected = SCHEDULES * TICKS + ALERTS;
    for (let tick = 0; tick < TICKS; tick++) {
      const at = `2026-05-0${tick + 1}T00:00:00Z`;
      await sql(`UPDATE report_schedules SET next_run_at = $1 WHERE id = ANY($2::uuid[])`, [at, schedules.map(uuidOf)]);
      // Besides both timers, the two workers race each other directly.
      await Promise.all([a.app.get(DeliveryWorker).runOnce(), b.app.get(DeliveryWorker).runOnce(), a.app.get(DeliveryWorker).runOnce(), b.app.get(DeliveryWorker).runOnce()]);
      await receiver.waitFor(SCHEDULES * (tick + 1));
    }
    await receiver.waitFor(expected);
    // Give both timers more passes: nothing more may arrive.
    await Promise.all([a.app.get(DeliveryWorker).runOnce(), b.app.get(DeliveryWorker).runOnce()]);
    await Promise.all([a.app.get(DeliveryWorker).runOnce(), b.app.get(DeliveryWorker).runOnce()]);

    const [{ n, succeeded }] = await sql(`SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'succeeded' AND attempts = 1)::int AS succeeded FROM report_deliveries`);
    expect({ n, succeeded }).toEqual({ n: expected, succeeded: expected });
    expect(receiver.received).toHaveLength(expected);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(expected);
    const ticks = receiver.received
      .map((r) => JSON.parse(r.body))
      .filter((p) => p.type === 'report.scheduled')
      .map((p) => `${p.data.schedule_id}@${p.data.scheduled_for}`);
    expect(new Set(ticks).size).toBe(SCHEDULES * TICKS);
    const fired = receiver.received.map((r) => JSON.parse(r.body)).filter((p) => p.type === 'alert.firing').map((p) => p.data.alert_id);
    expect(new Set(fired).size).toBe(ALERTS);
    expect(fired).toHaveLength(ALERTS);
  });
});
