import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { Controller, Delete, Get, Module, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequirePermission } from '#src/auth/auth.decorators.js';
import type { Caller } from '#src/auth/permissions.js';
import { newPublicId } from '#src/common/ids/public-id.js';
import { client } from '../../support/api.js';
import { generation, iso, session, toolEvent } from '../../support/factories.js';
import { invalidQueryProblem, PROBLEM } from '../../support/problems.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const RANGE = { from: '2026-05-01T00:00:00Z', to: '2026-06-01T00:00:00Z' };
const QUERY = { dataset: 'llm_generations', time_range: RANGE, dimensions: ['model'], measures: ['generation_count', 'total_tokens'] };
/** SPEC §12's tools; list_prices is one once Cost's route exists (by the rule, with no MCP code). */
const SPEC_TOOLS = [
  'get_report_catalog', 'run_report_query', 'export_query', 'list_saved_reports', 'get_saved_report', 'run_saved_report', 'create_saved_report',
  'list_prices', 'list_app_runs', 'get_reporting_diagnostics',
];
/** Today's tools for an owner: SPEC's, and every other authenticated GET (keys, alerts, deliveries), and export_saved_report. */
const OWNER_TOOLS = [
  'create_saved_report', 'export_query', 'export_saved_report', 'get_alert', 'get_report_catalog', 'get_reporting_diagnostics', 'get_saved_report',
  'list_alerts', 'list_api_keys', 'list_app_runs', 'list_deliveries', 'list_destinations', 'list_prices', 'list_saved_reports', 'list_schedules',
  'run_report_query', 'run_saved_report',
];
/** The rule, stated independently of src/mcp: authenticated GETs, the POSTs that only read, and saving a report. */
function toolsByRule(doc: Json): string[] {
  const reads = ['run_report_query', 'export_query', 'run_saved_report', 'export_saved_report'];
  return Object.values(doc.paths as Json)
    .flatMap((item: Json) => Object.entries(item).filter(([, op]: [string, Json]) => op.security?.length > 0))
    .filter(([method, op]: [string, Json]) => method === 'get' || [...reads, 'create_saved_report'].includes(op.operationId))
    .map(([, op]: [string, Json]) => op.operationId as string)
    .sort();
}
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The oracle of a tool's input schema, read from the served /openapi.json independently of the
 * service's code: path and query parameters and the JSON body's properties, `$ref`s inlined,
 * OpenAPI's `nullable`/`example` written as JSON Schema.
 */
function jsonSchema(doc: Json, s: unknown): unknown {
  if (!s || typeof s !== 'object' || Array.isArray(s)) return s;
  const src = s as Json;
  if (src.$ref) {
    const { $ref, ...rest } = src;
    return { ...(jsonSchema(doc, doc.components.schemas[String($ref).split('/').pop()!]) as Json), ...(jsonSchema(doc, rest) as Json) };
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === 'example' || k === 'nullable') continue;
    if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v as Json).map(([p, ps]) => [p, jsonSchema(doc, ps)]));
    else if (k === 'items' || k === 'additionalProperties') out[k] = jsonSchema(doc, v);
    else if (['allOf', 'anyOf', 'oneOf'].includes(k)) out[k] = (v as unknown[]).map((x) => jsonSchema(doc, x));
    else out[k] = v;
  }
  if (src.example !== undefined) out.examples = [src.example];
  if (src.nullable) {
    if (typeof out.type === 'string') return { ...out, type: [out.type, 'null'], ...(out.enum ? { enum: [...out.enum, null] } : {}) };
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

function expectedInputSchema(doc: Json, operationId: string): Json {
  const op = Object.values(doc.paths as Json).flatMap((item: Json) => Object.values(item)).find((o: Json) => o.operationId === operationId) as Json;
  const properties: Json = {};
  const required: string[] = [];
  for (const p of op.parameters ?? []) {
    properties[p.name] = { ...(jsonSchema(doc, p.schema) as Json), ...(p.description ? { description: p.description } : {}) };
    if (p.required) required.push(p.name);
  }
  const body = op.requestBody?.content?.['application/json']?.schema;
  if (body) {
    const resolved = jsonSchema(doc, body) as Json;
    Object.assign(properties, resolved.properties);
    if (op.requestBody.required) required.push(...(resolved.required ?? []));
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}) };
}

const textOf = (r: CallToolResult) => JSON.parse((r.content[0] as { text: string }).text);
/** Fields that move with the clock (as_of is now when nothing is pending). */
const steady = (body: Json) => ({ ...body, as_of: '(now)' });

