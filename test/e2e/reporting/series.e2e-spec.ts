import fc from 'fast-check';
import { DATASET_BY_NAME, isAdditive } from '#src/reporting/catalog/catalog.js';
import { rollupCovers, rollupOf } from '#src/reporting/catalog/rollup.js';
import { planReportQuery } from '#src/reporting/query/report-query.plan.js';
import { ReportQueryService } from '#src/reporting/query/report-query.service.js';
import { client } from '../../support/api.js';
import { generation } from '../../support/factories.js';
import { rfc3339InZone } from '../../support/oracle.js';
import { invalidQueryProblem } from '../../support/problems.js';
import { prng } from '../../support/prng.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { canonical, expected, type Fact, type Gran, type Measure, type Range, type SeriesQuery } from './series.oracle.js';

/*
 * SPEC §11 compare, cumulative and top through HTTP, rows against series.oracle.ts (plain
 * TypeScript over the inserted facts), in UTC, Europe/Berlin and America/New_York, over 23- and
 * 25-hour days and month ends; each answer also down the other path (rollup ↔ facts).
 */

const MODELS = ['a', 'b', 'c', 'd', 'e'];
const WEIGHTS = [0.35, 0.25, 0.2, 0.15, 0.05];

/** Random facts in [from, to): skewed models, some unknown durations, times on and off the hour. */
function randomFacts(seed: number, from: string, to: string, n: number): Fact[] {
  const r = prng(seed);
  const span = Date.parse(to) - Date.parse(from);
  return Array.from({ length: n }, () => {
    let x = r();
    const model = MODELS[WEIGHTS.findIndex((w) => (x -= w) < 0)] ?? 'e';
    const ms = Date.parse(from) + Math.floor(r() * span);
    return { model, at: new Date(r() < 0.2 ? ms - (ms % 3_600_000) : ms).toISOString(), duration_ms: r() < 0.1 ? null : Math.floor(r() * 5000), tokens: 0 };
  }).map((f, i) => ({ ...f, tokens: 10 + (i % 17) * 3 }));
}

// June: hand-made ties for top (b, c and d have 3 facts each; a 2; e 1), on two days.
const TIES: Fact[] = [
  ['b', '2026-06-10T01:00:00Z', 100], ['b', '2026-06-10T02:00:00Z', 200], ['b', '2026-06-11T03:00:00Z', 300],
  ['c', '2026-06-10T04:00:00Z', 400], ['c', '2026-06-11T05:00:00Z', 500], ['c', '2026-06-11T06:00:00Z', 600],
  ['d', '2026-06-10T07:00:00Z', 700], ['d', '2026-06-10T08:00:00Z', 1700], ['d', '2026-06-11T09:00:00Z', 900],
  ['a', '2026-06-10T10:00:00Z', 1000], ['a', '2026-06-11T11:00:00Z', 1100],
  ['e', '2026-06-10T12:00:00Z', null],
].map(([model, at, duration_ms], i) => ({ model: model as string, at: at as string, duration_ms: duration_ms as number | null, tokens: 20 + i }));

const FACTS: Fact[] = [
  ...randomFacts(1, '2026-01-25T00:00:00Z', '2026-05-03T00:00:00Z', 700),
  ...randomFacts(2, '2025-10-14T00:00:00Z', '2025-10-31T00:00:00Z', 150),
  ...randomFacts(3, '2026-10-14T00:00:00Z', '2026-10-31T00:00:00Z', 150),
  ...TIES,
];

interface Case {
  name: string;
  q: SeriesQuery;
  /** The wire options beside dimensions and measures. */
  wire: Record<string, unknown>;
}

const BERLIN = 'Europe/Berlin';
const NY = 'America/New_York';
const ALL: Measure[] = ['generation_count', 'total_tokens', 'avg_duration_ms', 'p95_duration_ms'];
const april: Range = { from: '2026-04-01T00:00:00+02:00', to: '2026-05-01T00:00:00+02:00' };
const march: Range = { from: '2026-03-01T00:00:00+01:00', to: '2026-04-01T00:00:00+02:00' };
const february: Range = { from: '2026-02-01T00:00:00+01:00', to: '2026-03-01T00:00:00+01:00' };

