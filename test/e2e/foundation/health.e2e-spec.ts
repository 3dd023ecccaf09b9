import { TcpProxy } from '../../support/tcp-proxy.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-db.js';
import { METRICS_TOKEN, startTestApp, type TestApp } from '../../support/test-app.js';

const PROBLEM = 'application/problem+json; charset=utf-8';

describe('health, readiness, metrics, OpenAPI (SPEC §1)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('GET /healthz', async () => {
    const res = await t.http().get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz: database reachable and migrations applied', async () => {
    const res = await t.http().get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', database: 'up', migrations: 'applied' });
  });

  it('GET /readyz is 503 while a migration is pending', async () => {
    const { rows } = await t.db.pool.query(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`);
    await t.db.pool.query(`DELETE FROM migrations WHERE name = $1`, [rows[0].name]);
    try {
      const res = await t.http().get('/readyz');
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(res.body).toMatchObject({ code: 'service_unavailable', detail: 'Database migrations are pending (npm run migration:run).', retry_after_seconds: 5 });
    } finally {
      await t.db.pool.query(`INSERT INTO migrations (timestamp, name) VALUES ($1, $2)`, [Number(rows[0].name.match(/\d+$/)[0]), rows[0].name]);
    }
  });

  it('GET /metrics with the METRICS_TOKEN bearer is Prometheus text with request counters', async () => {
    await t.http().get('/healthz');
    const res = await t.http().get('/metrics').set('authorization', `Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.text).toMatch(/factline_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
  });

  it('GET /metrics without the token, with a wrong one or with an API key → 401 problem', async () => {
    const apiKey = (await t.key('metrics', 'owner')).key;
    for (const header of [undefined, `Bearer ${METRICS_TOKEN}x`, `Bearer ${METRICS_TOKEN.slice(0, -1)}`, `Basic ${METRICS_TOKEN}`, `Bearer ${apiKey}`]) {
      const req = t.http().get('/metrics');
      const res = header === undefined ? await req : await req.set('authorization', header);
      expect({ header, status: res.status, type: res.headers['content-type'], challenge: res.headers['www-authenticate'], body: res.body }).toEqual({
        header, status: 401, type: PROBLEM, challenge: 'Bearer realm="factline-metrics"',
        body: { type: '/problems/unauthorized', title: 'Unauthorized', status: 401, detail: 'GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`.', code: 'unauthorized', instance: '/metrics' },
      });
      expect(res.text).not.toContain('factline_');
    }
  });

  it('GET /metrics on a service without METRICS_TOKEN → 404 (metrics are off by default)', async () => {
    const bare = await startTestApp({ env: { METRICS_TOKEN: '' }, db: t.db });
    try {
      for (const header of [undefined, `Bearer ${METRICS_TOKEN}`]) {
        const req = bare.http().get('/metrics');
        const res = header === undefined ? await req : await req.set('authorization', header);
        expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
          status: 404, type: PROBLEM,
          body: { type: '/problems/not_found', title: 'Not Found', status: 404, detail: 'Metrics are off: set METRICS_TOKEN to serve them (then send it as a Bearer token).', code: 'not_found', instance: '/metrics' },
        });
      }
    } finally {
      await bare.close();
    }
  });

  it('serves Swagger UI at /docs and the OpenAPI document at /openapi.json', async () => {
    const docs = await t.http().get('/docs');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger-ui');
    const doc = await t.http().get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(doc.body.components.schemas.ProblemDto.required).toEqual(['title', 'status', 'code']);
  });

  it('every documented operation has an operationId and problem+json error responses', async () => {
    const doc = (await t.http().get('/openapi.json')).body;
    const ops = Object.entries(doc.paths as Record<string, Record<string, { operationId?: string; responses: Record<string, { content?: Record<string, unknown> }> }>>).flatMap(
      ([p, methods]) => Object.entries(methods).map(([m, op]) => ({ route: `${m.toUpperCase()} ${p}`, op })),
    );
    expect(ops.length).toBeGreaterThan(0);
    for (const { route, op } of ops) {
      expect({ route, operationId: op.operationId }).toEqual({ route, operationId: expect.stringMatching(/^[a-z][a-z_]+$/) });
      const errors = Object.entries(op.responses).filter(([s]) => Number(s) >= 400);
      expect({ route, errors: errors.length > 0 }).toEqual({ route, errors: true });
      for (const [status, r] of errors) {
        expect({ route, status, types: Object.keys(r.content ?? {}) }).toEqual({ route, status, types: ['application/problem+json'] });
      }
    }
  });
});

describe('database outage (SPEC §8)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = TcpProxy.forUrl(db.url);
    await proxy.start();
    t = await startTestApp({ db, databaseUrl: proxy.rewrite(db.url) });
  });
  afterAll(async () => {
    await proxy.restore();
    await t.close();
    await proxy.stop();
    await db.drop();
  });

  it('answers 503 problems with retry_after_seconds while the database is unreachable, and recovers by itself', async () => {
    const { key } = await t.key('acme', 'owner');
    expect((await t.http().get('/readyz')).status).toBe(200);
    await proxy.cut();

    const ready = await t.http().get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.headers['content-type']).toBe(PROBLEM);
    expect(ready.headers['retry-after']).toBe('5');
    expect(ready.body).toEqual({
      type: '/problems/service_unavailable',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The database is unreachable.',
      code: 'service_unavailable',
      instance: '/readyz',
      retry_after_seconds: 5,
    });

    // An authenticated route needs the database for the key lookup.
    const authed = await t.http().get('/v1/reports/catalog').set('authorization', `Bearer ${key}`);
    expect(authed.status).toBe(503);
    expect(authed.headers['content-type']).toBe(PROBLEM);
    expect(authed.body).toMatchObject({ status: 503, code: 'service_unavailable', retry_after_seconds: 5 });
    expect(t.logs.join('\n')).not.toContain(key.slice(3, 20));

    await proxy.restore();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await t.http().get('/readyz')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });
});
