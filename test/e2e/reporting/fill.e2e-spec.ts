import { ReportQueryService } from '#src/reporting/query/report-query.service.js';
import { client } from '../../support/api.js';
import { generation } from '../../support/factories.js';
import { bucket, rfc3339InZone } from '../../support/oracle.js';
import { invalidQueryProblem } from '../../support/problems.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

/*
 * SPEC §11 fill "zero" through HTTP, rows against an oracle that walks the zone's buckets with
 * oracle.ts's labels (never the SQL under test), over ranges holding a 23-hour and a 25-hour day.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Gran = 'hour' | 'day' | 'week' | 'month';

/** The bucket labels of [from, to) in the zone: from the one holding from, stepping to the next label. */
function buckets(from: string, to: string, g: Gran, tz: string): string[] {
  const out: string[] = [];
  let label = bucket(from, g, tz);
  const step = { hour: HOUR, day: 30 * HOUR, week: 8 * DAY, month: 32 * DAY }[g];
  while (Date.parse(label) < Date.parse(to)) {
    out.push(label);
    label = bucket(new Date(Date.parse(label) + step).toISOString(), g, tz);
  }
  return out;
}

describe('fill "zero" (SPEC §11)', () => {
  let t: TestApp;
  let api: ReturnType<typeof client>;
  let orgId: string;
  // Two models on a few days only, so most buckets are empty; durations make averages known.
  const facts = [
    { model: 'a', at: '2026-03-27T10:00:00Z', duration_ms: 100 },
    { model: 'a', at: '2026-03-29T10:00:00Z', duration_ms: 300 },
    { model: 'b', at: '2026-03-29T22:30:00Z', duration_ms: 500 },
    { model: 'a', at: '2026-10-25T00:30:00Z', duration_ms: 700 },
    { model: 'b', at: '2026-11-01T05:30:00Z', duration_ms: 900 },
  ];

  beforeAll(async () => {
    t = await startTestApp();
    const key = await t.key('fill', 'owner');
    api = client(t, key.key);
    orgId = key.orgId;
    await api.ingest('llm_generations', facts.map((f) => generation({ model: f.model, created_at: f.at, duration_ms: f.duration_ms })));
    await api.project();
  });
  afterAll(() => t.close());

  const oracle = (range: { from: string; to: string }, g: Gran, tz: string, byModel: boolean) => {
    const inRange = facts.filter((f) => Date.parse(f.at) >= Date.parse(range.from) && Date.parse(f.at) < Date.parse(range.to));
    const models = byModel ? [...new Set(inRange.map((f) => f.model))].sort() : [undefined];
    const rows: Record<string, unknown>[] = [];
    for (const label of buckets(range.from, range.to, g, tz)) {
      for (const model of models) {
        const here = inRange.filter((f) => bucket(f.at, g, tz) === label && (model === undefined || f.model === model));
        rows.push({
          [g]: label,
          ...(byModel ? { model } : {}),
          generation_count: here.length,
          total_tokens: here.length * 15,
          avg_duration_ms: here.length ? here.reduce((s, f) => s + f.duration_ms, 0) / here.length : null,
        });
      }
    }
    return rows;
  };

  const cases: [string, { from: string; to: string }, Gran, boolean][] = [
    ['Europe/Berlin', { from: '2026-03-25T00:00:00+01:00', to: '2026-04-01T00:00:00+02:00' }, 'day', true],
    ['Europe/Berlin', { from: '2026-10-24T00:00:00+02:00', to: '2026-10-27T00:00:00+01:00' }, 'day', false],
    ['Europe/Berlin', { from: '2026-03-28T22:00:00Z', to: '2026-03-29T06:00:00Z' }, 'hour', false],
    ['America/New_York', { from: '2026-10-30T00:00:00-04:00', to: '2026-11-03T00:00:00-05:00' }, 'day', true],
    ['America/New_York', { from: '2026-11-01T03:00:00Z', to: '2026-11-01T09:00:00Z' }, 'hour', true],
    ['America/New_York', { from: '2026-01-10T00:00:00-05:00', to: '2026-12-31T00:00:00-05:00' }, 'month', false],
    ['UTC', { from: '2026-03-20T12:00:00Z', to: '2026-04-08T00:00:00Z' }, 'week', true],
  ];

  it.each(cases)('%s %j by %s (by model: %s): every bucket, empty ones zero (averages null), down the path the planner picks', async (tz, range, g, byModel) => {
    const dimensions = byModel ? [g, 'model'] : [g];
    const q = { dataset: 'llm_generations', time_range: range, dimensions, measures: ['generation_count', 'total_tokens', 'avg_duration_ms'], timezone: tz, fill: 'zero', limit: 1000 };
    const res = await api.post('/v1/reports/query', q);
    expect({ status: res.status, rows: res.body.rows, truncated: res.body.truncated }).toEqual({ status: 200, rows: oracle(range, g, tz, byModel), truncated: false });
    expect(res.body.time_range).toEqual({ from: rfc3339InZone(Date.parse(range.from), tz), to: rfc3339InZone(Date.parse(range.to), tz) });
    // The same rows down the other path (the rollup where the planner picked it, else the facts again).
    const reports = t.app.get(ReportQueryService);
    const query = reports.resolve(q);
    const other = await reports.run(orgId, query, res.body.served_by === 'rollup' ? 'facts' : 'rollup');
    expect(other.rows).toEqual(res.body.rows);
  });

  it('23 and 25 buckets on the DST days, by hour', async () => {
    for (const [tz, day, hours] of [['Europe/Berlin', { from: '2026-03-29T00:00:00+01:00', to: '2026-03-30T00:00:00+02:00' }, 23], ['America/New_York', { from: '2026-11-01T00:00:00-04:00', to: '2026-11-02T00:00:00-05:00' }, 25]] as const) {
      const res = await api.post('/v1/reports/query', { dataset: 'llm_generations', time_range: day, dimensions: ['hour'], fill: 'zero', timezone: tz });
      expect({ tz, n: res.body.rows.length, total: res.body.rows.reduce((s: number, r: { row_count: number }) => s + r.row_count, 0) }).toEqual({ tz, n: hours, total: oracle(day, 'hour', tz, false).reduce((s, r) => s + (r.generation_count as number), 0) });
    }
  });

  it('limit and truncated count the filled rows; order_by applies to them', async () => {
    const range = { from: '2026-03-25T00:00:00Z', to: '2026-04-01T00:00:00Z' };
    const res = await api.post('/v1/reports/query', { dataset: 'llm_generations', time_range: range, dimensions: ['day'], measures: ['generation_count'], fill: 'zero', limit: 3, order_by: [{ dimension: 'day', direction: 'desc' }] });
    expect({ rows: res.body.rows, truncated: res.body.truncated }).toEqual({
      rows: [{ day: '2026-03-31T00:00:00Z', generation_count: 0 }, { day: '2026-03-30T00:00:00Z', generation_count: 0 }, { day: '2026-03-29T00:00:00Z', generation_count: 2 }],
      truncated: true,
    });
  });

  it('fill without exactly one time bucket, or other than "zero", is the all-errors 400', async () => {
    const range = { from: '2026-03-25T00:00:00Z', to: '2026-04-01T00:00:00Z' };
    const buckets = ['hour', 'day', 'week', 'month'];
    const none = await api.post('/v1/reports/query', { dataset: 'llm_generations', time_range: range, dimensions: ['model'], fill: 'zero', limit: 0 });
    expect(none.body).toEqual(invalidQueryProblem([
      { pointer: '/limit', message: 'limit must be an integer from 1 to 10000' },
      { pointer: '/fill', message: 'fill "zero" needs exactly one time bucket among the dimensions (none is selected)', allowed: buckets },
    ]));
    const two = await api.post('/v1/reports/query', { dataset: 'llm_generations', time_range: range, dimensions: ['day', 'hour'], fill: 'zero' });
    expect(two.body).toEqual(invalidQueryProblem([{ pointer: '/fill', message: 'fill "zero" needs exactly one time bucket among the dimensions (day and hour are)', allowed: buckets }]));
    const other = await api.post('/v1/reports/query/export', { query: { dataset: 'llm_generations', time_range: range, dimensions: ['day'], fill: 'previous' } });
    expect(other.body).toEqual(invalidQueryProblem([{ pointer: '/query/fill', message: 'fill must be "zero", got "previous"', allowed: ['zero'] }], '/v1/reports/query/export'));
  });
});
