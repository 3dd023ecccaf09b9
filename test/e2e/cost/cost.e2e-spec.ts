import { newPublicId } from '#src/common/ids/public-id.js';
import { checkAllRollups } from '#src/projector/rollups/rollup-maintenance.js';
import { builtinPriceId, loadBuiltinPrices } from '#src/reporting/prices/builtin-prices.load.js';
import { BUILTIN_PRICES, type BuiltinPrice } from '#src/reporting/prices/builtin-prices.js';
import { toPublicId } from '#src/common/ids/public-id.js';
import { DataSource } from 'typeorm';
import { client, uuidOf } from '../../support/api.js';
import { session, turnEvent } from '../../support/factories.js';
import { startTestApp, type TestApp, type TestKey } from '../../support/test-app.js';
import { applicable, BUILTIN, costUnits, sumKnown, toNumber, type OracleGeneration, type OraclePrice } from './cost.oracle.js';

/**
 * SPEC §10 end to end: generations priced by the built-in table and by org prices, exactly as the
 * oracle (cost.oracle.ts) prices them — in the facts, the turn and session sums, the rollups and
 * the query results — and re-priced, row for row, when org prices are created and deleted.
 */

const RANGE = { from: '2026-04-01T00:00:00Z', to: '2026-06-01T00:00:00Z' };
const TAKEOVER = '2026-05-02T00:00:00.000Z';

