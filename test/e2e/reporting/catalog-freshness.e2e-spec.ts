import { client } from '../../support/api.js';
import { capabilityEvent, generation, session, toolEvent } from '../../support/factories.js';
import { PROBLEM } from '../../support/problems.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const COMMON = ['session', 'turn', 'user', 'principal', 'agent', 'agent_name', 'harness', 'harness_name', 'app', 'blueprint'];
const NO_TURN = COMMON.filter((d) => d !== 'turn');
const BUCKETS = ['hour', 'day', 'week', 'month'];
const TEXT_OPS = ['eq', 'neq', 'in', 'not_in', 'is_null'];
const NUMBER_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'is_null'];
const TIME_OPS = ['gt', 'gte', 'lt', 'lte', 'is_null'];
const NULL_SEMANTICS = 'eq/in never match null; neq/not_in keep rows whose value is null; use is_null to select or exclude them.';

/** SPEC §6's dataset table. */
const SPEC_DATASETS: Record<string, { dimensions: string[]; measures: string[] }> = {
  llm_generations: {
    dimensions: [...COMMON, 'model', 'provider', 'finish_reason', ...BUCKETS],
    measures: ['generation_count', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens', 'total_tokens', 'duration_ms', 'avg_duration_ms', 'p50_duration_ms', 'p95_duration_ms', 'avg_time_to_first_token_ms', 'p95_time_to_first_token_ms', 'success_count', 'error_count',
      // SPEC §10
      'cost_usd', 'avg_cost_usd', 'unpriced_count'],
  },
  tool_calls: {
    dimensions: [...COMMON, 'tool', 'tool_display_name', 'status', 'capability', ...BUCKETS],
    measures: ['call_count', 'success_count', 'error_count', 'timeout_count', 'cancelled_count', 'duration_ms', 'avg_duration_ms', 'p95_duration_ms'],
  },
  turns: {
    dimensions: [...COMMON, 'status', ...BUCKETS],
    measures: ['turn_count', 'duration_ms', 'avg_duration_ms', 'p95_duration_ms', 'iterations', 'tool_call_count', 'input_tokens', 'output_tokens', 'total_tokens', 'success_count', 'error_count', 'cost_usd'],
  },
  sessions: {
    dimensions: [...NO_TURN, 'status', ...BUCKETS],
    measures: ['session_count', 'duration_ms', 'avg_duration_ms', 'p95_duration_ms', 'turn_count', 'tool_call_count', 'input_tokens', 'output_tokens', 'total_tokens', 'unique_users', 'cost_usd'],
  },
  budget_postings: {
    dimensions: [...NO_TURN, 'budget', 'subject_type', 'subject', 'currency', 'meter_source', 'ref_type', ...BUCKETS],
    measures: ['amount', 'debit_amount', 'credit_amount', 'debit_count', 'credit_count'],
  },
  // SPEC §11
  capability_usage: {
    dimensions: [...COMMON, 'capability', 'capability_name', 'kind', 'tool', ...BUCKETS],
    measures: ['usage_count', 'duration_ms', 'avg_duration_ms'],
  },
};

