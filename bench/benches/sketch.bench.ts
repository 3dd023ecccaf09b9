import type { DataSource } from 'typeorm';
import { batchParams, PROJECTION_PLAN_SQL } from '#src/projector/projections/common.sql.js';
import { PROJECT_EVENTS_SQL } from '#src/projector/projections/event.projection.js';
import { PROJECT_LLM_GENERATIONS_SQL } from '#src/projector/projections/llm-generation.projection.js';
import { PROJECT_SESSIONS_SQL } from '#src/projector/projections/session.projection.js';
import type { Bench, BenchContext, Figure } from '../support/context.js';
import type { Service } from '../support/service.js';
import { projectionKeys } from '../support/data.js';
import { statementsWithoutSketches, type Statements as AllStatements } from '../support/layout.js';
import { median, round, summary, timed } from '../support/stats.js';

const DAY_MS = 86_400_000;

type Statements = Pick<AllStatements, 'event' | 'session' | 'llm_generation'>;
type Row = { day: string; model: string | null; p95_duration_ms: number | null };

async function api(service: Service, key: string, query: object): Promise<{ served_by: string; rows: Row[] }> {
  const res = await fetch(`${service.url}/v1/reports/query`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(query),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`query → ${res.status} ${JSON.stringify(body)}`);
  return body as { served_by: string; rows: Row[] };
}

/**
 * Projects the projector org's rows (first projection: every rollup row new), then changes every
 * generation's, tool call's and turn's duration in the canonical rows and projects them again
 * (every fact rewritten: old buckets out, new in, merged into stored rows), in projector-sized
 * batches, inside one transaction rolled back: the same work each time.
 */
async function projectTwice(ds: DataSource, orgId: string, keys: Record<keyof Statements, string[]>, sql: Statements, batch = 5000): Promise<{ first: number; again: number }> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    await runner.query(PROJECTION_PLAN_SQL); // as the projector runs them (projector.service.ts)
    const project = async () => {
      for (const type of ['event', 'session', 'llm_generation'] as const) {
        for (let i = 0; i < keys[type].length; i += batch) {
          const part = keys[type].slice(i, i + batch);
          await runner.query(sql[type], batchParams(part.map(() => orgId), part));
        }
      }
    };
    const first = await timed(project);
    await runner.query(`UPDATE llm_generations SET duration_ms = duration_ms * 3 + 1 WHERE org_id = $1`, [orgId]);
    await runner.query(`UPDATE events SET data = jsonb_set(data, '{duration_ms}', to_jsonb(coalesce((data->>'duration_ms')::bigint, 0) * 3 + 1)) WHERE org_id = $1 AND data ? 'duration_ms'`, [orgId]);
    const again = await timed(project);
    await runner.rollbackTransaction();
    return { first: first.ms, again: again.ms };
  } finally {
    await runner.release();
  }
}

/**
 * SPEC §15 percentiles from the rollup (issue 18 item 3):
 * - "p95 duration_ms by day × model, 30 days" on the big org through the API, answered from the
 *   rollup's sketches against the same query with exact: true (the facts), interleaved; and the
 *   largest relative error of a sketch answer against the exact one over every cell.
 * - The projector's cost of keeping the sketches: the projection statements against the same
 *   statements built without the sketch deltas, over the projector org's rows (a first projection
 *   and a rewrite of every duration), each in a transaction rolled back, alternated, medians.
 */
