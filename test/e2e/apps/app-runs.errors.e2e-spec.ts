import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { AppRunsClock } from '#src/apps/app-runs.clock.js';
import { client } from '../../support/api.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { appRecord, channel, run } from './app-runs.oracle.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const NOW = Date.UTC(2026, 4, 1, 10, 30, 0);
const SHAPE = 'a positive whole number followed by m (minutes), h (hours) or d (days), e.g. 60m, 24h or 7d';
const NOT_OURS = 'cursor was not issued by this API or was altered; pass next_cursor from the previous page unchanged, or omit cursor to start from the first page';

interface FieldError {
  pointer: string;
  message: string;
  allowed?: string[];
}

/** The exact invalid_query body: detail lists every message, errors[] points at each parameter. */
const invalidQuery = (path: string, errors: FieldError[]) => ({
  type: '/problems/invalid_query',
  title: 'Invalid query parameter',
  status: 400,
  detail: `${errors.map((e) => e.message).join('; ')}.`,
  code: 'invalid_query',
  instance: path,
  errors,
});
const at = (name: string, message: string, allowed?: string[]): FieldError => ({ pointer: `/query/${name}`, message, ...(allowed ? { allowed } : {}) });
const UNITS = ['m', 'h', 'd'];

describe('list_app_runs — every error path named by SPEC §7', () => {
  let t: TestApp;
  let reader: ReturnType<typeof client>;
  let appId: string;
  let otherAppId: string;
  let path: string;

  const get = (query: string, id = appId) => reader.get(`/v1/apps/${id}/runs${query}`);

  beforeAll(async () => {
    t = await startTestApp();
    t.app.get(AppRunsClock).now = () => new Date(NOW);
    const owner = client(t, (await t.key('acme', 'owner')).key);
    reader = client(t, (await t.key('acme', 'member')).key);
    const ch = channel('slack', 'Slack');
    const app = appRecord([ch]);
    const other = appRecord([channel('webhook')]);
    await owner.ingest('apps', [app, other]);
    await owner.ingest('app_runs', [
      run(app, ch, 'ok', '2026-05-01T10:00:00Z', '2026-05-01T10:00:01Z'),
      run(app, ch, 'err', '2026-05-01T09:00:00Z', '2026-05-01T09:00:01Z'),
    ]);
    appId = app.id;
    otherAppId = other.id;
    path = `/v1/apps/${appId}/runs`;
  });
  afterAll(() => t.close());

  it.each([
    ['the seed\'s own example', 'example'],
    ['another prefix', 'apprun_0196a1b2c3d470008000000000000001'],
    ['upper-case hex', 'app_0196A1B2C3D470008000000000000001'],
    ['upper-case prefix', 'APP_0196a1b2c3d470008000000000000001'],
    ['too short', 'app_0196a1b2c3d47000800000000000000'],
    ['too long', 'app_0196a1b2c3d4700080000000000000011'],
    ['not hex', 'app_0196a1b2c3d47000800000000000000g'],
    ['a bare uuid', '0196a1b2-c3d4-7000-8000-000000000001'],
  ])('malformed app id (%s) → 400 invalid_app_id', async (_, id) => {
    const res = await get('', encodeURIComponent(id));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.body).toEqual({
      type: '/problems/invalid_app_id',
      title: 'Invalid app id',
      status: 400,
      detail: `${JSON.stringify(id)} is not an app id: expected app_ followed by 32 lowercase hex characters.`,
      code: 'invalid_app_id',
      instance: `/v1/apps/${encodeURIComponent(id)}/runs`,
    });
  });

  it.each([
    ['bad unit', '?window=24x', [at('window', 'window unit "x" is not supported; use m (minutes), h (hours) or d (days); got "24x"', UNITS)]],
    ['weeks are not a unit', '?window=1w', [at('window', 'window unit "w" is not supported; use m (minutes), h (hours) or d (days); got "1w"', UNITS)]],
    ['no unit', '?window=24', [at('window', 'window needs a unit: m (minutes), h (hours) or d (days), e.g. 24h; got "24"')]],
    ['zero', '?window=0h', [at('window', 'window must be positive; got "0h"')]],
    ['negative', '?window=-5m', [at('window', 'window must be positive; got "-5m"')]],
    ['too large', '?window=31d', [at('window', 'window may be at most 30d (720h, 43200m); got "31d"')]],
    ['too large in hours', '?window=721h', [at('window', 'window may be at most 30d (720h, 43200m); got "721h"')]],
    ['overflow', '?window=99999999999999999999d', [at('window', 'window may be at most 30d (720h, 43200m); got "99999999999999999999d"')]],
    ['non-numeric', '?window=abc', [at('window', `window must be ${SHAPE}; got "abc"`)]],
    ['fractional', '?window=1.5h', [at('window', `window must be ${SHAPE}; got "1.5h"`)]],
    ['empty', '?window=', [at('window', `window is empty; give ${SHAPE}, or omit it for the default 24h`)]],
    ['repeated', '?window=1h&window=2h', [at('window', 'window was given 2 times; give it once')]],
    ['grouping other than hour', '?group_by=day', [at('group_by', 'group_by must be "hour", the only supported grouping; got "day"', ['hour'])]],
    ['groupBy other than hour', '?groupBy=minute', [at('groupBy', 'groupBy must be "hour", the only supported grouping; got "minute"', ['hour'])]],
    ['empty grouping', '?group_by=', [at('group_by', 'group_by is empty; the only supported grouping is "hour" (or omit group_by for no histogram)', ['hour'])]],
    [
      'both spellings, different values',
      '?group_by=hour&groupBy=day',
      [at('groupBy', 'group_by and groupBy are two spellings of one parameter and were given different values ("hour" and "day"); give one of them', ['hour'])],
    ],
    ['limit 0', '?limit=0', [at('limit', 'limit must be a whole number from 1 to 1000; got "0"')]],
    ['limit over 1000', '?limit=1001', [at('limit', 'limit must be a whole number from 1 to 1000; got "1001"')]],
    ['limit not a number', '?limit=ten', [at('limit', 'limit must be a whole number from 1 to 1000; got "ten"')]],
    ['limit negative', '?limit=-1', [at('limit', 'limit must be a whole number from 1 to 1000; got "-1"')]],
    ['limit empty', '?limit=', [at('limit', 'limit is empty; give a whole number from 1 to 1000, or omit it for the default 100')]],
    ['cursor not ours', '?cursor=abc', [at('cursor', NOT_OURS)]],
    ['cursor empty', '?cursor=', [at('cursor', 'cursor is empty; pass next_cursor from the previous page, or omit cursor for the first page')]],
    [
      'every problem at once',
      '?window=0h&groupBy=day&limit=0&cursor=x',
      [
        at('window', 'window must be positive; got "0h"'),
        at('groupBy', 'groupBy must be "hour", the only supported grouping; got "day"', ['hour']),
        at('limit', 'limit must be a whole number from 1 to 1000; got "0"'),
        at('cursor', NOT_OURS),
      ],
    ],
  ])('%s → 400 invalid_query naming the parameter and why', async (_, query, errors) => {
    const res = await get(query);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.body).toEqual(invalidQuery(path, errors));
  });

  describe('cursors', () => {
    let cursor: string;
    beforeAll(async () => {
      const first = await get('?limit=1');
      cursor = first.body.next_cursor;
      expect(cursor).toEqual(expect.any(String));
    });

    it('a real cursor works', async () => {
      const res = await get(`?limit=1&cursor=${encodeURIComponent(cursor)}`);
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(1);
    });

    it('a tampered cursor (position moved, digest kept) → 400', async () => {
      const [payload, digest] = cursor.split('.');
      const fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const moved = Buffer.from(JSON.stringify({ ...fields, t: '2026-05-01T09:30:00Z' })).toString('base64url');
      const res = await get(`?cursor=${moved}.${digest}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(invalidQuery(path, [at('cursor', NOT_OURS)]));
    });

    it('a cursor forged from the public format with an unkeyed SHA-256 digest ("now" moved 60 days back) → 400', async () => {
      const fields = JSON.parse(Buffer.from(cursor.split('.')[0], 'base64url').toString('utf8'));
      const payload = JSON.stringify({ ...fields, n: '2026-03-01T10:30:00.000Z', t: '2026-03-01T10:00:00Z' });
      const digest = createHash('sha256').update('factline:list_app_runs:cursor:v1\n').update(payload).digest().subarray(0, 16).toString('base64url');
      const res = await get(`?cursor=${Buffer.from(payload).toString('base64url')}.${digest}`);
      expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: invalidQuery(path, [at('cursor', NOT_OURS)]) });
    });

    it('a cursor with one character changed → 400', async () => {
      const flipped = `${cursor.slice(0, 5)}${cursor[5] === 'A' ? 'B' : 'A'}${cursor.slice(6)}`;
      const res = await get(`?cursor=${encodeURIComponent(flipped)}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(invalidQuery(path, [at('cursor', NOT_OURS)]));
    });

    it('another route\'s cursor (saved reports) → 400', async () => {
      const foreign = Buffer.from(JSON.stringify(['2026-05-01T10:00:00.000Z', '0196a1b2-c3d4-7000-8000-000000000001'])).toString('base64url');
      const res = await get(`?cursor=${foreign}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(invalidQuery(path, [at('cursor', NOT_OURS)]));
    });

    it('a cursor of another app → 400', async () => {
      const res = await get(`?limit=1&cursor=${encodeURIComponent(cursor)}`, otherAppId);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(
        invalidQuery(`/v1/apps/${otherAppId}/runs`, [at('cursor', 'cursor belongs to the run history of another app; omit cursor to start from the first page of this one')]),
      );
    });

    it('a cursor used with another window → 400 (1440m is the same window as 24h and passes)', async () => {
      const res = await get(`?window=7d&cursor=${encodeURIComponent(cursor)}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(
        invalidQuery(path, [at('cursor', 'cursor continues a listing with window=24h, but this request asks for window=7d; repeat the first page\'s window, or omit cursor to start over')]),
      );
      const same = await get(`?window=1440m&cursor=${encodeURIComponent(cursor)}`);
      expect(same.status).toBe(200);
    });
  });

  it('an unknown query parameter → 400 validation_failed naming it, as on every route (the global pipe)', async () => {
    const res = await get('?window=24h&windw=1h&page=2');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.body).toEqual({
      type: '/problems/validation_failed',
      title: 'Invalid request',
      status: 400,
      detail: 'The query string has 2 invalid fields: /query/windw, /query/page.',
      code: 'validation_failed',
      instance: path,
      errors: [
        { pointer: '/query/windw', message: 'unknown field "windw"' },
        { pointer: '/query/page', message: 'unknown field "page"' },
      ],
    });
  });

  it('a malformed app id wins over a bad query, and a bad query over a missing app', async () => {
    expect((await get('?window=0h', 'example')).body.code).toBe('invalid_app_id');
    expect((await get('?window=0h', 'app_0196a1b2c3d470008000000000000099')).body.code).toBe('invalid_query');
  });

  it('no query string of any shape produces a 500', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.stringMatching(/^[+-]?\d{0,25}[a-zA-Z]{0,3}$/),
      fc.constantFrom('hour', 'HOUR', '24h', '30d', '1000', '0', 'null', '[]', '{}', '%00', '\u0000', '😀'),
    );
    const name = fc.constantFrom('window', 'group_by', 'groupBy', 'limit', 'cursor');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(name, value), { maxLength: 4 }), async (pairs) => {
        const res = await reader.get(`/v1/apps/${appId}/runs`).query(pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&'));
        expect({ pairs, status: [200, 400].includes(res.status), type: res.headers['content-type'] }).toEqual({
          pairs,
          status: true,
          type: res.status === 200 ? 'application/json; charset=utf-8' : PROBLEM,
        });
      }),
      { numRuns: 150 },
    );
  });
});
