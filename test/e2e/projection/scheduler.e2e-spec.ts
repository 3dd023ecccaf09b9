import { SchedulerRegistry } from '@nestjs/schedule';
import { OUTBOX_CHANNEL } from '#src/pipeline/pipeline.vocabulary.js';
import { ProjectorService } from '#src/projector/projector.service.js';
import { client } from '../../support/api.js';
import { generation } from '../../support/factories.js';
import { METRICS_TOKEN, startTestApp, type TestApp } from '../../support/test-app.js';
import { until } from '../../support/service.js';

/** The scheduler's LISTEN connections to the test database, by what they last ran. */
const listeners = (t: TestApp) => t.db.pool.query(
  `SELECT state, query FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'factline-projector-listen'`,
).then((r) => r.rows as { state: string; query: string }[]);

describe('scheduled projector (SPEC §5)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // An hour-long interval: after the pass at boot, only a NOTIFY from ingest can wake it.
    t = await startTestApp({ env: { REPORTING_PROJECTOR_ENABLED: 'true', REPORTING_PROJECTOR_INTERVAL_MS: '3600000', REPORTING_OUTBOX_RETENTION_HOURS: '0' } });
  });
  afterAll(() => t.close());

  it('ingest wakes the projector through LISTEN/NOTIFY', async () => {
    const k = await t.key('wake', 'ingest');
    // The wake-up can only come once the scheduler's connection has run its LISTEN.
    await until(() => listeners(t), (rows) => rows.some((r) => r.state === 'idle' && r.query === `LISTEN ${OUTBOX_CHANNEL}`), { everyMs: 20, what: 'LISTEN in place' });
    await client(t, k.key).ingest('llm_generations', [generation(), generation(), generation()]);
    const n = await until(
      async () => (await t.db.pool.query(`SELECT count(*)::int AS n FROM fact_llm_generation WHERE org_id = $1`, [k.orgId])).rows[0].n,
      (v) => v === 3,
    );
    expect(n).toBe(3);
  });

  it('exposes outbox depth, projected rows, batch durations and lag as metrics', async () => {
    const res = await t.http().get('/metrics').set('authorization', `Bearer ${METRICS_TOKEN}`);
    expect(res.text).toMatch(/factline_outbox_rows\{status="completed"\} \d+/);
    expect(res.text).toMatch(/factline_outbox_rows\{status="pending"\} 0/);
    expect(res.text).toMatch(/factline_projector_rows_total\{source_type="llm_generation"\} 3/);
    expect(res.text).toMatch(/factline_projector_batch_duration_seconds_count \d+/);
    expect(res.text).toMatch(/factline_outbox_lag_seconds 0/);
  });

  it('prunes completed rows past the retention period', async () => {
    const before = (await t.db.pool.query(`SELECT count(*)::int AS n FROM reporting_outbox WHERE status = 'completed'`)).rows[0].n;
    expect(before).toBeGreaterThan(0);
    expect(await t.app.get(ProjectorService).prune()).toBe(before);
    expect((await t.db.pool.query(`SELECT count(*)::int AS n FROM reporting_outbox`)).rows[0].n).toBe(0);
  });
});

describe('projector turned off', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REPORTING_PROJECTOR_ENABLED: 'false' } });
  });
  afterAll(() => t.close());

  it('leaves the outbox to manual runs', async () => {
    const k = await t.key('off', 'owner');
    await client(t, k.key).ingest('llm_generations', [generation()]);
    // Nothing that could project it runs: no interval, no LISTEN connection.
    expect(t.app.get(SchedulerRegistry).getIntervals()).toEqual([]);
    expect(await listeners(t)).toEqual([]);
    expect((await t.db.pool.query(`SELECT status FROM reporting_outbox`)).rows).toEqual([{ status: 'pending' }]);
    expect(await client(t, k.key).project()).toEqual({ claimed: 1, completed: 1, failed: 0 });
  });
});
