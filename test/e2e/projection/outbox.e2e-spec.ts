import { newPublicId } from '#src/common/ids/public-id.js';
import { type ClaimedRow, OutboxRepository } from '#src/projector/outbox.repository.js';
import { ProjectorService } from '#src/projector/projector.service.js';
import { client, uuidOf } from '../../support/api.js';
import { generation, session, toolEvent } from '../../support/factories.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { DataSource } from 'typeorm';

const PROBLEM = 'application/problem+json; charset=utf-8';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function outboxStatuses(t: TestApp, orgId: string) {
  const { rows } = await t.db.pool.query(`SELECT status, count(*)::int AS n FROM reporting_outbox WHERE org_id = $1 GROUP BY status ORDER BY status`, [orgId]);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

describe('poison rows, retry limit and outbox retry (SPEC §5)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REPORTING_OUTBOX_MAX_ATTEMPTS: '3', REPORTING_OUTBOX_BACKOFF_BASE_MS: '1', REPORTING_OUTBOX_BACKOFF_CAP_MS: '5' } });
  });
  afterAll(() => t.close());

  it('a poison row fails alone, ends failed at the retry limit, and retry brings it back', async () => {
    const owner = await t.key('poison', 'owner');
    const api = client(t, owner.key);
    const s = session();
    await api.ingest('sessions', [s]);
    await api.ingest('llm_generations', [generation({ session_id: s.id }), generation(), generation()]);
    // A canonical row that ingest validation would refuse (written by an older version, say):
    // its duration is not a number, so projecting it fails every time.
    const bad = toolEvent(s.id);
    await t.db.pool.query(
      `INSERT INTO events (org_id, id, session_id, type, created_at, data) VALUES ($1, $2, $3, 'tool.completed', now(), $4)`,
      [owner.orgId, uuidOf(bad.id), uuidOf(s.id), { tool_name: 'x', status: 'success', duration_ms: 'abc' }],
    );
    await t.db.pool.query(`INSERT INTO reporting_outbox (org_id, source_type, source_id) VALUES ($1, 'event', $2)`, [owner.orgId, uuidOf(bad.id)]);

    const first = await api.post('/v1/reports/projector/run?limit=100');
    expect(first.body).toEqual({ claimed: 5, completed: 4, failed: 1 });
    expect(Number((await t.db.pool.query(`SELECT count(*) FROM fact_llm_generation WHERE org_id = $1`, [owner.orgId])).rows[0].count)).toBe(3);
    for (let attempt = 2; attempt <= 3; attempt++) {
      await sleep(20);
      expect((await api.post('/v1/reports/projector/run')).body).toEqual({ claimed: 1, completed: 0, failed: 1 });
    }
    await sleep(20);
    expect((await api.post('/v1/reports/projector/run')).body).toEqual({ claimed: 0, completed: 0, failed: 0 });
    expect(await outboxStatuses(t, owner.orgId)).toEqual({ completed: 4, failed: 1 });

    const diag = await api.get('/v1/reports/admin/diagnostics');
    expect(diag.status).toBe(200);
    expect(diag.body.outbox).toEqual({ pending: 0, processing: 0, completed: 4, failed: 1 });
    expect(diag.body.recent_failures).toEqual([
      { id: expect.any(String), source_type: 'event', source_id: bad.id, attempts: 3, last_error: expect.stringContaining('[22P02]'), updated_at: expect.any(String) },
    ]);
    // Failed rows are unprojected: the tool_calls dataset is honestly stale.
    expect(diag.body.datasets.find((d: { dataset: string }) => d.dataset === 'tool_calls').freshness_lag_ms).toBeGreaterThan(0);

    await t.db.pool.query(`UPDATE events SET data = jsonb_set(data, '{duration_ms}', '42') WHERE org_id = $1 AND id = $2`, [owner.orgId, uuidOf(bad.id)]);
    expect((await api.post('/v1/reports/admin/outbox/retry', {})).body).toEqual({ retried: 1 });
    expect((await api.post('/v1/reports/projector/run')).body).toEqual({ claimed: 1, completed: 1, failed: 0 });
    const { rows } = await t.db.pool.query(`SELECT duration_ms FROM fact_tool_call WHERE org_id = $1`, [owner.orgId]);
    expect(rows).toEqual([{ duration_ms: 42 }]);
    expect((await api.post('/v1/reports/admin/outbox/retry', { ids: ['999999'] })).body).toEqual({ retried: 0 });
  });
});

