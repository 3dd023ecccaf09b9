import { newPublicId } from '#src/common/ids/public-id.js';
import { builtinPriceId } from '#src/reporting/prices/builtin-prices.load.js';
import { BUILTIN_PRICES } from '#src/reporting/prices/builtin-prices.js';
import { client, uuidOf } from '../../support/api.js';
import { generation, ledger, session, toolEvent, turnEvent } from '../../support/factories.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const T = (iso: string) => new Date(iso).toISOString();

/** Facts of an org read back directly, keyed by source_key, without bookkeeping columns. */
async function facts(t: TestApp, table: string, orgId: string) {
  const { rows } = await t.db.pool.query(`SELECT * FROM ${table} WHERE org_id = $1 ORDER BY source_key`, [orgId]);
  return rows.map(({ org_id: _o, projected_at: _p, source_updated_at: _s, ...rest }) =>
    Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])),
  );
}

describe('projection: facts derived from canonical sources (SPEC §4–5)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const s: Record<string, unknown> = session({
    status: 'completed',
    created_at: '2026-05-02T10:00:00Z',
    started_at: '2026-05-02T10:00:01Z',
    finished_at: '2026-05-02T10:02:03.500Z',
    agent_name: 'Planner',
    harness_id: newPublicId('harness'),
    harness_name: 'cli',
    app_id: newPublicId('app'),
    blueprint_id: 'bp-7',
    principal_id: newPublicId('principal'),
    input_tokens: 700,
    output_tokens: 300,
    total_tokens: 999,
  });
  const turn = newPublicId('turn');
  const tool1 = toolEvent(s.id as string, { turn_id: turn, created_at: '2026-05-02T10:00:05Z' }, { tool_name: 'web.search', tool_display_name: 'Web search', capability_id: 'browse', status: 'error', duration_ms: 250 });
  const tool2 = toolEvent(s.id as string, { turn_id: turn, created_at: '2026-05-02T10:00:06Z' }, { tool_name: 'calc', status: 'success' });
  const turnDone = turnEvent(s.id as string, turn, 'turn.failed', { duration_ms: 4000, iterations: 3, input_tokens: 70, output_tokens: 30 });
  const chatter = { id: newPublicId('event'), session_id: s.id, type: 'message.created', created_at: '2026-05-02T10:00:07Z', data: { text: 'not projected' } };
  const gen = generation({ session_id: s.id, turn_id: turn, finish_reason: 'stop', input_tokens: 11, output_tokens: 7, cache_read_tokens: 5, cache_creation_tokens: 2, duration_ms: 800, time_to_first_token_ms: 90, error: true, created_at: '2026-05-02T10:00:08Z' });
  const orphan = generation({ model: 'claude', provider: 'anthropic', created_at: '2026-05-02T10:00:09Z' });
  const debit: Record<string, unknown> = ledger({ session_id: s.id, budget_id: newPublicId('budget'), subject_type: 'agent', subject_id: 'a-1', meter_source: 'llm', ref_type: 'generation', amount: 2.125, created_at: '2026-05-02T10:00:10Z' });
  const credit = ledger({ amount: -0.5, currency: 'EUR', created_at: '2026-05-02T10:00:11Z' });

  it('projects every fact column from the records sent', async () => {
    const owner = await t.key('cols', 'owner');
    const api = client(t, owner.key);
    expect(await api.ingest('sessions', [s])).toEqual({ accepted: 1, enqueued: 1 });
    // The three fact-feeding events; their session is already pending, the chatter is stored only.
    expect(await api.ingest('events', [tool1, tool2, turnDone, chatter])).toEqual({ accepted: 4, enqueued: 3 });
    expect(await api.ingest('llm_generations', [gen, orphan])).toEqual({ accepted: 2, enqueued: 2 });
    expect(await api.ingest('usage_ledger', [debit, credit])).toEqual({ accepted: 2, enqueued: 2 });
    expect(await api.project()).toEqual({ claimed: 8, completed: 8, failed: 0 });

    const attribution = {
      session_id: uuidOf(s.id as string), user_id: uuidOf(s.user_id as string), principal_id: uuidOf(s.principal_id as string),
      agent_id: uuidOf(s.agent_id as string), agent_name: 'Planner', harness_id: uuidOf(s.harness_id as string), harness_name: 'cli',
      app_id: uuidOf(s.app_id as string), blueprint_id: 'bp-7',
    };
    // SPEC §10: gpt-5 at the built-in price (1.25 in, 10 out, 0.125 cache read, cache writes as input):
    // 11 × 1.25 + 7 × 10 + 5 × 0.125 + 2 × 1.25 = 86.875 per million.
    const gpt5 = builtinPriceId(BUILTIN_PRICES.find((p) => p.provider === 'openai' && p.model === 'gpt-5')!);
    const cost = 0.000086875;
    const none = { session_id: null, user_id: null, principal_id: null, agent_id: null, agent_name: null, harness_id: null, harness_name: null, app_id: null, blueprint_id: null };

    expect(await facts(t, 'fact_session', owner.orgId)).toEqual([
      { source_key: `session:${s.id}`, ...attribution, status: 'completed', duration_ms: 122_500, turn_count: 1, tool_call_count: 2, input_tokens: 700, output_tokens: 300, total_tokens: 1000, cost_usd: cost, created_at: T('2026-05-02T10:00:00Z') },
    ]);
    expect(await facts(t, 'fact_tool_call', owner.orgId)).toEqual(
      [
        { source_key: `event:${tool1.id}`, turn_id: uuidOf(turn), ...attribution, tool: 'web.search', tool_display_name: 'Web search', capability: 'browse', status: 'error', duration_ms: 250, created_at: T('2026-05-02T10:00:05Z') },
        { source_key: `event:${tool2.id}`, turn_id: uuidOf(turn), ...attribution, tool: 'calc', tool_display_name: null, capability: null, status: 'success', duration_ms: 120, created_at: T('2026-05-02T10:00:06Z') },
      ].sort((a, b) => (a.source_key < b.source_key ? -1 : 1)),
    );
    expect(await facts(t, 'fact_turn', owner.orgId)).toEqual([
      { source_key: `event:${turnDone.id}`, turn_id: uuidOf(turn), ...attribution, status: 'failed', duration_ms: 4000, iterations: 3, tool_call_count: 2, input_tokens: 70, output_tokens: 30, total_tokens: 100, cost_usd: cost, created_at: turnDone.created_at },
    ]);
    expect(await facts(t, 'fact_llm_generation', owner.orgId)).toEqual(
      [
        { source_key: `llm_generation:${gen.id}`, turn_id: uuidOf(turn), ...attribution, model: 'gpt-5', provider: 'openai', finish_reason: 'stop', input_tokens: 11, output_tokens: 7, cache_read_tokens: 5, cache_creation_tokens: 2, total_tokens: 25, duration_ms: 800, time_to_first_token_ms: 90, is_error: true, cost_usd: cost, price_id: gpt5, created_at: T('2026-05-02T10:00:08Z') },
        { source_key: `llm_generation:${orphan.id}`, turn_id: null, ...none, model: 'claude', provider: 'anthropic', finish_reason: null, input_tokens: 10, output_tokens: 5, cache_read_tokens: null, cache_creation_tokens: null, total_tokens: 15, duration_ms: 300, time_to_first_token_ms: null, is_error: false, cost_usd: null, price_id: null, created_at: T('2026-05-02T10:00:09Z') },
      ].sort((a, b) => (a.source_key < b.source_key ? -1 : 1)),
    );
    expect(await facts(t, 'fact_budget_posting', owner.orgId)).toEqual(
      [
        { source_key: `usage_ledger:${debit.id}`, ...attribution, budget_id: uuidOf(debit.budget_id as string), subject_type: 'agent', subject_id: 'a-1', currency: 'USD', meter_source: 'llm', ref_type: 'generation', amount: 2.125, created_at: T('2026-05-02T10:00:10Z') },
        { source_key: `usage_ledger:${credit.id}`, ...none, budget_id: null, subject_type: null, subject_id: null, currency: 'EUR', meter_source: null, ref_type: null, amount: -0.5, created_at: T('2026-05-02T10:00:11Z') },
      ].sort((a, b) => (a.source_key < b.source_key ? -1 : 1)),
    );
  });

  it('replay and out-of-order delivery give identical facts; unchanged re-sends enqueue nothing', async () => {
    const a = await t.key('cols', 'owner');
    const b = await t.key('replay', 'owner');
    const api = client(t, b.key);
    // Children first, session last, events reversed; then everything again.
    await api.ingest('usage_ledger', [credit, debit]);
    await api.ingest('llm_generations', [orphan, gen]);
    await api.project();
    await api.ingest('events', [chatter, turnDone, tool2, tool1]);
    await api.project();
    // The session, plus everything hanging off it: its generation, its debit and its three events.
    expect(await api.ingest('sessions', [s])).toEqual({ accepted: 1, enqueued: 6 });
    await api.project();
    for (const [source, records] of [['sessions', [s]], ['events', [tool1, tool2, turnDone, chatter]], ['llm_generations', [gen, orphan]], ['usage_ledger', [debit, credit]]] as const) {
      expect(await api.ingest(source, [...records])).toEqual({ accepted: records.length, enqueued: 0 });
    }
    // Replaying the outbox itself (backfill of everything again) changes nothing either.
    await t.db.pool.query(`INSERT INTO reporting_outbox (org_id, source_type, source_id) SELECT org_id, 'llm_generation', id FROM llm_generations WHERE org_id = $1`, [b.orgId]);
    await api.project();
    for (const table of ['fact_session', 'fact_tool_call', 'fact_turn', 'fact_llm_generation', 'fact_budget_posting']) {
      expect({ table, rows: await facts(t, table, b.orgId) }).toEqual({ table, rows: await facts(t, table, a.orgId) });
    }
  });
});

