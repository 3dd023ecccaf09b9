import type { AddressInfo } from 'node:net';
import { rawRequest } from '../../support/raw-http.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const QUERY = { dataset: 'sessions', time_range: { from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z' }, dimensions: ['status'], measures: ['session_count'] };
const unauthorized = (instance: string, detail: string) => ({ type: '/problems/unauthorized', title: 'Unauthorized', status: 401, detail, code: 'unauthorized', instance });

describe('authentication first, strict input everywhere, /docs (issue 12)', () => {
  let t: TestApp;
  let owner: string;
  let reportId: string;
  const as = (method: 'get' | 'post', path: string) => t.http()[method](path).set('authorization', `Bearer ${owner}`);

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_FAILURES_PER_MINUTE: '5' } });
    await t.app.listen(0, '127.0.0.1');
    owner = (await t.key('acme', 'owner')).key;
    reportId = (await as('post', '/v1/reports/saved').send({ name: 'r', query: QUERY })).body.id;
  });
  afterAll(() => t.close());

  it('anonymous requests are 401 before the body is looked at (not 400, 413 or 415)', async () => {
    // Each of these is also a failed authentication from this address: 3 of the 5 allowed per minute.
    const bad = [
      t.http().post('/v1/reports/query').set('content-type', 'application/json').send('{"broken'),
      t.http().post('/v1/reports/query').set('content-type', 'application/json').send(JSON.stringify({ x: 'a'.repeat(1_100_000) })),
      t.http().post('/v1/reports/query').set('content-type', 'text/plain').send('hello'),
    ];
    for (const res of await Promise.all(bad)) {
      expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
        status: 401, type: PROBLEM, body: unauthorized('/v1/reports/query', 'Send an API key as `Authorization: Bearer <key>`.'),
      });
    }
  });

  it('two Authorization headers → 401, even when both carry the valid key', async () => {
    const port = (t.app.getHttpServer().address() as AddressInfo).port;
    const res = await rawRequest(port, `GET /v1/reports/catalog HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${owner}\r\nAuthorization: Bearer ${owner}\r\nConnection: close\r\n\r\n`);
    expect({ status: res.status, challenge: res.headers['www-authenticate'], body: JSON.parse(res.body) }).toEqual({
      status: 401, challenge: 'Bearer realm="factline"', body: unauthorized('/v1/reports/catalog', 'Send exactly one Authorization header.'),
    });
  });

  it('failed authentications are limited per address (5/min here) → 429; a valid key is never limited by them', async () => {
    const res = await t.http().get('/v1/reports/catalog').set('authorization', `Bearer fl_${'A'.repeat(43)}`);
    expect(res.status).toBe(401); // the 5th failure
    const limited = await t.http().get('/v1/reports/catalog').set('authorization', `Bearer fl_${'B'.repeat(43)}`);
    expect({ status: limited.status, retry: limited.headers['retry-after'], body: limited.body }).toEqual({
      status: 429, retry: expect.stringMatching(/^\d+$/),
      body: {
        type: '/problems/rate_limited', title: 'Too Many Requests', status: 429, code: 'rate_limited', instance: '/v1/reports/catalog',
        detail: `Too many failed authentications from this address; retry in ${limited.headers['retry-after']} s.`,
        retry_after_seconds: Number(limited.headers['retry-after']),
        allowed_actions: [{ rel: 'retry-later', hint: `Wait ${limited.headers['retry-after']} s, then repeat the request with a valid API key.` }],
      },
    });
    expect((await as('get', '/v1/reports/catalog')).status).toBe(200);
  });

  it('?org_id= (or any unknown parameter) is a 400 naming it on every route that takes no query string', async () => {
    const routes: ['get' | 'post', string, unknown?][] = [
      ['get', '/v1/reports/catalog'],
      ['post', '/v1/reports/query', QUERY],
      ['post', '/v1/reports/query/export', { query: QUERY }],
      ['get', `/v1/reports/saved/${reportId}`],
      ['post', `/v1/reports/saved/${reportId}/run`],
      ['post', `/v1/reports/saved/${reportId}/export`],
      ['get', '/v1/reports/admin/diagnostics'],
      ['get', '/healthz'],
    ];
    for (const [method, path, body] of routes) {
      const req = as(method, `${path}?org_id=org_0190b5a0000070008000000000000001`);
      const res = body === undefined ? await req : await req.send(body as object);
      expect({ path, status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
        path, status: 400, type: PROBLEM,
        body: {
          type: '/problems/validation_failed', title: 'Invalid request', status: 400, code: 'validation_failed', instance: path,
          detail: 'The request has 1 unknown input: /query/org_id.', errors: [{ pointer: '/query/org_id', message: 'unknown query parameter "org_id"' }],
        },
      });
    }
  });

  it('POST …/saved/{id}/run takes no body: {"x":1} → 400 naming x; none or {} runs', async () => {
    const res = await as('post', `/v1/reports/saved/${reportId}/run`).send({ x: 1 });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: {
        type: '/problems/validation_failed', title: 'Invalid request', status: 400, code: 'validation_failed', instance: `/v1/reports/saved/${reportId}/run`,
        detail: 'The request has 1 unknown input: /x.', errors: [{ pointer: '/x', message: 'unknown field "x"; this route takes no body' }],
      },
    });
    expect((await as('post', `/v1/reports/saved/${reportId}/run`).send([1])).status).toBe(400);
    expect((await as('post', `/v1/reports/saved/${reportId}/run`)).status).toBe(200);
    expect((await as('post', `/v1/reports/saved/${reportId}/run`).send({})).status).toBe(200);
  });

  it('limit: one clear message for a non-number, and decimal digits only (0x10, 1e1, +5, " 5" refused)', async () => {
    for (const [path, max] of [['/v1/reports/saved', 100], ['/v1/reports/projector/run', 5000]] as const) {
      for (const limit of ['abc', '0x10', '1e1', '+5', ' 5', '5.0', '0', String(max + 1), '99999999999999999999']) {
        const res = await as(path.endsWith('run') ? 'post' : 'get', `${path}?limit=${encodeURIComponent(limit)}`);
        expect({ limit, status: res.status, errors: res.body.errors }).toEqual({
          limit, status: 400, errors: [{ pointer: '/query/limit', message: `limit must be a whole number from 1 to ${max} in decimal digits; got ${JSON.stringify(limit)}` }],
        });
      }
      expect((await as(path.endsWith('run') ? 'post' : 'get', `${path}?limit=16`)).status).toBe(200);
    }
  });

  it('a time zone ICU knows but PostgreSQL does not (US/Pacific-New) → 400 at query and at save, never at run', async () => {
    const query = { ...QUERY, dimensions: ['day'], timezone: 'US/Pacific-New' };
    const error = { pointer: '/timezone', message: 'timezone must be an IANA time zone such as "Europe/Berlin", got "US/Pacific-New"' };
    const run = await as('post', '/v1/reports/query').send(query);
    expect({ status: run.status, code: run.body.code, errors: run.body.errors }).toEqual({ status: 400, code: 'invalid_report_query', errors: [error] });
    const save = await as('post', '/v1/reports/saved').send({ name: 'pacific', query });
    expect({ status: save.status, code: save.body.code, errors: save.body.errors }).toEqual({ status: 400, code: 'invalid_report_query', errors: [{ ...error, pointer: '/query/timezone' }] });
    expect((await as('post', '/v1/reports/query').send({ ...query, timezone: 'US/Pacific' })).status).toBe(200);
  });

  it('GET /docs/json → 404 (not a 405 telling to use GET)', async () => {
    const res = await t.http().get('/docs/json');
    expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
      status: 404, type: PROBLEM, body: { type: '/problems/not_found', title: 'Not Found', status: 404, detail: 'No route for GET /docs/json.', code: 'not_found', instance: '/docs/json' },
    });
  });

  it('/docs: nosniff and a CSP that allows only its own scripts; ?url= cannot swap the document', async () => {
    const csp = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    const page = await t.http().get('/docs?url=https://evil.example/openapi.json');
    const init = await t.http().get('/docs/swagger-ui-init.js');
    for (const res of [page, init]) {
      expect({ status: res.status, nosniff: res.headers['x-content-type-options'], csp: res.headers['content-security-policy'] }).toEqual({ status: 200, nosniff: 'nosniff', csp });
    }
    // script-src 'self' works only if every script is a file: no inline <script> in the page.
    const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, code] of scripts) expect({ attrs: /src=/.test(attrs), code: code.trim() }).toEqual({ attrs: true, code: '' });
    // The init script embeds our document and pins the url; Swagger UI's query config is off.
    expect(init.text).toContain('"url": "/openapi.json"');
    expect(init.text).toContain('"queryConfigEnabled": false');
    expect(init.text).toContain('"title": "Factline"');
  });
});
