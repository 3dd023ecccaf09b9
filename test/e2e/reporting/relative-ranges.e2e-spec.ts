import { DataSource } from 'typeorm';
import { calendarRange } from '#src/reporting/query/time-range.js';
import { client } from '../../support/api.js';
import { generation } from '../../support/factories.js';
import { bucket, calendarOracle, rfc3339InZone, servedBy, type RollupCoverage } from '../../support/oracle.js';
import { invalidQueryProblem } from '../../support/problems.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

/*
 * SPEC §11 relative ranges through HTTP on the real database. The app has no clock to fix, so
 * each expectation is computed from instants read just before and just after the request: the
 * range the server used is the oracle's for one of them (they agree unless a period boundary
 * passed in between, when either is right).
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ZONES = ['Europe/Berlin', 'America/New_York'];
const CALENDAR = ['today', 'yesterday', 'this_week', 'last_week', 'this_month', 'last_month', 'this_year', 'last_year'];

describe('relative time ranges (SPEC §11)', () => {
  let t: TestApp;
  let api: ReturnType<typeof client>;
  let key: string;
  let coverage: RollupCoverage;
  // A generation every 7 hours (so every hour of the day in turn) from 800 days back to 400 ahead:
  // every day of every range asked here has some.
  const start = Math.floor(Date.now() / HOUR) * HOUR - 800 * DAY;
  const times: number[] = [];
  for (let ms = start; ms < start + 1200 * DAY; ms += 7 * HOUR) times.push(ms);

  beforeAll(async () => {
    t = await startTestApp();
    key = (await t.key('relative', 'owner')).key;
    api = client(t, key);
    coverage = (await api.get('/v1/reports/catalog')).body.datasets.find((d: { name: string }) => d.name === 'llm_generations').rollup;
    const records = times.map((ms) => generation({ created_at: new Date(ms).toISOString() }));
    for (let i = 0; i < records.length; i += 1000) await api.ingest('llm_generations', records.slice(i, i + 1000));
    await api.project();
  }, 120_000);
  afterAll(() => t.close());

  /** The rows SPEC §6 gives for generation_count by day over [from, to) in the zone, from the generated instants. */
  const byDay = (range: { from: string; to: string }, tz: string) => {
    const counts = new Map<string, number>();
    for (const ms of times) if (ms >= Date.parse(range.from) && ms < Date.parse(range.to)) {
      const day = bucket(new Date(ms).toISOString(), 'day', tz);
      counts.set(day, (counts.get(day) ?? 0) + 1);
    }
    return [...counts].sort(([a], [b]) => Date.parse(a) - Date.parse(b)).map(([day, generation_count]) => ({ day, generation_count }));
  };

  /** Runs `body` at `path`; the calendar range the server must have used, given the instants around the call. */
  const around = async (path: string, body: unknown, expected: (nowMs: number) => { from: string; to: string }, headers: Record<string, string> = {}) => {
    const before = Date.now();
    const req = t.http().post(path).set('authorization', `Bearer ${key}`);
    for (const [k, v] of Object.entries(headers)) req.set(k, v);
    const res = await (body === undefined ? req : req.send(body as object));
    const after = Date.now();
    const candidates = [expected(before), expected(after)];
    return { res, candidates };
  };
  const pick = (got: { from: string; to: string }, candidates: { from: string; to: string }[]) => candidates.find((c) => c.from === got.from && c.to === got.to) ?? candidates[0];

  for (const tz of ZONES) {
    it(`every calendar range in ${tz}: the whole period in the zone (weeks from Monday), rows and time_range exact`, async () => {
      for (const name of CALENDAR) {
        const q = { dataset: 'llm_generations', time_range: { calendar: name }, dimensions: ['day'], measures: ['generation_count'], limit: 1000, timezone: tz };
        const { res, candidates } = await around('/v1/reports/query', q, (now) => calendarOracle(name, now, tz));
        const range = pick(res.body.time_range, candidates);
        expect({ name, status: res.status, body: res.body }).toEqual({
          name,
          status: 200,
          body: {
            as_of: expect.any(String),
            columns: [{ name: 'day', kind: 'dimension' }, { name: 'generation_count', kind: 'measure' }],
            freshness_lag_ms: 0,
            rows: byDay(range, tz),
            served_by: servedBy({ ...q, time_range: range }, coverage),
            time_range: range,
            truncated: false,
          },
        });
      }
    });
  }

  it('two years of days in each zone hold a 23-hour and a 25-hour day, and no day is missing', async () => {
    for (const tz of ZONES) {
      const lengths = new Set<number>();
      for (const name of ['last_year', 'this_year']) {
        const res = await api.post('/v1/reports/query', { dataset: 'llm_generations', time_range: { calendar: name }, dimensions: ['day'], measures: ['generation_count'], limit: 1000, timezone: tz });
        const days: string[] = res.body.rows.map((r: { day: string }) => r.day);
        expect({ tz, name, first: days[0], days: days.length }).toEqual({ tz, name, first: res.body.time_range.from, days: expect.any(Number) });
        const edges = [...days.map(Date.parse), Date.parse(res.body.time_range.to)];
        for (let i = 1; i < edges.length; i++) lengths.add((edges[i] - edges[i - 1]) / HOUR);
      }
      expect({ tz, lengths: [...lengths].sort((a, b) => a - b) }).toEqual({ tz, lengths: [23, 24, 25] });
    }
  });

  it('{"last": …} ends at now: the span exact, in the query timezone, with the rows of that span', async () => {
    for (const [last, span, tz] of [['7d', 7 * DAY, 'Europe/Berlin'], ['36h', 36 * HOUR, 'UTC'], ['90m', 90 * 60_000, 'America/New_York'], ['2w', 14 * DAY, 'UTC']] as const) {
      const before = Date.now();
      const res = await api.post('/v1/reports/query', { dataset: 'llm_generations', time_range: { last }, measures: ['generation_count'], timezone: tz });
      const after = Date.now();
      const to = Date.parse(res.body.time_range?.to);
      expect({ last, within: to >= before && to <= after }).toEqual({ last, within: true });
      const range = { from: rfc3339InZone(to - span, tz), to: rfc3339InZone(to, tz) };
      const count = times.filter((ms) => ms >= to - span && ms < to).length;
      expect({ last, body: res.body }).toEqual({
        last,
        body: { as_of: expect.any(String), columns: [{ name: 'generation_count', kind: 'measure' }], freshness_lag_ms: 0, rows: [{ generation_count: count }], served_by: servedBy({ time_range: { from: new Date(to - span).toISOString(), to: new Date(to).toISOString() }, measures: ['generation_count'] }, coverage), time_range: range, truncated: false },
      });
    }
  });

  it('absolute ranges are echoed too, in the query timezone', async () => {
    const res = await api.post('/v1/reports/query', { dataset: 'llm_generations', time_range: { from: '2026-03-28T23:00:00Z', to: '2026-03-29T22:00:00Z' }, measures: ['generation_count'], timezone: 'Europe/Berlin' });
    expect(res.body.time_range).toEqual({ from: '2026-03-29T00:00:00+01:00', to: '2026-03-30T00:00:00+02:00' });
  });

  it('saved reports, their exports (envelope and stream) resolve the range when run and echo it', async () => {
    const tz = 'America/New_York';
    const created = await api.post('/v1/reports/saved', { name: 'Last month', query: { dataset: 'llm_generations', time_range: { calendar: 'last_month' }, measures: ['generation_count'], timezone: tz } });
    expect(created.status).toBe(201);
    expect(created.body.query.time_range).toEqual({ calendar: 'last_month' });
    const oracle = (now: number) => calendarOracle('last_month', now, tz);
    const count = (range: { from: string; to: string }) => times.filter((ms) => ms >= Date.parse(range.from) && ms < Date.parse(range.to)).length;

    const run = await around(`/v1/reports/saved/${created.body.id}/run`, undefined, oracle);
    const range = pick(run.res.body.time_range, run.candidates);
    expect(run.res.body).toEqual({
      as_of: expect.any(String), columns: [{ name: 'generation_count', kind: 'measure' }], freshness_lag_ms: 0, rows: [{ generation_count: count(range) }], served_by: 'rollup', time_range: range, truncated: false,
    });

    const envelope = await around(`/v1/reports/saved/${created.body.id}/export`, undefined, oracle);
    const envelopeRange = pick(envelope.res.body.time_range, envelope.candidates);
    expect(envelope.res.body).toEqual({
      as_of: expect.any(String), content: `"generation_count"\r\n"${count(envelopeRange)}"\r\n`, content_type: 'text/csv; charset=utf-8', filename: 'last-month.csv', format: 'csv', freshness_lag_ms: 0, time_range: envelopeRange,
    });

    const adHoc = await around('/v1/reports/query/export', { query: { dataset: 'llm_generations', time_range: { calendar: 'this_week' }, measures: ['generation_count'], timezone: tz } }, (now) => calendarOracle('this_week', now, tz), { accept: 'text/csv' });
    const got = { from: adHoc.res.headers['x-time-range-from'], to: adHoc.res.headers['x-time-range-to'] };
    const streamRange = pick(got, adHoc.candidates);
    expect({ status: adHoc.res.status, range: got, csv: adHoc.res.text }).toEqual({ status: 200, range: streamRange, csv: `"generation_count"\r\n"${count(streamRange)}"\r\n` });
  });

  it("calendar edges are PostgreSQL's bucket starts (date_trunc in the zone), DST days and skipped midnights included", async () => {
    const db = t.app.get(DataSource);
    const instants = ['2026-03-29T12:00:00Z', '2026-10-25T12:00:00Z', '2026-03-08T18:00:00Z', '2026-11-01T12:00:00Z', '2026-09-06T15:00:00Z', '2026-03-29T06:00:00Z', '2026-01-01T03:00:00Z', '2026-12-31T23:30:00Z'];
    const zones = ['Europe/Berlin', 'America/New_York', 'America/Santiago', 'Asia/Beirut', 'Asia/Kolkata', 'Pacific/Chatham', 'UTC'];
    const mismatches: unknown[] = [];
    for (const tz of zones) {
      for (const at of instants) {
        const [pg] = await db.query(
          `SELECT date_trunc('day', $1::timestamptz, $2) AS day, date_trunc('week', $1::timestamptz, $2) AS week, date_trunc('month', $1::timestamptz, $2) AS month, date_trunc('year', $1::timestamptz, $2) AS year`,
          [at, tz],
        );
        const ours = { day: 'today', week: 'this_week', month: 'this_month', year: 'this_year' } as const;
        for (const [g, name] of Object.entries(ours)) {
          const got = calendarRange(name, new Date(at), tz).from.toISOString();
          if (got !== (pg[g] as Date).toISOString()) mismatches.push({ tz, at, g, ours: got, postgres: (pg[g] as Date).toISOString() });
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('a bad relative range is the all-errors 400 with pointers, next to the other problems', async () => {
    const res = await api.post('/v1/reports/query', { dataset: 'llm_generations', time_range: { calendar: 'this_decade', last: '7d' }, measures: ['nope'], timezone: 'Mars/Olympus' });
    expect(res.body).toEqual(
      invalidQueryProblem([
        { pointer: '/time_range/calendar', message: 'unknown field "calendar" (a relative range has only "last")', allowed: ['last'] },
        { pointer: '/measures/0', message: 'unknown measure "nope" for dataset llm_generations', allowed: expect.any(Array) },
        { pointer: '/timezone', message: 'timezone must be an IANA time zone such as "Europe/Berlin", got "Mars/Olympus"' },
      ]),
    );
    const calendar = await api.post('/v1/reports/query', { dataset: 'llm_generations', time_range: { calendar: 'this_decade' } });
    expect(calendar.body).toEqual(
      invalidQueryProblem([
        {
          pointer: '/time_range/calendar',
          message: "calendar must be one of today, yesterday, this_week, last_week, this_month, last_month, this_year, last_year (periods in the query's timezone; weeks start Monday), got \"this_decade\"",
          allowed: CALENDAR,
        },
      ]),
    );
    const export400 = await api.post('/v1/reports/query/export', { query: { dataset: 'llm_generations', time_range: { last: '401d' } } });
    expect(export400.body).toEqual(invalidQueryProblem([{ pointer: '/query/time_range/last', message: 'the range may span at most 400 days' }], '/v1/reports/query/export'));
  });
});
