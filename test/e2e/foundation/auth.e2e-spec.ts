import { probeModule } from '../../support/probe.module.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const body = { name: 'x', count: 1 };

describe('API keys (SPEC §2)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ imports: [probeModule], env: { RATE_LIMIT_PER_MINUTE: '1000000' } });
  });
  afterAll(() => t.close());

  const unauthorized = (detail: string) => ({
    type: '/problems/unauthorized',
    title: 'Unauthorized',
    status: 401,
    detail,
    code: 'unauthorized',
    instance: '/__probe/echo',
  });

  it('missing key → 401', async () => {
    const res = await t.http().post('/__probe/echo').send(body);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="factline"');
    expect(res.body).toEqual(unauthorized('Send an API key as `Authorization: Bearer <key>`.'));
  });

  it.each([
    ['not bearer', 'Basic abc'],
    ['not our format', 'Bearer abc'],
    ['two tokens', 'Bearer fl_a fl_b'],
  ])('malformed key (%s) → 401', async (_, header) => {
    const res = await t.http().post('/__probe/echo').set('authorization', header).send(body);
    expect(res.status).toBe(401);
    expect(res.body).toEqual(unauthorized('The Authorization header is not `Bearer <api key>` with a well-formed key.'));
  });

  it('unknown key → 401', async () => {
    const res = await t.http().post('/__probe/echo').set('authorization', `Bearer fl_${'A'.repeat(43)}`).send(body);
    expect(res.status).toBe(401);
    expect(res.body).toEqual(unauthorized('The API key is not recognised.'));
  });

  it('revoked key → 401 exactly like an unknown key, and a live key of the same org still works', async () => {
    const { ApiKeyService } = await import('#src/auth/api-key.service.js');
    const service = t.app.get(ApiKeyService);
    const doomed = await service.createKey('revokers', 'owner');
    const ok = await t.http().post('/__probe/echo').set('authorization', `Bearer ${doomed.key}`).send(body);
    expect(ok.status).toBe(201);
    expect(await service.revokeKey(doomed.keyId)).toBe(true);
    const res = await t.http().post('/__probe/echo').set('authorization', `Bearer ${doomed.key}`).send(body);
    expect(res.status).toBe(401);
    expect(res.body).toEqual(unauthorized('The API key is not recognised.'));
    const other = await t.key('revokers', 'member');
    expect((await t.http().post('/__probe/echo').set('authorization', `Bearer ${other.key}`).send(body)).status).toBe(201);
  });

  it('lacking permission → 403 naming the permission', async () => {
    const { key } = await t.key('acme', 'ingest');
    const res = await t.http().post('/__probe/echo').set('authorization', `Bearer ${key}`).send(body);
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.body).toEqual({
      type: '/problems/forbidden',
      title: 'Forbidden',
      status: 403,
      detail: 'This route needs the reports:view permission, which the ingest role does not grant.',
      code: 'forbidden',
      instance: '/__probe/echo',
    });
  });

  it('keys are stored hashed: the token appears nowhere in the database', async () => {
    const { key } = await t.key('acme', 'member');
    const rows = await t.db.pool.query(`SELECT key_hash, key_hint FROM api_keys`);
    const dump = JSON.stringify(rows.rows.map((r) => [r.key_hash.toString('hex'), r.key_hint]));
    expect(dump).not.toContain(key);
    expect(dump).not.toContain(key.slice(3));
    const { createHash } = await import('node:crypto');
    const hashes = rows.rows.map((r) => r.key_hash.toString('hex'));
    expect(hashes).toContain(createHash('sha256').update(key).digest('hex'));
  });

  it('keys never reach the log', async () => {
    const { key } = await t.key('acme', 'member');
    await t.http().post('/__probe/echo').set('authorization', `Bearer ${key}`).send(body);
    await t.http().post('/__probe/echo').set('authorization', `Bearer ${key}x`).send(body);
    expect(t.logs.length).toBeGreaterThan(0);
    expect(t.logs.join('\n')).not.toContain(key.slice(3, 20));
  });
});

describe('rate limit per key (SPEC §8)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ imports: [probeModule], env: { RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(() => t.close());

  it('the request over the bucket → 429 with Retry-After and a retry-later action; other keys unaffected', async () => {
    const { key } = await t.key('acme', 'member');
    for (let i = 0; i < 3; i++) {
      expect((await t.http().post('/__probe/echo').set('authorization', `Bearer ${key}`).send(body)).status).toBe(201);
    }
    const res = await t.http().post('/__probe/echo').set('authorization', `Bearer ${key}`).send(body);
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.headers['retry-after']).toBe('20');
    expect(res.body).toEqual({
      type: '/problems/rate_limited',
      title: 'Too Many Requests',
      status: 429,
      detail: 'Rate limit exceeded for this API key; retry in 20 s.',
      code: 'rate_limited',
      instance: '/__probe/echo',
      retry_after_seconds: 20,
      allowed_actions: [{ rel: 'retry-later', hint: 'Wait 20 s, then repeat the same request.' }],
    });
    const other = await t.key('acme', 'admin');
    expect((await t.http().post('/__probe/echo').set('authorization', `Bearer ${other.key}`).send(body)).status).toBe(201);
  });
});
