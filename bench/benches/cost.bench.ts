import type { DataSource } from 'typeorm';
import { batchParams, PROJECTION_PLAN_SQL } from '#src/projector/projections/common.sql.js';
import { PROJECT_EVENTS_SQL, PROJECT_EVENTS_UNPRICED_SQL } from '#src/projector/projections/event.projection.js';
import { PROJECT_LLM_GENERATIONS_SQL, PROJECT_LLM_GENERATIONS_UNPRICED_SQL } from '#src/projector/projections/llm-generation.projection.js';
import { PROJECT_SESSIONS_SQL, PROJECT_SESSIONS_UNPRICED_SQL } from '#src/projector/projections/session.projection.js';
import type { Bench, Figure } from '../support/context.js';
import { projectionKeys } from '../support/data.js';
import { median, round, timed } from '../support/stats.js';
import { drained } from './projector.bench.js';

type Statements = { event: string; session: string; llm_generation: string };
const PRICED: Statements = { event: PROJECT_EVENTS_SQL, session: PROJECT_SESSIONS_SQL, llm_generation: PROJECT_LLM_GENERATIONS_SQL };
const UNPRICED: Statements = { event: PROJECT_EVENTS_UNPRICED_SQL, session: PROJECT_SESSIONS_UNPRICED_SQL, llm_generation: PROJECT_LLM_GENERATIONS_UNPRICED_SQL };

/** Projects the given sources in projector-sized batches inside one transaction, then rolls it back: the same work each time. */
/**
 * One statement per source type by default: inside one rolled-back transaction, a later batch's
 * probes of the stored facts would meet the facts earlier batches wrote, which the statistics
 * (taken before) do not know — the planner then scans the org's facts per key (minutes at 80k).
 */
async function projectOnce(ds: DataSource, orgId: string, keys: Record<keyof Statements, string[]>, sql: Statements, batch = 100_000): Promise<number> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    await runner.query(PROJECTION_PLAN_SQL); // as the projector runs them (projector.service.ts)
    const t = await timed(async () => {
      for (const type of ['event', 'session', 'llm_generation'] as const) {
        const ids = keys[type];
        for (let i = 0; i < ids.length; i += batch) {
          const part = ids.slice(i, i + batch);
          await runner.query(sql[type], batchParams(part.map(() => orgId), part));
        }
      }
    });
    await runner.rollbackTransaction();
    return t.ms;
  } finally {
    await runner.release();
  }
}

/**
 * SPEC §16 cost bars. (1) Projecting with prices (the generations' price lookup and cost, the
 * turns' and sessions' cost sums) costs ≤ 1.15× projecting without: the projection statements
 * and the same statements built without the pricing fragments, over the same rows of the
 * projector org (events, sessions, generations: one statement each), each in a transaction
 * rolled back, alternated five times, medians compared. (2) Re-pricing 1M generations ≤ 60 s:
 * org prices created through the API that price every generation of the big org; the time runs
 * from the first create to the last re-projected row (the running service's projector). Baseline:
 * one projection of the same generations in bulk (100k-row statements, rolled back).
 */
