import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { newPublicId } from '#src/common/ids/public-id.js';
import { checkAllRollups, rebuildRollup } from '#src/projector/rollups/rollup-maintenance.js';
import { DATASET_BY_NAME, DATASETS } from '#src/reporting/catalog/catalog.js';
import { rollupOf } from '#src/reporting/catalog/rollup.js';
import { client } from '../../support/api.js';
import { percentileCont } from '../../support/oracle.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

/**
 * SPEC §15: percentiles from the rollups' sketches. The expected numbers are percentile_cont over
 * the values ingested, computed here in TypeScript; the sketch's answer must be within its stated
 * relative error (1 %) of it — values of one sign, so the interpolation of two rank estimates each
 * within 1 % of its rank's value is within 1 % of the interpolated exact value. 1e-9 of slack
 * covers float rounding at bucket edges.
 */
const BOUND = 0.01;
const SLACK = 1e-9;
const HOUR = 3_600_000;
const START = Date.UTC(2026, 4, 1);
const HOURS = 72;
const MODELS = [['gpt-5', 'openai'], ['claude-4', 'anthropic'], ['gemini-3', 'google']] as const;
const RANGE = { from: '2026-05-01T00:00:00Z', to: '2026-05-04T00:00:00Z' }; // START and HOURS later

type Gen = { id: string; model: string; provider: string; input_tokens: number; output_tokens: number; duration_ms: number | null; time_to_first_token_ms: number | null; created_at: string };

/** Durations across nine orders of magnitude, zeros, ties and unknowns. */
const value = fc.oneof(
  { arbitrary: fc.constant(0), weight: 1 },
  { arbitrary: fc.constantFrom(7, 1000, 65_536), weight: 1 }, // ties
  { arbitrary: fc.integer({ min: 1, max: 99 }), weight: 2 },
  { arbitrary: fc.integer({ min: 100, max: 99_999 }), weight: 3 },
  { arbitrary: fc.integer({ min: 100_000, max: 2_000_000_000 }), weight: 2 },
  { arbitrary: fc.constant(null), weight: 1 },
);
const generation = fc.record({ model: fc.integer({ min: 0, max: MODELS.length - 1 }), hour: fc.integer({ min: 0, max: HOURS - 1 }), minute: fc.integer({ min: 0, max: 59 }), duration: value, ttft: value });
const toGen = (g: { model: number; hour: number; minute: number; duration: number | null; ttft: number | null }): Gen => ({
  id: newPublicId('gen'), model: MODELS[g.model][0], provider: MODELS[g.model][1], input_tokens: 1, output_tokens: 1,
  duration_ms: g.duration, time_to_first_token_ms: g.ttft, created_at: new Date(START + g.hour * HOUR + g.minute * 60_000).toISOString(),
});

/** A number within the sketch's bound of percentile_cont over `values`, or null when none is known. */
function expectWithin(got: unknown, values: (number | null)[], p: number, what: string) {
  const exact = percentileCont(values, p);
  if (exact === null) return expect({ what, got }).toEqual({ what, got: null });
  const error = Math.abs((got as number) - exact);
  expect({ what, exact, got, ok: typeof got === 'number' && error <= BOUND * Math.abs(exact) + SLACK }).toEqual({ what, exact, got, ok: true });
}

async function expectNoDrift(t: TestApp, orgId: string) {
  const drift = await checkAllRollups(t.app.get(DataSource), orgId);
  expect(drift.map(({ dataset, missing, extra }) => ({ dataset, missing, extra }))).toEqual(DATASETS.map((d) => ({ dataset: d.name, missing: 0, extra: 0 })));
}

/** The org's stored rollup rows of llm_generations, sketches included. */
async function stored(t: TestApp, orgId: string) {
  const spec = rollupOf(DATASET_BY_NAME.get('llm_generations')!);
  const cols = ['hour', ...spec.dimensions.map((x) => x.column), ...spec.columns.map((c) => c.name), ...spec.sketches.flatMap((k) => [k.keys, k.counts])];
  const { rows } = await t.db.pool.query(`SELECT ${cols.join(', ')} FROM ${spec.table} WHERE org_id = $1 AND row_count <> 0 ORDER BY ${cols.slice(0, 4).join(', ')}`, [orgId]);
  return rows;
}

