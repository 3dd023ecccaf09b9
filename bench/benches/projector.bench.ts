import type { Bench } from '../support/context.js';
import { bulkProject, clearFacts, ENQUEUE_ALL_SQL } from '../support/data.js';
import { round, timed } from '../support/stats.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the org has nothing pending or processing; throws if rows failed. Polled every
 * 250 ms: the drain's time is read from the rows' own timestamps, so the poll only decides when
 * to look, and each poll's probes (walking index entries of rows claimed since the last vacuum)
 * take CPU from the drain it measures.
 */
export async function drained(ds: import('typeorm').DataSource, orgId: string, maxSeconds = 1800): Promise<void> {
  for (let i = 0; i < maxSeconds * 4; i++) {
    // Index probes only (the partial indexes of each status): polling must not load the database it measures.
    const [r] = await ds.query(
      `SELECT EXISTS (SELECT 1 FROM reporting_outbox WHERE org_id = $1 AND status = 'pending')
           OR EXISTS (SELECT 1 FROM reporting_outbox WHERE org_id = $1 AND status = 'processing') AS open,
              EXISTS (SELECT 1 FROM reporting_outbox WHERE org_id = $1 AND status = 'failed') AS failed`,
      [orgId],
    );
    if (r.failed) throw new Error('outbox rows failed');
    if (!r.open) return;
    await sleep(250);
  }
  throw new Error('the outbox did not drain');
}

/**
 * SPEC §9 projector: ≥ 20,000 outbox rows/s drained end to end on 200k mixed rows (sessions,
 * events, generations, ledger postings), within 2× of one bulk INSERT … SELECT of the same facts.
 * The drain is the running service's scheduled projector (REPORTING_PROJECTOR_WORKERS loops),
 * woken by the enqueue's NOTIFY; its time runs from the enqueue's commit to the last row's
 * completion (database clock). Baseline: the projector's own statements over all keys at once,
 * no outbox.
 */
export const projectorBench: Bench = {
  name: 'projector',
  async run(ctx) {
    const org = ctx.orgs.proj;
    await ctx.ds.query(`DELETE FROM reporting_outbox WHERE org_id = $1`, [org.id]);
    await ctx.ds.transaction(async (em) => {
      await em.query(ENQUEUE_ALL_SQL, [org.id]);
      await em.query(`SELECT pg_notify('factline_outbox', $1)`, [org.id]);
    });
    // The drain starts when the enqueue commits (the rows' created_at is earlier: the insert's own time).
    const [{ committed }] = await ctx.ds.query(`SELECT clock_timestamp() AS committed`);
    await drained(ctx.ds, org.id);
    const [r] = await ctx.ds.query(
      `SELECT count(*)::int AS n, extract(epoch FROM max(updated_at) - $2::timestamptz)::float8 AS s, max(attempts)::int AS max_attempts
         FROM reporting_outbox WHERE org_id = $1 AND status = 'completed'`,
      [org.id, committed],
    );
    await clearFacts(ctx.ds, org.id);
    const bulk = await timed(() => bulkProject(ctx.ds, org.id, 1_000_000));
    const rate = r.n / r.s;
    return [{
      name: 'projector drain',
      bar: '≥ 20,000 outbox rows/s on 200k mixed rows, within 2× of one bulk INSERT … SELECT',
      figure: `${r.n} rows in ${round(r.s, 2)} s (${Math.round(rate)} rows/s; no row claimed twice: max attempts ${r.max_attempts})`,
      baseline: `one bulk INSERT … SELECT per source type of the same facts and rollups: ${round(bulk.ms / 1000, 2)} s (${Math.round(bulk.value / (bulk.ms / 1000))} rows/s)`,
      ratio: round(r.s / (bulk.ms / 1000), 2),
      ratioLabel: 'drain time ÷ bulk time',
      pass: rate >= 20_000 && r.s <= 2 * (bulk.ms / 1000),
      details: { rows: r.n, seconds: r.s, rows_per_s: rate, bulk_seconds: bulk.ms / 1000, max_attempts: r.max_attempts },
    }];
  },
};