describe('GET /v1/reports/catalog (SPEC §6)', () => {
  let t: TestApp;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    t = await startTestApp();
    api = client(t, (await t.key('catalog', 'member')).key);
  });
  afterAll(() => t.close());

  it('lists the datasets with the dimensions and measures of SPEC §6, and nothing of the SQL behind them', async () => {
    const res = await api.get('/v1/reports/catalog');
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({ status: 200, type: 'application/json; charset=utf-8' });
    const shape = Object.fromEntries(
      res.body.datasets.map((d: { name: string; dimensions: { name: string }[]; measures: { name: string }[] }) => [d.name, { dimensions: d.dimensions.map((x) => x.name), measures: d.measures.map((x) => x.name) }]),
    );
    expect(shape).toEqual(SPEC_DATASETS);
    expect(res.body.null_semantics).toBe(NULL_SEMANTICS);
    const text = JSON.stringify(res.body);
    for (const leak of ['fact_', 'f.', 'org_id', '_id"', 'SELECT', '"column"', '"table"', '"condition"']) expect({ leak, found: text.includes(leak) }).toEqual({ leak, found: false });
  });

  it('describes sessions exactly: types, aggregations, units, filter fields with their ops, buckets and limits', async () => {
    const sessions = (await api.get('/v1/reports/catalog')).body.datasets.find((d: { name: string }) => d.name === 'sessions');
    const text = (name: string) => ({ name, type: 'string', description: expect.any(String) });
    const id = (name: string) => ({ name, type: 'id', description: expect.any(String) });
    expect(sessions).toEqual({
      name: 'sessions',
      description: 'One row per session.',
      time_column: 'created_at',
      dimensions: [
        id('session'), id('user'), id('principal'), id('agent'), text('agent_name'), id('harness'), text('harness_name'), id('app'), text('blueprint'), text('status'),
        ...BUCKETS.map((name) => ({ name, type: 'time', description: expect.stringContaining("query's timezone") })),
      ],
      measures: [
        { name: 'session_count', aggregation: 'count', type: 'integer', additive: true, description: 'Number of sessions.' },
        { name: 'duration_ms', aggregation: 'sum', type: 'integer', unit: 'ms', additive: true, description: expect.stringContaining('Unknown values count as 0.') },
        { name: 'avg_duration_ms', aggregation: 'avg', type: 'number', unit: 'ms', additive: false, description: expect.stringContaining('Rows where it is unknown are ignored') },
        { name: 'p95_duration_ms', aggregation: 'p95', type: 'number', unit: 'ms', additive: false, description: expect.stringContaining('Rows where it is unknown are ignored'), approximate: true, relative_error: 0.01 },
        { name: 'turn_count', aggregation: 'sum', type: 'integer', additive: true, description: expect.any(String) },
        { name: 'tool_call_count', aggregation: 'sum', type: 'integer', additive: true, description: expect.any(String) },
        { name: 'input_tokens', aggregation: 'sum', type: 'integer', unit: 'tokens', additive: true, description: expect.any(String) },
        { name: 'output_tokens', aggregation: 'sum', type: 'integer', unit: 'tokens', additive: true, description: expect.any(String) },
        { name: 'total_tokens', aggregation: 'sum', type: 'integer', unit: 'tokens', additive: true, description: expect.any(String) },
        { name: 'unique_users', aggregation: 'count_distinct', type: 'integer', additive: false, description: expect.any(String) },
        { name: 'cost_usd', aggregation: 'sum', type: 'number', unit: 'USD', additive: true, description: expect.stringContaining('Unknown costs count as 0') },
      ],
      filter_fields: [
        ...['session', 'user', 'principal', 'agent'].map((name) => ({ name, type: 'id', ops: TEXT_OPS })),
        { name: 'agent_name', type: 'string', ops: TEXT_OPS },
        { name: 'harness', type: 'id', ops: TEXT_OPS },
        { name: 'harness_name', type: 'string', ops: TEXT_OPS },
        { name: 'app', type: 'id', ops: TEXT_OPS },
        { name: 'blueprint', type: 'string', ops: TEXT_OPS },
        { name: 'status', type: 'string', ops: TEXT_OPS },
        ...['duration_ms', 'turn_count', 'tool_call_count', 'total_tokens'].map((name) => ({ name, type: 'number', ops: NUMBER_OPS })),
        { name: 'created_at', type: 'time', ops: TIME_OPS },
      ],
      granularities: BUCKETS,
      limits: {
        max_dimensions: 8, max_measures: 16, max_filters: 20, max_in_values: 500, max_limit: 10000, default_limit: 100, max_range_days: 400,
        export_max_rows: 50000, stream_max_rows: 1000000,
      },
      // The hourly rollup: status only (ids stay out), and every measure but distinct counts (the percentile from its sketch, SPEC §15).
      rollup: {
        granularity: 'hour',
        dimensions: ['status'],
        measures: ['session_count', 'duration_ms', 'avg_duration_ms', 'p95_duration_ms', 'turn_count', 'tool_call_count', 'input_tokens', 'output_tokens', 'total_tokens', 'cost_usd'],
        description: expect.stringContaining('answered from this hourly rollup'),
      },
    });
  });

  it('advertises the query options of SPEC §11 with their limits and how they combine', async () => {
    const { query_options: o, datasets } = (await api.get('/v1/reports/catalog')).body;
    expect({ ...o, combinations: o.combinations.length }).toEqual({
      fill: { values: ['zero'], needs_time_bucket: true, description: expect.any(String) },
      compare: { values: ['previous_period', 'previous_year'], columns: ['{m}_previous', '{m}_change'], max_time_buckets: 1, description: expect.stringContaining('previous_period = the range of equal length just before') },
      cumulative: { aggregations: ['count', 'sum', 'count_if', 'sum_if'], columns: ['{m}_cumulative'], needs_time_bucket: true, description: expect.any(String) },
      top: { n_min: 1, n_max: 100, other_label: '(other)', description: expect.any(String) },
      combinations: 6,
    });
    // additive follows the aggregation everywhere.
    for (const d of datasets) for (const m of d.measures) expect({ m: m.name, additive: m.additive }).toEqual({ m: m.name, additive: ['count', 'sum', 'count_if', 'sum_if'].includes(m.aggregation) });
  });

  it('every dimension but the time buckets is a filter field, typed alike; llm_generations filters on error (boolean)', async () => {
    const { datasets } = (await api.get('/v1/reports/catalog')).body;
    for (const d of datasets) {
      const fields = Object.fromEntries(d.filter_fields.map((f: { name: string; type: string }) => [f.name, f.type]));
      for (const dim of d.dimensions.filter((x: { type: string }) => x.type !== 'time')) expect({ dataset: d.name, dim: dim.name, type: fields[dim.name] }).toEqual({ dataset: d.name, dim: dim.name, type: dim.type });
      expect(fields.created_at).toBe('time');
    }
    expect(datasets[0].filter_fields.find((f: { name: string }) => f.name === 'error')).toEqual({ name: 'error', type: 'boolean', ops: ['eq', 'neq', 'is_null'] });
  });

  it('needs reports:view', async () => {
    const res = await client(t, (await t.key('catalog', 'ingest')).key).get('/v1/reports/catalog');
    expect({ status: res.status, type: res.headers['content-type'], code: res.body.code }).toEqual({ status: 403, type: PROBLEM, code: 'forbidden' });
  });
});