export const sketchBench: Bench = {
  name: 'sketch',
  async run(ctx: BenchContext, service: Service): Promise<Figure[]> {
    const org = ctx.orgs.big;
    const query = {
      dataset: 'llm_generations',
      time_range: { from: new Date(ctx.end.getTime() - 30 * DAY_MS).toISOString(), to: ctx.end.toISOString() },
      dimensions: ['day', 'model'],
      measures: ['p95_duration_ms'],
      limit: 10_000,
    };
    const sketched = await api(service, org.key, query);
    const exact = await api(service, org.key, { ...query, exact: true });
    if (sketched.served_by !== 'rollup' || exact.served_by !== 'facts') throw new Error(`expected rollup and facts, got ${sketched.served_by} and ${exact.served_by}`);
    if (sketched.rows.length !== exact.rows.length) throw new Error(`the sketch answered ${sketched.rows.length} rows, the facts ${exact.rows.length}`);
    let maxError = 0;
    sketched.rows.forEach((row, i) => {
      const e = exact.rows[i];
      if (row.day !== e.day || row.model !== e.model) throw new Error(`row ${i}: ${JSON.stringify(row)} against ${JSON.stringify(e)}`);
      if (e.p95_duration_ms === null || row.p95_duration_ms === null) {
        if (e.p95_duration_ms !== row.p95_duration_ms) throw new Error(`row ${i}: null on one side only`);
        return;
      }
      if (e.p95_duration_ms !== 0) maxError = Math.max(maxError, Math.abs(row.p95_duration_ms - e.p95_duration_ms) / Math.abs(e.p95_duration_ms));
    });
    const n = Math.min(ctx.scale.samples, 50);
    const fromSketch: number[] = [];
    const fromFacts: number[] = [];
    for (let i = 0; i < 2; i++) await api(service, org.key, query);
    for (let i = 0; i < n; i++) {
      fromSketch.push((await timed(() => api(service, org.key, query))).ms);
      fromFacts.push((await timed(() => api(service, org.key, { ...query, exact: true }))).ms);
    }
    const s = summary(fromSketch);
    const f = summary(fromFacts);

    const proj = ctx.orgs.proj;
    const { keys, rows } = await projectionKeys(ctx.ds, proj.id);
    const withSketches: Statements = { event: PROJECT_EVENTS_SQL, session: PROJECT_SESSIONS_SQL, llm_generation: PROJECT_LLM_GENERATIONS_SQL };
    const without = await statementsWithoutSketches();
    await projectTwice(ctx.ds, proj.id, keys, withSketches); // warm-up
    const a: { first: number; again: number }[] = [];
    const b: { first: number; again: number }[] = [];
    for (let i = 0; i < 5; i++) {
      b.push(await projectTwice(ctx.ds, proj.id, keys, without));
      a.push(await projectTwice(ctx.ds, proj.id, keys, withSketches));
    }
    const sketchMs = median(a.map((x) => x.first + x.again));
    const plainMs = median(b.map((x) => x.first + x.again));
    const firstRatio = median(b.map((x) => x.first)) / median(a.map((x) => x.first));
    const againRatio = median(b.map((x) => x.again)) / median(a.map((x) => x.again));
    const rate = (ms: number) => Math.round((2 * rows) / (ms / 1000));
    return [
      {
        name: 'sketch percentile p95 vs exact',
        bar: 'issue 18: "p95 duration_ms by day × model, 30 days" served from the rollup sketches, within 1 % of the exact value',
        figure: `from the sketches (served_by rollup) p50 ${round(s.p50, 1)} ms, p95 ${round(s.p95, 1)} ms over ${n} calls; largest relative error against exact ${(maxError * 100).toFixed(3)} % over ${sketched.rows.length} cells`,
        baseline: `exact: true (served_by facts) p50 ${round(f.p50, 1)} ms, p95 ${round(f.p95, 1)} ms, interleaved`,
        ratio: round(f.p95 / s.p95, 2),
        ratioLabel: 'exact p95 ÷ sketch p95',
        pass: maxError <= 0.01 + 1e-9 && s.p95 < f.p95,
        details: { sketch_p50_ms: s.p50, sketch_p95_ms: s.p95, exact_p50_ms: f.p50, exact_p95_ms: f.p95, max_relative_error: maxError, cells: sketched.rows.length, samples: n },
      },
      {
        name: 'sketch upkeep in the projector',
        bar: 'issue 18: keeping the sketches keeps ≥ 0.85× of the projector\'s rows/s',
        figure: `projection statements with the sketch deltas: ${round(sketchMs, 0)} ms (${rate(sketchMs)} rows/s) for ${rows} rows projected, then every duration rewritten and projected again (median of 5; ratio ${round(firstRatio, 2)} on the first projection, ${round(againRatio, 2)} on the rewrite)`,
        baseline: `the same statements without the sketch deltas: ${round(plainMs, 0)} ms (${rate(plainMs)} rows/s), alternated`,
        ratio: round(plainMs / sketchMs, 2),
        ratioLabel: 'rows/s with sketches ÷ without',
        pass: plainMs / sketchMs >= 0.85,
        details: { with_ms: sketchMs, without_ms: plainMs, first_ratio: firstRatio, rewrite_ratio: againRatio, rows, runs: a.length },
      },
    ];
  },
};