describe('percentiles from rollup sketches (SPEC §15)', () => {
  let t: TestApp;
  let runs = 0;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const ingest = async (api: ReturnType<typeof client>, gens: Gen[]) => {
    for (let i = 0; i < gens.length; i += 500) await api.ingest('llm_generations', gens.slice(i, i + 500));
    await api.project();
  };

  it('p50/p95 by model (merged over every hour) and by day × model are within 1 % of the exact percentiles, and stay so when facts are rewritten', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(generation, { minLength: 1, maxLength: 300 }), fc.array(generation, { maxLength: 120 }), async (first, rewrites) => {
        const owner = await t.key(`sketch-${runs++}`, 'owner');
        const api = client(t, owner.key);
        let gens = first.map(toGen);
        await ingest(api, gens);
        const check = async () => {
          for (const dims of [['model'], ['day', 'model'], []]) {
            const res = await api.post('/v1/reports/query', { dataset: 'llm_generations', time_range: RANGE, dimensions: dims, measures: ['p50_duration_ms', 'p95_duration_ms', 'p95_time_to_first_token_ms'], limit: 10_000 });
            expect({ status: res.status, served_by: res.body.served_by }).toEqual({ status: 200, served_by: 'rollup' });
            for (const row of res.body.rows) {
              const mine = gens.filter((g) => (!dims.includes('model') || g.model === row.model) && (!dims.includes('day') || g.created_at.slice(0, 10) === row.day.slice(0, 10)));
              expectWithin(row.p50_duration_ms, mine.map((g) => g.duration_ms), 0.5, `p50 ${JSON.stringify(row)}`);
              expectWithin(row.p95_duration_ms, mine.map((g) => g.duration_ms), 0.95, `p95 ${JSON.stringify(row)}`);
              expectWithin(row.p95_time_to_first_token_ms, mine.map((g) => g.time_to_first_token_ms), 0.95, `p95 ttft ${JSON.stringify(row)}`);
            }
            const groups = new Set(gens.map((g) => [dims.includes('day') ? g.created_at.slice(0, 10) : '', dims.includes('model') ? g.model : ''].join()));
            expect(res.body.rows).toHaveLength(groups.size);
          }
        };
        await check();
        // Re-projection: some generations change value, model and hour; their old buckets are
        // taken out of the old rows' sketches, the new ones added.
        const changed = rewrites.slice(0, gens.length).map((r, i) => ({ ...toGen(r), id: gens[i].id }));
        gens = gens.map((g, i) => changed[i] ?? g);
        if (changed.length > 0) await ingest(api, changed);
        await check();
        await expectNoDrift(t, owner.orgId);
        // Counts, not samples: a rebuild from the facts gives the same arrays.
        const before = await stored(t, owner.orgId);
        await rebuildRollup(t.app.get(DataSource), DATASET_BY_NAME.get('llm_generations')!, owner.orgId);
        expect(await stored(t, owner.orgId)).toEqual(before);
      }),
      { numRuns: 8, seed: 15_2026, endOnFailure: true },
    );
  });

  it('a batch that moves one bucket of a stored row splices it in exactly as a rebuild computes the row: first, last, between, the same bucket, counted down and out', async () => {
    const owner = await t.key('sketch-splice', 'owner');
    const api = client(t, owner.key);
    const spec = rollupOf(DATASET_BY_NAME.get('llm_generations')!);
    const sketch = async () => {
      const { rows } = await t.db.pool.query(
        `SELECT skk_duration_ms AS keys, skn_duration_ms AS counts, skk_time_to_first_token_ms AS tkeys FROM ${spec.table} WHERE org_id = $1 AND model = 'gpt-5' AND hour = $2`,
        [owner.orgId, new Date(START).toISOString()],
      );
      return rows[0] as { keys: number[]; counts: number[]; tkeys: number[] };
    };
    // One generation per projector pass, all in the same hour and model: each pass's delta for
    // the row is one bucket. Durations 1, 10, 100, 1000 are four buckets, ascending.
    const gen = (duration: number | null, minute: number, id = newPublicId('gen')) => ({ ...toGen({ model: 0, hour: 0, minute, duration, ttft: duration }), id });
    const steps: [Gen, number[]][] = [];
    const g100 = gen(100, 1);
    const g10 = gen(10, 2);
    const g1000 = gen(1000, 3);
    const g1 = gen(1, 4);
    const g100b = gen(100, 5);
    steps.push([g100, [1]], [g10, [1, 1]], [g1000, [1, 1, 1]], [g1, [1, 1, 1, 1]], [g100b, [1, 1, 2, 1]]);
    // Rewrites of the same generations: counted down, out (first, middle and last), and back in between.
    steps.push([gen(null, 5, g100b.id), [1, 1, 1, 1]], [gen(null, 4, g1.id), [1, 1, 1]], [gen(null, 1, g100.id), [1, 1]], [gen(null, 3, g1000.id), [1]]);
    steps.push([gen(1000, 3, g1000.id), [1, 1]], [gen(100, 1, g100.id), [1, 1, 1]], [gen(1, 4, g1.id), [1, 1, 1, 1]], [gen(null, 2, g10.id), [1, 1, 1]]);
    const keys = new Set<number>();
    for (const [g, counts] of steps) {
      await ingest(api, [g]);
      const row = await sketch();
      expect(row.counts).toEqual(counts);
      expect(row.keys).toEqual([...row.keys].sort((a, b) => a - b));
      expect(row.tkeys).toEqual(row.keys);
      row.keys.forEach((k) => keys.add(k));
      await expectNoDrift(t, owner.orgId);
    }
    expect(keys.size).toBe(4);
  });

  it('a covered percentile is served by the rollup and marked approximate; exact: true answers from the facts, exactly', async () => {
    const owner = await t.key('sketch-e2e', 'owner');
    const api = client(t, owner.key);
    const durations = [0, 0, 3, 17, 17, 17, 250, 1234, 9_999, 123_456, 5_000_000];
    const gens = durations.map((d, i) => toGen({ model: 0, hour: i * 5, minute: i, duration: d, ttft: i % 3 === 0 ? null : d + 1 }));
    await ingest(api, gens);
    const query = { dataset: 'llm_generations', time_range: RANGE, dimensions: ['model'], measures: ['generation_count', 'p50_duration_ms', 'p95_duration_ms'] };
    const approx = await api.post('/v1/reports/query', query);
    expect(approx.status).toBe(200);
    expect(approx.body).toEqual({
      approximate: [{ measure: 'p50_duration_ms', relative_error: 0.01 }, { measure: 'p95_duration_ms', relative_error: 0.01 }],
      as_of: expect.any(String),
      columns: [{ name: 'model', kind: 'dimension' }, { name: 'generation_count', kind: 'measure' }, { name: 'p50_duration_ms', kind: 'measure' }, { name: 'p95_duration_ms', kind: 'measure' }],
      freshness_lag_ms: 0,
      rows: [{ model: 'gpt-5', generation_count: 11, p50_duration_ms: expect.any(Number), p95_duration_ms: expect.any(Number) }],
      served_by: 'rollup',
      time_range: RANGE,
      truncated: false,
    });
    expectWithin(approx.body.rows[0].p50_duration_ms, durations, 0.5, 'p50');
    expectWithin(approx.body.rows[0].p95_duration_ms, durations, 0.95, 'p95');
    // Not the exact values (17 and 2,561,728): the answer really comes from the buckets.
    expect(approx.body.rows[0].p50_duration_ms).not.toBe(17);

    const exact = await api.post('/v1/reports/query', { ...query, exact: true });
    expect(exact.body).toEqual({
      as_of: expect.any(String),
      columns: approx.body.columns,
      freshness_lag_ms: 0,
      rows: [{ model: 'gpt-5', generation_count: 11, p50_duration_ms: percentileCont(durations, 0.5), p95_duration_ms: percentileCont(durations, 0.95) }],
      served_by: 'facts',
      time_range: RANGE,
      truncated: false,
    });
    // An additive query stays exact from the rollup: no approximate field.
    const sums = await api.post('/v1/reports/query', { ...query, measures: ['generation_count'] });
    expect({ served_by: sums.body.served_by, approximate: sums.body.approximate }).toEqual({ served_by: 'rollup', approximate: undefined });
    // A percentile the rollup cannot serve (by user) is exact from the facts, unmarked.
    const byUser = await api.post('/v1/reports/query', { ...query, dimensions: ['user'] });
    expect({ served_by: byUser.body.served_by, approximate: byUser.body.approximate, p95: byUser.body.rows[0].p95_duration_ms }).toEqual({ served_by: 'facts', approximate: undefined, p95: percentileCont(durations, 0.95) });
  });

  it('every other dataset with a percentile answers it from its sketch within 1 %', async () => {
    const owner = await t.key('sketch-others', 'owner');
    const api = client(t, owner.key);
    const durations = [0, 1, 2, 40, 41, 900, 901, 902, 15_000, 15_000, 777_777];
    const sessions = durations.map((d, i) => {
      const created = new Date(START + i * 3 * HOUR).toISOString();
      return { id: newPublicId('session'), status: 'completed', created_at: created, started_at: created, finished_at: new Date(Date.parse(created) + d).toISOString() };
    });
    await api.ingest('sessions', sessions);
    const events = sessions.flatMap((s, i) => {
      const turn = newPublicId('turn');
      return [
        { id: newPublicId('event'), session_id: s.id, turn_id: turn, type: 'tool.completed', created_at: s.created_at, data: { tool_name: 'search', status: 'success', duration_ms: durations[i] } },
        { id: newPublicId('event'), session_id: s.id, turn_id: turn, type: 'turn.completed', created_at: s.created_at, data: { duration_ms: durations[i] } },
      ];
    });
    await api.ingest('events', events);
    await api.project();
    for (const [dataset, dims] of [['sessions', ['status']], ['turns', ['status']], ['tool_calls', ['tool']]] as const) {
      const res = await api.post('/v1/reports/query', { dataset, time_range: RANGE, dimensions: dims, measures: ['p95_duration_ms'] });
      expect({ dataset, served_by: res.body.served_by, approximate: res.body.approximate, rows: res.body.rows.length }).toEqual({
        dataset, served_by: 'rollup', approximate: [{ measure: 'p95_duration_ms', relative_error: 0.01 }], rows: 1,
      });
      expectWithin(res.body.rows[0].p95_duration_ms, durations, 0.95, dataset);
    }
    await expectNoDrift(t, owner.orgId);
  });
});
