import { DataSource } from 'typeorm';
import { newPublicId } from '#src/common/ids/public-id.js';
import { RepriceSessionsNoFk1732600000019 } from '#src/database/migrations/1732600000019-reprice-sessions-no-fk.js';
import { OutboxRepository, type ClaimedRow } from '#src/projector/outbox.repository.js';
import { RepriceService } from '#src/projector/reprice.service.js';
import { checkAllRollups } from '#src/projector/rollups/rollup-maintenance.js';
import { client, uuidOf } from '../../support/api.js';
import { iso, session, turnEvent } from '../../support/factories.js';
import { inMigrationTransaction } from '../../support/migration-run.js';
import { startTestApp, type TestApp, type TestKey } from '../../support/test-app.js';
import { BUILTIN, costUnits, sumKnown, toNumber, type OracleGeneration, type OraclePrice } from './cost.oracle.js';

/**
 * SPEC §10 re-pricing as set-based outbox work, step by step (reprice.projection.ts): steps of 4
 * generation facts (and 1 session) here, so a price change takes many steps. The expected state is
 * the oracle's (cost.oracle.ts) for the canonical rows as they are at the end, whatever happened
 * in between: a crash between or inside steps, ingest and projection racing the steps. Rollups
 * always equal their facts (`rollups check`), and another org is never touched.
 */

const STEP = 4;
const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);

