import { newPublicId } from '#src/common/ids/public-id.js';
import { checkAllRollups } from '#src/projector/rollups/rollup-maintenance.js';
import { DataSource } from 'typeorm';
import { client, uuidOf } from '../../support/api.js';
import { capabilityEvent, session, toolEvent } from '../../support/factories.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const KINDS = ['configured', 'resolved', 'exposed', 'invoked', 'effect_ran'];
type Rec = { id: string; type: string; created_at: string; data: Record<string, unknown> } & Record<string, unknown>;

/** Facts of an org read back directly, keyed by source_key, without bookkeeping columns. */
async function facts(t: TestApp, orgId: string) {
  const { rows } = await t.db.pool.query(`SELECT * FROM fact_capability_usage WHERE org_id = $1 ORDER BY source_key`, [orgId]);
  return rows.map(({ org_id: _o, projected_at: _p, source_updated_at: _s, ...rest }) =>
    Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])),
  );
}

/** The org's hourly rollup rows that hold anything, in key order. */
async function rollupRows(t: TestApp, orgId: string) {
  const { rows } = await t.db.pool.query(
    `SELECT hour, capability, capability_name, kind, tool, row_count::int, sum_duration_ms::int, cnt_duration_ms::int
     FROM rollup_capability_usage_hourly WHERE org_id = $1 AND (row_count <> 0 OR sum_duration_ms <> 0 OR cnt_duration_ms <> 0)
     ORDER BY hour, capability, capability_name NULLS FIRST, kind, tool NULLS FIRST`,
    [orgId],
  );
  return rows.map((r) => ({ ...r, hour: (r.hour as Date).toISOString() }));
}

/** SPEC §6 Rollups, in plain TypeScript: per UTC hour and covered dimensions, the count and the duration's sum and known count. */
function rollupOracle(events: Rec[]) {
  const groups = new Map<string, { hour: string; capability: string; capability_name: string | null; kind: string; tool: string | null; row_count: number; sum_duration_ms: number; cnt_duration_ms: number }>();
  for (const e of events.filter((x) => x.type === 'capability.usage')) {
    const d = e.data as Record<string, unknown>;
    const hour = new Date(Math.floor(Date.parse(e.created_at) / 3_600_000) * 3_600_000).toISOString();
    const key = { hour, capability: d.capability_id as string, capability_name: (d.capability_name ?? null) as string | null, kind: d.kind as string, tool: (d.tool_name ?? null) as string | null };
    const k = JSON.stringify(key);
    const g = groups.get(k) ?? { ...key, row_count: 0, sum_duration_ms: 0, cnt_duration_ms: 0 };
    g.row_count += 1;
    g.sum_duration_ms += (d.duration_ms as number | null | undefined) ?? 0;
    g.cnt_duration_ms += d.duration_ms === null || d.duration_ms === undefined ? 0 : 1;
    groups.set(k, g);
  }
  const cmp = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
  return [...groups.values()].sort((a, b) => cmp(a.hour, b.hour) || cmp(a.capability, b.capability) || cmp(a.capability_name, b.capability_name) || cmp(a.kind, b.kind) || cmp(a.tool, b.tool));
}

async function expectRollupsClean(t: TestApp) {
  const drift = await checkAllRollups(t.app.get(DataSource));
  expect(drift.map(({ dataset, missing, extra }) => ({ dataset, missing, extra }))).toEqual(drift.map(({ dataset }) => ({ dataset, missing: 0, extra: 0 })));
}