describe('OpenAPI of the reporting routes (SPEC §1, §6)', () => {
  let t: TestApp;
  let doc: { paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: Record<string, { schema: unknown }> }>; requestBody?: { content: Record<string, { examples?: Record<string, { value: unknown }> }> } }>>; components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
  beforeAll(async () => {
    t = await startTestApp();
    doc = (await t.http().get('/openapi.json')).body;
  });
  afterAll(() => t.close());

  const ROUTES: [string, string, string, number[]][] = [
    ['get', '/v1/reports/catalog', 'get_report_catalog', []],
    ['post', '/v1/reports/query', 'run_report_query', []],
    ['post', '/v1/reports/query/export', 'export_query', []],
    ['get', '/v1/reports/saved', 'list_saved_reports', []],
    ['post', '/v1/reports/saved', 'create_saved_report', []],
    ['get', '/v1/reports/saved/{report_id}', 'get_saved_report', [404]],
    ['patch', '/v1/reports/saved/{report_id}', 'update_saved_report', [404]],
    ['delete', '/v1/reports/saved/{report_id}', 'delete_saved_report', [404]],
    ['post', '/v1/reports/saved/{report_id}/run', 'run_saved_report', [404]],
    ['post', '/v1/reports/saved/{report_id}/export', 'export_saved_report', [404]],
  ];

  it("every route has SPEC's operationId and problem+json responses for the errors it can return", () => {
    for (const [method, path, operationId, own] of ROUTES) {
      const op = doc.paths[path]?.[method];
      expect({ path, method, operationId: op?.operationId }).toEqual({ path, method, operationId });
      for (const status of [400, 401, 403, 429, 500, 503, ...own]) {
        expect({ operationId, status, content: Object.keys(op.responses[String(status)]?.content ?? {}) }).toEqual({ operationId, status, content: ['application/problem+json'] });
      }
    }
  });

  it('the exports document both the JSON envelope and the CSV file', () => {
    for (const path of ['/v1/reports/query/export', '/v1/reports/saved/{report_id}/export']) {
      expect(doc.paths[path].post.responses['200'].content).toEqual({
        'application/json': { schema: { $ref: '#/components/schemas/ExportEnvelopeDto' } },
        'text/csv': { schema: { type: 'string', format: 'binary' } },
      });
    }
  });

  it('filter docs state the null semantics; a filter value is not documented as an object', () => {
    const filter = doc.components.schemas.ReportFilterDto.properties as Record<string, { description?: string; type?: string }>;
    expect(filter.value.description).toContain(NULL_SEMANTICS);
    expect(filter.value.type).toBeUndefined();
    expect(filter.op.description).toContain(NULL_SEMANTICS);
  });

  it('the request examples come from the catalog and are valid: they run', async () => {
    const owner = client(t, (await t.key('openapi', 'owner')).key);
    const example = (path: string) => Object.values(doc.paths[path].post.requestBody!.content['application/json'].examples ?? {})[0]?.value;
    expect((await owner.post('/v1/reports/query', example('/v1/reports/query'))).status).toBe(200);
    expect((await owner.post('/v1/reports/query/export', example('/v1/reports/query/export'))).status).toBe(200);
    const saved = await owner.post('/v1/reports/saved', example('/v1/reports/saved'));
    expect(saved.status).toBe(201);
    expect((await owner.post(`/v1/reports/saved/${saved.body.id}/run`)).status).toBe(200);
  });
});