describe('re-pricing work: resumable steps, honest freshness, races (SPEC §10)', () => {
  let t: TestApp;
  let a: TestKey;
  let b: TestKey;
  let ds: DataSource;
  let prices: OraclePrice[] = [...BUILTIN];
  beforeAll(async () => {
    t = await startTestApp({ env: { REPORTING_REPRICE_STEP_SIZE: String(STEP) } });
    a = await t.key('reprice-a', 'owner');
    b = await t.key('reprice-b', 'owner');
    ds = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  /** One org's canonical rows, as the oracle prices them. */
  function world() {
    const sessions = [0, 1, 2].map((i) => session({ created_at: iso(T0 + i * 3_600_000) }));
    const turns = sessions.flatMap((s) => [newPublicId('turn'), newPublicId('turn')].map((turn) => ({ s, turn })));
    const events = turns.map(({ s, turn }, i) => turnEvent(s.id, turn, i % 3 === 2 ? 'turn.failed' : 'turn.completed'));
    const models: [string, string][] = [['openai', 'gpt-5'], ['openai', 'gpt-5-mini-2025-08-07'], ['anthropic', 'claude-sonnet-4-5-20250929'], ['openai', 'gpt-99']];
    const gens: (OracleGeneration & Record<string, unknown>)[] = Array.from({ length: 30 }, (_, i) => {
      const { s, turn } = turns[i % turns.length];
      const [provider, model] = models[i % models.length];
      return {
        id: newPublicId('gen'), provider, model, duration_ms: 100,
        session_id: i % 10 === 9 ? null : s.id, turn_id: i % 10 === 9 ? null : turn,
        input_tokens: 1000 + i * 37, output_tokens: 200 + i * 11, cache_read_tokens: i % 3 === 0 ? 500 + i : null,
        cost_usd: i === 13 ? 0.000123456789 : null,
        // Every fourth pair shares an instant: ties of created_at never straddle two steps.
        created_at: iso(T0 + Math.floor(i / 2) * 60_000 + (i % 4 === 0 ? 0 : i * 1000)),
      };
    });
    return { sessions, turns, events, gens };
  }
  const A = world();
  const B = world();

  async function load(key: TestKey, w: ReturnType<typeof world>) {
    const api = client(t, key.key);
    await api.ingest('sessions', w.sessions);
    await api.ingest('events', w.events);
    await api.ingest('llm_generations', w.gens);
    await api.project();
  }

  /** Every generation, turn and session fact of the org as the oracle prices the canonical rows now. */
  async function expectExact(key: TestKey, w: ReturnType<typeof world>, table = prices) {
    const cost = new Map(w.gens.map((g) => [g.id, costUnits(table, g)]));
    const { rows: gens } = await t.db.pool.query(`SELECT source_key, cost_usd::text AS cost FROM fact_llm_generation WHERE org_id = $1 ORDER BY 1`, [key.orgId]);
    expect(gens.map((r) => [r.source_key, r.cost === null ? null : Number(r.cost)])).toEqual(
      [...w.gens].sort((x, y) => (`llm_generation:${x.id}` < `llm_generation:${y.id}` ? -1 : 1)).map((g) => [`llm_generation:${g.id}`, toNumber(cost.get(g.id)!)]));
    const { rows: turns } = await t.db.pool.query(`SELECT source_key, cost_usd::text AS cost FROM fact_turn WHERE org_id = $1`, [key.orgId]);
    expect(new Map(turns.map((r) => [r.source_key, r.cost === null ? null : Number(r.cost)]))).toEqual(new Map(w.events.map((ev) => [
      `event:${ev.id}`, toNumber(sumKnown(w.gens.filter((g) => g.session_id === ev.session_id && g.turn_id === ev.turn_id).map((g) => cost.get(g.id)!))),
    ])));
    const { rows: sessions } = await t.db.pool.query(`SELECT source_key, cost_usd::text AS cost FROM fact_session WHERE org_id = $1`, [key.orgId]);
    expect(new Map(sessions.map((r) => [r.source_key, r.cost === null ? null : Number(r.cost)]))).toEqual(new Map(w.sessions.map((s) => [
      `session:${s.id}`, toNumber(sumKnown(w.gens.filter((g) => g.session_id === s.id).map((g) => cost.get(g.id)!))),
    ])));
    expect((await checkAllRollups(ds)).filter((d) => d.missing + d.extra > 0)).toEqual([]);
  }

  async function createPrice(key: TestKey, body: Record<string, string>): Promise<OraclePrice> {
    const res = await client(t, key.key).post('/v1/reports/prices', body);
    expect(res.status).toBe(201);
    return { id: res.body.id, org: true, provider: body.provider, model: body.model, match: body.match as 'exact' | 'prefix', input: body.input_per_mtok,
      output: body.output_per_mtok, cacheRead: body.input_per_mtok, cacheWrite: body.input_per_mtok, effectiveFrom: res.body.effective_from };
  }

  /** The org's re-pricing row, claimed as a projector worker would claim it. */
  async function claimReprice(orgId: string): Promise<ClaimedRow> {
    const [row] = await ds.transaction((em) => t.app.get(OutboxRepository).claim(em, 1, 60_000, orgId));
    expect(row).toMatchObject({ org_id: orgId, source_type: 'reprice' });
    return row;
  }
  const step = (row: ClaimedRow) => ds.transaction((em) => t.app.get(RepriceService).step(em, row));

  async function asOf(key: TestKey, dataset: string) {
    const res = await client(t, key.key).post('/v1/reports/query', {
      dataset, measures: [dataset === 'tool_calls' ? 'call_count' : 'cost_usd'], time_range: { from: '2026-05-01T00:00:00Z', to: '2026-07-01T00:00:00Z' } });
    expect(res.status).toBe(200);
    return res.body.as_of as string;
  }
  const snapshot = async (orgId: string) => (await t.db.pool.query(
    `SELECT source_key, cost_usd::text, price_id, projected_at FROM fact_llm_generation WHERE org_id = $1
     UNION ALL SELECT source_key, cost_usd::text, NULL, projected_at FROM fact_turn WHERE org_id = $1
     UNION ALL SELECT source_key, cost_usd::text, NULL, projected_at FROM fact_session WHERE org_id = $1 ORDER BY 1`, [orgId])).rows;
  const rollupRows = async (orgId: string) => (await t.db.pool.query(
    `SELECT hour, model, provider, sum_cost_usd::text, if_unpriced_count FROM rollup_llm_generation_hourly WHERE org_id = $1 ORDER BY 1, 2, 3, 4`, [orgId])).rows;

  it('a crash between steps and one inside a step: the work resumes where it was and ends exact; as_of stays at the change meanwhile; another org is untouched', async () => {
    await load(a, A);
    await load(b, B);
    await expectExact(a, A);
    await expectExact(b, B);
    const bBefore = await snapshot(b.orgId);

    const price = await createPrice(a, { provider: 'openai', model: 'gpt-5', match: 'prefix', input_per_mtok: '1.3', output_per_mtok: '7.7', effective_from: iso(T0 + 4 * 60_000) });
    prices = [...prices, price];
    const { rows: [work] } = await t.db.pool.query(`SELECT id, created_at FROM reporting_outbox WHERE org_id = $1 AND source_type = 'reprice' AND status = 'pending'`, [a.orgId]);
    const changedAt = work.created_at.toISOString();
    for (const d of ['llm_generations', 'turns', 'sessions']) expect({ d, as_of: await asOf(a, d) }).toEqual({ d, as_of: changedAt });
    for (const d of ['llm_generations', 'turns', 'sessions']) expect(Date.parse(await asOf(b, d))).toBeGreaterThan(Date.parse(changedAt));
    expect(Date.parse(await asOf(a, 'tool_calls'))).toBeGreaterThan(Date.parse(changedAt));

    // A worker claims the work and commits two steps, then dies.
    const row = await claimReprice(a.orgId);
    expect(await step(row)).toBe('more');
    expect(await step(row)).toBe('more');
    const { rows: [progress] } = await t.db.pool.query(`SELECT generations_from::text, generations_done FROM reporting_reprices WHERE id = $1`, [row.source_id]);
    expect(progress.generations_from).not.toBeNull();
    expect(progress.generations_done).toBe(false);
    // Part of it is written (the first steps' generations), all of it still counted as pending.
    const repriced = (await t.db.pool.query(`SELECT count(*)::int AS n FROM fact_llm_generation WHERE org_id = $1 AND price_id = $2`, [a.orgId, uuidOf(price.id)])).rows[0].n;
    expect(repriced).toBeGreaterThan(0);
    expect(repriced).toBeLessThan(A.gens.filter((g) => g.provider === 'openai' && g.model.startsWith('gpt-5') && g.cost_usd === null && Date.parse(g.created_at) >= Date.parse(price.effectiveFrom)).length);
    for (const d of ['llm_generations', 'turns', 'sessions']) expect({ d, as_of: await asOf(a, d) }).toEqual({ d, as_of: changedAt });
    expect((await checkAllRollups(ds)).filter((d) => d.missing + d.extra > 0)).toEqual([]);

    // A step that dies inside its transaction leaves nothing behind: facts, rollups and progress as they were.
    const [factsMid, rollupsMid] = [await snapshot(a.orgId), await rollupRows(a.orgId)];
    await expect(ds.transaction(async (em) => {
      await t.app.get(RepriceService).step(em, row);
      throw new Error('crash inside the step');
    })).rejects.toThrow('crash inside the step');
    expect(await snapshot(a.orgId)).toEqual(factsMid);
    expect(await rollupRows(a.orgId)).toEqual(rollupsMid);
    expect((await t.db.pool.query(`SELECT generations_from::text, generations_done FROM reporting_reprices WHERE id = $1`, [row.source_id])).rows[0]).toEqual(progress);

    // The dead worker's lease runs out; the next pass claims the row again and finishes from the recorded progress.
    await t.db.pool.query(`UPDATE reporting_outbox SET lease_until = now() - interval '1 second' WHERE id = $1`, [row.id]);
    const run = await client(t, a.key).project();
    expect(run).toEqual({ claimed: 1, completed: 1, failed: 0 });
    const { rows: [finished] } = await t.db.pool.query(`SELECT status, attempts FROM reporting_outbox WHERE id = $1`, [row.id]);
    expect(finished).toEqual({ status: 'completed', attempts: 2 });
    expect((await t.db.pool.query(`SELECT count(*)::int AS n FROM reporting_reprices WHERE id = $1`, [row.source_id])).rows[0].n).toBe(0);
    // Its sessions went with it (migration 19: the finishing statement deletes them, no cascade).
    expect((await t.db.pool.query(`SELECT count(*)::int AS n FROM reporting_reprice_sessions WHERE reprice_id = $1`, [row.source_id])).rows[0].n).toBe(0);
    // The facts the first steps re-priced were not written again.
    const after = new Map((await snapshot(a.orgId)).map((r) => [r.source_key, r]));
    for (const r of factsMid.filter((x) => x.price_id === uuidOf(price.id))) expect(after.get(r.source_key)!.projected_at).toEqual(r.projected_at);
    await expectExact(a, A);
    for (const d of ['llm_generations', 'turns', 'sessions']) expect(Date.parse(await asOf(a, d))).toBeGreaterThan(Date.parse(changedAt));

    // The other org: not one fact rewritten.
    expect(await snapshot(b.orgId)).toEqual(bBefore);
    await expectExact(b, B, BUILTIN);
  });

  it('ingest and projection of affected generations racing the steps end exact (new, changed, and moved into a priced model)', async () => {
    const bBefore = await snapshot(b.orgId);
    const price = await createPrice(a, { provider: 'anthropic', model: 'claude-', match: 'prefix', input_per_mtok: '2.2', output_per_mtok: '11', effective_from: iso(T0) });
    const gone = prices.find((p) => p.org && p.model === 'gpt-5')!;
    const del = await client(t, a.key).delete(`/v1/reports/prices/${gone.id}`);
    expect(del.status).toBe(204);
    prices = [...prices.filter((p) => p !== gone), price];
    const row = await claimReprice(a.orgId);
    expect(await step(row)).toBe('more');

    // While the work is half done: an affected generation already re-priced changes its tokens, one
    // not yet reached changes too, one moves to the newly priced model, and new ones arrive in both
    // halves of the walk; the projector runs at the same time as the remaining steps.
    const api = client(t, a.key);
    const claude = A.gens.filter((g) => g.provider === 'anthropic');
    const early = { ...claude[0], input_tokens: 77_777 };
    const late = { ...claude[claude.length - 1], output_tokens: 12_345 };
    const moved = { ...A.gens.find((g) => g.model === 'gpt-99')!, provider: 'anthropic', model: 'claude-haiku-4-5' };
    const fresh = [0, 25].map((m) => ({
      id: newPublicId('gen'), provider: 'anthropic', model: 'claude-opus-4-1', duration_ms: 50, session_id: A.sessions[1].id, turn_id: A.turns[2].turn,
      input_tokens: 321, output_tokens: 123, cache_read_tokens: null, cost_usd: null, created_at: iso(T0 + m * 60_000 + 500),
    }));
    for (const g of [early, late, moved]) A.gens[A.gens.findIndex((x) => x.id === g.id)] = g;
    A.gens.push(...fresh);
    const steps = (async () => {
      for (let i = 0; i < 200 && (await step(row)) === 'more'; i++);
    })();
    await Promise.all([steps, (async () => {
      await api.ingest('llm_generations', [early, late, moved, ...fresh]);
      await api.project();
    })()]);
    await api.project();
    const { rows: [finished] } = await t.db.pool.query(`SELECT status FROM reporting_outbox WHERE id = $1`, [row.id]);
    expect(finished.status).toBe('completed');
    expect((await t.db.pool.query(`SELECT count(*)::int AS n FROM reporting_outbox WHERE org_id = $1 AND status <> 'completed'`, [a.orgId])).rows[0].n).toBe(0);
    await expectExact(a, A);
    expect(await snapshot(b.orgId)).toEqual(bBefore);
  });

  it('a change while the work is under way joins it: the walk goes back to its effective_from, or starts again once it had finished', async () => {
    const api = client(t, a.key);
    const work = async () => (await t.db.pool.query(
      `SELECT r.id, r.generations_from, r.generations_done, jsonb_array_length(r.changes) AS changes FROM reporting_reprices r WHERE r.org_id = $1`, [a.orgId])).rows;
    const p1 = await createPrice(a, { provider: 'openai', model: 'gpt-5-mini', match: 'prefix', input_per_mtok: '0.3', output_per_mtok: '1.2', effective_from: iso(T0 + 6 * 60_000) });
    const row = await claimReprice(a.orgId);
    expect(await step(row)).toBe('more');
    const [started] = await work();
    expect(started.generations_from.getTime()).toBeGreaterThan(T0 + 6 * 60_000);
    // Earlier than where the walk is: it goes back.
    const p2 = await createPrice(a, { provider: 'openai', model: 'gpt-5-mini-2025-08-07', match: 'exact', input_per_mtok: '0.31', output_per_mtok: '1.3', effective_from: iso(T0 + 60_000) });
    expect(await work()).toEqual([{ ...started, generations_from: new Date(T0 + 60_000), changes: 2 }]);
    // Walk to its end; the sessions are left.
    let steps = 0;
    while ((await work())[0].generations_done === false) {
      expect(await step(row)).toBe('more');
      steps++;
    }
    expect(steps).toBeGreaterThan(1);
    // A change once the walk has finished starts it again from that change's effective_from.
    const p3 = await createPrice(a, { provider: 'anthropic', model: 'claude-sonnet-4-5', match: 'prefix', input_per_mtok: '3.3', output_per_mtok: '0', effective_from: iso(T0 + 12 * 60_000) });
    expect(await work()).toEqual([{ ...started, generations_from: new Date(T0 + 12 * 60_000), generations_done: false, changes: 3 }]);
    prices = [...prices, p1, p2, p3];
    // The dead worker's lease runs out; concurrent passes finish the one row.
    await t.db.pool.query(`UPDATE reporting_outbox SET lease_until = now() - interval '1 second' WHERE id = $1`, [row.id]);
    await Promise.all([api.project(1), api.project(1), api.project(1)]);
    await api.project();
    expect(await work()).toEqual([]);
    expect((await t.db.pool.query(`SELECT count(*)::int AS n FROM reporting_outbox WHERE org_id = $1 AND source_type = 'reprice'`, [a.orgId])).rows[0].n).toBe(3);
    await expectExact(a, A);
  });

  it('migration 19 drops the per-row foreign key of the recorded sessions; its down restores it, leaving out orphans', async () => {
    const fk = async () => (await t.db.pool.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE conname = 'reporting_reprice_sessions_reprice_fkey'`)).rows[0].n;
    expect(await fk()).toBe(0);
    const orphan = '00000000-0000-4000-8000-0000000000aa';
    await t.db.pool.query(`INSERT INTO reporting_reprice_sessions (reprice_id, org_id, session_id) VALUES ($1, $2, $1)`, [orphan, a.orgId]);
    const migration = new RepriceSessionsNoFk1732600000019();
    await inMigrationTransaction(ds, (q) => migration.down(q));
    expect(await fk()).toBe(1);
    expect((await t.db.pool.query(`SELECT count(*)::int AS n FROM reporting_reprice_sessions WHERE reprice_id = $1`, [orphan])).rows[0].n).toBe(0);
    await inMigrationTransaction(ds, (q) => migration.up(q));
    expect(await fk()).toBe(0);
  });
});
