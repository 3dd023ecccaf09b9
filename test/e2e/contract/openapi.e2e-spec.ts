import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { OperationObject } from '../../support/contract.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const run = promisify(execFile);
const ROOT = resolve('.');
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
// Offline and quiet: no telemetry, no update check (only the npm registry is reachable here).
const LINT_ENV = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_UPDATE_NOTIFIER: '1', CI: 'true' };

// Not a timing assertion: the linters' CLIs start slowly (Spectral ~20 s alone) on a busy machine.
const LINT_TIMEOUT_MS = 240_000;
type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

describe('the OpenAPI document (issue 14: a document a generated client can trust)', () => {
  let t: TestApp;
  let dir: string;
  let doc: { paths: Record<string, Record<string, OperationObject & { security?: unknown[]; parameters?: Json[]; requestBody?: Json }>>; components: { schemas: Record<string, Json> } };
  const operations = () => Object.entries(doc.paths).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => ({ route: `${m.toUpperCase()} ${path}`, op: item[m] })));

  beforeAll(async () => {
    t = await startTestApp();
    doc = (await t.http().get('/openapi.json')).body;
    // The linters read the served document from a temp folder, beside copies of the committed configs.
    dir = mkdtempSync(join(tmpdir(), 'factline-openapi-'));
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(doc, null, 2));
    for (const f of ['redocly.yaml', '.redocly.lint-ignore.yaml', '.spectral.yaml']) copyFileSync(join(ROOT, f), join(dir, f));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  it('Redocly (recommended) finds no error and no warning beyond the ignores justified in .redocly.lint-ignore.yaml', async () => {
    const out = await run(bin('redocly'), ['lint', 'openapi.json', '--config', 'redocly.yaml', '--format', 'json'], { cwd: dir, env: LINT_ENV, maxBuffer: 64 << 20 }).catch((e: { stdout: string }) => e);
    const report = JSON.parse(out.stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string; location: { pointer: string }[] }[] };
    expect(report.problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, LINT_TIMEOUT_MS);

  it('Spectral (spectral:oas) finds nothing', async () => {
    await run(bin('spectral'), ['lint', '--ruleset', '.spectral.yaml', '--format', 'json', '--output', 'spectral.json', '--fail-severity', 'hint', 'openapi.json'], { cwd: dir, env: LINT_ENV }).catch(() => undefined);
    const results = JSON.parse(readFileSync(join(dir, 'spectral.json'), 'utf8')) as { code: string; message: string; path: string[] }[];
    expect(results.map((r) => `${r.code} ${r.path.join('.')}: ${r.message}`)).toEqual([]);
  }, LINT_TIMEOUT_MS);

  it('every example (schemas, parameters, request and response bodies) validates against its schema', () => {
    const checked: string[] = [];
    const problems: string[] = [];
    const check = (where: string, schema: Json | undefined, value: unknown) => {
      if (!schema) return;
      checked.push(where);
      for (const p of t.contract.check(schema, value)) problems.push(`${where}: ${p}`);
    };
    const walk = (where: string, schema: unknown) => {
      if (!schema || typeof schema !== 'object') return;
      const s = schema as Json;
      if ('example' in s) check(`${where} example`, s, s.example);
      for (const [name, prop] of Object.entries((s.properties ?? {}) as Json)) walk(`${where}.${name}`, prop);
      if (s.items) walk(`${where}[]`, s.items);
    };
    for (const [name, schema] of Object.entries(doc.components.schemas)) walk(name, schema);
    for (const { route, op } of operations()) {
      for (const p of op.parameters ?? []) if ('example' in p) check(`${route} parameter ${String(p.name)}`, p.schema as Json, p.example);
      const media = [
        ...Object.entries((op.requestBody?.content ?? {}) as Record<string, Json>).map(([type, m]) => [`${route} request ${type}`, m] as const),
        ...Object.entries(op.responses).flatMap(([status, r]) => Object.entries(r.content ?? {}).map(([type, m]) => [`${route} ${status} ${type}`, m as Json] as const)),
      ];
      for (const [where, m] of media) {
        if ('example' in m) check(`${where} example`, m.schema as Json, m.example);
        for (const [name, ex] of Object.entries((m.examples ?? {}) as Record<string, { value: unknown }>)) check(`${where} examples.${name}`, m.schema as Json, ex.value);
      }
    }
    expect(problems).toEqual([]);
    // The walk really saw the examples (a broken walk must not pass for want of examples).
    expect(checked.length).toBeGreaterThan(100);
    expect(checked).toEqual(expect.arrayContaining(['PATCH /v1/reports/saved/{report_id} request application/json examples.rename', 'POST /v1/ingest/sessions request application/json examples.one_record']));
  });

  it('a failing example is caught (the check can fail)', () => {
    const description = (doc.components.schemas.UpdateSavedReportDto.properties as Json).description as Json;
    expect(t.contract.check(description, {})).not.toEqual([]);
    expect(t.contract.check(description, 'Reviewed every Monday.')).toEqual([]);
    expect(t.contract.check(description, null)).toEqual([]);
  });

  it('no property is an untyped object (the `string | null` → Object reflection trap)', () => {
    const bad: string[] = [];
    const walk = (where: string, schema: unknown) => {
      if (!schema || typeof schema !== 'object') return;
      const s = schema as Json;
      if (s.type === 'object' && !s.properties && s.additionalProperties === undefined) bad.push(where);
      for (const [name, prop] of Object.entries((s.properties ?? {}) as Json)) walk(`${where}.${name}`, prop);
      if (s.items) walk(`${where}[]`, s.items);
    };
    for (const [name, schema] of Object.entries(doc.components.schemas)) walk(name, schema);
    expect(bad).toEqual([]);
  });

  it('house rules every route keeps: described successes, Retry-After on 429/503, 413/415 only with a body, security stated, defaults optional', () => {
    const bad: string[] = [];
    for (const { route, op } of operations()) {
      const statuses = Object.keys(op.responses);
      if (!statuses.some((s) => s.startsWith('2'))) bad.push(`${route}: no success response`);
      for (const [status, r] of Object.entries(op.responses) as [string, { description?: string; headers?: Json }][]) {
        if (!r.description?.trim()) bad.push(`${route} ${status}: empty description`);
        if ((status === '429' || status === '503') && !r.headers?.['Retry-After']) bad.push(`${route} ${status}: Retry-After undeclared`);
      }
      if (!op.requestBody && (statuses.includes('413') || statuses.includes('415'))) bad.push(`${route}: 413/415 without a request body`);
      if (op.requestBody && !(statuses.includes('413') && statuses.includes('415'))) bad.push(`${route}: a body but no 413/415`);
      if (!Array.isArray(op.security)) bad.push(`${route}: security unstated`);
      if (!op.operationId) bad.push(`${route}: no operationId`);
    }
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      const props = (schema.properties ?? {}) as Record<string, Json>;
      for (const req of (schema.required ?? []) as string[]) if (props[req] && 'default' in props[req]) bad.push(`${name}.${req}: required with a default`);
    }
    expect(bad).toEqual([]);
    expect(operations().filter(({ op }) => op.security?.length === 0).map(({ route }) => route).sort()).toEqual(['GET /healthz', 'GET /metrics', 'GET /readyz']);
  });

  it('Swagger UI keeps the key across reloads, shows operationIds and a filter; keys are opaque bearer tokens; servers are named', async () => {
    const init = await t.http().get('/docs/swagger-ui-init.js');
    expect(init.status).toBe(200);
    expect(init.text).toMatch(/"persistAuthorization": true/);
    expect(init.text).toMatch(/"displayOperationId": true/);
    expect(init.text).toMatch(/"filter": true/);
    const full = doc as unknown as { servers: { url: string }[]; components: { securitySchemes: Record<string, Json> } };
    expect(full.servers).toEqual([{ url: '/', description: 'The server that serves this document' }]);
    expect(full.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque API key (fl_…)' });
  });

  it('every query takes an absolute or a relative range (SPEC §11); order_by names exactly one of dimension or measure; counts are int64', () => {
    const adHoc = { $ref: '#/components/schemas/ReportQueryDto' };
    expect(t.contract.check(adHoc, { dataset: 'sessions', time_range: { last: '7d' } })).toEqual([]);
    expect(t.contract.check(adHoc, { dataset: 'sessions', time_range: { calendar: 'last_week' } })).toEqual([]);
    expect(t.contract.check(adHoc, { dataset: 'sessions', time_range: { from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z' } })).toEqual([]);
    expect(t.contract.check(adHoc, { dataset: 'sessions', time_range: { last: '7 days' } })).not.toEqual([]);
    expect(t.contract.check(adHoc, { dataset: 'sessions', time_range: { calendar: 'this_decade' } })).not.toEqual([]);
    expect(t.contract.check(adHoc, { dataset: 'sessions', time_range: { last: '7d' }, dimensions: ['day'], fill: 'zero' })).toEqual([]);
    expect(t.contract.check(adHoc, { dataset: 'sessions', time_range: { last: '7d' }, dimensions: ['day'], fill: 'previous' })).not.toEqual([]);
    // A property with its own description is {allOf: [{$ref}], description}.
    const refOf = (schema: string, property: string) => {
      const p = ((doc.components.schemas[schema] as Json).properties as Record<string, Json>)[property] as { $ref?: string; allOf?: { $ref: string }[] };
      return p.$ref ?? p.allOf?.[0]?.$ref;
    };
    for (const schema of ['CreateSavedReportDto', 'UpdateSavedReportDto', 'SavedReportDto']) expect({ schema, ref: refOf(schema, 'query') }).toEqual({ schema, ref: '#/components/schemas/ReportQueryDto' });
    for (const schema of ['ReportResultDto', 'ExportEnvelopeDto']) expect({ schema, ref: refOf(schema, 'time_range') }).toEqual({ schema, ref: '#/components/schemas/TimeRangeDto' });
    const range = { from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z' };
    expect(t.contract.check(adHoc, { dataset: 'sessions', time_range: range, order_by: [{ measure: 'session_count', direction: 'desc' }] })).toEqual([]);
    expect(t.contract.check(adHoc, { dataset: 'sessions', time_range: range, order_by: [{ dimension: 'status', measure: 'session_count' }] })).not.toEqual([]);
    expect((doc.components.schemas.BackfillResultDto.properties as Record<string, Json>).enqueued).toMatchObject({ type: 'integer', format: 'int64' });
    expect((doc.components.schemas.ProblemDto.properties as Record<string, Json>).status).toMatchObject({ type: 'integer', format: 'int32' });
    expect((doc.components.schemas.AppRunDto.properties as Record<string, Json>).channel_type).toMatchObject({ nullable: true, enum: expect.arrayContaining([null, 'slack']) });
    expect((doc.components.schemas.SavedReportDto.properties as Record<string, Json>).id).toMatchObject({ type: 'string', format: 'uuid' });
  });
});

describe('the response check every e2e request goes through (test/support/contract.ts)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const json = { 'content-type': 'application/json; charset=utf-8' };
  const problem = { 'content-type': 'application/problem+json; charset=utf-8' };

  it('passes a conforming response and flags undeclared fields, statuses, content types and routes', () => {
    const ok = { claimed: 1, completed: 1, failed: 0 };
    expect(t.contract.violations('POST', '/v1/reports/projector/run?limit=5', { status: 200, headers: json, body: ok })).toEqual([]);
    expect(t.contract.violations('POST', '/v1/reports/projector/run', { status: 200, headers: json, body: { ...ok, extra: 1 } })).toEqual([
      'POST /v1/reports/projector/run (run_projector) 200: body / must NOT have additional properties {"additionalProperty":"extra"}',
    ]);
    expect(t.contract.violations('POST', '/v1/reports/projector/run', { status: 200, headers: json, body: { ...ok, failed: 0.5 } })).toEqual([
      'POST /v1/reports/projector/run (run_projector) 200: body /failed must be integer {"type":"integer"}',
      'POST /v1/reports/projector/run (run_projector) 200: body /failed must match format "int64" {"format":"int64"}',
    ]);
    expect(t.contract.violations('POST', '/v1/reports/projector/run', { status: 409, headers: problem, body: {} })[0]).toMatch(/answered 409, a status the document does not declare/);
    expect(t.contract.violations('POST', '/v1/reports/projector/run', { status: 200, headers: { 'content-type': 'text/html' }, body: ok })).toEqual([
      'POST /v1/reports/projector/run (run_projector) 200: content type "text/html" is not among the declared application/json',
    ]);
    expect(t.contract.violations('GET', '/v1/nope', { status: 200, headers: json, body: {} })).toEqual(['200 from GET /v1/nope, a route the document does not have']);
    // The explorer's pages and assets are outside the document on purpose; only their exact paths.
    const html = { 'content-type': 'text/html; charset=utf-8' };
    expect(['/', '/ui/', '/explore?q=x', '/saved', '/ui/assets/app-X.js'].flatMap((u) => t.contract.violations('GET', u, { status: 200, headers: html, body: {} }))).toEqual([]);
    expect(t.contract.violations('GET', '/savedx', { status: 200, headers: html, body: {} })).toEqual(['200 from GET /savedx, a route the document does not have']);
    expect(t.contract.violations('GET', '/v1/nope', { status: 404, headers: problem, body: { title: 'Not Found', status: 404, code: 'not_found', secret: 1 } })).toEqual([
      'body / must NOT have additional properties {"additionalProperty":"secret"}',
    ]);
  });

  it('is wired into every TestApp request: a response that breaks the document fails the request', async () => {
    const { key } = await t.key('contract', 'owner');
    // The live document says run_projector answers 200; pretend it declared only a 202.
    const op = t.contract.operation('post', '/v1/reports/projector/run');
    const saved = op?.op.responses['200'];
    if (!op || !saved) throw new Error('run_projector is not documented');
    delete op.op.responses['200'];
    try {
      await expect(t.http().post('/v1/reports/projector/run').set('authorization', `Bearer ${key}`)).rejects.toThrow(/answered 200, a status the document does not declare/);
    } finally {
      op.op.responses['200'] = saved;
    }
    expect((await t.http().post('/v1/reports/projector/run').set('authorization', `Bearer ${key}`)).status).toBe(200);
  });
});