describe('MCP endpoint (SPEC §12)', () => {
  let t: TestApp;
  let base: string;
  let keys: Record<'owner' | 'admin' | 'member' | 'ingest' | 'other', string>;
  let appId: string;
  const clients: Client[] = [];

  async function connect(key: string | undefined): Promise<Client> {
    const c = new Client({ name: 'factline-e2e', version: '1.0.0' });
    const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
    await c.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers } }));
    clients.push(c);
    // listTools caches each tool's outputSchema: from then on the SDK checks every structuredContent against it.
    await c.listTools();
    return c;
  }
  const http = (path: string, key: string, body?: unknown) => {
    const req = body === undefined ? t.http().get(path) : t.http().post(path).send(body as object);
    return req.set('authorization', `Bearer ${key}`);
  };

  beforeAll(async () => {
    // Destinations on 127.0.0.1 (nothing is delivered: the scheduler is off in tests).
    t = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.getHttpServer().address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
    keys = {
      owner: (await t.key('acme', 'owner')).key,
      admin: (await t.key('acme', 'admin')).key,
      member: (await t.key('acme', 'member')).key,
      ingest: (await t.key('acme', 'ingest')).key,
      other: (await t.key('globex', 'owner')).key,
    };
    const acme = client(t, keys.owner);
    const s = session();
    await acme.ingest('sessions', [s]);
    await acme.ingest('llm_generations', [
      generation({ session_id: s.id, model: 'gpt-5' }), generation({ session_id: s.id, model: 'gpt-5' }),
      generation({ session_id: s.id, model: 'claude-sonnet-4', provider: 'anthropic', input_tokens: 30 }),
    ]);
    await acme.ingest('events', [toolEvent(s.id), toolEvent(s.id, {}, { status: 'error' })]);
    await acme.project();
    appId = newPublicId('app');
    const chan = newPublicId('appchan');
    await acme.ingest('apps', [{ id: appId, name: 'Support bot', channels: [{ id: chan, type: 'slack', name: 'Support Slack' }] }]);
    const started = Date.now() - 3_600_000;
    await acme.ingest('app_runs', [{ id: newPublicId('apprun'), app_id: appId, channel_id: chan, status: 'ok', created_at: iso(started), completed_at: iso(started + 2000) }]);
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await t.close();
  });

  it('initialize: the server names itself, offers tools, resources and prompts, and tells a model where to start', async () => {
    const c = await connect(keys.member);
    expect(c.getServerVersion()).toEqual({ name: 'factline', title: 'Factline reporting', version: '1' });
    expect(c.getServerCapabilities()).toEqual({ tools: {}, resources: {}, prompts: {} });
    expect(c.getInstructions()).toContain('Start with get_report_catalog');
  });

  it('tools/list follows the role: owner all, admin no operator tool, member only reads, ingest none; reads are readOnlyHint', async () => {
    const names = async (key: string) => (await (await connect(key)).listTools()).tools.map((x) => x.name).sort();
    const doc = (await t.http().get('/openapi.json')).body as Json;
    const owner = await names(keys.owner);
    expect(owner).toEqual(toolsByRule(doc));
    // Cost's list_prices came in with no MCP code (for every role below owner too); create_price and delete_price did not.
    expect(owner).toEqual(OWNER_TOOLS);
    const operations = new Set(Object.values(doc.paths as Json).flatMap((item: Json) => Object.values(item).map((op: Json) => op.operationId)));
    expect(SPEC_TOOLS.filter((n) => operations.has(n) && !owner.includes(n))).toEqual([]);
    // Writes the issue keeps from agents: key management (issue 13), ingest, deletes, operator actions, alert changes.
    for (const never of ['create_api_key', 'revoke_api_key', 'ingest_sessions', 'delete_saved_report', 'update_saved_report', 'run_projector', 'backfill_reporting', 'create_alert', 'retry_delivery', 'create_price', 'delete_price']) {
      expect({ never, listed: owner.includes(never) }).toEqual({ never, listed: false });
    }
    expect(await names(keys.admin)).toEqual(owner.filter((n) => !['get_reporting_diagnostics', 'list_api_keys'].includes(n)));
    expect(await names(keys.member)).toEqual(owner.filter((n) => !['get_reporting_diagnostics', 'list_api_keys', 'create_saved_report'].includes(n)));
    expect(await names(keys.ingest)).toEqual([]);
    const { tools } = await (await connect(keys.owner)).listTools();
    expect(Object.fromEntries(tools.map((x) => [x.name, x.annotations?.readOnlyHint]))).toEqual(Object.fromEntries(owner.map((n) => [n, n !== 'create_saved_report'])));
  });

  it('every inputSchema is the route request schema of the served /openapi.json; every example in a description fits it', async () => {
    const doc = (await t.http().get('/openapi.json')).body as Json;
    const { tools } = await (await connect(keys.owner)).listTools();
    const validator = new AjvJsonSchemaValidator();
    for (const tool of tools) {
      expect({ tool: tool.name, schema: tool.inputSchema }).toEqual({ tool: tool.name, schema: expectedInputSchema(doc, tool.name) });
      const example = /Example arguments: (\{.*\})$/.exec(tool.description ?? '');
      if (example) expect({ tool: tool.name, valid: validator.getValidator(tool.inputSchema)(JSON.parse(example[1])).valid }).toEqual({ tool: tool.name, valid: true });
    }
    // The body's own schema, enum included, not a hand-written copy.
    const run = tools.find((x) => x.name === 'run_report_query')!;
    expect((run.inputSchema.properties as Json).dataset.enum).toEqual(doc.components.schemas.ReportQueryDto.properties.dataset.enum);
    expect(validator.getValidator(run.inputSchema)({ ...QUERY, dataset: 'nope' }).valid).toBe(false);
    // Descriptions are written for a model: they send it to the catalog and show a call.
    expect(run.description).toContain('Call get_report_catalog first');
    expect(run.description).toMatch(/Example arguments: \{"dataset":"sessions"/);
  });

  it('each tool returns its route\'s 2xx body, as structuredContent and as JSON text, valid against the route\'s documented response', async () => {
    const c = await connect(keys.owner);
    const doc = t.contract.document as unknown as Json;
    const called = new Set<string>();
    const call = async (name: string, args: Json = {}) => {
      const r = (await c.callTool({ name, arguments: args })) as CallToolResult;
      expect({ name, isError: r.isError ?? false }).toEqual({ name, isError: false });
      expect(textOf(r)).toEqual(r.structuredContent);
      const op = Object.values(doc.paths as Json).flatMap((item: Json) => Object.values(item)).find((o: Json) => o.operationId === name) as Json;
      const [, response] = Object.entries(op.responses as Json).find(([status]) => /^2/.test(status))!;
      expect({ name, violations: t.contract.check(response.content['application/json'].schema, r.structuredContent) }).toEqual({ name, violations: [] });
      called.add(name);
      return r.structuredContent as Json;
    };
    expect(await call('get_report_catalog')).toEqual((await http('/v1/reports/catalog', keys.owner)).body);
    const result = await call('run_report_query', QUERY);
    expect(steady(result)).toEqual(steady((await http('/v1/reports/query', keys.owner, QUERY)).body));
    expect(result.rows).toEqual([
      { model: 'gpt-5', generation_count: 2, total_tokens: 30 },
      { model: 'claude-sonnet-4', generation_count: 1, total_tokens: 35 },
    ]);
    const exported = await call('export_query', { query: QUERY });
    expect(steady(exported)).toEqual(steady((await http('/v1/reports/query/export', keys.owner, { query: QUERY })).body));

    const created = await call('create_saved_report', { name: 'Tokens by model', description: 'May.', query: QUERY });
    expect(created).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'Tokens by model', description: 'May.', query: QUERY, created_at: expect.any(String), updated_at: created.created_at });
    expect(await call('get_saved_report', { report_id: created.id.toUpperCase() })).toEqual(created);
    expect(await call('list_saved_reports', { limit: 10 })).toEqual((await http('/v1/reports/saved?limit=10', keys.owner)).body);
    expect(steady(await call('run_saved_report', { report_id: created.id }))).toEqual(steady(result));

    const runs = await call('list_app_runs', { app_id: appId, window: '24h', group_by: 'hour' });
    expect(runs).toEqual((await http(`/v1/apps/${appId}/runs?window=24h&group_by=hour`, keys.owner)).body);
    expect(runs.data).toHaveLength(1);
    expect(runs.buckets).toHaveLength(25);
    const diagnostics = await call('get_reporting_diagnostics');
    expect({ ...diagnostics, datasets: '(timed)' }).toEqual({ ...(await http('/v1/reports/admin/diagnostics', keys.owner)).body, datasets: '(timed)' });
    expect(steady(await call('export_saved_report', { report_id: created.id }))).toEqual(steady((await http(`/v1/reports/saved/${created.id}/export`, keys.owner, {})).body));

    // The tools no MCP code names (the rule made them): keys, destinations, schedules, alerts, deliveries, prices.
    expect(await call('list_api_keys')).toEqual((await http('/v1/keys', keys.owner)).body);
    const total = await call('create_saved_report', { name: 'All generations', query: { ...QUERY, dimensions: [], measures: ['generation_count'] } });
    const dest = (await http('/v1/reports/destinations', keys.owner, { name: 'Local hook', url: 'http://127.0.0.1:9/hook' })).body;
    expect(dest.id).toMatch(/^dest_/);
    await http(`/v1/reports/saved/${total.id}/schedules`, keys.owner, { cron: '0 8 * * 1', timezone: 'UTC', destination_id: dest.id, format: 'json' }).expect(201);
    const alert = (await http('/v1/reports/alerts', keys.owner, { name: 'Busy', saved_report_id: total.id, measure: 'generation_count', op: 'gt', threshold: 100, every: '1h', destination_id: dest.id })).body;
    expect(alert.id).toMatch(/^alert_/);
    expect(await call('list_destinations')).toEqual((await http('/v1/reports/destinations', keys.owner)).body);
    expect(await call('list_schedules', { report_id: total.id })).toEqual((await http(`/v1/reports/saved/${total.id}/schedules`, keys.owner)).body);
    expect(await call('list_alerts')).toEqual((await http('/v1/reports/alerts', keys.owner)).body);
    expect(await call('get_alert', { alert_id: alert.id })).toEqual((await http(`/v1/reports/alerts/${alert.id}`, keys.owner)).body);
    expect(await call('list_deliveries', { status: 'failed', limit: 5 })).toEqual((await http('/v1/reports/deliveries?status=failed&limit=5', keys.owner)).body);
    // Cost's read route (the rule made it a tool when it landed).
    const prices = await call('list_prices', { provider: 'anthropic' });
    expect(prices).toEqual((await http('/v1/reports/prices?provider=anthropic', keys.owner)).body);
    expect((prices.data as Json[]).length).toBeGreaterThan(0);
    expect([...called].sort()).toEqual(OWNER_TOOLS);
  });

  it('an agent-like loop: a wrong measure → the problem lists the allowed names → the corrected query succeeds', async () => {
    const c = await connect(keys.member);
    const wrong = { ...QUERY, measures: ['generation_count', 'tokens'] };
    const failed = (await c.callTool({ name: 'run_report_query', arguments: wrong })) as CallToolResult;
    expect(failed.isError).toBe(true);
    expect(failed.structuredContent).toBeUndefined();
    const problem = textOf(failed);
    // The very problem the HTTP route answers, with the same pointers (the body is the arguments).
    expect(problem).toEqual((await http('/v1/reports/query', keys.member, wrong)).body);
    expect(problem).toEqual(invalidQueryProblem([{ pointer: '/measures/1', message: expect.any(String), allowed: expect.any(Array) }]));
    const [error] = problem.errors;
    expect(error.allowed).toContain('total_tokens');
    const fixed = { ...wrong, measures: ['generation_count', error.allowed.find((m: string) => m === 'total_tokens')] };
    const ok = (await c.callTool({ name: 'run_report_query', arguments: fixed })) as CallToolResult;
    expect(ok.isError).toBeFalsy();
    expect((ok.structuredContent as Json).rows).toHaveLength(2);
  });

  it('errors are isError results with the problem: pointers into the arguments, the route as instance', async () => {
    const c = await connect(keys.member);
    const problemOf = async (name: string, args: Json) => {
      const r = (await c.callTool({ name, arguments: args })) as CallToolResult;
      expect({ name, isError: r.isError }).toEqual({ name, isError: true });
      return textOf(r);
    };
    expect(await problemOf('get_saved_report', { report_id: 'not-a-uuid' })).toEqual({
      type: '/problems/invalid_report_id', title: 'Invalid report id', status: 400, detail: '"not-a-uuid" is not a UUID.', code: 'invalid_report_id',
      instance: '/v1/reports/saved/not-a-uuid',
    });
    expect(await problemOf('run_saved_report', {})).toEqual({
      type: '/problems/validation_failed', title: 'Invalid request', status: 400, detail: 'The arguments have 1 problem: /report_id.', code: 'validation_failed',
      instance: '/v1/reports/saved/{report_id}/run', errors: [{ pointer: '/report_id', message: 'report_id is required' }],
    });
    // The route's query DTO says /query/limit; the tool's arguments have it at /limit.
    expect(await problemOf('list_saved_reports', { limit: 0, cursor: 'x' })).toEqual({
      type: '/problems/validation_failed', title: 'Invalid request', status: 400, detail: 'The query string has 1 invalid field: /query/limit.', code: 'validation_failed',
      instance: '/v1/reports/saved', errors: [{ pointer: '/limit', message: 'limit must be a whole number from 1 to 100 in decimal digits; got "0"' }],
    });
    expect(await problemOf('get_report_catalog', { verbose: true })).toEqual({
      type: '/problems/validation_failed', title: 'Invalid request', status: 400, detail: 'The arguments have 1 problem: /verbose.', code: 'validation_failed',
      instance: '/v1/reports/catalog', errors: [{ pointer: '/verbose', message: 'unknown argument "verbose"', allowed: [] }],
    });
    const badApp = await problemOf('list_app_runs', { app_id: appId, window: '90d' });
    expect({ code: badApp.code, status: badApp.status }).toEqual({ code: 'invalid_query', status: 400 });
    // The route's problem, with its /query/window pointer moved to the argument /window.
    const overHttp = (await http(`/v1/apps/${appId}/runs?window=90d`, keys.member)).body;
    expect(overHttp.errors[0].pointer).toBe('/query/window');
    expect(badApp).toEqual({ ...overHttp, errors: [{ ...overHttp.errors[0], pointer: '/window' }] });
    // A tool the role does not list is refused by its route: 403 naming the permission.
    expect(await problemOf('get_reporting_diagnostics', {})).toEqual({
      type: '/problems/forbidden', title: 'Forbidden', status: 403, code: 'forbidden', instance: '/v1/reports/admin/diagnostics',
      detail: 'This route needs the reports:admin permission, which the member role does not grant.',
    });
    // A bad value of an argument the route reads from its query string: the route's own check, pointer on the argument.
    const deliveriesOverHttp = (await http('/v1/reports/deliveries?status=lost&limit=many', keys.member)).body;
    expect(deliveriesOverHttp.errors.length).toBeGreaterThan(0);
    expect(await problemOf('list_deliveries', { status: 'lost', limit: 'many' })).toEqual({
      ...deliveriesOverHttp,
      errors: deliveriesOverHttp.errors.map((e: Json) => ({ ...e, pointer: e.pointer.replace(/^\/query\//, '/') })),
    });
    // An argument that is no scalar cannot be a query parameter; a route's body takes it and refuses it by its schema.
    expect(await problemOf('list_saved_reports', { limit: { n: 1 } })).toEqual({
      type: '/problems/validation_failed', title: 'Invalid request', status: 400, detail: 'The arguments have 1 problem: /limit.', code: 'validation_failed',
      instance: '/v1/reports/saved', errors: [{ pointer: '/limit', message: 'limit must be a string, a number or a boolean' }],
    });
    // A client can never name org_id (SPEC §2): the route refuses it, and the problem lists the fields it takes.
    const withOrg = { ...QUERY, org_id: 'org_x' };
    const orgProblem = await problemOf('run_report_query', withOrg);
    expect(orgProblem).toEqual((await http('/v1/reports/query', keys.member, withOrg)).body);
    expect(orgProblem.errors).toEqual([{ pointer: '/org_id', message: 'unknown field "org_id"', allowed: expect.arrayContaining(['dataset', 'measures']) }]);
    await expect(c.callTool({ name: 'drop_tables', arguments: {} })).rejects.toThrow(/Unknown tool: drop_tables/);
  });

  it('401 problem+json without a key, or with an unknown one; the SDK client fails to connect', async () => {
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
    for (const auth of [undefined, 'Bearer fl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      const res = await t.http().post('/mcp').set('accept', 'application/json, text/event-stream').set(auth ? { authorization: auth } : {}).send(init);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(res.body).toEqual({
        type: '/problems/unauthorized', title: 'Unauthorized', status: 401, code: 'unauthorized', instance: '/mcp',
        detail: auth ? 'The API key is not recognised.' : 'Send an API key as `Authorization: Bearer <key>`.',
      });
    }
    const c = new Client({ name: 'anonymous', version: '1.0.0' });
    await expect(c.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)))).rejects.toThrow(/401/);
    // The header that carries an in-process tool call's one-use token means nothing from outside.
    const forged = [
      await t.http().post('/mcp').set('x-factline-internal-call', 'A'.repeat(43)).set('accept', 'application/json, text/event-stream').send(init),
      await t.http().get('/v1/reports/catalog').set('x-factline-internal-call', 'A'.repeat(43)),
    ];
    expect(forged.map((r) => [r.status, r.body.detail])).toEqual([1, 2].map(() => [401, 'Send an API key as `Authorization: Bearer <key>`.']));
  });

  it('transport refusals are problems too: wrong Accept 406, not JSON-RPC 400, GET and DELETE 405', async () => {
    const post = (accept: string, body: unknown) => t.http().post('/mcp').set('authorization', `Bearer ${keys.member}`).set('accept', accept).send(body as object);
    const notAcceptable = await post('application/json', { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect([notAcceptable.status, notAcceptable.headers['content-type'], notAcceptable.body]).toEqual([406, PROBLEM, {
      type: '/problems/not_acceptable', title: 'Not Acceptable', status: 406, code: 'not_acceptable', instance: '/mcp',
      detail: 'MCP: Not Acceptable: Client must accept both application/json and text/event-stream',
    }]);
    const garbage = await post('application/json, text/event-stream', { hello: 'world' });
    expect([garbage.status, garbage.body]).toEqual([400, {
      type: '/problems/bad_request', title: 'Bad Request', status: 400, code: 'bad_request', instance: '/mcp', detail: 'MCP: Parse error: Invalid JSON-RPC message',
    }]);
    const batch = await post('application/json, text/event-stream', [{ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' }]);
    expect([batch.status, batch.body]).toEqual([400, {
      type: '/problems/bad_request', title: 'Bad Request', status: 400, code: 'bad_request', instance: '/mcp',
      detail: 'MCP: send one JSON-RPC message per request; batches are not accepted.',
    }]);
    const query = await t.http().post('/mcp?org_id=x').set('authorization', `Bearer ${keys.member}`).set('accept', 'application/json, text/event-stream').send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect([query.status, query.body.code, query.body.errors]).toEqual([400, 'validation_failed', [{ pointer: '/query/org_id', message: 'unknown query parameter "org_id"' }]]);
    for (const method of ['get', 'delete'] as const) {
      const res = await t.http()[method]('/mcp').set('authorization', `Bearer ${keys.member}`).set('accept', 'text/event-stream');
      expect([res.status, res.headers.allow, res.headers['content-type'], res.body.code]).toEqual([405, 'POST', PROBLEM, 'method_not_allowed']);
    }
  });

  it('tenant isolation: another org\'s saved report is not found, by tool and as a resource', async () => {
    const owner = await connect(keys.owner);
    const created = (await owner.callTool({ name: 'create_saved_report', arguments: { name: 'Acme only', query: QUERY } })) as CallToolResult;
    const id = (created.structuredContent as Json).id as string;
    const globex = await connect(keys.other);
    for (const name of ['get_saved_report', 'run_saved_report']) {
      const r = (await globex.callTool({ name, arguments: { report_id: id } })) as CallToolResult;
      expect({ name, isError: r.isError, problem: textOf(r) }).toEqual({
        name, isError: true,
        problem: {
          type: '/problems/saved_report_not_found', title: 'Saved report not found', status: 404, code: 'saved_report_not_found',
          detail: `Saved report ${id} was not found.`, instance: `/v1/reports/saved/${id}${name === 'run_saved_report' ? '/run' : ''}`,
        },
      });
    }
    expect((await globex.callTool({ name: 'list_saved_reports', arguments: {} })).structuredContent).toEqual({ data: [], next_cursor: null });
    expect((await globex.listResources()).resources).toEqual([]);
    await expect(globex.readResource({ uri: `factline://saved/${id}` })).rejects.toThrow(`Saved report not found: Saved report ${id} was not found.`);
    // Globex's data are not Acme's: the same query over Globex's facts is empty.
    expect(((await globex.callTool({ name: 'run_report_query', arguments: QUERY })).structuredContent as Json).rows).toEqual([]);
  });

  it('saved reports are resources at factline://saved/{id}, holding their definition', async () => {
    const owner = await connect(keys.owner);
    const created = (await owner.callTool({ name: 'create_saved_report', arguments: { name: 'Weekly tools', query: { ...QUERY, time_range: { last: '7d' } } } })) as CallToolResult;
    const report = created.structuredContent as Json;
    const member = await connect(keys.member);
    expect((await member.listResourceTemplates()).resourceTemplates.map((r) => r.uriTemplate)).toEqual(['factline://saved/{report_id}']);
    const { resources } = await member.listResources();
    expect(resources).toContainEqual({ uri: `factline://saved/${report.id}`, name: 'Weekly tools', mimeType: 'application/json' });
    const read = await member.readResource({ uri: `factline://saved/${report.id}` });
    expect(read.contents).toEqual([{ uri: `factline://saved/${report.id}`, mimeType: 'application/json', text: expect.any(String) }]);
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toEqual(report);
    await expect(member.readResource({ uri: 'factline://saved/not-a-uuid' })).rejects.toThrow(/Invalid report id/);
    await expect(member.readResource({ uri: 'https://example.com/x' })).rejects.toThrow(/Resource not found/);
    const ingest = await connect(keys.ingest);
    expect((await ingest.listResources()).resources).toEqual([]);
  });

  it('prompts: each names a run_report_query call that runs as is', async () => {
    const c = await connect(keys.member);
    expect((await c.listPrompts()).prompts.map((p) => p.name)).toEqual(['cost_by_model', 'failing_tools']);
    for (const name of ['cost_by_model', 'failing_tools']) {
      const prompt = await c.getPrompt({ name, arguments: { days: '30' } });
      const text = (prompt.messages[0].content as { text: string }).text;
      const query = JSON.parse(/run_report_query with (\{.*?\}), then/.exec(text)![1]);
      const r = (await c.callTool({ name: 'run_report_query', arguments: query })) as CallToolResult;
      expect({ name, isError: r.isError ?? false, servedBy: (r.structuredContent as Json)?.served_by }).toEqual({ name, isError: false, servedBy: 'rollup' });
    }
    await expect(c.getPrompt({ name: 'cost_by_model', arguments: { days: '0' } })).rejects.toThrow(/days must be a whole number from 1 to 400/);
  });
});

/**
 * SPEC §3 "no input may produce a 500", over MCP: hostile arguments for every tool, hostile
 * JSON-RPC messages for the endpoint. Seeded (FUZZ_SEED / FUZZ_RUNS explore others).
 */
describe('MCP under hostile input: never a 500', () => {
  const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
  const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
  let t: TestApp;
  let key: string;
  beforeAll(async () => {
    t = await startTestApp();
    key = (await t.key('fuzz', 'owner')).key;
  });
  afterAll(() => t.close());
  const post = (body: unknown) =>
    t.http().post('/mcp').set('authorization', `Bearer ${key}`).set('accept', 'application/json, text/event-stream').set('content-type', 'application/json').send(JSON.stringify(body));
  const hostile = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom('..', '.', '%2e%2e', '../../v1/keys', '\u0000', 'a'.repeat(5000), -1, 1e308, '0x10', '2489E9AD-2EE2-8E00-8EC9-32D5F69181C0', { last: '7d' }, []),
  );

  it('tools/call with hostile arguments for every tool: a result or an isError problem below 500, never a protocol error but unknown-tool', async () => {
    const tools = ((await post({ jsonrpc: '2.0', id: 0, method: 'tools/list' })).body.result.tools as { name: string; inputSchema: Json }[]);
    const seen: string[] = [];
    for (const tool of tools) {
      const names = [...Object.keys(tool.inputSchema.properties ?? {}), 'org_id', 'extra'];
      await fc.assert(
        fc.asyncProperty(fc.dictionary(fc.constantFrom(...names), hostile, { maxKeys: 4 }), async (args) => {
          const res = await post({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool.name, arguments: args } });
          expect({ tool: tool.name, status: res.status }).toEqual({ tool: tool.name, status: 200 });
          const result = res.body.result as CallToolResult | undefined;
          expect({ tool: tool.name, error: res.body.error }).toEqual({ tool: tool.name, error: undefined });
          if (result?.isError) {
            const problem = textOf(result);
            expect({ tool: tool.name, args, below500: problem.status < 500 }).toEqual({ tool: tool.name, args, below500: true });
          }
          seen.push(tool.name);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    }
    expect(new Set(seen).size).toBe(tools.length);
  });

  it('hostile JSON-RPC messages: problems below 500 or JSON-RPC answers, never a 500', async () => {
    const message = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.record({ jsonrpc: fc.constantFrom('2.0', '1.0', 2), id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)), method: fc.constantFrom('tools/call', 'tools/list', 'resources/read', 'prompts/get', 'initialize', 'nope'), params: fc.jsonValue({ maxDepth: 3 }) }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(message, async (body) => {
        const res = await post(body);
        expect({ body, below500: res.status < 500 }).toEqual({ body, below500: true });
        if (res.status >= 400) expect(res.headers['content-type']).toBe(PROBLEM);
      }),
      { seed: SEED, numRuns: RUNS * 8 },
    );
  });
});

describe('MCP and the per-key rate limit (SPEC §8)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(() => t.close());

  it('one MCP request takes one token of the key\'s bucket, a tool call included (its route does not take a second): the fourth is a 429 problem', async () => {
    const { key } = await t.key('limited', 'member');
    const call = () =>
      t.http().post('/mcp').set('authorization', `Bearer ${key}`).set('accept', 'application/json, text/event-stream')
        .send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_report_catalog', arguments: {} } });
    for (let i = 0; i < 3; i++) {
      const res = await call();
      expect([res.status, res.body.result.isError ?? false]).toEqual([200, false]);
    }
    const limited = await call();
    expect([limited.status, limited.headers['content-type'], limited.body.code, limited.body.allowed_actions[0].rel]).toEqual([429, PROBLEM, 'rate_limited', 'retry-later']);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});

/** A route added after this code was written, as Cost adds list_prices: a GET that reads, a POST and a DELETE that write. */
class LaterWidgetDto {
  @ApiProperty({ example: 'wid_1' }) id: string;
  @ApiProperty({ example: 'blue' }) colour: string;
}
class LaterWidgetListDto {
  @ApiProperty({ type: [LaterWidgetDto] }) data: LaterWidgetDto[];
}
@ApiTags('reports')
@Controller('v1/later/widgets')
class LaterWidgetsController {
  @Get()
  @RequirePermission('reports:view')
  @ApiOperation({ operationId: 'list_later_widgets', summary: 'List widgets' })
  @ApiOkResponse({ type: LaterWidgetListDto })
  list(@CurrentCaller() caller: Caller): LaterWidgetListDto {
    return { data: [{ id: 'wid_1', colour: caller.role }] };
  }

  @Post()
  @RequirePermission('reports:manage')
  @ApiOperation({ operationId: 'create_later_widget', summary: 'Create a widget' })
  @ApiCreatedResponse({ type: LaterWidgetDto })
  create(): LaterWidgetDto {
    return { id: 'wid_2', colour: 'red' };
  }

  @Delete(':widget_id')
  @RequirePermission('reports:manage')
  @ApiOperation({ operationId: 'delete_later_widget', summary: 'Delete a widget' })
  @ApiNoContentResponse()
  remove(@Param('widget_id') _id: string): void {}
}
@Module({ controllers: [LaterWidgetsController] })
class LaterWidgetsModule {}

describe('a route added later (SPEC §12: as list_prices did when Cost landed)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ imports: [{ module: LaterWidgetsModule }] });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => t.close());

  it('a read-only GET becomes a tool with no MCP code, by its permission; its writes do not', async () => {
    const base = `http://127.0.0.1:${(t.app.getHttpServer().address() as { port: number }).port}`;
    const tools = async (role: 'owner' | 'member' | 'ingest') => {
      const c = new Client({ name: 'later', version: '1' });
      await c.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${(await t.key('later', role)).key}` } } }));
      return { c, tools: (await c.listTools()).tools };
    };
    const { c, tools: listed } = await tools('member');
    try {
      const widget = listed.find((x) => x.name === 'list_later_widgets');
      expect(widget && { title: widget.title, readOnly: widget.annotations?.readOnlyHint, input: widget.inputSchema }).toEqual({
        title: 'List widgets', readOnly: true, input: { type: 'object', properties: {} },
      });
      const r = (await c.callTool({ name: 'list_later_widgets', arguments: {} })) as CallToolResult;
      expect([r.isError ?? false, r.structuredContent]).toEqual([false, { data: [{ id: 'wid_1', colour: 'member' }] }]);
    } finally {
      await c.close();
    }
    const owner = await tools('owner');
    expect(owner.tools.map((x) => x.name).filter((n) => n.includes('later'))).toEqual(['list_later_widgets']);
    await owner.c.close();
    const ingest = await tools('ingest');
    expect(ingest.tools).toEqual([]);
    await ingest.c.close();
  });
});