describe('honest freshness: as_of and freshness_lag_ms from the outbox (SPEC §6)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const RANGE = { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' };
  const q = (dataset: string) => ({ dataset, time_range: RANGE });

  /** Runs a query and brackets it with the test's clock, so lag bounds can be checked without timing. */
  async function timed(api: ReturnType<typeof client>, dataset: string) {
    const before = Date.now();
    const res = await api.post('/v1/reports/query', q(dataset));
    const after = Date.now();
    expect(res.status).toBe(200);
    return { before, after, as_of: res.body.as_of as string, lag: res.body.freshness_lag_ms as number };
  }

  it('pending outbox rows: as_of is the oldest unprojected row of the dataset sources, lag = now − as_of; 0 once drained', async () => {
    const owner = await t.key('fresh', 'owner');
    const api = client(t, owner.key);
    const s = session();
    await api.ingest('sessions', [s, session()]);
    await api.ingest('llm_generations', [generation()]);
    await api.project();
    // Two session changes wait for projection; the test dates them so the numbers are exact.
    await api.ingest('sessions', [{ ...s, status: 'failed' }, session()]);
    await t.db.pool.query(`UPDATE reporting_outbox SET created_at = $2 WHERE org_id = $1 AND status = 'pending' AND id = (SELECT min(id) FROM reporting_outbox WHERE org_id = $1 AND status = 'pending')`, [owner.orgId, '2026-01-01T00:00:00Z']);
    await t.db.pool.query(`UPDATE reporting_outbox SET created_at = $2 WHERE org_id = $1 AND status = 'pending' AND created_at > $2`, [owner.orgId, '2026-01-02T00:00:00Z']);
    // Another org's backlog is not ours.
    const other = client(t, (await t.key('fresh-other', 'owner')).key);
    await other.ingest('sessions', [session()]);
    await t.db.pool.query(`UPDATE reporting_outbox SET created_at = '2025-06-01T00:00:00Z' WHERE org_id <> $1`, [owner.orgId]);

    const stale = await timed(api, 'sessions');
    const oldest = Date.parse('2026-01-01T00:00:00Z');
    expect(stale.as_of).toBe('2026-01-01T00:00:00.000Z');
    expect(stale.lag).toBeGreaterThanOrEqual(stale.before - oldest);
    expect(stale.lag).toBeLessThanOrEqual(stale.after - oldest);

    // Only the dataset's own sources count: generations are all projected.
    const gens = await timed(api, 'llm_generations');
    expect(gens.lag).toBe(0);
    expect(Date.parse(gens.as_of)).toBeGreaterThanOrEqual(gens.before - 1);
    expect(Date.parse(gens.as_of)).toBeLessThanOrEqual(gens.after);

    // A row being processed or failed is unprojected too; a completed one is not.
    await t.db.pool.query(`UPDATE reporting_outbox SET status = 'processing', lease_until = now() + interval '1 hour' WHERE org_id = $1 AND created_at = '2026-01-01T00:00:00Z'`, [owner.orgId]);
    expect((await timed(api, 'sessions')).as_of).toBe('2026-01-01T00:00:00.000Z');
    await t.db.pool.query(`UPDATE reporting_outbox SET status = 'failed', lease_until = NULL WHERE org_id = $1 AND created_at = '2026-01-01T00:00:00Z'`, [owner.orgId]);
    expect((await timed(api, 'sessions')).as_of).toBe('2026-01-01T00:00:00.000Z');
    await t.db.pool.query(`UPDATE reporting_outbox SET status = 'completed' WHERE org_id = $1 AND created_at = '2026-01-01T00:00:00Z'`, [owner.orgId]);
    expect((await timed(api, 'sessions')).as_of).toBe('2026-01-02T00:00:00.000Z');

    // Results, exports (envelope and stream) and saved-report runs all say so.
    const exported = await api.post('/v1/reports/query/export', { query: q('sessions') });
    expect({ as_of: exported.body.as_of, lagPositive: exported.body.freshness_lag_ms > 0 }).toEqual({ as_of: '2026-01-02T00:00:00.000Z', lagPositive: true });
    const streamed = await api.post('/v1/reports/query/export', { query: q('sessions') }).set('accept', 'text/csv');
    expect({ as_of: streamed.headers['x-as-of'], lagPositive: Number(streamed.headers['x-freshness-lag-ms']) > 0 }).toEqual({ as_of: '2026-01-02T00:00:00.000Z', lagPositive: true });
    const saved = await api.post('/v1/reports/saved', { name: 'fresh', query: q('sessions') });
    const ran = await api.post(`/v1/reports/saved/${saved.body.id}/run`);
    expect({ as_of: ran.body.as_of, lagPositive: ran.body.freshness_lag_ms > 0 }).toEqual({ as_of: '2026-01-02T00:00:00.000Z', lagPositive: true });

    await api.project();
    const drained = await timed(api, 'sessions');
    expect(drained.lag).toBe(0);
    expect(Date.parse(drained.as_of)).toBeGreaterThanOrEqual(drained.before - 1);
    expect(Date.parse(drained.as_of)).toBeLessThanOrEqual(drained.after);
    const drainedStream = await api.post('/v1/reports/query/export', { query: q('sessions') }).set('accept', 'text/csv');
    expect(drainedStream.headers['x-freshness-lag-ms']).toBe('0');
  });

  it('tool_calls and turns are stale while events wait; sessions are not', async () => {
    const owner = await t.key('fresh-events', 'owner');
    const api = client(t, owner.key);
    const s = session();
    await api.ingest('sessions', [s]);
    await api.project();
    await api.ingest('events', [toolEvent(s.id as string)]);
    await t.db.pool.query(`UPDATE reporting_outbox SET created_at = '2026-02-01T00:00:00Z' WHERE org_id = $1 AND status = 'pending' AND source_type = 'event'`, [owner.orgId]);
    // The event also re-enqueued its session (its tool-call count changes); settle that one.
    await t.db.pool.query(`UPDATE reporting_outbox SET status = 'completed' WHERE org_id = $1 AND status = 'pending' AND source_type = 'session'`, [owner.orgId]);
    expect((await timed(api, 'tool_calls')).as_of).toBe('2026-02-01T00:00:00.000Z');
    expect((await timed(api, 'turns')).as_of).toBe('2026-02-01T00:00:00.000Z');
    expect((await timed(api, 'sessions')).lag).toBe(0);
    expect((await timed(api, 'budget_postings')).lag).toBe(0);
  });

  it('capability_usage is stale while its events wait (and re-enqueues no session); the other datasets of events too', async () => {
    const owner = await t.key('fresh-capability', 'owner');
    const api = client(t, owner.key);
    const s = session();
    await api.ingest('sessions', [s]);
    await api.project();
    expect(await api.ingest('events', [capabilityEvent(s.id as string)])).toEqual({ accepted: 1, enqueued: 1 });
    await t.db.pool.query(`UPDATE reporting_outbox SET created_at = '2026-03-01T00:00:00Z' WHERE org_id = $1 AND status = 'pending' AND source_type = 'event'`, [owner.orgId]);
    expect((await timed(api, 'capability_usage')).as_of).toBe('2026-03-01T00:00:00.000Z');
    expect((await timed(api, 'tool_calls')).as_of).toBe('2026-03-01T00:00:00.000Z');
    expect((await timed(api, 'sessions')).lag).toBe(0);
    await api.project();
    const drained = await timed(api, 'capability_usage');
    expect(drained.lag).toBe(0);
  });
});
