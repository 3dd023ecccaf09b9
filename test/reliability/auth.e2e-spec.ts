import { ApiKeyService } from '#src/auth/api-key.service.js';
import { newPublicId } from '#src/common/ids/public-id.js';
import { http, startService, type ServiceProcess } from '../support/service.js';
import { startTestApp, type TestApp, type TestKey } from '../support/test-app.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const REPORT_ID = '0190b5a0-0000-7000-8000-000000000001';

/** Every documented route, with its path parameters filled in. */
async function routes(base: string): Promise<{ method: string; path: string; operationId: string; public: boolean }[]> {
  const doc = (await http(base, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, { operationId: string; security?: unknown[] }>> };
  return Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: p.replace('{report_id}', REPORT_ID).replace('{app_id}', newPublicId('app')).replace('{key_id}', newPublicId('key'))
        .replace('{destination_id}', newPublicId('dest')).replace('{schedule_id}', newPublicId('sched'))
        .replace('{alert_id}', newPublicId('alert')).replace('{delivery_id}', newPublicId('delivery')).replace('{price_id}', newPublicId('price')),
      operationId: op.operationId,
      public: !op.security?.length, // public routes say `security: []` (issue 14)
    })),
  );
}

/**
 * SPEC §2 keys, beyond test/e2e/foundation/auth.e2e-spec.ts (one probe route) and
 * permissions.e2e-spec.ts (every route × role): on every route of a running service, missing,
 * malformed, unknown and revoked keys are the same 401 problems; the database holds only digests;
 * and across a whole run of requests — successes and every error path — no key reaches the log,
 * even at debug level. The constant-time comparison itself: src/auth/api-key-token.spec.ts.
 */
