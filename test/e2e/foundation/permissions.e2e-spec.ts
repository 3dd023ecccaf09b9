import { ROLE_PERMISSIONS, ROLES, type Permission } from '#src/auth/permissions.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const REPORT_ID = '0190b5a0-0000-7000-8000-000000000001';

/** Every authenticated route and the permission SPEC §2 gives it. */
const ROUTES: [method: 'get' | 'post' | 'patch' | 'delete', path: string, openapi: string, permission: Permission][] = [
  ['get', '/v1/reports/catalog', '/v1/reports/catalog', 'reports:view'],
  ['post', '/v1/reports/query', '/v1/reports/query', 'reports:view'],
  ['post', '/v1/reports/query/export', '/v1/reports/query/export', 'reports:view'],
  ['get', '/v1/reports/saved', '/v1/reports/saved', 'reports:view'],
  ['post', '/v1/reports/saved', '/v1/reports/saved', 'reports:manage'],
  ['get', `/v1/reports/saved/${REPORT_ID}`, '/v1/reports/saved/{report_id}', 'reports:view'],
  ['patch', `/v1/reports/saved/${REPORT_ID}`, '/v1/reports/saved/{report_id}', 'reports:manage'],
  ['delete', `/v1/reports/saved/${REPORT_ID}`, '/v1/reports/saved/{report_id}', 'reports:manage'],
  ['post', `/v1/reports/saved/${REPORT_ID}/run`, '/v1/reports/saved/{report_id}/run', 'reports:view'],
  ['post', `/v1/reports/saved/${REPORT_ID}/export`, '/v1/reports/saved/{report_id}/export', 'reports:view'],
  ['post', '/v1/reports/projector/run', '/v1/reports/projector/run', 'reports:admin'],
  ['post', '/v1/reports/admin/backfill', '/v1/reports/admin/backfill', 'reports:admin'],
  ['get', '/v1/reports/admin/diagnostics', '/v1/reports/admin/diagnostics', 'reports:admin'],
  ['post', '/v1/reports/admin/outbox/retry', '/v1/reports/admin/outbox/retry', 'reports:admin'],
  ...(['sessions', 'events', 'llm_generations', 'usage_ledger', 'apps', 'app_runs'].map(
    (s) => ['post', `/v1/ingest/${s}`, `/v1/ingest/${s}`, 'ingest:write'] as ['post', string, string, Permission],
  )),
  ['get', '/v1/apps/app_0190b5a0000070008000000000000001/runs', '/v1/apps/{app_id}/runs', 'apps:view'],
  ['get', '/v1/keys', '/v1/keys', 'keys:manage'],
  ['post', '/v1/keys', '/v1/keys', 'keys:manage'],
  ['delete', '/v1/keys/key_0190b5a0000070008000000000000001', '/v1/keys/{key_id}', 'keys:manage'],
  // Alerts and scheduled deliveries (SPEC §14).
  ['post', '/v1/reports/destinations', '/v1/reports/destinations', 'reports:manage'],
  ['get', '/v1/reports/destinations', '/v1/reports/destinations', 'reports:view'],
  ['delete', '/v1/reports/destinations/dest_0190b5a0000070008000000000000001', '/v1/reports/destinations/{destination_id}', 'reports:manage'],
  ['post', `/v1/reports/saved/${REPORT_ID}/schedules`, '/v1/reports/saved/{report_id}/schedules', 'reports:manage'],
  ['get', `/v1/reports/saved/${REPORT_ID}/schedules`, '/v1/reports/saved/{report_id}/schedules', 'reports:view'],
  ['delete', `/v1/reports/saved/${REPORT_ID}/schedules/sched_0190b5a0000070008000000000000001`, '/v1/reports/saved/{report_id}/schedules/{schedule_id}', 'reports:manage'],
  ['post', '/v1/reports/alerts', '/v1/reports/alerts', 'reports:manage'],
  ['get', '/v1/reports/alerts', '/v1/reports/alerts', 'reports:view'],
  ['get', '/v1/reports/alerts/alert_0190b5a0000070008000000000000001', '/v1/reports/alerts/{alert_id}', 'reports:view'],
  ['delete', '/v1/reports/alerts/alert_0190b5a0000070008000000000000001', '/v1/reports/alerts/{alert_id}', 'reports:manage'],
  ['get', '/v1/reports/deliveries', '/v1/reports/deliveries', 'reports:view'],
  ['post', '/v1/reports/deliveries/delivery_0190b5a0000070008000000000000001/retry', '/v1/reports/deliveries/{delivery_id}/retry', 'reports:manage'],
  ['get', '/v1/reports/prices', '/v1/reports/prices', 'reports:view'],
  ['post', '/v1/reports/prices', '/v1/reports/prices', 'reports:manage'],
  ['delete', `/v1/reports/prices/price_${'0'.repeat(32)}`, '/v1/reports/prices/{price_id}', 'reports:manage'],
];
const PUBLIC = ['GET /healthz', 'GET /readyz', 'GET /metrics'];

describe('role × permission matrix (SPEC §2)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('the matrix covers every documented operation, and only the health routes are public', async () => {
    const doc = (await t.http().get('/openapi.json')).body as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    const expected = [...ROUTES.map(([m, , p]) => `${m.toUpperCase()} ${p}`), ...PUBLIC].sort();
    expect(documented).toEqual(expected);
    for (const [m, , p] of ROUTES) expect({ op: `${m} ${p}`, security: doc.paths[p][m].security }).toEqual({ op: `${m} ${p}`, security: [{ bearer: [] }] });
  });

  for (const role of ROLES) {
    it(`${role}: allowed routes pass the guard, the others are 403 naming the permission`, async () => {
      const { key } = await t.key('matrix', role);
      for (const [method, path, , permission] of ROUTES) {
        const res = await t.http()[method](path).set('authorization', `Bearer ${key}`).set('content-type', 'application/json').send('{}');
        if (ROLE_PERMISSIONS[role].includes(permission)) {
          expect({ path, method, passed: ![401, 403].includes(res.status) && res.status < 500 }).toEqual({ path, method, passed: true });
        } else {
          expect({ path, method, status: res.status, detail: res.body.detail }).toEqual({
            path, method, status: 403, detail: `This route needs the ${permission} permission, which the ${role} role does not grant.`,
          });
        }
      }
    });
  }

  it('every authenticated route is 401 without a key', async () => {
    for (const [method, path] of ROUTES) {
      const res = await t.http()[method](path);
      expect({ path, method, status: res.status, code: res.body.code }).toEqual({ path, method, status: 401, code: 'unauthorized' });
    }
  });
});