describe('capability_usage: ingest, projection, rollup and backfill (SPEC §11, §4–§6)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('checks the data of capability.usage events: every problem of the batch at once, nothing written', async () => {
    const k = await t.key('cap-invalid', 'ingest');
    const sid = newPublicId('session');
    const records = [
      { ...capabilityEvent(sid), data: {} },
      capabilityEvent(sid, {}, { capability_id: '', kind: 'used', capability_name: 5, tool_name: 'x'.repeat(201), duration_ms: -1 }),
      capabilityEvent(sid, {}, { capability_id: 'x'.repeat(201), kind: null, capability_name: 'y'.repeat(201), tool_name: 7, duration_ms: 1.5 }),
      capabilityEvent(sid, {}, { capability_id: 42, duration_ms: 2 ** 53 }),
      { ...capabilityEvent(sid), data: null },
      capabilityEvent(sid, {}, { duration_ms: '12' }),
      // Valid: optional fields absent or null, the longest strings, a zero duration.
      capabilityEvent(sid, {}, { capability_name: null, tool_name: null, duration_ms: null }),
      { ...capabilityEvent(sid), data: { capability_id: 'c'.repeat(200), kind: 'effect_ran', capability_name: 'n'.repeat(200), tool_name: 't'.repeat(200), duration_ms: 0 } },
      // Other types are not checked against capability usage's rules.
      { ...capabilityEvent(sid), type: 'capability.noted', data: { kind: 'whatever', duration_ms: -5 } },
    ];
    const res = await t.http().post('/v1/ingest/events').set('authorization', `Bearer ${k.key}`).send({ records });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe(PROBLEM);
    const needsId = (i: number) => ({ pointer: `/records/${i}/data/capability_id`, message: 'capability.usage needs data.capability_id (a string of 1 to 200 characters)' });
    const needsKind = (i: number) => ({ pointer: `/records/${i}/data/kind`, message: 'capability.usage needs data.kind', allowed: KINDS });
    const str = (i: number, f: string) => ({ pointer: `/records/${i}/data/${f}`, message: `${f} must be a string of at most 200 characters` });
    const count = (i: number) => ({ pointer: `/records/${i}/data/duration_ms`, message: 'duration_ms must be a non-negative integer' });
    expect(res.body.errors).toEqual([
      needsId(0), needsKind(0),
      needsId(1), needsKind(1), str(1, 'capability_name'), str(1, 'tool_name'), count(1),
      needsId(2), needsKind(2), str(2, 'capability_name'), str(2, 'tool_name'), count(2),
      needsId(3), count(3),
      needsId(4), needsKind(4),
      count(5),
    ]);
    expect(res.body.code).toBe('validation_failed');
    expect((await t.db.pool.query(`SELECT count(*)::int AS n FROM events`)).rows[0].n).toBe(0);
    // The valid ones alone are accepted.
    const ok = await t.http().post('/v1/ingest/events').set('authorization', `Bearer ${k.key}`).send({ records: records.slice(6) });
    expect({ status: ok.status, body: ok.body }).toEqual({ status: 200, body: { accepted: 3, enqueued: 2 } });
  });

  it('projects every column; capability usage re-projects no session and counts in none of its numbers', async () => {
    const owner = await t.key('cap-cols', 'owner');
    const api = client(t, owner.key);
    const s = session({ created_at: '2026-05-02T10:00:00Z', app_id: newPublicId('app'), blueprint_id: 'bp-1', principal_id: newPublicId('principal'), harness_id: newPublicId('harness'), harness_name: 'cli' }) as ReturnType<typeof session> & Record<string, string>;
    const turn = newPublicId('turn');
    await api.ingest('sessions', [s]);
    await api.project();
    const full = capabilityEvent(s.id, { turn_id: turn, created_at: '2026-05-02T10:00:05Z' }, { capability_id: 'browse', capability_name: 'Browsing', kind: 'invoked', tool_name: 'web.search', duration_ms: 250 });
    const bare: Rec = { ...capabilityEvent(s.id, { created_at: '2026-05-02T10:00:06Z' }), data: { capability_id: 'files', kind: 'configured' } };
    const orphan = capabilityEvent(newPublicId('session'), { created_at: '2026-05-02T10:00:07Z' }, { kind: 'effect_ran', duration_ms: null });
    // Three events enqueued, and no session (a tool call would have enqueued its session too).
    expect(await api.ingest('events', [full, bare, orphan])).toEqual({ accepted: 3, enqueued: 3 });
    expect(await api.project()).toEqual({ claimed: 3, completed: 3, failed: 0 });

    const attribution = {
      session_id: uuidOf(s.id), user_id: uuidOf(s.user_id), principal_id: uuidOf(s.principal_id as string), agent_id: uuidOf(s.agent_id),
      agent_name: 'Helper', harness_id: uuidOf(s.harness_id as string), harness_name: 'cli', app_id: uuidOf(s.app_id as string), blueprint_id: 'bp-1',
    };
    const none = { user_id: null, principal_id: null, agent_id: null, agent_name: null, harness_id: null, harness_name: null, app_id: null, blueprint_id: null };
    expect(await facts(t, owner.orgId)).toEqual(
      [
        { source_key: `event:${full.id}`, turn_id: uuidOf(turn), ...attribution, capability: 'browse', capability_name: 'Browsing', kind: 'invoked', tool: 'web.search', duration_ms: 250, created_at: '2026-05-02T10:00:05.000Z' },
        { source_key: `event:${bare.id}`, turn_id: null, ...attribution, capability: 'files', capability_name: null, kind: 'configured', tool: null, duration_ms: null, created_at: '2026-05-02T10:00:06.000Z' },
        { source_key: `event:${orphan.id}`, turn_id: null, session_id: uuidOf(orphan.session_id), ...none, capability: 'browse', capability_name: 'Browsing', kind: 'effect_ran', tool: 'web.search', duration_ms: null, created_at: '2026-05-02T10:00:07.000Z' },
      ].sort((a, b) => (a.source_key < b.source_key ? -1 : 1)),
    );
    const { rows } = await t.db.pool.query(`SELECT turn_count::int, tool_call_count::int FROM fact_session WHERE org_id = $1`, [owner.orgId]);
    expect(rows).toEqual([{ turn_count: 0, tool_call_count: 0 }]);
    expect(await rollupRows(t, owner.orgId)).toEqual(rollupOracle([full, bare, orphan]));
    // Through the API, from the rollup.
    const res = await api.post('/v1/reports/query', {
      dataset: 'capability_usage', time_range: { from: '2026-05-02T00:00:00Z', to: '2026-05-03T00:00:00Z' }, dimensions: ['kind'], measures: ['usage_count', 'duration_ms', 'avg_duration_ms'],
    });
    expect(res.body.served_by).toBe('rollup');
    expect(res.body.rows).toEqual([
      { kind: 'configured', usage_count: 1, duration_ms: 0, avg_duration_ms: null },
      { kind: 'effect_ran', usage_count: 1, duration_ms: 0, avg_duration_ms: null },
      { kind: 'invoked', usage_count: 1, duration_ms: 250, avg_duration_ms: 250 },
    ]);
  });

  it('changes move the rollup by their difference; replays change nothing; an event that stops feeding facts leaves', async () => {
    const owner = await t.key('cap-deltas', 'owner');
    const api = client(t, owner.key);
    const s = session({ created_at: '2026-05-03T08:00:00Z' });
    await api.ingest('sessions', [s]);
    const hour = (h: number, m: number) => `2026-05-03T${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00Z`;
    let events: Rec[] = [
      capabilityEvent(s.id, { created_at: hour(8, 5) }, { kind: 'invoked', duration_ms: 100 }),
      capabilityEvent(s.id, { created_at: hour(8, 10) }, { kind: 'invoked', duration_ms: 300 }),
      capabilityEvent(s.id, { created_at: hour(8, 20) }, { kind: 'resolved', tool_name: null, duration_ms: 5 }),
      capabilityEvent(s.id, { created_at: hour(9, 0) }, { capability_id: 'files', capability_name: null, kind: 'exposed', tool_name: null, duration_ms: null }),
      capabilityEvent(s.id, { created_at: hour(9, 30) }, { capability_id: 'files', kind: 'effect_ran', tool_name: 'write_file', duration_ms: 70 }),
    ];
    await api.ingest('events', events);
    await api.project();
    expect(await rollupRows(t, owner.orgId)).toEqual(rollupOracle(events));

    // A replay of every event, and of the outbox: nothing moves.
    expect(await api.ingest('events', events)).toEqual({ accepted: 5, enqueued: 0 });
    await t.db.pool.query(`INSERT INTO reporting_outbox (org_id, source_type, source_id) SELECT org_id, 'event', id FROM events WHERE org_id = $1`, [owner.orgId]);
    expect(await api.project()).toEqual({ claimed: 5, completed: 5, failed: 0 });
    expect(await rollupRows(t, owner.orgId)).toEqual(rollupOracle(events));

    // Changed kind, duration, hour, capability; one becomes another type (its fact and rollup share leave),
    // one turns into a tool call (it moves to tool_calls).
    events = [
      { ...events[0], data: { ...events[0].data, kind: 'effect_ran' } },
      { ...events[1], created_at: hour(10, 15), data: { ...events[1].data, duration_ms: 1000 } },
      { ...events[2], type: 'capability.noted' },
      { ...events[3], data: { ...events[3].data, capability_id: 'browse', duration_ms: 12 } },
      { ...events[4], type: 'tool.completed', data: { tool_name: 'write_file', status: 'success', duration_ms: 70 } },
    ];
    expect(await api.ingest('events', events)).toEqual({ accepted: 5, enqueued: 6 });
    await api.project();
    expect(await rollupRows(t, owner.orgId)).toEqual(rollupOracle(events));
    expect((await facts(t, owner.orgId)).map((f) => f.source_key)).toEqual([events[0], events[1], events[3]].map((e) => `event:${e.id}`).sort());
    const { rows } = await t.db.pool.query(`SELECT count(*)::int AS n FROM fact_tool_call WHERE org_id = $1`, [owner.orgId]);
    expect(rows).toEqual([{ n: 1 }]);

    // A new agent re-attributes the facts (the rollup keeps no agent: it does not move).
    const before = await rollupRows(t, owner.orgId);
    const agent = newPublicId('agent');
    expect(await api.ingest('sessions', [{ ...s, agent_id: agent, agent_name: 'Renamed' }])).toEqual({ accepted: 1, enqueued: 5 });
    await api.project();
    const { rows: agents } = await t.db.pool.query(`SELECT DISTINCT agent_id, agent_name FROM fact_capability_usage WHERE org_id = $1`, [owner.orgId]);
    expect(agents).toEqual([{ agent_id: uuidOf(agent), agent_name: 'Renamed' }]);
    expect(await rollupRows(t, owner.orgId)).toEqual(before);
    await expectRollupsClean(t);
  });

  it('backfill finds capability events whose facts are missing or stale and re-projects them', async () => {
    const owner = await t.key('cap-backfill', 'owner');
    const api = client(t, owner.key);
    const sid = newPublicId('session');
    const events = [capabilityEvent(sid), capabilityEvent(sid, {}, { kind: 'configured' }), toolEvent(sid)];
    await api.ingest('events', events);
    // The outbox rows are lost before anything is projected.
    await t.db.pool.query(`DELETE FROM reporting_outbox WHERE org_id = $1`, [owner.orgId]);
    expect((await api.post('/v1/reports/admin/backfill', {})).body).toEqual({ enqueued: 3, events: 3, llm_generations: 0, sessions: 0, usage_ledger: 0 });
    await api.project();
    expect((await facts(t, owner.orgId)).map((f) => f.source_key)).toEqual([events[0], events[1]].map((e) => `event:${e.id}`).sort());
    expect((await api.post('/v1/reports/admin/backfill', {})).body).toEqual({ enqueued: 0, events: 0, llm_generations: 0, sessions: 0, usage_ledger: 0 });

    // A change that reached the canonical row but not the outbox makes its fact stale.
    await t.db.pool.query(`UPDATE events SET data = data || '{"duration_ms": 999}', updated_at = clock_timestamp() WHERE org_id = $1 AND id = $2`, [owner.orgId, uuidOf(events[0].id)]);
    expect((await api.post('/v1/reports/admin/backfill', {})).body).toEqual({ enqueued: 1, events: 1, llm_generations: 0, sessions: 0, usage_ledger: 0 });
    await api.project();
    const { rows } = await t.db.pool.query(`SELECT duration_ms::int FROM fact_capability_usage WHERE org_id = $1 AND source_key = $2`, [owner.orgId, `event:${events[0].id}`]);
    expect(rows).toEqual([{ duration_ms: 999 }]);
    expect((await api.post('/v1/reports/admin/backfill', {})).body).toEqual({ enqueued: 0, events: 0, llm_generations: 0, sessions: 0, usage_ledger: 0 });
    await expectRollupsClean(t);
  });
});
