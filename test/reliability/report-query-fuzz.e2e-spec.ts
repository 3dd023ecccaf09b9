import fc from 'fast-check';
import { newPublicId } from '#src/common/ids/public-id.js';
import { client } from '../support/api.js';
import { generation, ledger, session } from '../support/factories.js';
import { PROBLEM } from '../support/problems.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * SPEC §3: no request body of any shape may produce a 500. Property checks over the query,
 * export and saved-report routes, with bodies from "any JSON" to "nearly valid" (catalog names
 * with one thing wrong). Bounded runs; a fixed seed keeps the suite reproducible — set
 * FUZZ_SEED (and FUZZ_RUNS) to explore other inputs.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 4242);
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

const DATASETS = ['llm_generations', 'tool_calls', 'turns', 'sessions', 'budget_postings'];
const NAMES = [
  'session', 'turn', 'user', 'principal', 'agent', 'agent_name', 'harness', 'harness_name', 'app', 'blueprint', 'model', 'provider', 'finish_reason',
  'tool', 'tool_display_name', 'status', 'capability', 'budget', 'subject_type', 'subject', 'currency', 'meter_source', 'ref_type', 'hour', 'day', 'week',
  'month', 'created_at', 'error', 'amount', 'duration_ms', 'input_tokens', 'total_tokens', 'iterations', 'turn_count', 'generation_count', 'call_count',
  'session_count', 'turn_count', 'avg_duration_ms', 'p50_duration_ms', 'p95_duration_ms', 'unique_users', 'debit_amount', 'success_count', 'row_count', 'org_id',
];
const OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'is_null'];

const weird = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('', '\u0000', '\ud800', "' OR 1=1 --", '"; DROP TABLE saved_reports; --', '%', '\\', 'NaN', '-0', '1e999', 'null'),
);
const instant = fc.oneof(
  fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2026-05-01T00:00:00Z', '2026-05-01T00:00:00+14:00', '2026-05-01T00:00:00-23:59', '9999-12-31T23:59:59-23:59', '0001-01-01T00:00:00+23:59', '2026-02-30T00:00:00Z', '2026-05-01T24:00:00Z', '2026-05-01'),
  weird,
);
const scalar = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), instant, weird, fc.constantFrom(newPublicId('user'), newPublicId('session'), newPublicId('agent'), 'completed', 'gpt-5'));
const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }));
const name = fc.oneof(fc.constantFrom(...NAMES), weird, fc.jsonValue({ maxDepth: 2 }));

/** Queries built from catalog names, each part possibly wrong, missing or of the wrong type. */
const nearQuery = fc.record(
  {
    dataset: fc.oneof(fc.constantFrom(...DATASETS), name),
    time_range: fc.oneof(
      fc.record({ from: instant, to: instant }, { requiredKeys: [] }),
      fc.constant({ from: '2026-04-01T00:00:00Z', to: '2026-06-01T00:00:00Z' }),
      fc.record({ last: fc.oneof(fc.constantFrom('7d', '1h', '90m', '2w', '400d', '401d', '0d', '7y'), weird) }),
      fc.record({ calendar: fc.oneof(fc.constantFrom('today', 'yesterday', 'this_week', 'last_week', 'this_month', 'last_month', 'this_year', 'last_year', 'this_decade'), weird) }, { requiredKeys: [] }),
      fc.record({ calendar: fc.constantFrom('this_year', 'today'), last: fc.constantFrom('7d', '1y') }, { requiredKeys: [] }),
      value,
    ),
    dimensions: fc.oneof(fc.array(name, { maxLength: 10 }), value),
    measures: fc.oneof(fc.array(name, { maxLength: 18 }), value),
    filters: fc.oneof(
      fc.array(fc.record({ field: name, op: fc.oneof(fc.constantFrom(...OPS), weird), value }, { requiredKeys: ['field', 'op'] }), { maxLength: 4 }),
      value,
    ),
    order_by: fc.oneof(fc.array(fc.record({ dimension: name, measure: name, direction: fc.oneof(fc.constantFrom('asc', 'desc'), weird) }, { requiredKeys: [] }), { maxLength: 3 }), value),
    limit: fc.oneof(fc.integer({ min: -5, max: 2_000_000 }), fc.double(), scalar),
    timezone: fc.oneof(fc.constantFrom('UTC', 'Europe/Berlin', 'Asia/Kolkata', 'America/St_Johns', 'Etc/GMT-14', 'utc', 'Mars/Base', '+05:00'), weird, scalar),
    fill: fc.oneof(fc.constant('zero'), fc.constant('zero'), scalar),
    extra: value,
  },
  { requiredKeys: [] },
).map(({ extra, ...q }) => (extra === null ? { ...q, org_id: newPublicId('org') } : q));

