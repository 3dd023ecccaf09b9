import { probeModule } from '../../support/probe.module.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const PROBLEM = 'application/problem+json; charset=utf-8';

describe('problem details from every layer (SPEC §3)', () => {
  let t: TestApp;
  let key: string;

  beforeAll(async () => {
    t = await startTestApp({ imports: [probeModule] });
    key = (await t.key('acme', 'member')).key;
  });
  afterAll(() => t.close());

  it('unknown route → 404 not_found', async () => {
    const res = await t.http().get('/v1/nowhere?x=1');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.body).toEqual({
      type: '/problems/not_found',
      title: 'Not Found',
      status: 404,
      detail: 'No route for GET /v1/nowhere.',
      code: 'not_found',
      instance: '/v1/nowhere',
    });
  });

  it('wrong method → 405 with Allow', async () => {
    const res = await t.http().put('/healthz');
    expect(res.status).toBe(405);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.headers.allow).toBe('GET');
    expect(res.body).toEqual({
      type: '/problems/method_not_allowed',
      title: 'Method Not Allowed',
      status: 405,
      detail: 'PUT is not supported on /healthz; use GET.',
      code: 'method_not_allowed',
      instance: '/healthz',
    });
  });

  it('malformed JSON → 400 bad_request', async () => {
    const res = await t.http().post('/__probe/echo').set('authorization', `Bearer ${key}`).set('content-type', 'application/json').send('{"name": ');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.body).toMatchObject({ type: '/problems/bad_request', title: 'Bad Request', status: 400, code: 'bad_request', instance: '/__probe/echo' });
    expect(res.body.detail).toMatch(/^Malformed JSON body: [^M]/);
  });

  it('unknown body fields → 400 naming each', async () => {
    const res = await t.http().post('/__probe/echo').set('authorization', `Bearer ${key}`).send({ name: 'x', count: 1, colour: 'red', extra: 1 });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.body).toEqual({
      type: '/problems/validation_failed',
      title: 'Invalid request',
      status: 400,
      detail: 'The request body has 2 invalid fields: /colour, /extra.',
      code: 'validation_failed',
      instance: '/__probe/echo',
      errors: [
        { pointer: '/colour', message: 'unknown field "colour"' },
        { pointer: '/extra', message: 'unknown field "extra"' },
      ],
    });
  });

  it('DTO validation → 400 listing every failure with JSON pointers', async () => {
    const res = await t.http().post('/__probe/echo').set('authorization', `Bearer ${key}`).send({ name: '', count: 9, kind: 'z', items: [{ label: 'ok' }, { label: 'toolong' }] });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors).toEqual([
      { pointer: '/name', message: 'name must be longer than or equal to 1 characters' },
      { pointer: '/count', message: 'count must not be greater than 5' },
      { pointer: '/kind', message: 'kind must be one of the following values: a, b', allowed: ['a', 'b'] },
      { pointer: '/items/1/label', message: 'label must be shorter than or equal to 5 characters' },
    ]);
  });

  it('a body that is not an object → 400', async () => {
    const res = await t.http().post('/__probe/echo').set('authorization', `Bearer ${key}`).send([1, 2]);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'validation_failed', errors: [{ pointer: '', message: 'must be a JSON object' }] });
  });

  it('valid body passes through', async () => {
    const res = await t.http().post('/__probe/echo').set('authorization', `Bearer ${key}`).send({ name: 'ok', count: 2 });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ name: 'ok', count: 2 });
  });

  it('over 1 MiB → 413 payload_too_large', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10), count: 1 });
    const res = await t.http().post('/__probe/echo').set('authorization', `Bearer ${key}`).set('content-type', 'application/json').send(big);
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.body).toEqual({
      type: '/problems/payload_too_large',
      title: 'Payload Too Large',
      status: 413,
      detail: 'The request body exceeds the 1 MiB limit.',
      code: 'payload_too_large',
      instance: '/__probe/echo',
    });
  });

  it('a malformed percent-encoding in the path → 400 bad_request, from the router itself', async () => {
    const res = await t.http().get('/v1/apps/%FF/runs').set('authorization', `Bearer ${key}`);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.body).toEqual({
      type: '/problems/bad_request',
      title: 'Bad Request',
      status: 400,
      detail: 'The URL is malformed (a bad percent-encoding?).',
      code: 'bad_request',
      instance: '/v1/apps/%FF/runs',
    });
  });

  it('a path segment over 200 characters → 414 uri_too_long', async () => {
    const long = `app_${'a'.repeat(300)}`;
    const res = await t.http().get(`/v1/apps/${long}/runs`).set('authorization', `Bearer ${key}`);
    expect(res.status).toBe(414);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.body).toEqual({
      type: '/problems/uri_too_long',
      title: 'URI Too Long',
      status: 414,
      detail: 'A path segment is longer than 200 characters.',
      code: 'uri_too_long',
      instance: `/v1/apps/${long}/runs`,
    });
  });

  it('wrong content type → 415', async () => {
    const res = await t.http().post('/__probe/echo').set('authorization', `Bearer ${key}`).set('content-type', 'text/plain').send('name=x');
    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.body).toEqual({
      type: '/problems/unsupported_media_type',
      title: 'Unsupported Media Type',
      status: 415,
      detail: 'Send the body as application/json.',
      code: 'unsupported_media_type',
      instance: '/__probe/echo',
    });
  });

  it('unexpected error → 500 internal_error, redacted, logged under the request id', async () => {
    const res = await t.http().get('/__probe/boom').set('x-request-id', 'req-boom-1');
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.headers['x-request-id']).toBe('req-boom-1');
    expect(res.body).toEqual({
      type: '/problems/internal_error',
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred.',
      code: 'internal_error',
      instance: '/__probe/boom',
    });
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
    const logged = t.logs.map((l) => JSON.parse(l)).find((l) => l.request_id === 'req-boom-1' && l.level === 'error');
    expect(logged).toMatchObject({ msg: 'request failed', status: 500, error: 'kaboom: password=hunter2 at db.internal:5432' });
  });

  it('every line logged while a request is handled is pino JSON with its request id; authorization is redacted', async () => {
    const res = await t.http().get('/__probe/log').set('x-request-id', 'req-log-1').set('authorization', 'Bearer fl_secret_probe_value');
    expect(res.status).toBe(200);
    const lines = t.logs.map((l) => JSON.parse(l)).filter((l) => l.request_id === 'req-log-1');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([['warn', 'probe log'], ['info', 'request']]);
    expect(lines[0]).toEqual({
      level: 'warn', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), request_id: 'req-log-1', msg: 'probe log',
      authorization: '[redacted]', headers: { authorization: '[redacted]' },
    });
    expect(t.logs.join('\n')).not.toContain('fl_secret_probe_value');
  });

  it('type URIs resolve to a page describing the code', async () => {
    const res = await t.http().get('/problems/rate_limited');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toContain('Too Many Requests (rate_limited, HTTP 429)');
    const missing = await t.http().get('/problems/no_such_code');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe(PROBLEM);
  });

  it('x-request-id is echoed, or minted when absent or unsafe', async () => {
    const given = await t.http().get('/healthz').set('x-request-id', 'abc-123');
    expect(given.headers['x-request-id']).toBe('abc-123');
    const minted = await t.http().get('/healthz').set('x-request-id', 'bad id with spaces');
    expect(minted.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