const CASES: Case[] = [
  {
    name: 'previous_period of a 30-day calendar month (Berlin) is the 31-day month before, paired by day',
    q: { range: april, tz: BERLIN, time: 'day', byModel: true, measures: ALL, previous: march },
    wire: { compare: 'previous_period' },
  },
  {
    name: 'previous_period of a 31-day month holding the 23-hour day is 28-day February: days 29–31 have no previous',
    q: { range: march, tz: BERLIN, time: 'day', byModel: false, measures: ['generation_count', 'avg_duration_ms'], previous: february },
    wire: { compare: 'previous_period' },
  },
  {
    name: 'previous_period of the 23-hour day by hour (Berlin) is the 24-hour day before, paired by position',
    q: { range: { from: '2026-03-29T00:00:00+01:00', to: '2026-03-30T00:00:00+02:00' }, tz: BERLIN, time: 'hour', byModel: false, measures: ['generation_count', 'total_tokens'], previous: { from: '2026-03-28T00:00:00+01:00', to: '2026-03-29T00:00:00+01:00' } },
    wire: { compare: 'previous_period' },
  },
  {
    name: 'previous_year of ten days holding the 25-hour day (Berlin): the same local dates of 2025',
    q: { range: { from: '2026-10-20T00:00:00+02:00', to: '2026-10-30T00:00:00+01:00' }, tz: BERLIN, time: 'day', byModel: true, measures: ['generation_count', 'p95_duration_ms'], previous: { from: '2025-10-20T00:00:00+02:00', to: '2025-10-30T00:00:00+01:00' } },
    wire: { compare: 'previous_year' },
  },
  {
    name: 'previous_period of a New York week over the US DST start: 7 local days before',
    q: { range: { from: '2026-03-05T00:00:00-05:00', to: '2026-03-12T00:00:00-04:00' }, tz: NY, time: 'day', byModel: true, measures: ['total_tokens'], previous: { from: '2026-02-26T00:00:00-05:00', to: '2026-03-05T00:00:00-05:00' } },
    wire: { compare: 'previous_period' },
  },
  {
    name: 'previous_period of an unaligned range without a time bucket: the same duration before (facts path)',
    q: { range: { from: '2026-04-10T12:30:00Z', to: '2026-04-12T12:30:00Z' }, tz: 'UTC', byModel: true, measures: ALL, previous: { from: '2026-04-08T12:30:00Z', to: '2026-04-10T12:30:00Z' } },
    wire: { compare: 'previous_period' },
  },
  {
    name: 'row_count only, one aggregate row, previous_year in New York',
    q: { range: { from: '2026-10-20T00:00:00-04:00', to: '2026-10-27T00:00:00-04:00' }, tz: NY, byModel: false, measures: [], previous: { from: '2025-10-20T00:00:00-04:00', to: '2025-10-27T00:00:00-04:00' } },
    wire: { compare: 'previous_year' },
  },
  {
    name: 'cumulative with fill zero carries the running total across empty days (Berlin, over the 23-hour day)',
    q: { range: { from: '2026-03-25T00:00:00+01:00', to: '2026-04-04T00:00:00+02:00' }, tz: BERLIN, time: 'day', byModel: true, measures: ['generation_count', 'total_tokens', 'avg_duration_ms'], fill: true, cumulative: ['generation_count', 'total_tokens'] },
    wire: { fill: 'zero', cumulative: ['generation_count', 'total_tokens'] },
  },
  {
    name: 'cumulative by hour over the 25-hour day (Berlin), without fill',
    q: { range: { from: '2026-10-25T00:00:00+02:00', to: '2026-10-26T00:00:00+01:00' }, tz: BERLIN, time: 'hour', byModel: false, measures: [], cumulative: ['row_count'] },
    wire: { cumulative: ['row_count'] },
  },
  {
    name: 'cumulative by month in New York',
    q: { range: { from: '2026-01-01T00:00:00-05:00', to: '2026-06-01T00:00:00-04:00' }, tz: NY, time: 'month', byModel: true, measures: ['total_tokens'], cumulative: ['total_tokens'] },
    wire: { cumulative: ['total_tokens'] },
  },
  {
    name: 'top 2 models by total_tokens over April, by day, without other',
    q: { range: april, tz: BERLIN, time: 'day', byModel: true, measures: ['total_tokens', 'avg_duration_ms'], top: { n: 2, by: 'total_tokens', other: false } },
    wire: { top: { dimension: 'model', n: 2, by: 'total_tokens' } },
  },
  {
    name: 'top 2 with ties (b, c, d at 3) keeps b and c; other merges a, d, e with a true average and p95',
    q: { range: { from: '2026-06-10T00:00:00Z', to: '2026-06-12T00:00:00Z' }, tz: 'UTC', time: 'day', byModel: true, measures: ['generation_count', 'avg_duration_ms', 'p95_duration_ms'], top: { n: 2, by: 'generation_count', other: true } },
    wire: { top: { dimension: 'model', n: 2, by: 'generation_count', other: true } },
  },
  {
    name: 'top by a non-additive measure (p95), other, no time bucket',
    q: { range: { from: '2026-06-10T00:00:00Z', to: '2026-06-12T00:00:00Z' }, tz: 'UTC', byModel: true, measures: ['p95_duration_ms', 'generation_count'], top: { n: 1, by: 'p95_duration_ms', other: true } },
    wire: { top: { dimension: 'model', n: 1, by: 'p95_duration_ms', other: true } },
  },
  {
    name: 'all four: top 3 with other, fill, cumulative and compare (Berlin April vs March)',
    q: { range: april, tz: BERLIN, time: 'day', byModel: true, measures: ['generation_count', 'avg_duration_ms'], fill: true, cumulative: ['generation_count'], previous: march, top: { n: 3, by: 'generation_count', other: true } },
    wire: { fill: 'zero', cumulative: ['generation_count'], compare: 'previous_period', top: { dimension: 'model', n: 3, by: 'generation_count', other: true } },
  },
  {
    name: 'row_count only: top by row_count with compare and cumulative (New York, by week)',
    q: { range: { from: '2026-02-02T00:00:00-05:00', to: '2026-04-27T00:00:00-04:00' }, tz: NY, time: 'week', byModel: true, measures: [], cumulative: ['row_count'], previous: { from: '2025-11-10T00:00:00-05:00', to: '2026-02-02T00:00:00-05:00' }, top: { n: 2, by: 'row_count', other: true } },
    wire: { compare: 'previous_period', cumulative: ['row_count'], top: { dimension: 'model', n: 2, by: 'row_count', other: true } },
  },
];

