import { newPublicId } from '#src/common/ids/public-id.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const REPORT_ID = '0190b5a0-0000-7000-8000-000000000001';
const PREFIX: Record<string, string> = { destination: 'dest', schedule: 'sched' };

/**
 * Issue 12's "keys first" on every authenticated route of the document, not one: the routes with a
 * path parameter ({report_id}, {app_id}, {alert_id}, …) reach Fastify wrapped by Nest in a function
 * without the handler's metadata, and were authenticated only by the guard, after the body was
 * parsed — an anonymous malformed body got a 400 there instead of the 401 (auth.hook.ts,
 * keepHandlerMetadata). MCP tool calls depend on the same hook for the routes they run.
 */
describe('an anonymous request is a 401 before its body is read, on every authenticated route', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('malformed JSON without a key → 401, never 400, on every documented route with a key', async () => {
    const doc = (await t.http().get('/openapi.json')).body as { paths: Record<string, Record<string, { operationId: string; security?: unknown[] }>> };
    const routes = Object.entries(doc.paths).flatMap(([template, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.security?.length)
        .map(([method, op]) => ({
          method,
          operationId: op.operationId,
          path: template.replace(/\{(\w+)_id\}/g, (_, name: string) => (name === 'report' ? REPORT_ID : newPublicId((PREFIX[name] ?? name) as Parameters<typeof newPublicId>[0]))),
        })),
    );
    expect(routes.filter((r) => r.path.includes('{'))).toEqual([]);
    const answers = [];
    for (const r of routes) {
      const res = await t.http()[r.method as 'post'](r.path).set('content-type', 'application/json').send('{"broken');
      answers.push({ route: `${r.method.toUpperCase()} ${r.operationId}`, status: res.status, type: res.headers['content-type'], code: res.body.code });
    }
    expect(answers).toEqual(routes.map((r) => ({ route: `${r.method.toUpperCase()} ${r.operationId}`, status: 401, type: PROBLEM, code: 'unauthorized' })));
    expect(answers.filter((a) => /\{/.test(a.route)).length).toBe(0);
  });
});