interface Catalog {
  datasets: { name: string; dimensions: { name: string }[]; measures: { name: string; aggregation: string }[]; filter_fields: { name: string; type: string; ops: string[] }[] }[];
}

/** A value of the field's type, often at an edge (tiny, huge, odd offsets, far years, unicode). */
function typed(type: string, field: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'number': return fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15 + 1, max: 1e15 - 1 }), fc.constantFrom(0, -0, 5e-324, 999_999_999_999_999, -1e-300));
    case 'time': return instant;
    case 'boolean': return fc.boolean();
    // Id filter fields are named after their prefix (user → user_…).
    case 'id': return fc.constantFrom(field, field, 'user').map((prefix) => newPublicId(prefix as 'user'));
    default: return fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('completed', 'gpt-5', 'stop', 'USD', "O'Brien", 'a,b', '{x}', '"q"', 'a\ud800b', '\udc00', '\u0000', '🎉'.repeat(3)));
  }
}

/** Valid queries drawn from the catalog the API serves, then 0–2 parts replaced by junk or dropped. */
function catalogQueries(catalog: Catalog) {
  const valid = fc.constantFrom(...catalog.datasets).chain((d) => {
    const filter = fc.constantFrom(...d.filter_fields).chain((f) =>
      fc.constantFrom(...f.ops).chain((op) => {
        const v = op === 'is_null' ? fc.boolean() : op === 'in' || op === 'not_in' ? fc.array(typed(f.type, f.name), { minLength: 1, maxLength: 4 }) : typed(f.type, f.name);
        return v.map((value) => ({ field: f.name, op, value }));
      }),
    );
    return fc
      .record(
        {
          dataset: fc.constant(d.name),
          time_range: fc.oneof(
            fc.constant({ from: '2026-04-01T00:00:00Z', to: '2026-06-01T00:00:00Z' }),
            fc
              .tuple(fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9998-01-01T00:00:00Z'), noInvalidDate: true }), fc.integer({ min: 1, max: 400 * 86_400_000 }))
              .map(([from, span]) => ({ from: from.toISOString(), to: new Date(from.getTime() + span).toISOString() })),
            fc.constantFrom('today', 'yesterday', 'this_week', 'last_week', 'this_month', 'last_month', 'this_year', 'last_year').map((calendar) => ({ calendar })),
            fc.constantFrom('400d', '90m', '1w').map((last) => ({ last })),
          ),
          zero: fc.boolean(),
          dimensions: fc.subarray(d.dimensions.map((x) => x.name), { maxLength: 3 }),
          measures: fc.subarray(d.measures.map((x) => x.name), { maxLength: 4 }),
          filters: fc.array(filter, { maxLength: 3 }),
          limit: fc.integer({ min: 1, max: 10_000 }),
          timezone: fc.constantFrom('UTC', 'Europe/Berlin', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham', 'Etc/GMT-14'),
          desc: fc.boolean(),
          compare: fc.constantFrom('previous_period', 'previous_year'),
          running: fc.boolean(),
          top: fc.record({ n: fc.integer({ min: 1, max: 100 }), other: fc.boolean() }),
        },
        { requiredKeys: ['dataset', 'time_range'] },
      )
      .map(({ desc, zero, running, top, ...q }) => {
        // fill "zero" and cumulative where they are valid: exactly one time bucket among the dimensions.
        const buckets = (q.dimensions ?? []).filter((x) => ['hour', 'day', 'week', 'month'].includes(x));
        if (zero && buckets.length === 1) (q as Record<string, unknown>).fill = 'zero';
        if (buckets.length > 1) delete q.compare;
        const additive = (q.measures ?? []).filter((m) => ['count', 'sum', 'count_if', 'sum_if'].includes(d.measures.find((x) => x.name === m)?.aggregation ?? ''));
        if (running && buckets.length === 1) (q as Record<string, unknown>).cumulative = q.measures?.length ? additive : ['row_count'];
        const ranked = (q.dimensions ?? []).find((x) => !buckets.includes(x));
        if (top && ranked) (q as Record<string, unknown>).top = { dimension: ranked, n: top.n, by: q.measures?.[0] ?? 'row_count', other: top.other };
        const first = q.measures?.[0] ?? q.dimensions?.[0];
        return first && desc ? { ...q, order_by: [{ [q.measures?.[0] ? 'measure' : 'dimension']: first, direction: 'desc' }] } : q;
      });
  });
  const mutation = fc.tuple(fc.constantFrom('dataset', 'time_range', 'dimensions', 'measures', 'filters', 'order_by', 'limit', 'timezone', 'fill', 'compare', 'cumulative', 'top', 'filter_value'), fc.option(value, { nil: undefined }));
  return fc.tuple(valid, fc.array(mutation, { maxLength: 2 })).map(([q, mutations]) => {
    const out: Record<string, unknown> = { ...q };
    for (const [key, v] of mutations) {
      if (key === 'filter_value') {
        const filters = (out.filters as { value: unknown }[] | undefined) ?? [];
        if (filters.length > 0) out.filters = [{ ...filters[0], value: v }, ...filters.slice(1)];
      } else if (v === undefined) delete out[key];
      else out[key] = v;
    }
    return out;
  });
}

describe('no request body gives a 500 (SPEC §3; property checks)', () => {
  let t: TestApp;
  let api: ReturnType<typeof client>;
  let anyBody: fc.Arbitrary<unknown>;
  let fromCatalog: fc.Arbitrary<Record<string, unknown>>;

  beforeAll(async () => {
    t = await startTestApp();
    api = client(t, (await t.key('fuzz', 'owner')).key);
    const s = session({ created_at: '2026-05-01T10:00:00Z' });
    await api.ingest('sessions', [s]);
    await api.ingest('llm_generations', [generation({ session_id: s.id, created_at: '2026-05-01T10:01:00Z' }), generation({ created_at: '2026-05-02T10:00:00Z', finish_reason: 'stop' })]);
    await api.ingest('usage_ledger', [ledger({ created_at: '2026-05-01T11:00:00Z', amount: -2.5 })]);
    await api.project();
    fromCatalog = catalogQueries((await api.get('/v1/reports/catalog')).body as Catalog);
    anyBody = fc.oneof({ arbitrary: fromCatalog, weight: 3 }, { arbitrary: nearQuery, weight: 1 }, { arbitrary: fc.jsonValue({ maxDepth: 4 }), weight: 1 });
  });
  afterAll(() => t.close());

  /**
   * A 200/201, or a 400 problem with one of the codes validation gives — a database error that
   * surfaced as a 400 (bad_request) or a 500 fails the property, with the body in the report.
   */
  const expectHandled = (res: { status: number; headers: Record<string, string>; body: { code?: string } }, ok: number[], codes = ['invalid_report_query']) => {
    if (ok.includes(res.status)) return;
    expect({ status: res.status, type: res.headers['content-type'], code: res.body.code, body: res.body }).toEqual({ status: 400, type: PROBLEM, code: expect.stringMatching(new RegExp(`^(${codes.join('|')})$`)), body: res.body });
  };

  it('POST /v1/reports/query', async () => {
    await fc.assert(
      fc.asyncProperty(anyBody, async (body) => {
        expectHandled(await api.post('/v1/reports/query').set('content-type', 'application/json').send(JSON.stringify(body)), [200]);
      }),
      { numRuns: RUNS * 2, seed: SEED },
    );
  });

  it('POST /v1/reports/query/export (envelope and stream)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.record({ format: fc.oneof(fc.constant('csv'), scalar), query: anyBody }, { requiredKeys: ['query'] }), anyBody), fc.boolean(), async (body, stream) => {
        const res = await api.post('/v1/reports/query/export').set('content-type', 'application/json').set('accept', stream ? 'text/csv' : 'application/json').send(JSON.stringify(body));
        expectHandled(res, [200]);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('POST /v1/reports/saved, and running what was saved', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.record({ name: fc.oneof(fc.constant('fuzz'), weird, scalar), description: fc.oneof(weird, scalar), query: anyBody }, { requiredKeys: ['name', 'query'] }), anyBody), async (body) => {
        const res = await api.post('/v1/reports/saved').set('content-type', 'application/json').send(JSON.stringify(body));
        expectHandled(res, [201], ['invalid_report_query', 'validation_failed']);
        if (res.status === 201) {
          // Whatever was accepted must run.
          const run = await api.post(`/v1/reports/saved/${res.body.id}/run`);
          expect({ status: run.status, body: run.status === 200 ? null : run.body }).toEqual({ status: 200, body: null });
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('the run was not vacuous: many inputs were valid queries, and ran', async () => {
    let answered = 0;
    for (const q of fc.sample(fromCatalog, { numRuns: 40, seed: SEED })) if ((await api.post('/v1/reports/query', q)).status === 200) answered++;
    expect(answered).toBeGreaterThanOrEqual(10);
  });
});
