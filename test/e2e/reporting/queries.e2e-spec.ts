import { newPublicId } from '#src/common/ids/public-id.js';
import { client } from '../../support/api.js';
import { bucket, groupBy, matches, rfc3339InZone, servedBy, sortRows, type RollupCoverage, type Row, type Value } from '../../support/oracle.js';
import { buildWorld, factsOf, MEASURES, RANGE } from '../../support/report-fixtures.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

type Api = ReturnType<typeof client>;
type Granularity = 'hour' | 'day' | 'week' | 'month';
const TIME: string[] = ['hour', 'day', 'week', 'month'];

interface Query {
  dataset: string;
  time_range: { from: string; to: string };
  dimensions?: string[];
  measures?: string[];
  filters?: { field: string; op: string; value: unknown }[];
  order_by?: { dimension?: string; measure?: string; direction?: 'asc' | 'desc' }[];
  limit?: number;
  timezone?: string;
}

/**
 * What SPEC §6 says a query returns, computed from fact rows in plain TypeScript: range and
 * filters applied, grouped by the dimensions (time buckets in the zone), measures per group
 * (row_count when none), ordered (order_by, else time ascending, else first measure descending;
 * ties by the dimensions), cut at limit.
 */
function oracle(facts: Row[], q: Query): { columns: { name: string; kind: string }[]; rows: Row[]; truncated: boolean } {
  const tz = q.timezone ?? 'UTC';
  const dims = q.dimensions ?? [];
  const measures = q.measures?.length ? q.measures : ['row_count'];
  const from = Date.parse(q.time_range.from);
  const to = Date.parse(q.time_range.to);
  const inScope = facts.filter((f) => {
    const t = Date.parse(f.created_at as string);
    return t >= from && t < to && (q.filters ?? []).every((flt) => matches((f[flt.field] ?? null) as Value, flt.op, flt.value));
  });
  const cell = (f: Row, d: string): Value => (TIME.includes(d) ? bucket(f.created_at as string, d as Granularity, tz) : ((f[d] ?? null) as Value));
  const groups = dims.length > 0 ? groupBy(inScope, (f) => dims.map((d) => cell(f, d))) : [{ key: [] as Value[], rows: inScope }];
  const calc = MEASURES[q.dataset];
  let rows: Row[] = groups.map((g) => ({
    ...Object.fromEntries(dims.map((d, i) => [d, g.key[i]])),
    ...Object.fromEntries(measures.map((m) => [m, m === 'row_count' ? g.rows.length : calc[m](g.rows)])),
  }));
  const keys: [string, 'asc' | 'desc'][] = q.order_by?.length
    ? q.order_by.map((o) => [(o.dimension ?? o.measure)!, o.direction ?? 'asc'])
    : dims.some((d) => TIME.includes(d))
      ? dims.filter((d) => TIME.includes(d)).map((d) => [d, 'asc'])
      : dims.length > 0
        ? [[measures[0], 'desc']]
        : [];
  rows = sortRows(rows, [...keys, ...dims.map((d): [string, 'asc'] => [d, 'asc'])]);
  const limit = q.limit ?? 100;
  return {
    columns: [...dims.map((name) => ({ name, kind: 'dimension' })), ...measures.map((name) => ({ name, kind: 'measure' }))],
    rows: rows.slice(0, limit),
    truncated: rows.length > limit,
  };
}

async function run(api: Api, q: Query) {
  const res = await api.post('/v1/reports/query', q);
  expect({ status: res.status, type: res.headers['content-type'] }).toEqual({ status: 200, type: 'application/json; charset=utf-8' });
  return res.body;
}

/** What each dataset's rollup covers, read once from the catalog (GET /v1/reports/catalog). */
const coverage = new Map<string, RollupCoverage>();
/** SPEC §15: each dataset's measures the catalog marks approximate when rollup-served, with their bound. */
const approximate = new Map<string, Map<string, number>>();

