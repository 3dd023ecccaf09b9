import { randomUUID } from 'node:crypto';
import { client } from '../../support/api.js';
import { generation } from '../../support/factories.js';
import { invalidQueryProblem, PROBLEM } from '../../support/problems.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

type Api = ReturnType<typeof client>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DAY = 86_400_000;
const QUERY = { dataset: 'llm_generations', time_range: { from: '2026-05-01T00:00:00Z', to: '2026-06-01T00:00:00Z' }, dimensions: ['model'], measures: ['generation_count'] };

const notFound = (id: string, instance: string) => ({
  type: '/problems/saved_report_not_found', title: 'Saved report not found', status: 404, detail: `Saved report ${id} was not found.`, code: 'saved_report_not_found', instance,
});
const invalidId = (raw: string, instance: string) => ({
  type: '/problems/invalid_report_id', title: 'Invalid report id', status: 400, detail: `"${raw}" is not a UUID.`, code: 'invalid_report_id', instance,
});
const invalidBody = (errors: { pointer: string; message: string; allowed?: string[] }[], instance: string) => ({
  type: '/problems/validation_failed', title: 'Invalid request', status: 400, detail: `The body has ${errors.length} invalid field${errors.length === 1 ? '' : 's'}.`, code: 'validation_failed', instance, errors,
});

/** Every route that takes a report id, called the way a client would. */
const BY_ID: [string, (api: Api, id: string) => ReturnType<Api['get']>][] = [
  ['GET', (api, id) => api.get(`/v1/reports/saved/${id}`)],
  ['PATCH', (api, id) => api.patch(`/v1/reports/saved/${id}`, { name: 'renamed' })],
  ['DELETE', (api, id) => api.delete(`/v1/reports/saved/${id}`)],
  ['POST run', (api, id) => api.post(`/v1/reports/saved/${id}/run`)],
  ['POST export', (api, id) => api.post(`/v1/reports/saved/${id}/export`)],
  ['POST export (stream)', (api, id) => api.post(`/v1/reports/saved/${id}/export`).set('accept', 'text/csv')],
];
const pathOf = (label: string, id: string) => `/v1/reports/saved/${id}${label.startsWith('POST run') ? '/run' : label.startsWith('POST export') ? '/export' : ''}`;