export const costBench: Bench = {
  name: 'cost',
  async run(ctx, service) {
    const proj = ctx.orgs.proj;
    const { keys, rows } = await projectionKeys(ctx.ds, proj.id);
    await projectOnce(ctx.ds, proj.id, keys, PRICED); // warm-up: caches and plans
    const priced: number[] = [];
    const unpriced: number[] = [];
    for (let i = 0; i < 5; i++) {
      unpriced.push(await projectOnce(ctx.ds, proj.id, keys, UNPRICED));
      priced.push(await projectOnce(ctx.ds, proj.id, keys, PRICED));
    }
    const ratio = median(priced) / median(unpriced);

    const big = ctx.orgs.big;
    const [{ n: generations }] = await ctx.ds.query(`SELECT count(*)::int AS n FROM llm_generations WHERE org_id = $1`, [big.id]);
    const genIds = ((await ctx.ds.query(`SELECT id FROM llm_generations WHERE org_id = $1 ORDER BY id`, [big.id])) as { id: string }[]).map((r) => r.id);
    const headers = { authorization: `Bearer ${big.key}`, 'content-type': 'application/json' };
    // One prefix per provider of the bench data: together they price every generation.
    const prices = [['openai', 'gpt-'], ['anthropic', 'claude-'], ['google', 'gemini-'], ['meta', 'llama-']].map(([provider, model]) => ({
      provider, model, match: 'prefix', input_per_mtok: '0.7', output_per_mtok: '2.1', cache_read_per_mtok: '0.07', effective_from: '2000-01-01T00:00:00Z',
    }));
    const started = Date.now();
    const created = await timed(async () => {
      for (const p of prices) {
        const res = await fetch(`${service.url}/v1/reports/prices`, { method: 'POST', headers, body: JSON.stringify(p) });
        if (res.status !== 201) throw new Error(`create_price → ${res.status} ${await res.text()}`);
      }
    });
    // Where the time goes: the walk of the generation facts (step 1 of the work), then the sessions.
    for (let i = 0; i < 18_000; i++) {
      const [{ walking }] = await ctx.ds.query(`SELECT EXISTS (SELECT 1 FROM reporting_reprices WHERE org_id = $1 AND NOT generations_done) AS walking`, [big.id]);
      if (!walking) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const walked = (Date.now() - started) / 1000;
    await drained(ctx.ds, big.id);
    const seconds = (Date.now() - started) / 1000;
    const [{ repriced }] = await ctx.ds.query(
      `SELECT count(*)::int AS repriced FROM fact_llm_generation f JOIN prices p ON p.id = f.price_id WHERE f.org_id = $1 AND p.org_id = $1`, [big.id]);
    // The baseline after the figure: it upserts every fact in a transaction it rolls back, and
    // run first it left a million aborted row versions (and their index entries) in the very
    // pages the re-pricing then walked. The re-pricing's own dead versions are vacuumed first.
    const [{ part }] = await ctx.ds.query(`SELECT tableoid::regclass::text AS part FROM fact_llm_generation WHERE org_id = $1 LIMIT 1`, [big.id]);
    await ctx.ds.query(`VACUUM ${part}`);
    const bulk = await projectOnce(ctx.ds, big.id, { event: [], session: [], llm_generation: genIds }, PRICED, 100_000);
    const figures: Figure[] = [
      {
        name: 'cost: projection with prices',
        bar: 'projecting with prices ≤ 1.15 × projecting without (same rows, same run)',
        figure: `${rows} rows (events, sessions, generations) projected with prices in ${round(median(priced), 0)} ms (median of 5)`,
        baseline: `the same statements without the pricing fragments: ${round(median(unpriced), 0)} ms (median of 5)`,
        ratio: round(ratio, 3),
        ratioLabel: 'with prices ÷ without',
        pass: ratio <= 1.15,
        details: { rows, priced_ms: median(priced), unpriced_ms: median(unpriced), priced_all_ms: priced.join(' '), unpriced_all_ms: unpriced.join(' ') },
      },
      {
        name: 'cost: re-pricing',
        bar: 're-pricing 1M generations ≤ 60 s (create_price → every affected generation, turn and session re-projected)',
        figure: `${repriced} of ${generations} generations re-priced in ${round(seconds, 1)} s (the four create_price calls: ${round(created.ms / 1000, 1)} s; `
          + `generation facts re-priced by ${round(walked, 1)} s, then their sessions' and turns' costs)`,
        baseline: `one projection of the same generations in 100k-row statements: ${round(bulk / 1000, 1)} s`,
        ratio: round(seconds / (bulk / 1000), 2),
        ratioLabel: 're-pricing time ÷ bulk projection time',
        pass: repriced === generations && seconds <= 60,
        details: { generations, repriced, seconds, create_seconds: created.ms / 1000, generations_walked_seconds: walked, bulk_seconds: bulk / 1000 },
      },
    ];
    return figures;
  },
};