/** A number within `relative` of `exact` (relative to |exact|), for a measure answered from a sketch. */
const within = (exact: number, relative: number) => ({
  asymmetricMatch: (v: unknown) => typeof v === 'number' && Math.abs(v - exact) <= relative * Math.abs(exact) + 1e-9,
  toAsymmetricMatcher: () => `within ${relative * 100} % of ${exact}`,
});

/**
 * Runs the query and checks the whole body against the oracle (facts drained: lag 0). Whichever
 * path answers — the rollup or the facts, as SPEC §6's rule picks — the numbers are the oracle's.
 */
async function expectOracle(api: Api, facts: Row[], q: Query) {
  const body = await run(api, q);
  const tz = q.timezone ?? 'UTC';
  const timeRange = { from: rfc3339InZone(Date.parse(q.time_range.from), tz), to: rfc3339InZone(Date.parse(q.time_range.to), tz) };
  const path = servedBy(q, coverage.get(q.dataset)!);
  const expected = oracle(facts, q);
  // Percentiles from the rollup's sketches: within the catalog's bound of percentile_cont over the facts.
  const bounds = approximate.get(q.dataset)!;
  const approx = path === 'rollup' ? (q.measures ?? []).filter((m) => bounds.has(m)) : [];
  const rows = expected.rows.map((row) => ({ ...row, ...Object.fromEntries(approx.map((m) => [m, row[m] === null ? null : within(row[m] as number, bounds.get(m)!)])) }));
  expect(body).toEqual({
    ...(approx.length > 0 ? { approximate: approx.map((measure) => ({ measure, relative_error: bounds.get(measure) })) } : {}),
    as_of: expect.any(String), freshness_lag_ms: 0, served_by: path, time_range: timeRange, ...expected, rows,
  });
  return body;
}

