import { newPublicId } from '#src/common/ids/public-id.js';
import { client, uuidOf } from '../../support/api.js';
import { generation, session, toolEvent, turnEvent } from '../../support/factories.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const NONE = { enqueued: 0, events: 0, llm_generations: 0, sessions: 0, usage_ledger: 0 };
const gens = (n: number) => ({ enqueued: n, events: 0, llm_generations: n, sessions: 0, usage_ledger: 0 });

/**
 * SPEC §5 backfill is resumable: a call continues after the last row the previous one picked
 * (reporting_backfill_positions), and one that does not fill its limit has gone round every row.
 * These tests tell that walk apart from a stateless "oldest missing first" by losing facts behind
 * the position.
 */
describe('backfill resumes where the previous call stopped (SPEC §5)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  /** An org with `n` projected generations, oldest first; returns its client, org id and the generations' ids. */
  async function orgWithGenerations(slug: string, n: number) {
    const owner = await t.key(slug, 'owner');
    const api = client(t, owner.key);
    const records = Array.from({ length: n }, () => generation());
    await api.ingest('llm_generations', records);
    await api.project();
    return { api, orgId: owner.orgId, ids: records.map((g) => uuidOf(g.id)), records };
  }
  const loseFacts = (orgId: string, ids: string[]) =>
    t.db.pool.query(`DELETE FROM fact_llm_generation WHERE org_id = $1 AND source_key = ANY($2)`, [
      orgId, ids.map((id) => `llm_generation:gen_${id.replaceAll('-', '')}`),
    ]);
  const pending = async (orgId: string) =>
    (await t.db.pool.query(`SELECT source_id FROM reporting_outbox WHERE org_id = $1 AND status = 'pending' ORDER BY source_id`, [orgId])).rows.map((r) => r.source_id);
  const position = async (orgId: string) =>
    (await t.db.pool.query(`SELECT source_type, id::text FROM reporting_backfill_positions WHERE org_id = $1`, [orgId])).rows[0] ?? null;

  it('continues after its position, finds rows behind it when the walk comes round, then starts over', async () => {
    const { api, orgId, ids } = await orgWithGenerations('resume', 5);
    const other = await orgWithGenerations('resume-other', 3);
    await loseFacts(orgId, ids);

    expect((await api.post('/v1/reports/admin/backfill', { limit: 2 })).body).toEqual(gens(2));
    expect(await pending(orgId)).toEqual([ids[0], ids[1]].sort());
    expect(await position(orgId)).toEqual({ source_type: 'llm_generation', id: ids[1] });
    await api.project();
    expect(await pending(orgId)).toEqual([]);

    // Another org's backfill has its own position and leaves this one alone.
    await loseFacts(other.orgId, other.ids);
    expect((await other.api.post('/v1/reports/admin/backfill', { limit: 1 })).body).toEqual(gens(1));
    expect(await pending(other.orgId)).toEqual([other.ids[0]]);

    // The oldest generation loses its fact again, behind the position: the walk goes on after it.
    await loseFacts(orgId, [ids[0]]);
    expect((await api.post('/v1/reports/admin/backfill', { limit: 2 })).body).toEqual(gens(2));
    expect(await pending(orgId)).toEqual([ids[2], ids[3]].sort());
    expect(await position(orgId)).toEqual({ source_type: 'llm_generation', id: ids[3] });

    // A call that does not fill its limit wraps round to the start: the oldest is found, the position cleared.
    expect((await api.post('/v1/reports/admin/backfill', { limit: 10 })).body).toEqual(gens(2));
    expect(await pending(orgId)).toEqual([ids[0], ids[2], ids[3], ids[4]].sort());
    expect(await position(orgId)).toEqual({ source_type: null, id: null });
    expect((await api.post('/v1/reports/admin/backfill')).body).toEqual(NONE);
    expect(await pending(other.orgId)).toEqual([other.ids[0]]);
  });

  it('a short call covers every row even when an old position was left in the middle', async () => {
    const { api, orgId, ids } = await orgWithGenerations('old-position', 6);
    await loseFacts(orgId, [ids[3]]);
    expect((await api.post('/v1/reports/admin/backfill', { limit: 1 })).body).toEqual(gens(1));
    expect(await position(orgId)).toEqual({ source_type: 'llm_generation', id: ids[3] });
    await api.project();

    // Every fact is lost later; one call with room for all of them finds all of them.
    await loseFacts(orgId, ids);
    expect((await api.post('/v1/reports/admin/backfill', { limit: 100 })).body).toEqual(gens(6));
    expect(await pending(orgId)).toEqual([...ids].sort());
    await api.project();
    const { rows } = await t.db.pool.query(`SELECT count(*)::int AS n FROM fact_llm_generation WHERE org_id = $1`, [orgId]);
    expect(rows).toEqual([{ n: 6 }]);
  });

  it('skips rows already waiting, whether they come one by one or most of a range, and enqueues the rest oldest first', async () => {
    const { api, orgId, ids, records } = await orgWithGenerations('waiting', 8);
    await loseFacts(orgId, ids);
    // Generations 1, 3, 5, 7 change: pending already. 2, 4, 6, 8 are not.
    const changed = [0, 2, 4, 6].map((i) => ({ ...records[i], model: 'gpt-5-mini' }));
    expect(await api.ingest('llm_generations', changed)).toEqual({ accepted: 4, enqueued: 4 });

    expect((await api.post('/v1/reports/admin/backfill', { limit: 2 })).body).toEqual(gens(2));
    expect(await pending(orgId)).toEqual([ids[0], ids[1], ids[2], ids[3], ids[4], ids[6]].sort());
    expect((await api.post('/v1/reports/admin/backfill', { limit: 10 })).body).toEqual(gens(2));
    expect(await pending(orgId)).toEqual([...ids].sort());
    expect((await api.post('/v1/reports/admin/backfill', { limit: 10 })).body).toEqual(NONE);

    // Everything waiting (a finished backfill run again): nothing new, in either walk.
    expect((await api.post('/v1/reports/admin/backfill', { limit: 1 })).body).toEqual(NONE);
    expect(await position(orgId)).toEqual({ source_type: null, id: null });
  });

  it('concurrent calls of one org: every row enqueued once, totals exact, nothing left behind', async () => {
    const { api, orgId, ids } = await orgWithGenerations('concurrent', 20);
    await loseFacts(orgId, ids);
    const results = await Promise.all(Array.from({ length: 6 }, () => api.post('/v1/reports/admin/backfill', { limit: 5 })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(results.map((r) => r.body.enqueued).sort()).toEqual([0, 0, 5, 5, 5, 5]);
    expect(await pending(orgId)).toEqual([...ids].sort());
    expect((await api.post('/v1/reports/admin/backfill', { limit: 100 })).body).toEqual(NONE);
    const { rows } = await t.db.pool.query(`SELECT count(*)::int AS n FROM reporting_outbox WHERE org_id = $1 AND status = 'pending'`, [orgId]);
    expect(rows).toEqual([{ n: 20 }]);
  });

  it('does not deadlock with an ingest enqueuing the same sources in its own key order', async () => {
    const owner = await t.key('backfill-ingest', 'owner');
    const api = client(t, owner.key);
    const s = session();
    const g = generation({ session_id: s.id });
    await api.ingest('sessions', [s]);
    await api.ingest('llm_generations', [g]);
    await api.project();
    await t.db.pool.query(`DELETE FROM fact_session WHERE org_id = $1`, [owner.orgId]);
    await loseFacts(owner.orgId, [uuidOf(g.id)]);

    // An ingest's transaction enqueues in (source_type, source_id) order: the generation first...
    const ingest = await t.db.pool.connect();
    const enqueue = (type: string, id: string) => ingest.query(
      `INSERT INTO reporting_outbox (org_id, source_type, source_id) VALUES ($1, $2, $3) ON CONFLICT (org_id, source_type, source_id) WHERE status = 'pending' DO NOTHING`,
      [owner.orgId, type, id],
    );
    try {
      await ingest.query('BEGIN');
      await enqueue('llm_generation', uuidOf(g.id));
      // ...while the backfill walks sessions, then generations, and waits on the ingest's generation row.
      const call = api.post('/v1/reports/admin/backfill', { limit: 10 }).then((r) => r);
      for (let i = 0; ; i++) {
        const { rows } = await t.db.pool.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database() AND pid <> $1`, [(ingest as unknown as { processID: number }).processID]);
        if (rows.length > 0) break;
        if (i > 200) throw new Error('the backfill never waited on the ingest');
        await new Promise((r) => setTimeout(r, 25));
      }
      // The ingest then enqueues the session: the backfill's session row must not be held uncommitted.
      await enqueue('session', uuidOf(s.id));
      await ingest.query('COMMIT');
      const res = await call;
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { enqueued: 1, events: 0, llm_generations: 0, sessions: 1, usage_ledger: 0 } });
    } finally {
      await ingest.query('ROLLBACK').catch(() => undefined);
      ingest.release();
    }
    expect((await t.db.pool.query(`SELECT source_type FROM reporting_outbox WHERE org_id = $1 AND status = 'pending' ORDER BY source_type`, [owner.orgId])).rows)
      .toEqual([{ source_type: 'llm_generation' }, { source_type: 'session' }]);
  });

  it('events: a tool call changed behind its facts makes its own fact, its turn and its session stale; a turn without tool calls is not', async () => {
    const owner = await t.key('backfill-events', 'owner');
    const api = client(t, owner.key);
    const s = session();
    const turn = newPublicId('turn');
    const tool = toolEvent(s.id, { turn_id: turn });
    const done = turnEvent(s.id, turn);
    const lone = turnEvent(s.id, newPublicId('turn'), 'turn.failed');
    const untracked = toolEvent(s.id); // no turn
    await api.ingest('sessions', [s]);
    await api.ingest('events', [tool, done, lone, untracked]);
    await api.project();
    expect((await api.post('/v1/reports/admin/backfill')).body).toEqual(NONE);

    // The tool call changes without passing through ingest (no outbox row): a newer source than its facts.
    await t.db.pool.query(`UPDATE events SET updated_at = now() + interval '1 minute' WHERE org_id = $1 AND id = $2`, [owner.orgId, uuidOf(tool.id)]);
    // The events use up the budget: the session comes in the next call.
    expect((await api.post('/v1/reports/admin/backfill', { limit: 2 })).body).toEqual({ enqueued: 2, events: 2, llm_generations: 0, sessions: 0, usage_ledger: 0 });
    const waiting = await pending(owner.orgId);
    expect(waiting).toEqual([uuidOf(tool.id), uuidOf(done.id)].sort());
    expect((await api.post('/v1/reports/admin/backfill', { limit: 2 })).body).toEqual({ enqueued: 1, events: 0, llm_generations: 0, sessions: 1, usage_ledger: 0 });
    expect((await api.post('/v1/reports/admin/backfill', { limit: 2 })).body).toEqual(NONE);
    await api.project();
    expect((await api.post('/v1/reports/admin/backfill')).body).toEqual(NONE);
  });

  it('keeps its position to the microsecond and walks rows of one instant by id', async () => {
    const owner = await t.key('backfill-instant', 'owner');
    const api = client(t, owner.key);
    const at = '2026-03-01T12:00:00.123456Z';
    const records = Array.from({ length: 4 }, () => generation({ created_at: at }));
    await api.ingest('llm_generations', records);
    await api.project();
    const ids = records.map((g) => uuidOf(g.id)).sort();
    await loseFacts(owner.orgId, ids);
    for (const id of ids) {
      expect((await api.post('/v1/reports/admin/backfill', { limit: 1 })).body).toEqual(gens(1));
      const { rows } = await t.db.pool.query(
        `SELECT p.id::text, p.created_at = g.created_at AS exact, to_char(p.created_at AT TIME ZONE 'UTC', 'HH24:MI:SS.US') AS time
           FROM reporting_backfill_positions p JOIN llm_generations g ON g.org_id = p.org_id AND g.id = p.id WHERE p.org_id = $1`,
        [owner.orgId],
      );
      expect(rows).toEqual([{ id, exact: true, time: '12:00:00.123456' }]);
    }
    expect(await pending(owner.orgId)).toEqual(ids);
    expect((await api.post('/v1/reports/admin/backfill', { limit: 1 })).body).toEqual(NONE);
  });
});