describe('concurrent projectors and crashed workers (SPEC §5)', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp({ env: { REPORTING_OUTBOX_LEASE_MS: '1000' } });
    b = await startTestApp({ db: a.db, env: { REPORTING_OUTBOX_LEASE_MS: '1000' } });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('two services on one database never claim a row twice and end with facts equal to the sources', async () => {
    const keyA = await a.key('busy', 'owner');
    const apiA = client(a, keyA.key);
    const apiB = client(b, keyA.key);
    const sessions = Array.from({ length: 200 }, () => session());
    const gens = sessions.flatMap((s, i) => Array.from({ length: 10 }, (_, j) => generation({ session_id: s.id, input_tokens: i + j, output_tokens: j })));
    await apiA.ingest('sessions', sessions);
    for (let i = 0; i < gens.length; i += 1000) await apiA.ingest('llm_generations', gens.slice(i, i + 1000));
    const total = sessions.length + gens.length;

    const drain = async (api: typeof apiA) => {
      let claimed = 0;
      for (;;) {
        const r = await api.post('/v1/reports/projector/run?limit=97');
        expect(r.status).toBe(200);
        expect(r.body.failed).toBe(0);
        if (r.body.claimed === 0) return claimed;
        claimed += r.body.claimed;
      }
    };
    const [ca, cb] = await Promise.all([drain(apiA), drain(apiB), drain(apiA), drain(apiB)].map((p) => p)).then((xs) => [xs[0] + xs[2], xs[1] + xs[3]]);
    // Every outbox row was claimed exactly once across all four drainers.
    expect(ca + cb).toBe(total);
    expect(await outboxStatuses(a, keyA.orgId)).toEqual({ completed: total });
    const { rows } = await a.db.pool.query(
      `SELECT count(*)::int AS n, sum(input_tokens)::bigint AS input, count(agent_id)::int AS attributed FROM fact_llm_generation WHERE org_id = $1`,
      [keyA.orgId],
    );
    expect(rows[0]).toEqual({ n: gens.length, input: gens.reduce((s, g) => s + (g.input_tokens as number), 0), attributed: gens.length });
  });

  it('a worker killed mid-batch loses nothing: its rows come back when the lease expires', async () => {
    const key = await a.key('crash', 'owner');
    const api = client(a, key.key);
    const gens = Array.from({ length: 20 }, () => generation());
    await api.ingest('llm_generations', gens);
    // The "dead" worker: claims with a 1 s lease and never finishes.
    const ds = a.app.get(DataSource);
    const dead = await ds.transaction((em) => a.app.get(OutboxRepository).claim(em, 50, 1000, key.orgId));
    expect(dead).toHaveLength(20);
    expect((await api.post('/v1/reports/projector/run')).body).toEqual({ claimed: 0, completed: 0, failed: 0 });
    await sleep(1100);
    expect((await api.post('/v1/reports/projector/run')).body).toEqual({ claimed: 20, completed: 20, failed: 0 });
    const { rows } = await a.db.pool.query(`SELECT count(*)::int AS n, max(attempts) AS attempts FROM reporting_outbox WHERE org_id = $1 AND status = 'completed'`, [key.orgId]);
    expect(rows[0]).toEqual({ n: 20, attempts: 2 });
    expect(Number((await a.db.pool.query(`SELECT count(*) FROM fact_llm_generation WHERE org_id = $1`, [key.orgId])).rows[0].count)).toBe(20);
  });

  it('a worker that outlives its lease commits nothing of the batch another worker re-claimed, and the owner completes it', async () => {
    const key = await a.key('slow', 'owner');
    const api = client(a, key.key);
    await api.ingest('llm_generations', Array.from({ length: 20 }, (_, i) => generation({ input_tokens: i })));
    const ds = a.app.get(DataSource);
    const outbox = a.app.get(OutboxRepository);
    // process() is the pass after the claim (runOnce does both at once); called here to put another worker's claim in between.
    const projector = a.app.get(ProjectorService) as unknown as { process(rows: ClaimedRow[]): Promise<{ completed: number; failed: number }> };
    const slow = await ds.transaction((em) => outbox.claim(em, 50, 1000, key.orgId));
    await sleep(1100);
    await ds.transaction((em) => outbox.releaseExpired(em, 8));
    const owner = await ds.transaction((em) => outbox.claim(em, 50, 1000, key.orgId));
    expect([slow.length, owner.length, owner[0].attempts]).toEqual([20, 20, 2]);
    const lost = a.logs.length;
    expect(await projector.process(slow)).toEqual({ completed: 0, failed: 0 });
    expect(a.logs.slice(lost).filter((l) => l.includes('outbox rows lost to another worker'))).toHaveLength(1);
    const facts = async () => (await a.db.pool.query(
      `SELECT (SELECT count(*)::int FROM fact_llm_generation WHERE org_id = $1) AS facts,
              (SELECT coalesce(sum(row_count), 0)::int FROM rollup_llm_generation_hourly WHERE org_id = $1) AS rolled`, [key.orgId])).rows[0];
    expect({ ...(await outboxStatuses(a, key.orgId)), ...(await facts()) }).toEqual({ processing: 20, facts: 0, rolled: 0 });
    expect(await projector.process(owner)).toEqual({ completed: 20, failed: 0 });
    expect({ ...(await outboxStatuses(a, key.orgId)), ...(await facts()) }).toEqual({ completed: 20, facts: 20, rolled: 20 });
  });

  it('a change that lands while its source is in flight is not lost', async () => {
    const key = await a.key('inflight', 'owner');
    const api = client(a, key.key);
    const g = generation({ model: 'old' });
    await api.ingest('llm_generations', [g]);
    const ds = a.app.get(DataSource);
    await ds.transaction((em) => a.app.get(OutboxRepository).claim(em, 10, 1000, key.orgId));
    // While "processing", the source changes: a new pending row is added and not claimed concurrently.
    expect(await api.ingest('llm_generations', [{ ...g, model: 'new' }])).toEqual({ accepted: 1, enqueued: 1 });
    expect((await api.post('/v1/reports/projector/run')).body).toEqual({ claimed: 0, completed: 0, failed: 0 });
    await sleep(1100);
    await api.project();
    const { rows } = await a.db.pool.query(`SELECT model FROM fact_llm_generation WHERE org_id = $1`, [key.orgId]);
    expect(rows).toEqual([{ model: 'new' }]);
  });
});

