import { DataSource } from 'typeorm';
import { client } from '../support/api.js';
import { sleep, startService, until, type ServiceProcess } from '../support/service.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { batches, finalState, makeChanges, makeWorkload, SOURCES } from './workload.js';
import { outboxCounts, rollupDrift } from './checks.js';
import { compareFacts } from './oracle.js';

interface InFlight {
  id: string;
  attempts: number;
  lease_until: Date;
}

/**
 * SPEC §5 crash recovery: the service is SIGKILLed twice in the middle of projection batches (a
 * claimed batch in flight, other rows already completed) and restarted. Rows the dead process
 * held stay `processing` until their lease (1 s) expires, then another pass re-claims them; no
 * change is lost (facts equal the oracle's) and none is counted twice (rollups equal their facts).
 */
describe('crash recovery: SIGKILL mid-batch, restart (SPEC §5)', () => {
  let t: TestApp;
  let service: ServiceProcess | undefined;
  const env = () => ({
    DATABASE_URL: t.db.url,
    REPORTING_PROJECTOR_ENABLED: 'true',
    REPORTING_PROJECTOR_INTERVAL_MS: '20',
    // One loop of small batches: a pass takes long enough that a kill lands while a batch of
    // this process is in flight and an earlier one has completed (with the default two loops
    // of large batches the backlog can drain between two polls).
    REPORTING_PROJECTOR_WORKERS: '1',
    REPORTING_PROJECTOR_BATCH_SIZE: '1000',
    REPORTING_OUTBOX_LEASE_MS: '1000',
  });

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await service?.kill();
    await t.close();
  });

  /** Rows in flight right now (claimed, not finished). */
  async function inFlight(): Promise<InFlight[]> {
    const { rows } = await t.db.pool.query(`SELECT id::text, attempts, lease_until FROM reporting_outbox WHERE status = 'processing' ORDER BY id`);
    return rows;
  }

  /**
   * Starts the service and SIGKILLs it as soon as it has a batch of its own in flight (rows held by
   * an earlier, dead process do not count) and has completed something. Returns every row in
   * flight at the kill. The poll and the kill are not atomic: if the batch finished in between,
   * that round is repeated (bounded), so every kill counted hit a batch in flight.
   */
  async function killMidBatch(earlier: InFlight[]): Promise<InFlight[]> {
    const before = (await outboxCounts(t.db.pool)).completed;
    const stale = new Set(earlier.map((r) => r.id));
    for (let round = 0; round < 10; round++) {
      service = await startService(env());
      const probe = async () => {
        const held = await inFlight();
        const c = await outboxCounts(t.db.pool);
        return { own: held.filter((r) => !stale.has(r.id)).length, completed: c.completed, open: c.pending + c.processing };
      };
      const seen = await until(probe, (p) => (p.own > 0 && p.completed > before) || p.open === 0, { everyMs: 5, tries: 20_000, what: 'a batch in flight' });
      await service.kill();
      service = undefined;
      if (seen.open === 0) throw new Error('the backlog drained before a kill landed mid-batch');
      const held = await inFlight();
      if (held.some((r) => !stale.has(r.id))) return held;
    }
    throw new Error('no kill landed mid-batch in 10 rounds');
  }

  it('two SIGKILLs mid-batch: after the lease the held rows are re-claimed once, facts and rollups exact, nothing pending', async () => {
    const owner = await t.key('crash', 'owner');
    const api = client(t, owner.key);
    const first = makeWorkload(300, { sessions: 700, generationsPerSession: 6, ledgerPerSession: 2 });
    const second = makeChanges(301, first);
    // The backlog is written while no projector runs (the in-process app has its schedule off).
    for (const wave of [first, second]) for (const source of SOURCES) for (const batch of batches(source, wave[source], 2000)) await api.ingest(source, batch);
    const total = (await outboxCounts(t.db.pool)).pending;
    // Planner statistics, as autovacuum would have them on a running system (a fresh clone has none).
    await t.db.pool.query('ANALYZE');
    const started = Date.now();

    const kills: InFlight[][] = [];
    kills.push(await killMidBatch([]));
    kills.push(await killMidBatch(kills[0]));
    const completedAtKills = (await outboxCounts(t.db.pool)).completed;

    // A restarted process waits out the dead one's lease, then finishes everything.
    service = await startService(env());
    const drained = await until(() => outboxCounts(t.db.pool), (c) => c.pending + c.processing === 0, { what: 'outbox drained' });
    await sleep(50);
    expect(drained).toEqual({ pending: 0, processing: 0, completed: total, failed: 0 });

    // Each claim that died with its process cost one attempt, and the row was claimed once more
    // afterwards, never twice; every other row was claimed exactly once. (A row held by the first
    // dead process may still be held — same claim, same attempts — at the second kill.)
    const died = new Set(kills.flat().map((r) => `${r.id}:${r.attempts}`));
    const extra = new Map<string, number>();
    for (const claim of died) extra.set(claim.split(':')[0], (extra.get(claim.split(':')[0]) ?? 0) + 1);
    const { rows } = await t.db.pool.query(`SELECT id::text, attempts, updated_at FROM reporting_outbox ORDER BY id`);
    const wrong = rows.filter((r) => r.attempts !== 1 + (extra.get(r.id) ?? 0));
    expect(wrong).toEqual([]);
    // No held row was re-claimed before the dead process's lease ran out.
    const lastLease = new Map<string, Date>();
    for (const held of kills) for (const r of held) lastLease.set(r.id, r.lease_until);
    const early = rows.filter((r) => lastLease.has(r.id) && r.updated_at < lastLease.get(r.id)!);
    expect(early).toEqual([]);

    const { diffs } = await compareFacts(t.db.pool, owner.orgId, finalState(first, second));
    expect(diffs).toEqual([]);
    expect(await rollupDrift(t.app.get(DataSource))).toEqual({ llm_generations: 0, tool_calls: 0, turns: 0, sessions: 0, budget_postings: 0, capability_usage: 0 });

    console.log(
      `crash: ${total} outbox rows; killed with ${kills.map((k) => k.length).join(' and ')} rows in flight ` +
        `(${completedAtKills} completed by then); ${extra.size} rows re-claimed after their lease; ${((Date.now() - started) / 1000).toFixed(1)} s; facts and rollups exact`,
    );
  }, 120_000);
});
