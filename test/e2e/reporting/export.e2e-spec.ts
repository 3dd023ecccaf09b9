import { newPublicId } from '#src/common/ids/public-id.js';
import { client } from '../../support/api.js';
import { session } from '../../support/factories.js';
import { invalidQueryProblem, PROBLEM } from '../../support/problems.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const CSV = 'text/csv; charset=utf-8';
const EXPORT = '/v1/reports/query/export';

/** The seed's request body, verbatim (seeds/export_query.txt). */
const SEED_BODY = JSON.parse(
  '{"format":"csv","query":{"dataset":"sessions","dimensions":["status"],"filters":[{"field":"status","op":"eq","value":"example"}],"limit":100,"measures":["session_count","avg_duration_ms"],"order_by":[{"dimension":"org_id","direction":"asc","measure":"session_count"}],"time_range":{"from":"2026-04-24T00:00:00Z","to":"2026-05-24T00:00:00Z"}}}',
);

/** Reads a response body as raw bytes (superagent would decode text/csv as a string). */
const bytes = (res: unknown, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  (res as NodeJS.ReadableStream).on('data', (c: Buffer) => chunks.push(c));
  (res as NodeJS.ReadableStream).on('end', () => cb(null, Buffer.concat(chunks)));
};

describe('export_query (SPEC §6 Export; seed export_query.txt)', () => {
  let t: TestApp;
  let api: ReturnType<typeof client>;

  // Text that CSV and spreadsheets get wrong: quotes, separators, line breaks, formula starts,
  // numbers-as-text, unicode; distinct amounts fix the default order (amount descending).
  const tricky: [string | null, number][] = [
    ['say "hi"', 9.5],
    ['a,b', 8],
    ['line1\nline2', 7.25],
    ['=SUM(A1)', 6],
    ['+cmd', 5],
    ['-x', 4],
    ['@me', 3],
    ['\ttab', 2],
    ['\rcr', 1],
    ['héllo ✓ 日本 🎉', 0.125],
    ['-5', 0],
    [null, -0.5],
    ['  =x', -1.25],
  ];
  const TRICKY_CSV =
    '"subject","amount"\r\n' +
    '"say ""hi""","9.5"\r\n' +
    '"a,b","8"\r\n' +
    '"line1\nline2","7.25"\r\n' +
    `"'=SUM(A1)","6"\r\n` +
    `"'+cmd","5"\r\n` +
    `"'-x","4"\r\n` +
    `"'@me","3"\r\n` +
    `"'\ttab","2"\r\n` +
    `"'\rcr","1"\r\n` +
    '"héllo ✓ 日本 🎉","0.125"\r\n' +
    '"-5","0"\r\n' +
    ',"-0.5"\r\n' +
    `"'  =x","-1.25"\r\n`; // spreadsheets trim the spaces and read a formula: guarded too
  const trickyQuery = { dataset: 'budget_postings', time_range: { from: '2026-05-01T00:00:00Z', to: '2026-06-01T00:00:00Z' }, dimensions: ['subject'], measures: ['amount'] };

  beforeAll(async () => {
    t = await startTestApp();
    api = client(t, (await t.key('export', 'member')).key);
    const owner = client(t, (await t.key('export', 'owner')).key);
    await owner.ingest('usage_ledger', tricky.map(([subject, amount], i) => ({
      id: newPublicId('ledger'), currency: 'USD', subject_id: subject, amount, created_at: `2026-05-0${1 + (i % 3)}T10:00:00Z`,
    })));
    await owner.ingest('sessions', [
      session({ status: 'completed', created_at: '2026-05-01T10:00:00Z', started_at: '2026-05-01T10:00:00Z', finished_at: '2026-05-01T10:00:04Z' }),
      session({ status: 'completed', created_at: '2026-05-02T23:30:00Z', started_at: '2026-05-02T23:30:00Z', finished_at: '2026-05-02T23:30:01Z' }),
      session({ status: 'running', created_at: '2026-05-03T10:00:00Z', started_at: '2026-05-03T10:00:00Z', finished_at: null }),
    ]);
    await owner.project();
  });
  afterAll(() => t.close());

  it("the seed's example is a 400 that says why: org_id is not a column, and an order names one of dimension or measure", async () => {
    const res = await api.post(EXPORT, SEED_BODY);
    expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
      status: 400,
      type: PROBLEM,
      body: invalidQueryProblem([
        { pointer: '/query/order_by/0', message: 'name exactly one of "dimension" or "measure"' },
        { pointer: '/query/order_by/0/dimension', message: 'order_by may only name a selected dimension, got "org_id" (results are always scoped to your org; org_id is not a dimension)', allowed: ['status'] },
      ], EXPORT),
    });
  });

  it('the rest of the seed example is valid: without its order_by it exports (no session has status "example")', async () => {
    const { order_by: _, ...query } = SEED_BODY.query;
    const res = await api.post(EXPORT, { ...SEED_BODY, query });
    expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
      status: 200,
      type: 'application/json; charset=utf-8',
      body: { as_of: expect.any(String), content: '"status","session_count","avg_duration_ms"\r\n', content_type: CSV, filename: 'report.csv', format: 'csv', freshness_lag_ms: 0, time_range: SEED_BODY.query.time_range },
    });
    expect(Date.parse(res.body.as_of)).not.toBeNaN();
    // The seed's shape with a status that exists, and with its order_by made valid.
    const completed = await api.post(EXPORT, { ...SEED_BODY, query: { ...SEED_BODY.query, filters: [{ field: 'status', op: 'eq', value: 'completed' }], order_by: [{ measure: 'session_count', direction: 'asc' }] } });
    expect(completed.body.content).toBe('"status","session_count","avg_duration_ms"\r\n"completed","2","2500"\r\n');
  });

  it('format is optional; null cells are empty fields; time buckets carry the zone offset', async () => {
    const res = await api.post(EXPORT, { query: { dataset: 'sessions', time_range: SEED_BODY.query.time_range, dimensions: ['day', 'status'], measures: ['session_count', 'avg_duration_ms'], timezone: 'Europe/Berlin' } });
    expect(res.status).toBe(200);
    expect(res.body.content).toBe(
      '"day","status","session_count","avg_duration_ms"\r\n' +
        '"2026-05-01T00:00:00+02:00","completed","1","4000"\r\n' +
        '"2026-05-03T00:00:00+02:00","completed","1","1000"\r\n' +
        '"2026-05-03T00:00:00+02:00","running","1",\r\n',
    );
  });

  it('CSV is byte-exact for tricky cells: every field quoted, quotes doubled, formula guard, null empty, unicode', async () => {
    const res = await api.post(EXPORT, { format: 'csv', query: trickyQuery });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: { as_of: expect.any(String), content: TRICKY_CSV, content_type: CSV, filename: 'report.csv', format: 'csv', freshness_lag_ms: 0, time_range: trickyQuery.time_range },
    });
  });

  it('Accept: text/csv streams the same bytes as an attachment, freshness in headers', async () => {
    const res = await api.post(EXPORT, { query: trickyQuery }).set('accept', 'text/csv').buffer(true).parse(bytes);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(CSV);
    expect(res.headers['content-disposition']).toBe('attachment; filename="report.csv"');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-freshness-lag-ms']).toBe('0');
    expect(Date.parse(res.headers['x-as-of'])).not.toBeNaN();
    expect((res.body as Buffer).equals(Buffer.from(TRICKY_CSV, 'utf8'))).toBe(true);
    // A listed media type among others also streams.
    const mixed = await api.post(EXPORT, { query: trickyQuery }).set('accept', 'application/json;q=0.5, text/csv').buffer(true).parse(bytes);
    expect((mixed.body as Buffer).toString('utf8')).toBe(TRICKY_CSV);
  });

  it('an empty result streams just the header row', async () => {
    const res = await api.post(EXPORT, { query: { ...trickyQuery, filters: [{ field: 'currency', op: 'eq', value: 'XXX' }] } }).set('accept', 'text/csv').buffer(true).parse(bytes);
    expect({ status: res.status, body: (res.body as Buffer).toString('utf8') }).toEqual({ status: 200, body: '"subject","amount"\r\n' });
  });

  it('limit cuts the export (default and cap 50,000 for the envelope, 1,000,000 streamed)', async () => {
    const res = await api.post(EXPORT, { query: { ...trickyQuery, limit: 2 } });
    expect(res.body.content).toBe('"subject","amount"\r\n"say ""hi""","9.5"\r\n"a,b","8"\r\n');
    const streamed = await api.post(EXPORT, { query: { ...trickyQuery, limit: 2 } }).set('accept', 'text/csv').buffer(true).parse(bytes);
    expect((streamed.body as Buffer).toString('utf8')).toBe('"subject","amount"\r\n"say ""hi""","9.5"\r\n"a,b","8"\r\n');

    expect((await api.post(EXPORT, { query: { ...trickyQuery, limit: 50_000 } })).status).toBe(200);
    const over = await api.post(EXPORT, { query: { ...trickyQuery, limit: 50_001 } });
    expect({ status: over.status, body: over.body }).toEqual({ status: 400, body: invalidQueryProblem([{ pointer: '/query/limit', message: 'limit must be an integer from 1 to 50000' }], EXPORT) });
    expect((await api.post(EXPORT, { query: { ...trickyQuery, limit: 1_000_000 } }).set('accept', 'text/csv')).status).toBe(200);
    const overStream = await api.post(EXPORT, { query: { ...trickyQuery, limit: 1_000_001 } }).set('accept', 'text/csv');
    expect({ status: overStream.status, type: overStream.headers['content-type'], disposition: overStream.headers['content-disposition'], body: overStream.body }).toEqual({
      status: 400, type: PROBLEM, disposition: undefined, body: invalidQueryProblem([{ pointer: '/query/limit', message: 'limit must be an integer from 1 to 1000000' }], EXPORT),
    });
  });

  it('the envelope is checked, every problem at once', async () => {
    const res = await api.post(EXPORT, { format: 'xlsx', query: { ...trickyQuery, dimensions: ['org_id'] }, columns: ['a'] });
    expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
      status: 400,
      type: PROBLEM,
      body: invalidQueryProblem([
        { pointer: '/columns', message: 'unknown field "columns"', allowed: ['format', 'query'] },
        { pointer: '/format', message: 'format must be "csv"', allowed: ['csv'] },
        {
          pointer: '/query/dimensions/0',
          message: 'unknown dimension "org_id" for dataset budget_postings (results are always scoped to your org; org_id cannot be named in a query)',
          allowed: ['session', 'user', 'principal', 'agent', 'agent_name', 'harness', 'harness_name', 'app', 'blueprint', 'budget', 'subject_type', 'subject', 'currency', 'meter_source', 'ref_type', 'hour', 'day', 'week', 'month'],
        },
      ], EXPORT),
    });
    const missing = await api.post(EXPORT, { format: 'csv' });
    expect(missing.body).toEqual(invalidQueryProblem([{ pointer: '/query', message: 'query is required (a ReportQuery)' }], EXPORT));
    const direct = await api.post(EXPORT, trickyQuery);
    expect(direct.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/dataset', '/time_range', '/dimensions', '/measures', '/query']);
    for (const body of ['[]', '"csv"', '7', 'null', '']) {
      const res = await api.post(EXPORT).set('content-type', 'application/json').send(body);
      expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: invalidQueryProblem([{ pointer: '', message: 'the body must be {"format": "csv", "query": {...}}' }], EXPORT) });
    }
  });

  it('exports carry freshness like results do', async () => {
    const res = await api.post(EXPORT, { query: trickyQuery });
    expect(res.body.freshness_lag_ms).toBe(0);
    const query = await api.post('/v1/reports/query', trickyQuery);
    expect(Date.parse(res.body.as_of)).toBeLessThanOrEqual(Date.parse(query.body.as_of));
  });
});