describe('operator routes: tenant scoping, backfill, permissions (SPEC §5)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it("a projector run and a backfill touch only the caller's org", async () => {
    const a = await t.key('org-a', 'owner');
    const b = await t.key('org-b', 'owner');
    await client(t, a.key).ingest('llm_generations', [generation(), generation()]);
    expect((await client(t, b.key).post('/v1/reports/projector/run')).body).toEqual({ claimed: 0, completed: 0, failed: 0 });
    expect((await client(t, b.key).post('/v1/reports/admin/backfill')).body).toEqual({ enqueued: 0, events: 0, llm_generations: 0, sessions: 0, usage_ledger: 0 });
    expect(await outboxStatuses(t, a.orgId)).toEqual({ pending: 2 });
    expect((await client(t, a.key).post('/v1/reports/projector/run')).body).toEqual({ claimed: 2, completed: 2, failed: 0 });
  });

  it('backfill enqueues missing or stale facts, oldest first, in the order events, sessions, generations, ledger; twice enqueues nothing', async () => {
    const owner = await t.key('backfill', 'owner');
    const api = client(t, owner.key);
    const s = session();
    const ev = toolEvent(s.id, { turn_id: newPublicId('turn') });
    const gens = [generation({ session_id: s.id }), generation(), generation()];
    await api.ingest('sessions', [s]);
    await api.ingest('events', [ev]);
    await api.ingest('llm_generations', gens);
    await api.ingest('usage_ledger', [{ id: newPublicId('ledger'), currency: 'USD', amount: 3, created_at: '2026-05-01T00:00:00Z' }]);
    await api.project();
    expect((await api.post('/v1/reports/admin/backfill')).body).toEqual({ enqueued: 0, events: 0, llm_generations: 0, sessions: 0, usage_ledger: 0 });

    // Lose every fact, and make one session newer than its fact.
    for (const table of ['fact_tool_call', 'fact_llm_generation', 'fact_budget_posting']) await t.db.pool.query(`DELETE FROM ${table} WHERE org_id = $1`, [owner.orgId]);
    await t.db.pool.query(`UPDATE sessions SET updated_at = now() + interval '1 minute' WHERE org_id = $1`, [owner.orgId]);

    const first = await api.post('/v1/reports/admin/backfill', { limit: 3 });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ enqueued: 3, events: 1, llm_generations: 1, sessions: 1, usage_ledger: 0 });
    const { rows } = await t.db.pool.query(`SELECT source_id FROM reporting_outbox WHERE org_id = $1 AND status = 'pending' AND source_type = 'llm_generation'`, [owner.orgId]);
    expect(rows).toEqual([{ source_id: uuidOf(gens[0].id) }]);
    expect((await api.post('/v1/reports/admin/backfill', { limit: 100000 })).body).toEqual({ enqueued: 3, events: 0, llm_generations: 2, sessions: 0, usage_ledger: 1 });
    expect((await api.post('/v1/reports/admin/backfill')).body).toEqual({ enqueued: 0, events: 0, llm_generations: 0, sessions: 0, usage_ledger: 0 });
    await api.project();
    expect((await api.post('/v1/reports/admin/backfill')).body).toEqual({ enqueued: 0, events: 0, llm_generations: 0, sessions: 0, usage_ledger: 0 });
    const counts = await t.db.pool.query(
      `SELECT (SELECT count(*) FROM fact_llm_generation WHERE org_id = $1)::int AS g, (SELECT count(*) FROM fact_tool_call WHERE org_id = $1)::int AS e, (SELECT count(*) FROM fact_budget_posting WHERE org_id = $1)::int AS l`,
      [owner.orgId],
    );
    expect(counts.rows[0]).toEqual({ g: 3, e: 1, l: 1 });
  });

  it.each([
    [{ limit: 0 }, '/limit', 'limit must not be less than 1'],
    [{ limit: 100001 }, '/limit', 'limit must not be greater than 100000'],
    [{ limit: 'many' }, '/limit', 'limit must be an integer number'],
    [{ size: 1 }, '/size', 'unknown field "size"'],
  ])('backfill rejects %j with a 400 naming the field', async (body, pointer, message) => {
    const owner = await t.key('backfill-bad', 'owner');
    const res = await client(t, owner.key).post('/v1/reports/admin/backfill', body);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.body.errors).toContainEqual({ pointer, message });
  });

  it('projector run rejects a limit outside 1–5000', async () => {
    const owner = await t.key('backfill-bad', 'owner');
    for (const limit of ['0', '5001', 'x', '1.5']) {
      const res = await client(t, owner.key).post(`/v1/reports/projector/run?limit=${limit}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors[0].pointer).toBe('/query/limit');
    }
  });

  it.each(['admin', 'member', 'ingest'] as const)('the %s role gets 403 on every operator route', async (role) => {
    const key = await t.key('perms', role);
    for (const [method, path] of [
      ['post', '/v1/reports/projector/run'],
      ['post', '/v1/reports/admin/backfill'],
      ['get', '/v1/reports/admin/diagnostics'],
      ['post', '/v1/reports/admin/outbox/retry'],
    ] as const) {
      const res = await t.http()[method](path).set('authorization', `Bearer ${key.key}`);
      expect({ path, status: res.status, type: res.headers['content-type'], detail: res.body.detail }).toEqual({
        path, status: 403, type: PROBLEM, detail: `This route needs the reports:admin permission, which the ${role} role does not grant.`,
      });
    }
  });
});

describe('ingest validation (SPEC §4)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('a bad record rejects the whole batch with errors at /records/<i>/<field>, writing nothing', async () => {
    const k = await t.key('ingest', 'ingest');
    const res = await t.http().post('/v1/ingest/llm_generations').set('authorization', `Bearer ${k.key}`).send({
      records: [generation(), generation({ id: 'gen_nothex', input_tokens: -1 }), generation({ created_at: '2026-13-01T00:00:00Z', model: '' })],
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.body.errors).toEqual([
      { pointer: '/records/1/id', message: 'id must be a gen_ id (gen_ followed by 32 lowercase hex characters)' },
      { pointer: '/records/1/input_tokens', message: 'input_tokens must be a non-negative integer' },
      { pointer: '/records/2/model', message: 'model must be longer than or equal to 1 characters' },
      { pointer: '/records/2/created_at', message: 'created_at must be an RFC 3339 timestamp with a time zone (e.g. 2026-05-01T12:00:00Z)' },
    ]);
    expect((await t.db.pool.query(`SELECT count(*)::int AS n FROM llm_generations`)).rows[0].n).toBe(0);
  });

  it('checks the data of fact-feeding events', async () => {
    const k = await t.key('ingest', 'ingest');
    const sid = newPublicId('session');
    const res = await t.http().post('/v1/ingest/events').set('authorization', `Bearer ${k.key}`).send({
      records: [toolEvent(sid, {}, { tool_name: undefined, status: 'meh', duration_ms: -3 })],
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { pointer: '/records/0/data/tool_name', message: 'tool.completed needs data.tool_name (a string of 1 to 200 characters)' },
      { pointer: '/records/0/data/status', message: 'tool.completed needs data.status', allowed: ['success', 'error', 'timeout', 'cancelled'] },
      { pointer: '/records/0/data/duration_ms', message: 'duration_ms must be a non-negative integer' },
    ]);
  });

  it('batches hold 1 to 5000 records', async () => {
    const k = await t.key('ingest', 'ingest');
    for (const records of [[], Array.from({ length: 5001 }, () => ({}))]) {
      const res = await t.http().post('/v1/ingest/sessions').set('authorization', `Bearer ${k.key}`).send({ records });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].pointer).toBe('/records');
    }
  });

  it('app runs must name an app of the org and one of its channels', async () => {
    const k = await t.key('ingest', 'admin');
    const other = await t.key('ingest-other', 'admin');
    const app = { id: newPublicId('app'), name: 'Bot', channels: [{ id: newPublicId('appchan'), type: 'slack', name: '#help' }] };
    await client(t, other.key).ingest('apps', [app]);
    const run = { id: newPublicId('apprun'), app_id: app.id, channel_id: app.channels[0].id, status: 'ok', created_at: '2026-05-01T00:00:00Z' };
    const res = await t.http().post('/v1/ingest/app_runs').set('authorization', `Bearer ${k.key}`).send({ records: [run] });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ pointer: '/records/0/app_id', message: `app ${app.id} does not exist (ingest it through POST /v1/ingest/apps first)` }]);
    expect(await client(t, other.key).ingest('app_runs', [run])).toEqual({ accepted: 1, enqueued: 0 });
    const wrongChannel = await t.http().post('/v1/ingest/app_runs').set('authorization', `Bearer ${other.key}`).send({ records: [{ ...run, channel_id: newPublicId('appchan') }] });
    expect(wrongChannel.status).toBe(400);
    expect(wrongChannel.body.errors[0].pointer).toBe('/records/0/channel_id');
  });

  it('the member role cannot ingest', async () => {
    const k = await t.key('ingest', 'member');
    const res = await t.http().post('/v1/ingest/sessions').set('authorization', `Bearer ${k.key}`).send({ records: [session()] });
    expect(res.status).toBe(403);
    expect(res.body.detail).toBe('This route needs the ingest:write permission, which the member role does not grant.');
  });
});