describe('re-attribution (SPEC §4)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('a late-arriving session re-attributes its generations, and a changed agent re-projects them again', async () => {
    const owner = await t.key('late', 'owner');
    const api = client(t, owner.key);
    const sid = newPublicId('session');
    const gens = [generation({ session_id: sid }), generation({ session_id: sid })];
    await api.ingest('llm_generations', gens);
    await api.project();
    const agentOf = async () => (await t.db.pool.query(`SELECT DISTINCT agent_id, agent_name FROM fact_llm_generation WHERE org_id = $1`, [owner.orgId])).rows;
    expect(await agentOf()).toEqual([{ agent_id: null, agent_name: null }]);

    const s = session({ id: sid, agent_name: 'First' });
    expect(await api.ingest('sessions', [s])).toEqual({ accepted: 1, enqueued: 3 });
    await api.project();
    expect(await agentOf()).toEqual([{ agent_id: uuidOf(s.agent_id as string), agent_name: 'First' }]);

    // A status change alone does not re-project the generations; an attribution change does.
    expect(await api.ingest('sessions', [{ ...s, status: 'failed' }])).toEqual({ accepted: 1, enqueued: 1 });
    await api.project();
    const moved = { ...s, status: 'failed', agent_id: newPublicId('agent'), agent_name: 'Second' };
    expect(await api.ingest('sessions', [moved])).toEqual({ accepted: 1, enqueued: 3 });
    await api.project();
    expect(await agentOf()).toEqual([{ agent_id: uuidOf(moved.agent_id), agent_name: 'Second' }]);
  });
});