describe('semantic queries against the oracle (SPEC §6)', () => {
  let t: TestApp;
  let api: Api;
  const world = buildWorld();
  const facts = factsOf(world);

  beforeAll(async () => {
    t = await startTestApp();
    api = client(t, (await t.key('oracle', 'member')).key);
    for (const d of (await api.get('/v1/reports/catalog')).body.datasets) {
      coverage.set(d.name, d.rollup);
      approximate.set(d.name, new Map(d.measures.filter((m: { approximate?: boolean }) => m.approximate).map((m: { name: string; relative_error: number }) => [m.name, m.relative_error])));
    }
    const owner = client(t, (await t.key('oracle', 'owner')).key);
    await owner.ingest('sessions', world.sessions);
    await owner.ingest('events', world.events);
    await owner.ingest('llm_generations', world.generations);
    await owner.ingest('usage_ledger', world.ledger);
    await owner.project();
    // Another org's facts in the same tables must never show up.
    const other = client(t, (await t.key('oracle-other', 'owner')).key);
    await other.ingest('sessions', buildWorld().sessions);
    await other.ingest('llm_generations', buildWorld().generations);
    await other.project();
  });
  afterAll(() => t.close());

  it("answers the seed's example query (sessions by status) with the right numbers", async () => {
    const body = await run(api, { dataset: 'sessions', dimensions: ['status'], measures: ['session_count', 'avg_duration_ms'], limit: 100, time_range: RANGE });
    expect(body).toEqual({
      as_of: expect.any(String),
      columns: [{ name: 'status', kind: 'dimension' }, { name: 'session_count', kind: 'measure' }, { name: 'avg_duration_ms', kind: 'measure' }],
      freshness_lag_ms: 0,
      rows: [
        { status: 'completed', session_count: 3, avg_duration_ms: 37000 / 3 },
        { status: 'cancelled', session_count: 1, avg_duration_ms: 1000 },
        { status: 'failed', session_count: 1, avg_duration_ms: 3500 },
        // Not finished: its duration is unknown, so the average ignores it and has nothing left.
        { status: 'running', session_count: 1, avg_duration_ms: null },
      ],
      served_by: 'rollup',
      time_range: RANGE,
      truncated: false,
    });
  });

  // Every dataset × every measure (so every aggregation kind: count, sum, avg, p50, p95,
  // count_distinct, count_if, sum_if), grouped by a text dimension, an id dimension and nothing.
  const GROUPINGS: Record<string, string[][]> = {
    llm_generations: [['model'], ['session'], ['provider', 'finish_reason'], []],
    tool_calls: [['tool'], ['turn'], ['status', 'capability'], []],
    turns: [['status'], ['turn'], ['agent_name'], []],
    sessions: [['status'], ['user'], ['agent', 'app', 'blueprint'], []],
    budget_postings: [['currency'], ['budget'], ['subject_type', 'subject', 'meter_source', 'ref_type'], []],
    capability_usage: [['kind'], ['session'], ['capability', 'capability_name', 'tool'], ['agent_name', 'turn'], []],
  };
  for (const [dataset, groupings] of Object.entries(GROUPINGS)) {
    for (const dims of groupings) {
      it(`${dataset} by [${dims.join(', ')}]: every measure matches the oracle`, async () => {
        const body = await expectOracle(api, facts[dataset], { dataset, time_range: RANGE, dimensions: dims, measures: Object.keys(MEASURES[dataset]) });
        expect(body.rows.length).toBeGreaterThan(0);
      });
    }
  }

  it('capability_usage: each measure by kind and tool, per day in UTC and in Berlin, from the rollup', async () => {
    const usage = facts.capability_usage;
    for (const timezone of ['UTC', 'Europe/Berlin']) {
      for (const measure of Object.keys(MEASURES.capability_usage)) {
        const body = await expectOracle(api, usage, { dataset: 'capability_usage', time_range: RANGE, timezone, dimensions: ['day', 'kind', 'tool'], measures: [measure], limit: 1000 });
        expect(body.served_by).toBe('rollup');
      }
    }
    // The 23:30 UTC invocation on 2 March is 3 March in Berlin: the two zones cut the days apart.
    const invokedSearch = async (timezone: string) => (await run(api, {
      dataset: 'capability_usage', time_range: RANGE, timezone, dimensions: ['day'], measures: ['usage_count', 'duration_ms', 'avg_duration_ms'],
      filters: [{ field: 'kind', op: 'eq', value: 'invoked' }, { field: 'tool', op: 'eq', value: 'search' }],
    })).rows;
    expect(await invokedSearch('UTC')).toEqual([{ day: '2026-03-02T00:00:00Z', usage_count: 3, duration_ms: 1400, avg_duration_ms: 1400 / 3 }]);
    expect(await invokedSearch('Europe/Berlin')).toEqual([
      { day: '2026-03-02T00:00:00+01:00', usage_count: 2, duration_ms: 400, avg_duration_ms: 200 },
      { day: '2026-03-03T00:00:00+01:00', usage_count: 1, duration_ms: 1000, avg_duration_ms: 1000 },
    ]);
    // Filter fields: the numeric duration, and a null tool; avg ignores unknown durations.
    await expectOracle(api, usage, { dataset: 'capability_usage', time_range: RANGE, dimensions: ['capability'], measures: ['usage_count', 'avg_duration_ms'], filters: [{ field: 'tool', op: 'is_null', value: true }] });
    await expectOracle(api, usage, { dataset: 'capability_usage', time_range: RANGE, dimensions: ['kind'], measures: ['usage_count', 'duration_ms'], filters: [{ field: 'duration_ms', op: 'gte', value: 25 }] });
  });

  it('per-day buckets in UTC over every dataset', async () => {
    for (const dataset of Object.keys(MEASURES)) {
      await expectOracle(api, facts[dataset], { dataset, time_range: RANGE, dimensions: ['day'], measures: Object.keys(MEASURES[dataset]).slice(0, 3) });
    }
  });

  it('ids in results are public ids; null attribution is a null cell', async () => {
    const body = await run(api, { dataset: 'sessions', time_range: RANGE, dimensions: ['user'], measures: ['session_count'] });
    expect(body.rows).toEqual([
      { user: world.users[0], session_count: 2 },
      { user: world.users[1], session_count: 2 },
      { user: world.users[2], session_count: 1 },
      { user: null, session_count: 1 },
    ].sort((a, b) => b.session_count - a.session_count || (a.user === null ? 1 : b.user === null ? -1 : a.user < b.user ? -1 : 1)));
  });

  it('no measures → a row_count column only', async () => {
    const q: Query = { dataset: 'llm_generations', time_range: RANGE, dimensions: ['model'] };
    const body = await expectOracle(api, facts.llm_generations, q);
    expect(body.columns).toEqual([{ name: 'model', kind: 'dimension' }, { name: 'row_count', kind: 'measure' }]);
    expect(body.rows).toEqual([{ model: 'claude', row_count: 3 }, { model: 'gpt-5', row_count: 2 }, { model: 'gpt-5-mini', row_count: 2 }]);
  });

  it('no dimensions → one aggregate row, also over an empty range (counts 0, averages and percentiles null)', async () => {
    await expectOracle(api, facts.turns, { dataset: 'turns', time_range: RANGE, measures: Object.keys(MEASURES.turns) });
    const empty = { from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z' };
    for (const dataset of Object.keys(MEASURES)) {
      const body = await expectOracle(api, facts[dataset], { dataset, time_range: empty, measures: Object.keys(MEASURES[dataset]) });
      expect(body.rows).toHaveLength(1);
    }
    expect((await run(api, { dataset: 'sessions', time_range: empty })).rows).toEqual([{ row_count: 0 }]);
    const none = await run(api, { dataset: 'sessions', time_range: empty, measures: ['session_count', 'avg_duration_ms', 'p95_duration_ms', 'unique_users', 'total_tokens'] });
    expect(none.rows).toEqual([{ session_count: 0, avg_duration_ms: null, p95_duration_ms: null, unique_users: 0, total_tokens: 0 }]);
    // With dimensions, nothing matched is no rows at all.
    expect((await run(api, { dataset: 'sessions', time_range: empty, dimensions: ['status'] })).rows).toEqual([]);
  });

  it('the time range is half-open: from inclusive, to exclusive', async () => {
    const first = world.generations[0].created_at as string;
    const q = (from: string, to: string): Query => ({ dataset: 'llm_generations', time_range: { from, to }, measures: ['generation_count'] });
    expect((await run(api, q(first, '2026-04-01T00:00:00Z'))).rows).toEqual([{ generation_count: 7 }]);
    expect((await run(api, q(RANGE.from, first))).rows).toEqual([{ generation_count: 0 }]);
    expect((await run(api, q(first, new Date(Date.parse(first) + 1).toISOString()))).rows).toEqual([{ generation_count: 1 }]);
    // Offsets are honoured: 10:01+01:00 is 09:01Z, the first generation.
    expect((await run(api, q('2026-03-02T10:01:00+01:00', '2026-03-02T10:01:00.001+01:00'))).rows).toEqual([{ generation_count: 1 }]);
  });

  describe('order and limit', () => {
    it('default order: first measure descending, ties by the dimensions ascending', async () => {
      const body = await expectOracle(api, facts.tool_calls, { dataset: 'tool_calls', time_range: RANGE, dimensions: ['tool', 'status'], measures: ['call_count', 'duration_ms'] });
      expect(body.rows).toEqual([
        { tool: 'search', status: 'success', call_count: 2, duration_ms: 800 },
        { tool: 'calc', status: 'cancelled', call_count: 1, duration_ms: 50 },
        { tool: 'calc', status: 'timeout', call_count: 1, duration_ms: 0 },
        { tool: 'search', status: 'error', call_count: 1, duration_ms: 300 },
      ]);
    });

    it('default order with a time bucket: time ascending first', async () => {
      const body = await expectOracle(api, facts.llm_generations, { dataset: 'llm_generations', time_range: RANGE, dimensions: ['model', 'day'], measures: ['total_tokens'] });
      expect(body.rows.map((r: Row) => [r.day, r.model])).toEqual([
        ['2026-03-02T00:00:00Z', 'claude'], ['2026-03-02T00:00:00Z', 'gpt-5'], ['2026-03-03T00:00:00Z', 'claude'],
        ['2026-03-04T00:00:00Z', 'gpt-5-mini'], ['2026-03-05T00:00:00Z', 'gpt-5-mini'],
      ]);
    });

    it('explicit order_by on dimensions and measures, asc by default, nulls last ascending and first descending', async () => {
      for (const order_by of [
        [{ dimension: 'finish_reason' }],
        [{ dimension: 'finish_reason', direction: 'desc' as const }],
        [{ measure: 'input_tokens', direction: 'asc' as const }],
        [{ measure: 'avg_duration_ms', direction: 'desc' as const }, { dimension: 'model', direction: 'desc' as const }],
      ]) {
        await expectOracle(api, facts.llm_generations, { dataset: 'llm_generations', time_range: RANGE, dimensions: ['model', 'finish_reason'], measures: ['input_tokens', 'avg_duration_ms'], order_by });
      }
      const byReason = await run(api, { dataset: 'llm_generations', time_range: RANGE, dimensions: ['finish_reason'], order_by: [{ dimension: 'finish_reason', direction: 'desc' }] });
      expect(byReason.rows).toEqual([
        { finish_reason: null, row_count: 2 }, { finish_reason: 'stop', row_count: 3 }, { finish_reason: 'length', row_count: 1 }, { finish_reason: 'error', row_count: 1 },
      ]);
      const byCount = await run(api, { dataset: 'llm_generations', time_range: RANGE, dimensions: ['finish_reason'], order_by: [{ measure: 'row_count' }] });
      expect(byCount.rows).toEqual([
        { finish_reason: 'error', row_count: 1 }, { finish_reason: 'length', row_count: 1 }, { finish_reason: null, row_count: 2 }, { finish_reason: 'stop', row_count: 3 },
      ]);
    });

    it('limit cuts the ordered rows and says truncated only when more matched', async () => {
      const q: Query = { dataset: 'llm_generations', time_range: RANGE, dimensions: ['model'], measures: ['generation_count'] };
      expect(await run(api, { ...q, limit: 2 })).toMatchObject({ rows: [{ model: 'claude', generation_count: 3 }, { model: 'gpt-5', generation_count: 2 }], truncated: true });
      expect(await run(api, { ...q, limit: 3 })).toMatchObject({ rows: [{ model: 'claude' }, { model: 'gpt-5' }, { model: 'gpt-5-mini' }], truncated: false });
      expect(await run(api, { ...q, limit: 1 })).toMatchObject({ rows: [{ model: 'claude', generation_count: 3 }], truncated: true });
      await expectOracle(api, facts.llm_generations, { ...q, limit: 2 });
    });
  });

  describe('filters: every op on every field type, nulls included', () => {
    // finish_reason (text), session (id), duration_ms (number) and time_to_first_token_ms are
    // null on some generations; created_at (time) and error (boolean) never are.
    const gens = () => facts.llm_generations;
    const sessionId = () => world.sessions[0].id as string;
    const cases: [string, string, () => unknown][] = [
      ['finish_reason', 'eq', () => 'stop'],
      ['finish_reason', 'neq', () => 'stop'],
      ['finish_reason', 'in', () => ['stop', 'length']],
      ['finish_reason', 'not_in', () => ['stop', 'length']],
      ['finish_reason', 'is_null', () => true],
      ['finish_reason', 'is_null', () => false],
      ['model', 'eq', () => 'no-such-model'],
      ['session', 'eq', sessionId],
      ['session', 'neq', sessionId],
      ['session', 'in', () => [sessionId(), world.sessions[2].id]],
      ['session', 'not_in', () => [sessionId()]],
      ['session', 'is_null', () => true],
      ['session', 'is_null', () => false],
      ['user', 'eq', () => world.users[1]],
      ['agent', 'neq', () => world.agents[1]],
      ['duration_ms', 'eq', () => 800],
      ['duration_ms', 'neq', () => 800],
      ['duration_ms', 'gt', () => 800],
      ['duration_ms', 'gte', () => 800],
      ['duration_ms', 'lt', () => 800],
      ['duration_ms', 'lte', () => 800],
      ['duration_ms', 'in', () => [100, 250, 3000]],
      ['duration_ms', 'not_in', () => [100, 250, 3000]],
      ['duration_ms', 'is_null', () => true],
      ['duration_ms', 'is_null', () => false],
      ['duration_ms', 'lt', () => 450.5],
      ['time_to_first_token_ms', 'gte', () => 90],
      ['input_tokens', 'gt', () => 50],
      ['total_tokens', 'lte', () => 21],
      ['created_at', 'gt', () => '2026-03-03T07:00:00Z'],
      ['created_at', 'gte', () => '2026-03-03T07:00:00Z'],
      ['created_at', 'lt', () => '2026-03-03T08:00:00+01:00'],
      ['created_at', 'lte', () => '2026-03-03T07:00:00.000Z'],
      ['created_at', 'is_null', () => true],
      ['created_at', 'is_null', () => false],
      ['error', 'eq', () => true],
      ['error', 'neq', () => true],
      ['error', 'is_null', () => false],
    ];
    for (const [field, op, value] of cases) {
      it(`${field} ${op} ${field === 'session' || field === 'user' || field === 'agent' ? '<id>' : JSON.stringify(value())}`, async () => {
        await expectOracle(api, gens(), {
          dataset: 'llm_generations', time_range: RANGE, dimensions: ['model'], measures: ['generation_count', 'input_tokens'],
          filters: [{ field, op, value: value() }],
        });
      });
    }

    it('neq and not_in keep rows whose value is null; eq and in never match null', async () => {
      const q = (op: string, value: unknown): Query => ({ dataset: 'llm_generations', time_range: RANGE, measures: ['generation_count'], filters: [{ field: 'finish_reason', op, value }] });
      expect((await run(api, q('neq', 'stop'))).rows).toEqual([{ generation_count: 4 }]);
      expect((await run(api, q('not_in', ['stop', 'length', 'error']))).rows).toEqual([{ generation_count: 2 }]);
      expect((await run(api, q('eq', 'stop'))).rows).toEqual([{ generation_count: 3 }]);
      expect((await run(api, q('in', ['stop', 'length', 'error']))).rows).toEqual([{ generation_count: 5 }]);
      expect((await run(api, q('is_null', true))).rows).toEqual([{ generation_count: 2 }]);
    });

    it('filters are ANDed, and filter values on every dataset', async () => {
      await expectOracle(api, gens(), {
        dataset: 'llm_generations', time_range: RANGE, dimensions: ['provider'], measures: ['generation_count', 'total_tokens'],
        filters: [{ field: 'model', op: 'in', value: ['claude', 'gpt-5'] }, { field: 'duration_ms', op: 'gte', value: 450 }, { field: 'finish_reason', op: 'neq', value: 'error' }],
      });
      await expectOracle(api, facts.tool_calls, { dataset: 'tool_calls', time_range: RANGE, dimensions: ['tool'], measures: ['call_count'], filters: [{ field: 'capability', op: 'is_null', value: true }] });
      await expectOracle(api, facts.turns, { dataset: 'turns', time_range: RANGE, dimensions: ['status'], measures: ['turn_count'], filters: [{ field: 'iterations', op: 'not_in', value: [2] }] });
      await expectOracle(api, facts.sessions, { dataset: 'sessions', time_range: RANGE, dimensions: ['status'], measures: ['session_count'], filters: [{ field: 'duration_ms', op: 'lt', value: 10000 }, { field: 'status', op: 'neq', value: 'failed' }] });
      await expectOracle(api, facts.budget_postings, { dataset: 'budget_postings', time_range: RANGE, dimensions: ['currency'], measures: ['amount'], filters: [{ field: 'amount', op: 'lt', value: 0.15 }, { field: 'budget', op: 'neq', value: world.budgets[0] }] });
    });

    it('string values are data, never SQL', async () => {
      for (const value of ["stop' OR '1'='1", 'stop"; DROP TABLE fact_llm_generation; --', '%', '\\', '{"a":1}', '日本語']) {
        expect((await run(api, { dataset: 'llm_generations', time_range: RANGE, measures: ['generation_count'], filters: [{ field: 'finish_reason', op: 'in', value: [value, 'x,y', '{}'] }] })).rows).toEqual([{ generation_count: 0 }]);
      }
      expect((await run(api, { dataset: 'llm_generations', time_range: RANGE, measures: ['generation_count'] })).rows).toEqual([{ generation_count: 7 }]);
    });
  });
});

describe('time buckets across DST changes (SPEC §6: hour|day|week|month in the query timezone)', () => {
  let t: TestApp;
  let api: Api;
  // Berlin: CET→CEST on 2026-03-29 at 01:00Z, CEST→CET on 2026-10-25 at 01:00Z.
  // New York: EDT→EST on 2026-11-01 at 06:00Z.
  const instants = [
    '2026-03-29T00:30:00Z', '2026-03-29T01:30:00Z', '2026-03-31T21:30:00Z', '2026-03-31T22:30:00Z',
    '2026-10-24T21:30:00Z', '2026-10-24T22:10:00Z', '2026-10-24T23:20:00Z', '2026-10-25T00:05:00Z', '2026-10-25T00:40:00Z',
    '2026-10-25T01:15:00Z', '2026-10-25T01:50:00Z', '2026-10-25T02:30:00Z', '2026-10-25T23:30:00Z',
    '2026-10-31T03:30:00Z', '2026-11-01T04:30:00Z', '2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z', '2026-11-01T07:30:00Z',
  ];
  const facts: Row[] = instants.map((created_at, i) => ({ created_at, model: i % 2 ? 'odd' : 'even', input_tokens: 2 ** i }));
  const measures = ['generation_count', 'input_tokens'];
  const berlin = { from: '2026-03-28T00:00:00Z', to: '2026-10-30T00:00:00Z' };
  const newYork = { from: '2026-10-30T00:00:00Z', to: '2026-11-02T00:00:00Z' };
  const labels = async (q: Query) => (await expectOracle(api, facts, q)).rows.map((r: Row) => [r[q.dimensions![0]], r.generation_count]);

  beforeAll(async () => {
    t = await startTestApp();
    const owner = client(t, (await t.key('dst', 'owner')).key);
    api = owner;
    await owner.ingest('llm_generations', facts.map((f) => ({ id: newPublicId('gen'), model: f.model, provider: 'p', input_tokens: f.input_tokens, output_tokens: 0, created_at: f.created_at })));
    await owner.project();
  });
  afterAll(() => t.close());

  it('hour: the skipped hour is absent and the repeated hour is two buckets, each with its own offset', async () => {
    expect(await labels({ dataset: 'llm_generations', time_range: berlin, timezone: 'Europe/Berlin', dimensions: ['hour'], measures })).toEqual([
      ['2026-03-29T01:00:00+01:00', 1], ['2026-03-29T03:00:00+02:00', 1], ['2026-03-31T23:00:00+02:00', 1], ['2026-04-01T00:00:00+02:00', 1],
      ['2026-10-24T23:00:00+02:00', 1], ['2026-10-25T00:00:00+02:00', 1], ['2026-10-25T01:00:00+02:00', 1],
      ['2026-10-25T02:00:00+02:00', 2], ['2026-10-25T02:00:00+01:00', 2], ['2026-10-25T03:00:00+01:00', 1], ['2026-10-26T00:00:00+01:00', 1],
    ]);
    expect(await labels({ dataset: 'llm_generations', time_range: newYork, timezone: 'America/New_York', dimensions: ['hour'], measures })).toEqual([
      ['2026-10-30T23:00:00-04:00', 1], ['2026-11-01T00:00:00-04:00', 1], ['2026-11-01T01:00:00-04:00', 1], ['2026-11-01T01:00:00-05:00', 1], ['2026-11-01T02:00:00-05:00', 1],
    ]);
  });

  it('day: a 23-hour and a 25-hour day, local midnights with the offset of the day', async () => {
    expect(await labels({ dataset: 'llm_generations', time_range: berlin, timezone: 'Europe/Berlin', dimensions: ['day'], measures })).toEqual([
      ['2026-03-29T00:00:00+01:00', 2], ['2026-03-31T00:00:00+02:00', 1], ['2026-04-01T00:00:00+02:00', 1],
      ['2026-10-24T00:00:00+02:00', 1], ['2026-10-25T00:00:00+02:00', 7], ['2026-10-26T00:00:00+01:00', 1],
    ]);
    expect(await labels({ dataset: 'llm_generations', time_range: newYork, timezone: 'America/New_York', dimensions: ['day'], measures })).toEqual([
      ['2026-10-30T00:00:00-04:00', 1], ['2026-11-01T00:00:00-04:00', 4],
    ]);
  });

  it('week: ISO weeks from Monday, across the change', async () => {
    expect(await labels({ dataset: 'llm_generations', time_range: berlin, timezone: 'Europe/Berlin', dimensions: ['week'], measures })).toEqual([
      ['2026-03-23T00:00:00+01:00', 2], ['2026-03-30T00:00:00+02:00', 2], ['2026-10-19T00:00:00+02:00', 8], ['2026-10-26T00:00:00+01:00', 1],
    ]);
    expect(await labels({ dataset: 'llm_generations', time_range: newYork, timezone: 'America/New_York', dimensions: ['week'], measures })).toEqual([
      ['2026-10-26T00:00:00-04:00', 5],
    ]);
  });

  it('month: local month starts', async () => {
    expect(await labels({ dataset: 'llm_generations', time_range: berlin, timezone: 'Europe/Berlin', dimensions: ['month'], measures })).toEqual([
      ['2026-03-01T00:00:00+01:00', 3], ['2026-04-01T00:00:00+02:00', 1], ['2026-10-01T00:00:00+02:00', 9],
    ]);
    expect(await labels({ dataset: 'llm_generations', time_range: newYork, timezone: 'America/New_York', dimensions: ['month'], measures })).toEqual([
      ['2026-10-01T00:00:00-04:00', 1], ['2026-11-01T00:00:00-04:00', 4],
    ]);
  });

  it('UTC is the default zone; buckets combine with other dimensions', async () => {
    expect(await labels({ dataset: 'llm_generations', time_range: berlin, dimensions: ['month'], measures })).toEqual([
      ['2026-03-01T00:00:00Z', 4], ['2026-10-01T00:00:00Z', 9],
    ]);
    await expectOracle(api, facts, { dataset: 'llm_generations', time_range: berlin, timezone: 'Europe/Berlin', dimensions: ['model', 'day', 'hour'], measures });
    await expectOracle(api, facts, { dataset: 'llm_generations', time_range: newYork, timezone: 'America/New_York', dimensions: ['hour', 'model'], measures, order_by: [{ measure: 'input_tokens', direction: 'desc' }] });
    await expectOracle(api, facts, { dataset: 'llm_generations', time_range: berlin, timezone: 'Asia/Kolkata', dimensions: ['hour'], measures });
  });
});