const wireOf = (c: Case) => ({
  dataset: 'llm_generations',
  time_range: c.q.range,
  dimensions: [...(c.q.time ? [c.q.time] : []), ...(c.q.byModel ? ['model'] : [])],
  measures: c.q.measures.filter((m) => m !== 'row_count'),
  timezone: c.q.tz,
  limit: 10_000,
  ...c.wire,
});

describe('compare, cumulative and top (SPEC §11)', () => {
  let t: TestApp;
  let api: ReturnType<typeof client>;
  let orgId: string;

  beforeAll(async () => {
    t = await startTestApp();
    const key = await t.key('series', 'owner');
    api = client(t, key.key);
    orgId = key.orgId;
    const records = FACTS.map((f) => generation({ model: f.model, created_at: f.at, duration_ms: f.duration_ms, input_tokens: f.tokens - 5, output_tokens: 5 }));
    for (let i = 0; i < records.length; i += 500) await api.ingest('llm_generations', records.slice(i, i + 500));
    await api.project();
  });
  afterAll(() => t.close());

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const res = await api.post('/v1/reports/query', wireOf(c));
    if (res.status !== 200) { const reports = t.app.get(ReportQueryService); await reports.run(orgId, reports.resolve(wireOf(c))); }
    expect(res.status).toBe(200);
    expect({ rows: canonical(res.body.rows), truncated: res.body.truncated }).toEqual({ rows: expected(FACTS, c.q), truncated: false });
    expect(res.body.time_range).toEqual({ from: rfc3339InZone(Date.parse(c.q.range.from), c.q.tz), to: rfc3339InZone(Date.parse(c.q.range.to), c.q.tz) });
    if (c.q.previous) expect(res.body.previous_time_range).toEqual({ from: rfc3339InZone(Date.parse(c.q.previous.from), c.q.tz), to: rfc3339InZone(Date.parse(c.q.previous.to), c.q.tz) });
    else expect(res.body).not.toHaveProperty('previous_time_range');
    // The same rows from the facts where the planner picked the rollup.
    if (res.body.served_by === 'rollup') {
      const reports = t.app.get(ReportQueryService);
      const other = await reports.run(orgId, reports.resolve(wireOf(c)), 'facts');
      expect(other.rows).toEqual(res.body.rows);
    }
  });

  it('the planner serves options from the rollup when both ranges are servable, from the facts otherwise', async () => {
    const served = async (c: Case) => (await api.post('/v1/reports/query', wireOf(c))).body.served_by;
    expect(await Promise.all(CASES.map(served))).toEqual(CASES.map((c) => (c.q.measures.includes('p95_duration_ms') || c.q.range.from.includes(':30:') ? 'facts' : 'rollup')));
  });

  it('column order: dimensions, then per measure m, m_cumulative, m_previous, m_change; order_by may name the added columns', async () => {
    const c = CASES[CASES.length - 2];
    const res = await api.post('/v1/reports/query', { ...wireOf(c), measures: ['generation_count', 'avg_duration_ms'], order_by: [{ measure: 'generation_count_change', direction: 'desc' }, { measure: 'generation_count_cumulative' }], limit: 5 });
    expect(res.body.columns).toEqual([
      { name: 'day', kind: 'dimension' },
      { name: 'model', kind: 'dimension' },
      { name: 'generation_count', kind: 'measure' },
      { name: 'generation_count_cumulative', kind: 'measure' },
      { name: 'generation_count_previous', kind: 'measure' },
      { name: 'generation_count_change', kind: 'measure' },
      { name: 'avg_duration_ms', kind: 'measure' },
      { name: 'avg_duration_ms_previous', kind: 'measure' },
      { name: 'avg_duration_ms_change', kind: 'measure' },
    ]);
    // desc puts nulls first (as for any measure), then the largest change; ties by the cumulative, then the dimensions.
    const all = expected(FACTS, c.q);
    const key = (r: Record<string, unknown>) => [r.generation_count_change === null ? Infinity : (r.generation_count_change as number), -(r.generation_count_cumulative as number), Date.parse(r.day as string)];
    const sorted = [...all].sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      return y[0] - x[0] || y[1] - x[1] || x[2] - y[2] || (a.model! < b.model! ? -1 : a.model! > b.model! ? 1 : 0);
    });
    expect({ rows: res.body.rows.slice(0, 3).map((r: { day: string; model: string }) => [r.day, r.model]), truncated: res.body.truncated }).toEqual({ rows: sorted.slice(0, 3).map((r) => [r.day, r.model]), truncated: true });
  });

  it('saved reports store the options and run them; exports (envelope and streamed CSV) carry the added columns', async () => {
    const c = CASES[CASES.length - 2];
    const saved = await api.post('/v1/reports/saved', { name: 'Top models vs March', query: wireOf(c) });
    expect(saved.status).toBe(201);
    expect(saved.body.query).toEqual(wireOf(c));
    const run = await api.post(`/v1/reports/saved/${saved.body.id}/run`);
    expect(canonical(run.body.rows)).toEqual(expected(FACTS, c.q));
    const header = '"day","model","generation_count","generation_count_cumulative","generation_count_previous","generation_count_change","avg_duration_ms","avg_duration_ms_previous","avg_duration_ms_change"';
    const envelope = await api.post(`/v1/reports/saved/${saved.body.id}/export`, {});
    expect(envelope.body.content.split('\r\n')[0]).toBe(header);
    expect(envelope.body.content.trimEnd().split('\r\n').length).toBe(1 + expected(FACTS, c.q).length);
    const stream = await api.post('/v1/reports/query/export', { query: wireOf(c) }).set('accept', 'text/csv').buffer(true).parse((res, done) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => done(null, text));
    });
    expect(stream.status).toBe(200);
    expect(stream.body).toBe(envelope.body.content);
  });

  it('a previous range whose edge the zone cannot print in RFC 3339 (local mean time) is echoed in UTC', async () => {
    const res = await api.post('/v1/reports/query', { dataset: 'llm_generations', time_range: { from: '1906-01-01T00:00:00+05:30', to: '1906-01-02T00:00:00+05:30' }, timezone: 'Asia/Kolkata', compare: 'previous_period' });
    expect({ status: res.status, time_range: res.body.time_range, previous_time_range: res.body.previous_time_range }).toEqual({
      status: 200,
      time_range: { from: '1906-01-01T00:00:00+05:30', to: '1906-01-02T00:00:00+05:30' },
      // Until 1905-12-31T18:38:50Z Kolkata kept +05:21:10, so from is not a local midnight there: the
      // previous range is the same 24 hours before, and its edges (at +05:21:10) echo in UTC.
      previous_time_range: { from: '1905-12-30T18:30:00.000Z', to: '1905-12-31T18:30:00.000Z' },
    });
  });

  it('every invalid option is listed in one 400 with its pointer', async () => {
    const base = { dataset: 'llm_generations', time_range: april, measures: ['generation_count', 'avg_duration_ms'] };
    const buckets = ['hour', 'day', 'week', 'month'];
    const cases: [Record<string, unknown>, { pointer: string; message: string; allowed?: string[] }[]][] = [
      [{ ...base, dimensions: ['day'], compare: 'last_week' }, [{ pointer: '/compare', message: 'compare must be one of previous_period, previous_year, got "last_week"', allowed: ['previous_period', 'previous_year'] }]],
      [{ ...base, dimensions: ['day', 'hour'], compare: 'previous_year' }, [{ pointer: '/compare', message: 'compare pairs time buckets by position, so it takes at most one time bucket among the dimensions (day and hour are)', allowed: buckets }]],
      [{ ...base, dimensions: ['day'], cumulative: 'generation_count' }, [{ pointer: '/cumulative', message: 'cumulative must be an array of selected measure names', allowed: ['generation_count', 'avg_duration_ms'] }]],
      [
        { ...base, dimensions: ['model'], cumulative: ['avg_duration_ms', 'total_tokens', 'generation_count', 'generation_count', 7] },
        [
          { pointer: '/cumulative/0', message: 'a running total needs a sum or a count; "avg_duration_ms" is an average (aggregation avg)', allowed: ['generation_count'] },
          { pointer: '/cumulative/1', message: 'cumulative may only name a selected measure, got "total_tokens"', allowed: ['generation_count'] },
          { pointer: '/cumulative/3', message: 'duplicate measure "generation_count"' },
          { pointer: '/cumulative/4', message: 'cumulative may only name a selected measure, got 7', allowed: ['generation_count'] },
          { pointer: '/cumulative', message: 'cumulative needs exactly one time bucket among the dimensions (none is selected)', allowed: buckets },
        ],
      ],
      [{ ...base, measures: ['p95_duration_ms', 'unique_users'].slice(0, 1), dimensions: ['day'], cumulative: ['p95_duration_ms'] }, [{ pointer: '/cumulative/0', message: 'a running total needs a sum or a count; "p95_duration_ms" is a percentile (aggregation p95)', allowed: [] }]],
      [{ dataset: 'sessions', time_range: april, measures: ['unique_users'], dimensions: ['day', 'week'], cumulative: ['unique_users'] }, [
        { pointer: '/cumulative/0', message: 'a running total needs a sum or a count; "unique_users" is a distinct count (aggregation count_distinct)', allowed: [] },
        { pointer: '/cumulative', message: 'cumulative needs exactly one time bucket among the dimensions (day and week are)', allowed: buckets },
      ]],
      [{ ...base, dimensions: ['day'], cumulative: ['row_count'] }, [{ pointer: '/cumulative/0', message: 'cumulative may only name a selected measure, got "row_count"', allowed: ['generation_count'] }]],
      [{ ...base, measures: [], dimensions: ['day'], cumulative: ['generation_count'] }, [{ pointer: '/cumulative/0', message: 'cumulative may only name a selected measure (row_count when none is selected), got "generation_count"', allowed: ['row_count'] }]],
      [{ ...base, dimensions: ['day', 'model'], top: 3 }, [{ pointer: '/top', message: 'top must be an object {dimension, n, by, other}' }]],
      [
        { ...base, dimensions: ['day', 'model'], top: { dimension: 'day', n: 0, by: 'total_tokens', other: 'yes', limit: 3 } },
        [
          { pointer: '/top/limit', message: 'unknown field "limit"', allowed: ['dimension', 'n', 'by', 'other'] },
          { pointer: '/top/dimension', message: 'top.dimension must be a selected dimension other than a time bucket, got "day" (a time bucket cannot be ranked)', allowed: ['model'] },
          { pointer: '/top/n', message: 'n must be an integer from 1 to 100, got 0' },
          { pointer: '/top/by', message: 'top.by must be a selected measure, got "total_tokens"', allowed: ['generation_count', 'avg_duration_ms'] },
          { pointer: '/top/other', message: 'other must be true or false, got "yes"' },
        ],
      ],
      [
        { ...base, measures: [], dimensions: ['day'], top: { dimension: 'provider', n: 101 } },
        [
          { pointer: '/top/dimension', message: 'top.dimension must be a selected dimension other than a time bucket, got "provider"', allowed: [] },
          { pointer: '/top/n', message: 'n must be an integer from 1 to 100, got 101' },
          { pointer: '/top/by', message: 'top.by must be a selected measure (row_count when none is selected) (required)', allowed: ['row_count'] },
        ],
      ],
      [
        { ...base, dimensions: ['model'], top: { by: 'generation_count', n: 2.5 } },
        [
          { pointer: '/top/dimension', message: 'dimension is required: a selected dimension other than a time bucket', allowed: ['model'] },
          { pointer: '/top/n', message: 'n must be an integer from 1 to 100, got 2.5' },
        ],
      ],
      [{ ...base, dimensions: ['model'], top: { dimension: 'model', by: 'generation_count' } }, [{ pointer: '/top/n', message: 'n must be an integer from 1 to 100 (required)' }]],
      [
        { ...base, dimensions: ['model'], order_by: [{ measure: 'generation_count_change' }, { measure: 'generation_count_cumulative' }], compare: 'previous_period' },
        [{ pointer: '/order_by/1/measure', message: 'order_by may only name a selected measure, got "generation_count_cumulative"', allowed: ['generation_count', 'avg_duration_ms', 'generation_count_previous', 'generation_count_change', 'avg_duration_ms_previous', 'avg_duration_ms_change'] }],
      ],
      [{ ...base, time_range: { from: '0001-01-01T00:00:00Z', to: '0001-02-01T00:00:00Z' }, compare: 'previous_period' }, [{ pointer: '/compare', message: 'the range compared with would start before the year 1' }]],
    ];
    for (const [query, errors] of cases) {
      const res = await api.post('/v1/reports/query', query);
      expect({ query, body: res.body }).toEqual({ query, body: invalidQueryProblem(errors) });
    }
    // Through the export and a saved report too, with the pointer under /query.
    const exp = await api.post('/v1/reports/query/export', { query: { ...base, dimensions: ['day'], compare: 'yesterday' } });
    expect(exp.body).toEqual(invalidQueryProblem([{ pointer: '/query/compare', message: 'compare must be one of previous_period, previous_year, got "yesterday"', allowed: ['previous_period', 'previous_year'] }], '/v1/reports/query/export'));
    const saved = await api.post('/v1/reports/saved', { name: 'bad', query: { ...base, dimensions: ['model'], cumulative: ['generation_count'] } });
    expect(saved.body.errors).toEqual([{ pointer: '/query/cumulative', message: 'cumulative needs exactly one time bucket among the dimensions (none is selected)', allowed: buckets }]);
  });

  it('a random combination of options gives the same answer from the rollup as from the facts', async () => {
    const reports = t.app.get(ReportQueryService);
    const d = DATASET_BY_NAME.get('llm_generations')!;
    const dims = rollupOf(d).dimensions.map((x) => x.name);
    const covered = d.measures.filter((m) => rollupCovers(d, m.name));
    const START = Date.parse('2026-01-26T00:00:00Z');
    const HOUR = 3_600_000;
    const query = fc
      .record({
        dims: fc.subarray(dims, { maxLength: 2 }),
        bucket: fc.constantFrom(null, 'hour', 'day', 'week', 'month'),
        measures: fc.subarray(covered.map((m) => m.name), { maxLength: 4 }),
        timezone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York'),
        fromHour: fc.integer({ min: 0, max: 90 * 24 }),
        hours: fc.oneof(fc.integer({ min: 1, max: 72 }), fc.integer({ min: 72, max: 60 * 24 })),
        compare: fc.constantFrom(undefined, 'previous_period', 'previous_year'),
        fill: fc.boolean(),
        cumulative: fc.boolean(),
        top: fc.option(fc.record({ n: fc.integer({ min: 1, max: 4 }), other: fc.boolean(), pick: fc.nat() }), { nil: undefined }),
        limit: fc.constantFrom(5, 10_000),
      })
      .map((x) => {
        const columns = x.measures.length ? x.measures : ['row_count'];
        const additive = columns.filter((n) => n === 'row_count' || isAdditive(d.measures.find((m) => m.name === n)!));
        return {
          dataset: d.name,
          time_range: { from: new Date(START + x.fromHour * HOUR).toISOString(), to: new Date(START + (x.fromHour + x.hours) * HOUR).toISOString() },
          dimensions: x.bucket ? [x.bucket, ...x.dims] : x.dims,
          measures: x.measures,
          timezone: x.timezone,
          limit: x.limit,
          ...(x.compare ? { compare: x.compare } : {}),
          ...(x.bucket && x.fill ? { fill: 'zero' } : {}),
          ...(x.bucket && x.cumulative && additive.length ? { cumulative: additive.slice(0, 2) } : {}),
          ...(x.top && x.dims.length ? { top: { dimension: x.dims[x.top.pick % x.dims.length], n: x.top.n, by: columns[x.top.pick % columns.length], other: x.top.other } } : {}),
        };
      });
    let withData = 0;
    await fc.assert(
      fc.asyncProperty(query, async (wire) => {
        const q = reports.resolve(wire);
        expect(planReportQuery(q)).toBe('rollup');
        const [fromRollup, fromFacts] = [await reports.run(orgId, q, 'rollup'), await reports.run(orgId, q, 'facts')];
        const strip = ({ as_of: _a, freshness_lag_ms: _f, served_by: _s, ...rest }: Record<string, unknown>) => rest;
        expect(strip({ ...fromRollup })).toEqual(strip({ ...fromFacts }));
        if (fromFacts.rows.some((row) => Object.values(row).some((v) => typeof v === 'number' && v !== 0))) withData += 1;
      }),
      { numRuns: 80, seed: 11, endOnFailure: true },
    );
    // The comparison means something only if most queries find facts.
    expect(withData).toBeGreaterThan(40);
  });
});