describe('API keys on every route of a running service (SPEC §2)', () => {
  let t: TestApp;
  let service: ServiceProcess;
  let owner: TestKey;
  let member: TestKey;
  let revoked: TestKey;
  const bootstrap = `fl_${'Q'.repeat(20)}${'z'.repeat(23)}`;

  beforeAll(async () => {
    t = await startTestApp();
    owner = await t.key('keys', 'owner');
    member = await t.key('keys', 'member');
    revoked = await t.key('keys-revoked', 'owner');
    expect(await t.app.get(ApiKeyService).revokeKey(revoked.keyId)).toBe(true);
    service = await startService({ DATABASE_URL: t.db.url, LOG_LEVEL: 'debug', BOOTSTRAP_API_KEY: bootstrap, RATE_LIMIT_PER_MINUTE: '600', AUTH_FAILURES_PER_MINUTE: '1000000', REPORTING_PROJECTOR_ENABLED: 'false' });
  });
  afterAll(async () => {
    await service.stop();
    await t.close();
  });

  const unauthorized = (path: string, detail: string) => ({
    status: 401,
    type: PROBLEM,
    challenge: 'Bearer realm="factline"',
    body: { type: '/problems/unauthorized', title: 'Unauthorized', status: 401, detail, code: 'unauthorized', instance: path },
  });

  it('missing, malformed, unknown and revoked keys → the same 401 problem on every authenticated route', async () => {
    const all = await routes(service.url);
    const authed = all.filter((r) => !r.public);
    expect(authed.length).toBe(39); // with list_prices, create_price, delete_price (SPEC §10)
    expect(all.filter((r) => r.public).map((r) => r.operationId).sort()).toEqual(['get_healthz', 'get_metrics', 'get_readyz']);
    const k = owner.key;
    const variants: [string, string | undefined, string][] = [
      ['missing', undefined, 'Send an API key as `Authorization: Bearer <key>`.'],
      ['empty', '', 'Send an API key as `Authorization: Bearer <key>`.'],
      ['scheme only', 'Bearer', 'The Authorization header is not `Bearer <api key>` with a well-formed key.'],
      ['no scheme', k, 'The Authorization header is not `Bearer <api key>` with a well-formed key.'],
      ['other scheme', `Basic ${Buffer.from(`x:${k}`).toString('base64')}`, 'The Authorization header is not `Bearer <api key>` with a well-formed key.'],
      ['two spaces', `Bearer  ${k}`, 'The Authorization header is not `Bearer <api key>` with a well-formed key.'],
      ['two tokens', `Bearer ${k} ${k}`, 'The Authorization header is not `Bearer <api key>` with a well-formed key.'],
      ['one char short', `Bearer ${k.slice(0, -1)}`, 'The Authorization header is not `Bearer <api key>` with a well-formed key.'],
      ['one char long', `Bearer ${k}A`, 'The Authorization header is not `Bearer <api key>` with a well-formed key.'],
      ['bad alphabet', `Bearer fl_${'+'.repeat(43)}`, 'The Authorization header is not `Bearer <api key>` with a well-formed key.'],
      ['wrong prefix', `Bearer xx_${k.slice(3)}`, 'The Authorization header is not `Bearer <api key>` with a well-formed key.'],
      ['sql', `Bearer fl_' OR 1=1 --`, 'The Authorization header is not `Bearer <api key>` with a well-formed key.'],
      ['very long', `Bearer fl_${'A'.repeat(4000)}`, 'The Authorization header is not `Bearer <api key>` with a well-formed key.'],
      ['unknown', `Bearer fl_${'A'.repeat(43)}`, 'The API key is not recognised.'],
      ['one char changed', `Bearer ${k.slice(0, -1)}${k.endsWith('A') ? 'B' : 'A'}`, 'The API key is not recognised.'],
      ['revoked', `Bearer ${revoked.key}`, 'The API key is not recognised.'],
    ];
    let n = 0;
    for (const { method, path } of authed) {
      for (const [name, header, detail] of variants) {
        const res = await http(service.url, method, path, { headers: header === undefined ? {} : { authorization: header }, body: method === 'GET' ? undefined : {} });
        n++;
        expect({ name, method, path, status: res.status, type: res.contentType, challenge: res.headers.get('www-authenticate'), body: res.body }).toEqual({ name, method, path, ...unauthorized(path, detail) });
      }
    }
    // The scheme is case-insensitive (RFC 9110): a lowercase "bearer" with a good key passes.
    expect((await http(service.url, 'GET', '/v1/reports/catalog', { headers: { authorization: `bearer ${k}` } })).status).toBe(200);
    console.log(`auth: ${n} requests (${authed.length} routes × ${variants.length} bad keys) → 401 problems`);
  });

  it('the database holds key digests only: 32-byte SHA-256 hashes and 7-character hints', async () => {
    const { rows } = await t.db.pool.query(`SELECT key_hash, key_hint FROM api_keys`);
    expect(rows.length).toBe(4);
    const dump = JSON.stringify(rows.map((r) => [r.key_hash.toString('base64url'), r.key_hash.toString('hex'), r.key_hint]));
    for (const key of [owner.key, member.key, revoked.key, bootstrap]) {
      expect(dump).not.toContain(key.slice(7, 30));
      expect(rows.some((r) => r.key_hint === `${key.slice(0, 7)}…`)).toBe(true);
    }
    for (const r of rows) expect(r.key_hash).toHaveLength(32);
  });

  it('no key reaches the log (debug level) across successes and every error path', async () => {
    const all = await routes(service.url);
    const statuses = new Set<number>();
    const keys = [owner.key, member.key, revoked.key, bootstrap];
    for (const { method, path } of all) {
      for (const key of keys) {
        for (const header of [`Bearer ${key}`, `Bearer ${key}x`, key, `Bearer ${key.slice(0, 40)}`]) {
          statuses.add((await http(service.url, method, path, { headers: { authorization: header, 'x-request-id': 'keys-in-logs' }, body: method === 'GET' ? undefined : { records: [] } })).status);
        }
      }
    }
    // Error paths beyond auth: 404, 405, 400 (bad JSON, bad id), 413, 415, and 429 once the bucket is empty.
    const k = owner.key;
    for (const [method, path, body, type] of [
      ['GET', '/v1/nope', undefined, undefined], ['DELETE', '/v1/reports/catalog', undefined, undefined], ['POST', '/v1/reports/query', '{bad', 'application/json'],
      ['GET', '/v1/reports/saved/not-a-uuid', undefined, undefined], ['POST', '/v1/reports/query', 'x'.repeat(1_100_000), 'application/json'], ['POST', '/v1/reports/query', 'a=b', 'text/plain'],
    ] as const) {
      const res = await fetch(`${service.url}${path}`, { method, headers: { authorization: `Bearer ${k}`, ...(type ? { 'content-type': type } : {}) }, body });
      statuses.add(res.status);
      await res.text();
    }
    for (let i = 0; i < 3000 && !statuses.has(429); i++) statuses.add((await http(service.url, 'GET', '/v1/reports/catalog', { key: member.key })).status);
    expect([...statuses].sort()).toEqual([200, 400, 401, 403, 404, 405, 413, 415, 429]);

    const output = service.proc.stdout() + service.proc.stderr();
    expect(output.split('\n').filter((l) => l.startsWith('{')).length).toBeGreaterThan(1000);
    for (const key of keys) {
      for (const part of [key, key.slice(3), key.slice(3, 23), key.slice(23)]) expect(output.includes(part)).toBe(false);
    }
  }, 180_000);
});