describe('cost: prices, cost measures and re-pricing (SPEC §10)', () => {
  let t: TestApp;
  let a: TestKey;
  let b: TestKey;
  let ds: DataSource;
  beforeAll(async () => {
    t = await startTestApp();
    a = await t.key('cost-a', 'owner');
    b = await t.key('cost-b', 'owner');
    ds = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const s1 = session({ created_at: '2026-05-01T09:00:00Z' });
  const s2 = session({ created_at: '2026-05-01T20:00:00Z' });
  const turn1 = newPublicId('turn');
  const turn2 = newPublicId('turn');
  const turn3 = newPublicId('turn');
  const events = [turnEvent(s1.id, turn1), turnEvent(s1.id, turn2, 'turn.failed'), turnEvent(s2.id, turn3)];
  const gen = (over: Partial<OracleGeneration> & { model: string; provider: string; created_at: string }): OracleGeneration & Record<string, unknown> => ({
    id: newPublicId('gen'), input_tokens: 1000, output_tokens: 500, duration_ms: 100, ...over,
  });
  const gens = [
    // Built-in prefix `gpt-5`, cache reads priced at its cache price.
    gen({ session_id: s1.id, turn_id: turn1, model: 'gpt-5', provider: 'openai', cache_read_tokens: 2000, created_at: '2026-05-01T10:00:00Z' }),
    // Built-in prefix with a dated snapshot; cache reads and writes priced.
    gen({ session_id: s1.id, turn_id: turn1, model: 'claude-sonnet-4-5-20250929', provider: 'anthropic', input_tokens: 1234, output_tokens: 777, cache_read_tokens: 3000, cache_creation_tokens: 1500, created_at: '2026-05-01T10:00:01Z' }),
    // The longest built-in prefix wins (gpt-5-mini over gpt-5).
    gen({ session_id: s1.id, turn_id: turn2, model: 'gpt-5-mini-2025-08-07', provider: 'openai', input_tokens: 98765, output_tokens: 4321, created_at: '2026-05-01T11:30:00Z' }),
    // No price at all: unpriced.
    gen({ session_id: s1.id, turn_id: turn2, model: 'my-local-llama', provider: 'ollama', created_at: '2026-05-01T11:31:00Z' }),
    // A reported cost wins over every price.
    gen({ session_id: s1.id, turn_id: turn2, model: 'gpt-5', provider: 'openai', cost_usd: 0.012345678901, created_at: '2026-05-01T11:32:00Z' }),
    // Session-less: priced, but in no turn or session.
    gen({ model: 'gpt-5', provider: 'openai', input_tokens: 7, output_tokens: 3, created_at: '2026-05-01T12:00:00Z' }),
    // Both sides of an org price's effective_from: 1 ms before, at, after.
    gen({ session_id: s2.id, turn_id: turn3, model: 'gpt-5', provider: 'openai', created_at: '2026-05-01T23:59:59.999Z' }),
    gen({ session_id: s2.id, turn_id: turn3, model: 'gpt-5', provider: 'openai', created_at: TAKEOVER }),
    gen({ session_id: s2.id, turn_id: turn3, model: 'gpt-5-mini-2025-08-07', provider: 'openai', created_at: '2026-05-02T08:00:00Z' }),
    // A model no built-in price covers, on a provider that has built-in prices.
    gen({ session_id: s2.id, model: 'gpt-99', provider: 'openai', created_at: '2026-05-02T09:00:00Z' }),
  ];

  /** Expected costs (1e-15 units) under a price set. */
  function expected(prices: OraclePrice[]) {
    const cost = new Map(gens.map((g) => [g.id, costUnits(prices, g)]));
    const price = new Map(gens.map((g) => [g.id, applicable(prices, g)?.id ?? null]));
    const turnCost = (sessionId: string, turnId: string) => sumKnown(gens.filter((g) => g.session_id === sessionId && g.turn_id === turnId).map((g) => cost.get(g.id)!));
    const sessionCost = (sessionId: string) => sumKnown(gens.filter((g) => g.session_id === sessionId).map((g) => cost.get(g.id)!));
    return { cost, price, turnCost, sessionCost };
  }

  async function factRows() {
    const { rows } = await t.db.pool.query(
      `SELECT source_key, cost_usd::text AS cost, price_id, projected_at FROM fact_llm_generation WHERE org_id = $1 ORDER BY source_key`, [a.orgId]);
    return new Map<string, { cost: string | null; price_id: string | null; projected_at: Date }>(rows.map((r) => [r.source_key.slice('llm_generation:'.length), r]));
  }

  async function query(body: Record<string, unknown>) {
    const res = await client(t, a.key).post('/v1/reports/query', { time_range: RANGE, ...body });
    expect(res.status).toBe(200);
    return res.body as { rows: Record<string, unknown>[]; served_by: string };
  }

  /** Facts, turns, sessions, rollup-served and fact-served results all as the oracle says. */
  async function verify(prices: OraclePrice[]) {
    const e = expected(prices);
    const facts = await factRows();
    for (const g of gens) {
      const f = facts.get(g.id)!;
      expect({ id: g.id, cost: f.cost === null ? null : Number(f.cost), price: f.price_id && `price_${f.price_id.replace(/-/g, '')}` })
        .toEqual({ id: g.id, cost: toNumber(e.cost.get(g.id)!), price: e.price.get(g.id) });
    }

    const byModel = new Map<string, bigint[]>();
    for (const g of gens) byModel.set(g.model, [...(byModel.get(g.model) ?? []), ...(e.cost.get(g.id) === null ? [] : [e.cost.get(g.id)!])]);
    const models = [...new Set(gens.map((g) => g.model))].sort();
    const modelRows = models.map((model) => {
      const of = gens.filter((g) => g.model === model);
      const known = of.map((g) => e.cost.get(g.id)!).filter((c): c is bigint => c !== null);
      return { model, cost_usd: toNumber(known.reduce((x, v) => x + v, 0n)), unpriced_count: of.length - known.length, known };
    });
    for (const path of ['rollup', 'facts'] as const) {
      // `agent` is not in the rollup: the same question answered from the facts.
      const r = await query({
        dataset: 'llm_generations', dimensions: path === 'rollup' ? ['model'] : ['model', 'agent'].slice(0, 1), measures: ['cost_usd', 'avg_cost_usd', 'unpriced_count'],
        order_by: [{ dimension: 'model' }], ...(path === 'facts' ? { filters: [{ field: 'agent', op: 'is_null', value: false }, { field: 'model', op: 'neq', value: 'nope' }] } : {}),
      });
      expect(r.served_by).toBe(path);
      const want = path === 'rollup' ? modelRows : models.map((model) => {
        const of = gens.filter((g) => g.model === model && g.session_id);
        const known = of.map((g) => e.cost.get(g.id)!).filter((c): c is bigint => c !== null);
        return { model, cost_usd: toNumber(known.reduce((x, v) => x + v, 0n)), unpriced_count: of.length - known.length, known };
      }).filter((m) => gens.some((g) => g.model === m.model && g.session_id));
      expect(r.rows.map((x) => ({ model: x.model, cost_usd: x.cost_usd, unpriced_count: x.unpriced_count }))).toEqual(
        want.map(({ model, cost_usd, unpriced_count }) => ({ model, cost_usd, unpriced_count })));
      r.rows.forEach((x, i) => {
        const k = want[i].known;
        if (k.length === 0) expect(x.avg_cost_usd).toBeNull();
        else expect(x.avg_cost_usd as number).toBeCloseTo(Number(toNumber(k.reduce((s, v) => s + v, 0n))) / k.length, 15);
      });
    }

    const turns = await query({ dataset: 'turns', dimensions: ['turn'], measures: ['cost_usd'], order_by: [{ dimension: 'turn' }] });
    const turnPairs: [string, string][] = [[s1.id, turn1], [s1.id, turn2], [s2.id, turn3]];
    expect(turns.rows).toEqual(turnPairs.map(([sid, tid]) => ({ turn: tid, cost_usd: toNumber(e.turnCost(sid, tid)) ?? 0 })).sort((x, y) => (x.turn < y.turn ? -1 : 1)));
    const sessions = await query({ dataset: 'sessions', dimensions: ['session'], measures: ['cost_usd'], order_by: [{ dimension: 'session' }] });
    expect(sessions.rows).toEqual([s1.id, s2.id].map((sid) => ({ session: sid, cost_usd: toNumber(e.sessionCost(sid)) ?? 0 })).sort((x, y) => (x.session < y.session ? -1 : 1)));
    const sessionTotal = await query({ dataset: 'sessions', measures: ['cost_usd'] });
    expect(sessionTotal.served_by).toBe('rollup');
    expect(sessionTotal.rows).toEqual([{ cost_usd: toNumber((e.sessionCost(s1.id) ?? 0n) + (e.sessionCost(s2.id) ?? 0n)) }]);
    const turnTotal = await query({ dataset: 'turns', measures: ['cost_usd'] });
    expect(turnTotal.rows).toEqual([{ cost_usd: toNumber(turnPairs.reduce((x, [sid, tid]) => x + (e.turnCost(sid, tid) ?? 0n), 0n)) }]);

    // rollups check: no drift in any dataset.
    expect((await checkAllRollups(ds)).filter((d) => d.missing + d.extra > 0)).toEqual([]);
  }

  /** The org's pending outbox rows, as `type:id`. */
  async function pendingSources(orgId: string) {
    const { rows } = await t.db.pool.query(`SELECT source_type, source_id FROM reporting_outbox WHERE org_id = $1 AND status = 'pending' ORDER BY 1, 2`, [orgId]);
    return rows.map((r) => `${r.source_type}:${r.source_id}`).sort();
  }
  /**
   * A price change enqueues one unit of re-pricing work (SPEC §10, set-based): one `reprice` outbox
   * row carrying the org's changed prices — not a row per generation, turn or session.
   */
  async function expectRepriceWork(orgId: string, priceIds: string[], deleted = false) {
    const { rows } = await t.db.pool.query(
      `SELECT o.source_type, r.org_id, r.changes FROM reporting_outbox o JOIN reporting_reprices r ON r.id = o.source_id
        WHERE o.org_id = $1 AND o.status = 'pending'`, [orgId]);
    expect(rows.map((r) => ({ type: r.source_type, org: r.org_id, prices: r.changes.map((c: { id: string; deleted: boolean }) => [toPublicId('price', c.id), c.deleted]) })))
      .toEqual([{ type: 'reprice', org: orgId, prices: priceIds.map((id) => [id, deleted]) }]);
    expect((await pendingSources(orgId)).length).toBe(1);
  }
  function affectedSources(before: OraclePrice[], after: OraclePrice[]) {
    const eb = expected(before);
    const ea = expected(after);
    const changed = gens.filter((g) => eb.price.get(g.id) !== ea.price.get(g.id));
    const out = new Set<string>();
    for (const g of changed) {
      out.add(`llm_generation:${uuidOf(g.id)}`);
      if (g.session_id) out.add(`session:${uuidOf(g.session_id)}`);
      const turn = events.find((ev) => ev.session_id === g.session_id && ev.turn_id === g.turn_id);
      if (turn) out.add(`event:${uuidOf(turn.id)}`);
    }
    return { sources: [...out].sort(), changed: new Set(changed.map((g) => g.id)) };
  }

  /** projected_at of every generation, turn and session fact of org A, by source key. */
  async function projectedAt() {
    const { rows } = await t.db.pool.query(
      `SELECT source_key, projected_at FROM fact_llm_generation WHERE org_id = $1 UNION ALL SELECT source_key, projected_at FROM fact_turn WHERE org_id = $1
       UNION ALL SELECT source_key, projected_at FROM fact_session WHERE org_id = $1`, [a.orgId]);
    return new Map<string, number>(rows.map((r) => [r.source_key, r.projected_at.getTime()]));
  }

  /**
   * After re-pricing, exactly the affected facts were rewritten: the generations whose price
   * changed, and the turns and sessions whose cost changed — no other fact of the org.
   */
  async function expectRewritten(before: Map<string, number>, prior: OraclePrice[], now: OraclePrice[], changed: Set<string>) {
    const [eb, ea] = [expected(prior), expected(now)];
    const want = [
      ...[...changed].map((id) => `llm_generation:${id}`),
      ...events.filter((ev) => eb.turnCost(ev.session_id, ev.turn_id) !== ea.turnCost(ev.session_id, ev.turn_id)).map((ev) => `event:${ev.id}`),
      ...[s1, s2].filter((s) => eb.sessionCost(s.id) !== ea.sessionCost(s.id)).map((s) => `session:${s.id}`),
    ].sort();
    const after = await projectedAt();
    expect([...after.keys()].filter((k) => after.get(k) !== before.get(k)).sort()).toEqual(want);
  }

  let orgPrices: OraclePrice[] = [];
  const asOracle = (body: Record<string, string>): OraclePrice => ({
    id: body.id, org: true, provider: body.provider, model: body.model, match: body.match as 'exact' | 'prefix',
    input: body.input_per_mtok, output: body.output_per_mtok, cacheRead: body.cache_read_per_mtok, cacheWrite: body.cache_write_per_mtok,
    effectiveFrom: body.effective_from,
  });

  async function createPrice(key: TestKey, body: Record<string, unknown>) {
    const res = await client(t, key.key).post('/v1/reports/prices', body);
    expect(res.status).toBe(201);
    return res.body as Record<string, string>;
  }

  it('built-in prices cost every generation they match; reported costs win; the rest are unpriced', async () => {
    const api = client(t, a.key);
    await api.ingest('sessions', [s1, s2]);
    await api.ingest('events', events);
    await api.ingest('llm_generations', gens);
    await api.project();
    const e = expected(BUILTIN);
    // Sanity of the scenario itself: each case the test claims to cover is covered.
    expect(e.price.get(gens[0].id)).toBe(BUILTIN.find((p) => p.model === 'gpt-5')!.id);
    expect(e.price.get(gens[2].id)).toBe(BUILTIN.find((p) => p.model === 'gpt-5-mini')!.id);
    expect([e.cost.get(gens[3].id), e.cost.get(gens[9].id)]).toEqual([null, null]);
    expect(e.cost.get(gens[4].id)).toBe(12_345_678_901_000n);
    await verify(BUILTIN);
  });

  it('an org price beats the built-in one, a later effective_from takes over at its instant, exact beats prefix', async () => {
    let before = await projectedAt();
    const p1 = await createPrice(a, { provider: 'openai', model: 'gpt-5', match: 'prefix', input_per_mtok: '1.1', output_per_mtok: 9, cache_read_per_mtok: '0.000000001', effective_from: '2026-01-01T00:00:00Z' });
    expect(p1).toEqual({
      id: expect.stringMatching(/^price_[0-9a-f]{32}$/), provider: 'openai', model: 'gpt-5', match: 'prefix', currency: 'USD',
      input_per_mtok: '1.1', output_per_mtok: '9', cache_read_per_mtok: '0.000000001', cache_write_per_mtok: '1.1',
      effective_from: '2026-01-01T00:00:00.000Z', source: 'org', note: null,
    });
    let next = [...orgPrices, asOracle(p1)];
    let aff = affectedSources([...BUILTIN, ...orgPrices], [...BUILTIN, ...next]);
    // The gpt-5 generations (not the one reporting its cost), and the gpt-5-mini ones: the org's
    // prefix comes before the built-in's longer one.
    expect([...aff.changed].sort()).toEqual([0, 2, 5, 6, 7, 8].map((i) => gens[i].id).sort());
    await expectRepriceWork(a.orgId, [p1.id]);
    await client(t, a.key).project();
    await expectRewritten(before, [...BUILTIN, ...orgPrices], [...BUILTIN, ...next], aff.changed);
    expect(await pendingSources(a.orgId)).toEqual([]);
    orgPrices = next;
    await verify([...BUILTIN, ...orgPrices]);

    before = await projectedAt();
    const p2 = await createPrice(a, { provider: 'openai', model: 'gpt-5', match: 'prefix', input_per_mtok: '0.5', output_per_mtok: '4.25', effective_from: TAKEOVER });
    const p3 = await createPrice(a, { provider: 'openai', model: 'gpt-5-mini-2025-08-07', match: 'exact', input_per_mtok: 0.2, output_per_mtok: '1.6', effective_from: '2026-01-01T00:00:00+02:00', note: 'exact snapshot' });
    next = [...orgPrices, asOracle(p2), asOracle(p3)];
    aff = affectedSources([...BUILTIN, ...orgPrices], [...BUILTIN, ...next]);
    const e = expected([...BUILTIN, ...next]);
    expect([e.price.get(gens[6].id), e.price.get(gens[7].id), e.price.get(gens[8].id), e.price.get(gens[2].id)]).toEqual([p1.id, p2.id, p3.id, p3.id]);
    // The second change joins the first's work while no step has started it.
    await expectRepriceWork(a.orgId, [p2.id, p3.id]);
    await client(t, a.key).project();
    await expectRewritten(before, [...BUILTIN, ...orgPrices], [...BUILTIN, ...next], aff.changed);
    orgPrices = next;
    await verify([...BUILTIN, ...orgPrices]);
  });

  it('deleting an org price re-prices exactly what it priced', async () => {
    const p2 = orgPrices.find((p) => p.effectiveFrom === TAKEOVER)!;
    const before = await projectedAt();
    const res = await client(t, a.key).delete(`/v1/reports/prices/${p2.id}`);
    expect(res.status).toBe(204);
    const next = orgPrices.filter((p) => p !== p2);
    const aff = affectedSources([...BUILTIN, ...orgPrices], [...BUILTIN, ...next]);
    expect(aff.changed).toEqual(new Set([gens[7].id]));
    await expectRepriceWork(a.orgId, [p2.id], true);
    // Meanwhile the datasets whose facts it rewrites say they are behind, from the change on (SPEC §6
    // freshness); tool calls, which it does not touch, are not held back.
    const { rows: [{ created }] } = await t.db.pool.query(
      `SELECT created_at AS created FROM reporting_outbox WHERE org_id = $1 AND source_type = 'reprice' AND status = 'pending'`, [a.orgId]);
    for (const dataset of ['llm_generations', 'turns', 'sessions', 'tool_calls']) {
      const stale = await client(t, a.key).post('/v1/reports/query', { time_range: RANGE, dataset, measures: [dataset === 'tool_calls' ? 'call_count' : 'cost_usd'] });
      expect(stale.status).toBe(200);
      if (dataset === 'tool_calls') expect(Date.parse(stale.body.as_of)).toBeGreaterThan(created.getTime());
      else expect({ dataset, as_of: stale.body.as_of }).toEqual({ dataset, as_of: created.toISOString() });
    }
    await client(t, a.key).project();
    await expectRewritten(before, [...BUILTIN, ...orgPrices], [...BUILTIN, ...next], aff.changed);
    orgPrices = next;
    await verify([...BUILTIN, ...orgPrices]);
  });

  it("another org's prices are invisible and without effect", async () => {
    const before = await factRows();
    const theirs = await createPrice(b, { provider: 'openai', model: 'gpt-5', match: 'exact', input_per_mtok: '999', output_per_mtok: '999', effective_from: '2020-01-01T00:00:00Z' });
    expect(await pendingSources(a.orgId)).toEqual([]);
    await expectRepriceWork(b.orgId, [theirs.id]);
    const listed = await client(t, a.key).get('/v1/reports/prices');
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((p: { id: string }) => p.id)).not.toContain(theirs.id);
    expect(listed.body.data.filter((p: { source: string }) => p.source === 'org').map((p: { id: string }) => p.id).sort()).toEqual(orgPrices.map((p) => p.id).sort());
    const del = await client(t, a.key).delete(`/v1/reports/prices/${theirs.id}`);
    expect({ status: del.status, code: del.body.code }).toEqual({ status: 404, code: 'price_not_found' });
    await client(t, a.key).project();
    const after = await factRows();
    expect([...after.entries()].map(([k, v]) => [k, v.cost, v.price_id, v.projected_at.getTime()])).toEqual(
      [...before.entries()].map(([k, v]) => [k, v.cost, v.price_id, v.projected_at.getTime()]));
    await verify([...BUILTIN, ...orgPrices]);
  });

  it('backfill finds facts priced by a price that no longer applies', async () => {
    // A price removed behind the service's back (no re-pricing): its facts are stale now.
    const p1 = orgPrices.find((p) => p.model === 'gpt-5' && p.org)!;
    await t.db.pool.query(`DELETE FROM prices WHERE id = $1`, [uuidOf(p1.id)]);
    orgPrices = orgPrices.filter((p) => p !== p1);
    const stalePriced = gens.filter((g) => expected([...BUILTIN, ...orgPrices, p1]).price.get(g.id) === p1.id);
    expect(stalePriced.length).toBeGreaterThan(0);
    const res = await client(t, a.key).post('/v1/reports/admin/backfill', { limit: 1000 });
    // The stale-priced generations, and the turns and sessions whose cost sums them.
    const sessions = new Set(stalePriced.filter((g) => g.session_id).map((g) => g.session_id));
    const turnEvents = events.filter((ev) => stalePriced.some((g) => g.session_id === ev.session_id && g.turn_id === ev.turn_id));
    expect(sessions.size).toBeGreaterThan(0);
    expect(turnEvents.length).toBeGreaterThan(0);
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: { enqueued: stalePriced.length + sessions.size + turnEvents.length, llm_generations: stalePriced.length, sessions: sessions.size, events: turnEvents.length, usage_ledger: 0 },
    });
    await client(t, a.key).project();
    // Facts, turns, sessions and rollups all as the oracle prices them now; a second backfill finds nothing.
    await verify([...BUILTIN, ...orgPrices]);
    const again = await client(t, a.key).post('/v1/reports/admin/backfill', { limit: 1000 });
    expect(again.body).toEqual({ enqueued: 0, events: 0, llm_generations: 0, sessions: 0, usage_ledger: 0 });
  });
  it('a new built-in version adds rows, never rewrites one, and re-prices what it now covers; loading again adds nothing', async () => {
    const builtinRows = async () => (await t.db.pool.query(
      `SELECT id, provider, model, match, input_per_mtok::text, output_per_mtok::text, cache_read_per_mtok::text, cache_write_per_mtok::text, effective_from, note, source_url, read_at
       FROM prices WHERE org_id IS NULL ORDER BY id`)).rows;
    const before = await builtinRows();
    expect(await loadBuiltinPrices(ds)).toEqual({ added: 0, enqueued: 0 });
    // The next version of the table: a model it did not cover, and a later gpt-5 price (generations on both sides of 11:00).
    const next: BuiltinPrice[] = [
      { provider: 'ollama', model: 'my-local-llama', match: 'exact', input: '0.05', output: '0.1', effectiveFrom: '2026-01-01T00:00:00Z', sourceUrl: 'https://example.com/ollama', readAt: '2026-11' },
      { provider: 'openai', model: 'gpt-5', match: 'prefix', input: '1', output: '8', cacheRead: '0.1', effectiveFrom: '2026-05-01T11:00:00Z', sourceUrl: 'https://openai.com/api/pricing/', readAt: '2026-11' },
    ];
    const added = next.map((p): OraclePrice => ({
      id: toPublicId('price', builtinPriceId(p)), org: false, provider: p.provider, model: p.model, match: p.match,
      input: p.input, output: p.output, cacheRead: p.cacheRead ?? p.input, cacheWrite: p.cacheWrite ?? p.input, effectiveFrom: p.effectiveFrom,
    }));
    const aff = affectedSources([...BUILTIN, ...orgPrices], [...BUILTIN, ...added, ...orgPrices]);
    expect([...aff.changed].sort()).toEqual([3, 5, 6, 7].map((i) => gens[i].id).sort());
    const factsBefore = await projectedAt();
    const { rows: [{ orgs }] } = await t.db.pool.query(`SELECT count(*)::int AS orgs FROM orgs`);
    (BUILTIN_PRICES as BuiltinPrice[]).push(...next);
    try {
      // One unit of re-pricing work per org.
      expect(await loadBuiltinPrices(ds)).toEqual({ added: 2, enqueued: orgs });
      expect(await loadBuiltinPrices(ds)).toEqual({ added: 0, enqueued: 0 });
    } finally {
      (BUILTIN_PRICES as BuiltinPrice[]).splice(-next.length);
    }
    await expectRepriceWork(a.orgId, added.map((p) => p.id).sort());
    const after = await builtinRows();
    expect(after.filter((r) => before.some((b) => b.id === r.id))).toEqual(before);
    expect(after.length).toBe(before.length + 2);
    await client(t, a.key).project();
    await expectRewritten(factsBefore, [...BUILTIN, ...orgPrices], [...BUILTIN, ...added, ...orgPrices], aff.changed);
    await verify([...BUILTIN, ...added, ...orgPrices]);
  });
});