describe('saved reports (SPEC §6; seed run_saved_report.txt)', () => {
  let t: TestApp;
  let owner: Api;
  let member: Api;
  let stranger: Api;

  beforeAll(async () => {
    t = await startTestApp();
    owner = client(t, (await t.key('saved', 'owner')).key);
    member = client(t, (await t.key('saved', 'member')).key);
    stranger = client(t, (await t.key('saved-elsewhere', 'owner')).key);
    await owner.ingest('llm_generations', [
      generation({ model: 'gpt-5', created_at: '2026-05-02T10:00:00Z' }),
      generation({ model: 'gpt-5', created_at: '2026-05-03T10:00:00Z' }),
      generation({ model: 'claude', created_at: '2026-05-03T11:00:00Z' }),
    ]);
    await owner.project();
  });
  afterAll(() => t.close());

  const create = async (api: Api, body: unknown) => {
    const res = await api.post('/v1/reports/saved', body);
    expect({ status: res.status, body: res.body }).toEqual({ status: 201, body: expect.anything() });
    return res.body as { id: string; name: string; description: string | null; query: unknown; created_at: string; updated_at: string };
  };

  it('lifecycle: create → get → patch → run → export → delete', async () => {
    const created = await owner.post('/v1/reports/saved', { name: 'Weekly Tokens — by Model!', description: 'For the Monday review.', query: QUERY });
    expect({ status: created.status, type: created.headers['content-type'], body: created.body }).toEqual({
      status: 201,
      type: 'application/json; charset=utf-8',
      body: { id: expect.stringMatching(UUID), name: 'Weekly Tokens — by Model!', description: 'For the Monday review.', query: QUERY, created_at: expect.stringMatching(ISO), updated_at: created.body.created_at },
    });
    const id: string = created.body.id;

    const got = await member.get(`/v1/reports/saved/${id}`);
    expect({ status: got.status, body: got.body }).toEqual({ status: 200, body: created.body });

    // PATCH: absent = unchanged, null clears the description.
    const renamed = await owner.patch(`/v1/reports/saved/${id}`, { name: 'Tokens by model' });
    expect({ status: renamed.status, body: renamed.body }).toEqual({ status: 200, body: { ...created.body, name: 'Tokens by model', updated_at: expect.stringMatching(ISO) } });
    expect(Date.parse(renamed.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.body.updated_at));
    const cleared = await owner.patch(`/v1/reports/saved/${id}`, { description: null });
    expect(cleared.body).toEqual({ ...renamed.body, description: null, updated_at: expect.stringMatching(ISO) });
    const requery = await owner.patch(`/v1/reports/saved/${id}`, { query: { ...QUERY, measures: ['generation_count', 'input_tokens'] } });
    expect(requery.body).toEqual({ ...cleared.body, query: { ...QUERY, measures: ['generation_count', 'input_tokens'] }, updated_at: expect.stringMatching(ISO) });
    expect((await owner.get(`/v1/reports/saved/${id}`)).body).toEqual(requery.body);

    // run: the seed's ReportResult.
    const run = await member.post(`/v1/reports/saved/${id}/run`);
    expect({ status: run.status, type: run.headers['content-type'], body: run.body }).toEqual({
      status: 200,
      type: 'application/json; charset=utf-8',
      body: {
        as_of: expect.any(String),
        columns: [{ name: 'model', kind: 'dimension' }, { name: 'generation_count', kind: 'measure' }, { name: 'input_tokens', kind: 'measure' }],
        freshness_lag_ms: 0,
        rows: [{ model: 'gpt-5', generation_count: 2, input_tokens: 20 }, { model: 'claude', generation_count: 1, input_tokens: 10 }],
        // model × counts and sums over whole hours: the hourly rollup answers (SPEC §6 Rollups).
        served_by: 'rollup',
        time_range: QUERY.time_range,
        truncated: false,
      },
    });

    // export: the envelope named after the report (a slug), and the stream as an attachment.
    const csv = '"model","generation_count","input_tokens"\r\n"gpt-5","2","20"\r\n"claude","1","10"\r\n';
    const exported = await member.post(`/v1/reports/saved/${id}/export`, { format: 'csv' });
    expect({ status: exported.status, body: exported.body }).toEqual({
      status: 200, body: { as_of: expect.any(String), content: csv, content_type: 'text/csv; charset=utf-8', filename: 'tokens-by-model.csv', format: 'csv', freshness_lag_ms: 0, time_range: QUERY.time_range },
    });
    expect((await member.post(`/v1/reports/saved/${id}/export`)).body.content).toBe(csv);
    const streamed = await member.post(`/v1/reports/saved/${id}/export`).set('accept', 'text/csv');
    expect({ status: streamed.status, type: streamed.headers['content-type'], disposition: streamed.headers['content-disposition'], text: streamed.text }).toEqual({
      status: 200, type: 'text/csv; charset=utf-8', disposition: 'attachment; filename="tokens-by-model.csv"', text: csv,
    });

    const deleted = await owner.delete(`/v1/reports/saved/${id}`);
    expect({ status: deleted.status, text: deleted.text }).toEqual({ status: 204, text: '' });
    for (const [label, call] of BY_ID) {
      const res = await call(owner, id);
      expect({ label, status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({ label, status: 404, type: PROBLEM, body: notFound(id, pathOf(label, id)) });
    }
  });

  it('slug file names: lowercase ASCII, accents folded, never empty', async () => {
    for (const [name, filename] of [['Café crème — Q3 (EU)', 'cafe-creme-q3-eu.csv'], ['✓✓✓', 'report.csv'], ['../../etc/passwd', 'etc-passwd.csv'], ['"quoted"; name', 'quoted-name.csv']]) {
      const r = await create(owner, { name, query: QUERY });
      const res = await owner.post(`/v1/reports/saved/${r.id}/export`);
      expect({ name, filename: res.body.filename }).toEqual({ name, filename });
      const streamed = await owner.post(`/v1/reports/saved/${r.id}/export`).set('accept', 'text/csv');
      expect(streamed.headers['content-disposition']).toBe(`attachment; filename="${filename}"`);
    }
  });

  it('ids are UUIDs in any case; the seed upper-case id works on every route', async () => {
    const r = await create(owner, { name: 'Upper', query: QUERY });
    const upper = r.id.toUpperCase();
    expect((await member.get(`/v1/reports/saved/${upper}`)).body).toEqual(r);
    expect((await member.post(`/v1/reports/saved/${upper}/run`)).status).toBe(200);
    expect((await member.post(`/v1/reports/saved/${upper}/export`)).status).toBe(200);
    expect((await member.post(`/v1/reports/saved/${upper}/export`).set('accept', 'text/csv')).status).toBe(200);
    expect((await owner.patch(`/v1/reports/saved/${upper}`, { description: 'x' })).body).toMatchObject({ id: r.id, description: 'x' });
    expect((await owner.delete(`/v1/reports/saved/${upper}`)).status).toBe(204);
    // The seed's own id, which no org has: a 404 naming it, not a 400.
    const seed = '2489E9AD-2EE2-8E00-8EC9-32D5F69181C0';
    const res = await member.post(`/v1/reports/saved/${seed}/run`);
    expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({ status: 404, type: PROBLEM, body: notFound(seed.toLowerCase(), `/v1/reports/saved/${seed}/run`) });
  });

  it('a malformed id is a 400 invalid_report_id on every route, before any lookup', async () => {
    for (const raw of ['not-a-uuid', '2489E9AD2EE28E008EC932D5F69181C0', '2489e9ad-2ee2-8e00-8ec9-32d5f69181c', `${randomUUID()}0`, 'gen_0190b5a0000070008000000000000001']) {
      for (const [label, call] of BY_ID) {
        const res = await call(owner, raw);
        expect({ label, raw, status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({ label, raw, status: 400, type: PROBLEM, body: invalidId(raw, pathOf(label, raw)) });
      }
    }
  });

  it("another org's report is a 404 saved_report_not_found on every route, exactly like a missing one", async () => {
    const mine = await create(owner, { name: 'Mine', query: QUERY });
    const missing = randomUUID();
    for (const [label, call] of BY_ID) {
      const theirs = await call(stranger, mine.id);
      expect({ label, status: theirs.status, type: theirs.headers['content-type'], body: theirs.body }).toEqual({ label, status: 404, type: PROBLEM, body: notFound(mine.id, pathOf(label, mine.id)) });
      const none = await call(owner, missing);
      expect({ label, status: none.status, body: none.body }).toEqual({ label, status: 404, body: notFound(missing, pathOf(label, missing)) });
    }
    // Untouched by the stranger's PATCH and DELETE, and absent from the stranger's list.
    expect((await owner.get(`/v1/reports/saved/${mine.id}`)).body).toEqual(mine);
    expect((await stranger.get('/v1/reports/saved')).body).toEqual({ data: [], next_cursor: null });
  });

  it('list: newest first, cursor paging, scoped to the org', async () => {
    const lister = client(t, (await t.key('saved-list', 'owner')).key);
    const made = [];
    for (let i = 0; i < 5; i++) {
      made.push(await create(lister, { name: `r${i}`, query: QUERY }));
      // Distinct creation milliseconds, so "newest first" has one right answer (ties go by id).
      await new Promise((r) => setTimeout(r, 2));
    }
    const newestFirst = [...made].reverse();
    const all = await lister.get('/v1/reports/saved');
    expect({ status: all.status, body: all.body }).toEqual({ status: 200, body: { data: newestFirst, next_cursor: null } });

    const page1 = await lister.get('/v1/reports/saved?limit=2');
    expect(page1.body).toEqual({ data: newestFirst.slice(0, 2), next_cursor: expect.any(String) });
    const page2 = await lister.get(`/v1/reports/saved?limit=2&cursor=${encodeURIComponent(page1.body.next_cursor)}`);
    expect(page2.body).toEqual({ data: newestFirst.slice(2, 4), next_cursor: expect.any(String) });
    const page3 = await lister.get(`/v1/reports/saved?limit=2&cursor=${encodeURIComponent(page2.body.next_cursor)}`);
    expect(page3.body).toEqual({ data: newestFirst.slice(4), next_cursor: null });

    const badCursor = await lister.get('/v1/reports/saved?cursor=nonsense');
    expect({ status: badCursor.status, type: badCursor.headers['content-type'], body: badCursor.body }).toEqual({
      status: 400, type: PROBLEM,
      body: { type: '/problems/validation_failed', title: 'Invalid request', status: 400, detail: 'The cursor is not one this API issued.', code: 'validation_failed', instance: '/v1/reports/saved', errors: [{ pointer: '/query/cursor', message: 'malformed cursor; pass next_cursor from the previous page' }] },
    });
    // Forged or altered cursors: the old unsigned format with loose dates, and a real one edited.
    const [payload, mac] = page1.body.next_cursor.split('.');
    const forged = [
      ...['1', 'Tue, 01 Jan 2999 00:00:00 GMT', '-271821-04-20T00:00:00.000Z', '2026-05-01T10:00:00.000Z'].map((at) =>
        Buffer.from(JSON.stringify([at, newestFirst[0].id])).toString('base64url')),
      `${Buffer.from(JSON.stringify(['2999-01-01T00:00:00.000Z', newestFirst[0].id])).toString('base64url')}.${mac}`,
      `${payload}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`,
    ];
    for (const cursor of forged) {
      const res = await lister.get(`/v1/reports/saved?cursor=${encodeURIComponent(cursor)}`);
      expect({ cursor, status: res.status, body: res.body }).toEqual({ cursor, status: 400, body: badCursor.body });
    }
    for (const limit of ['0', '101', 'x']) {
      const res = await lister.get(`/v1/reports/saved?limit=${limit}`);
      expect({ limit, status: res.status, code: res.body.code, pointer: res.body.errors?.[0]?.pointer }).toEqual({ limit, status: 400, code: 'validation_failed', pointer: '/query/limit' });
    }
  });

  it('create and patch bodies are validated, every problem at once; query problems make it an invalid_report_query', async () => {
    const url = '/v1/reports/saved';
    const res1 = await owner.post(url, { name: '', description: 'x'.repeat(2001), query: QUERY, owner: 'me' });
    expect({ status: res1.status, type: res1.headers['content-type'], body: res1.body }).toEqual({
      status: 400,
      type: PROBLEM,
      body: invalidBody([
        { pointer: '/owner', message: 'unknown field "owner"', allowed: ['name', 'description', 'query'] },
        { pointer: '/name', message: 'name must be a string of 1 to 200 characters' },
        { pointer: '/description', message: 'description must be a string of at most 2000 characters, or null' },
      ], url),
    });
    for (const name of [undefined, null, '   ', 'x'.repeat(201), 5]) {
      const res = await owner.post(url, { name, query: QUERY });
      expect({ name, body: res.body }).toEqual({ name, body: invalidBody([{ pointer: '/name', message: 'name must be a string of 1 to 200 characters' }], url) });
    }
    expect((await owner.post(url, { name: 'x'.repeat(200), description: 'y'.repeat(2000), query: QUERY })).status).toBe(201);
    // Lengths are in characters, as SPEC and the database count them (an emoji is one).
    expect((await owner.post(url, { name: '📈'.repeat(200), description: '📉'.repeat(2000), query: QUERY })).status).toBe(201);
    // PostgreSQL text cannot hold NUL: a clear 400 before the database is asked.
    // Nor a lone surrogate, which would come back as U+FFFD.
    const nul = await owner.post(url, { name: 'a\u0000b', description: 'x\udc00', query: QUERY });
    expect(nul.body).toEqual(invalidBody([
      { pointer: '/name', message: 'name must be valid Unicode without NUL characters' },
      { pointer: '/description', message: 'description must be valid Unicode without NUL characters' },
    ], url));

    const res2 = await owner.post(url, { name: 'ok', query: { ...QUERY, dimensions: ['org_id'], order_by: [{ dimension: 'org_id' }] } });
    expect({ status: res2.status, body: res2.body }).toEqual({
      status: 400,
      body: invalidQueryProblem([
        { pointer: '/query/dimensions/0', message: expect.stringContaining('unknown dimension "org_id"') as unknown as string, allowed: expect.any(Array) as unknown as string[] },
        { pointer: '/query/order_by/0/dimension', message: 'order_by may only name a selected dimension, got "org_id" (results are always scoped to your org; org_id is not a dimension)', allowed: [] },
      ], url),
    });
    // A lone surrogate is fine in text, but jsonb refuses it: refused by validation, not by the INSERT.
    const surrogate = await owner.post(url, { name: 'ok', query: { ...QUERY, filters: [{ field: 'model', op: 'eq', value: 'a\ud800' }] } });
    expect(surrogate.body).toEqual(invalidQueryProblem([{ pointer: '/query/filters/0/value', message: '"model" takes a string of at most 1000 characters (valid Unicode, without NUL), got "a\\ud800"' }], url));
    const missingQuery = await owner.post(url, { name: 'ok' });
    expect(missingQuery.body).toEqual(invalidQueryProblem([{ pointer: '/query', message: 'the query must be a JSON object' }], url));
    for (const body of ['[]', '"x"', '3', 'null', '']) {
      const res = await owner.post(url).set('content-type', 'application/json').send(body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({ body, status: 400, code: 'validation_failed' });
    }

    const r = await create(owner, { name: 'Patch me', description: 'keep', query: QUERY });
    const patchUrl = `${url}/${r.id}`;
    const nullName = await owner.patch(patchUrl, { name: null });
    expect(nullName.body).toEqual(invalidBody([{ pointer: '/name', message: 'name must be a string of 1 to 200 characters' }], patchUrl));
    const nullQuery = await owner.patch(patchUrl, { query: null });
    expect(nullQuery.body).toEqual(invalidQueryProblem([{ pointer: '/query', message: 'the query must be a JSON object' }], patchUrl));
    const badQuery = await owner.patch(patchUrl, { query: { ...QUERY, limit: 0 } });
    expect(badQuery.body).toEqual(invalidQueryProblem([{ pointer: '/query/limit', message: 'limit must be an integer from 1 to 10000' }], patchUrl));
    const unknown = await owner.patch(patchUrl, { title: 'x' });
    expect(unknown.body).toEqual(invalidBody([{ pointer: '/title', message: 'unknown field "title"', allowed: ['name', 'description', 'query'] }], patchUrl));
    // Nothing of the rejected patches stuck; an empty patch changes nothing but updated_at.
    expect((await owner.get(patchUrl)).body).toEqual(r);
    expect((await owner.patch(patchUrl, {})).body).toEqual({ ...r, updated_at: expect.stringMatching(ISO) });
  });

  it('relative ranges ({"last": "7d"}) are stored as given and resolved when run', async () => {
    const now = Date.now();
    const lately = client(t, (await t.key('saved-relative', 'owner')).key);
    await lately.ingest('llm_generations', [
      generation({ model: 'recent', created_at: new Date(now - 2 * DAY).toISOString() }),
      generation({ model: 'recent', created_at: new Date(now - 6 * DAY).toISOString() }),
      generation({ model: 'old', created_at: new Date(now - 9 * DAY).toISOString() }),
      generation({ model: 'last-hour', created_at: new Date(now - 10 * 60_000).toISOString() }),
    ]);
    await lately.project();
    const week = await create(lately, { name: 'Last week', query: { ...QUERY, time_range: { last: '7d' } } });
    expect(week.query).toEqual({ ...QUERY, time_range: { last: '7d' } });
    expect((await lately.post(`/v1/reports/saved/${week.id}/run`)).body.rows).toEqual([{ model: 'recent', generation_count: 2 }, { model: 'last-hour', generation_count: 1 }]);
    const units: [string, unknown[]][] = [
      ['1h', [{ model: 'last-hour', generation_count: 1 }]],
      ['90m', [{ model: 'last-hour', generation_count: 1 }]],
      ['2w', [{ model: 'recent', generation_count: 2 }, { model: 'last-hour', generation_count: 1 }, { model: 'old', generation_count: 1 }]],
    ];
    for (const [last, rows] of units) {
      const r = await create(lately, { name: last, query: { ...QUERY, time_range: { last } } });
      expect({ last, rows: (await lately.post(`/v1/reports/saved/${r.id}/run`)).body.rows }).toEqual({ last, rows });
    }
    expect((await lately.post('/v1/reports/saved', { name: 'max', query: { ...QUERY, time_range: { last: '400d' } } })).status).toBe(201);
    for (const last of ['7y', '0d', '-1d', '7', 7, '1.5d', '401d', '58w']) {
      const res = await lately.post('/v1/reports/saved', { name: 'bad', query: { ...QUERY, time_range: { last } } });
      const message = last === '401d' || last === '58w' ? 'the range may span at most 400 days' : 'last must be a positive integer followed by m, h, d or w (e.g. "7d")';
      expect({ last, body: res.body }).toEqual({ last, body: invalidQueryProblem([{ pointer: '/query/time_range/last', message }], '/v1/reports/saved') });
    }
    const mixed = await lately.post('/v1/reports/saved', { name: 'bad', query: { ...QUERY, time_range: { last: '7d', from: QUERY.time_range.from } } });
    expect(mixed.body).toEqual(invalidQueryProblem([{ pointer: '/query/time_range/from', message: 'unknown field "from" (a relative range has only "last")', allowed: ['last'] }], '/v1/reports/saved'));
  });

  it('re-validated on run and export: a stored query the catalog no longer accepts is a clear 400, never a 500', async () => {
    const r = await create(owner, { name: 'Doomed', query: QUERY });
    const run = `/v1/reports/saved/${r.id}/run`;
    const exp = `/v1/reports/saved/${r.id}/export`;
    // As if the catalog had renamed `model` and dropped a measure after the report was saved.
    await t.db.pool.query(`UPDATE saved_reports SET query = jsonb_set(jsonb_set(query, '{dimensions}', '["model_name"]'), '{measures}', '["tokens"]') WHERE id = $1`, [r.id]);
    const errors = [
      { pointer: '/query/dimensions/0', message: 'unknown dimension "model_name" for dataset llm_generations', allowed: expect.arrayContaining(['model', 'provider']) as unknown as string[] },
      { pointer: '/query/measures/0', message: 'unknown measure "tokens" for dataset llm_generations', allowed: expect.arrayContaining(['generation_count']) as unknown as string[] },
    ];
    for (const [path, req] of [[run, member.post(run)], [exp, member.post(exp)], [exp, member.post(exp).set('accept', 'text/csv')]] as const) {
      const res = await req;
      expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({ status: 400, type: PROBLEM, body: invalidQueryProblem(errors, path) });
    }
    // Stored junk of any shape is a 400 too.
    for (const junk of ['null', '"sessions"', '[1, 2]', '{"dataset": "sessions"}']) {
      await t.db.pool.query(`UPDATE saved_reports SET query = $2::jsonb WHERE id = $1`, [r.id, junk]);
      const res = await member.post(run);
      expect({ junk, status: res.status, code: res.body.code }).toEqual({ junk, status: 400, code: 'invalid_report_query' });
    }
    // Fixing it through PATCH brings it back.
    expect((await owner.patch(`/v1/reports/saved/${r.id}`, { query: QUERY })).status).toBe(200);
    expect((await member.post(run)).status).toBe(200);
  });

  it('export body: empty or {"format": "csv"}', async () => {
    const r = await create(owner, { name: 'Export body', query: QUERY });
    const url = `/v1/reports/saved/${r.id}/export`;
    expect((await owner.post(url, {})).status).toBe(200);
    const res = await owner.post(url, { format: 'xlsx', query: QUERY });
    expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
      status: 400, type: PROBLEM,
      body: { type: '/problems/validation_failed', title: 'Invalid request', status: 400, detail: 'The export request is invalid.', code: 'validation_failed', instance: url, errors: [
        { pointer: '/query', message: 'unknown field "query"', allowed: ['format'] },
        { pointer: '/format', message: 'format must be "csv"', allowed: ['csv'] },
      ] },
    });
    const notObject = await owner.post(url).set('content-type', 'application/json').send('"csv"');
    expect({ status: notObject.status, errors: notObject.body.errors }).toEqual({ status: 400, errors: [{ pointer: '', message: 'the body must be empty or {"format": "csv"}' }] });
  });

  it('permissions: members read and run, only reports:manage writes; ingest keys see nothing', async () => {
    const r = await create(owner, { name: 'Perms', query: QUERY });
    expect((await member.get('/v1/reports/saved')).status).toBe(200);
    for (const res of [
      await member.post('/v1/reports/saved', { name: 'x', query: QUERY }),
      await member.patch(`/v1/reports/saved/${r.id}`, { name: 'x' }),
      await member.delete(`/v1/reports/saved/${r.id}`),
    ]) {
      expect({ status: res.status, type: res.headers['content-type'], code: res.body.code, detail: res.body.detail }).toEqual({ status: 403, type: PROBLEM, code: 'forbidden', detail: expect.stringContaining('reports:manage') });
    }
    const ingest = client(t, (await t.key('saved', 'ingest')).key);
    for (const res of [await ingest.get('/v1/reports/saved'), await ingest.get(`/v1/reports/saved/${r.id}`), await ingest.post(`/v1/reports/saved/${r.id}/run`)]) {
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'forbidden' });
    }
    expect((await owner.get(`/v1/reports/saved/${r.id}`)).body.name).toBe('Perms');
  });

  it('a bad description beside a bad query is validation_failed listing both (issue 14: not filed as invalid_report_query)', async () => {
    const r = await create(owner, { name: 'Codes', query: QUERY });
    const url = `/v1/reports/saved/${r.id}`;
    const res = await owner.patch(url, { description: {}, query: { ...QUERY, order_by: [{ dimension: 'model', measure: 'generation_count' }] } });
    expect({ status: res.status, code: res.body.code, pointers: res.body.errors.map((e: { pointer: string }) => e.pointer) }).toEqual({
      status: 400, code: 'validation_failed', pointers: ['/description', expect.stringMatching(/^\/query\/order_by\/0/)],
    });
    // A query problem alone is still the semantic one, with its catalog link.
    const queryOnly = await owner.patch(url, { description: 'fine', query: { ...QUERY, order_by: [{ dimension: 'model', measure: 'generation_count' }] } });
    expect({ status: queryOnly.status, code: queryOnly.body.code }).toEqual({ status: 400, code: 'invalid_report_query' });
  });
});
