import { newPublicId } from '#src/common/ids/public-id.js';
import { client } from '../../support/api.js';
import { invalidQueryProblem, PROBLEM, type FieldError } from '../../support/problems.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const RANGE = { from: '2026-04-24T00:00:00Z', to: '2026-05-24T00:00:00Z' };
const BASE = { dataset: 'sessions', time_range: RANGE, dimensions: ['status'], measures: ['session_count'] };

// The names SPEC §6 gives; the allowed lists of the errors must say exactly these.
const DATASETS = ['llm_generations', 'tool_calls', 'turns', 'sessions', 'budget_postings', 'capability_usage'];
const COMMON_NO_TURN = ['session', 'user', 'principal', 'agent', 'agent_name', 'harness', 'harness_name', 'app', 'blueprint'];
const SESSION_DIMENSIONS = [...COMMON_NO_TURN, 'status', 'hour', 'day', 'week', 'month'];
const SESSION_MEASURES = ['session_count', 'duration_ms', 'avg_duration_ms', 'p95_duration_ms', 'turn_count', 'tool_call_count', 'input_tokens', 'output_tokens', 'total_tokens', 'unique_users', 'cost_usd'];
const SESSION_FILTER_FIELDS = [...COMMON_NO_TURN, 'status', 'duration_ms', 'turn_count', 'tool_call_count', 'total_tokens', 'created_at'];
const TOP_KEYS = ['dataset', 'time_range', 'dimensions', 'measures', 'filters', 'order_by', 'limit', 'timezone', 'fill', 'exact', 'compare', 'cumulative', 'top'];
const OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'is_null'];
const TEXT_OPS = ['eq', 'neq', 'in', 'not_in', 'is_null'];
const TIME_OPS = ['gt', 'gte', 'lt', 'lte', 'is_null'];

describe('report query validation: every problem at once, never a 500 (SPEC §3, §6)', () => {
  let t: TestApp;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    t = await startTestApp();
    api = client(t, (await t.key('validation', 'member')).key);
  });
  afterAll(() => t.close());

  async function expectInvalid(body: unknown, errors: FieldError[]) {
    const res = await api.post('/v1/reports/query', body);
    expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({ status: 400, type: PROBLEM, body: invalidQueryProblem(errors) });
  }

  it('the base query used below is valid', async () => {
    expect((await api.post('/v1/reports/query', BASE)).status).toBe(200);
  });

  describe('dataset, dimensions, measures', () => {
    it('unknown, missing or non-string dataset', async () => {
      await expectInvalid({ ...BASE, dataset: 'sesions' }, [{ pointer: '/dataset', message: 'unknown dataset "sesions"', allowed: DATASETS }]);
      await expectInvalid({ ...BASE, dataset: 7 }, [{ pointer: '/dataset', message: 'unknown dataset 7', allowed: DATASETS }]);
      const { dataset: _, ...noDataset } = BASE;
      await expectInvalid(noDataset, [{ pointer: '/dataset', message: 'dataset is required', allowed: DATASETS }]);
    });

    it('unknown dimension, and turn, which sessions do not have', async () => {
      await expectInvalid({ ...BASE, dimensions: ['status', 'colour', 'turn'] }, [
        { pointer: '/dimensions/1', message: 'unknown dimension "colour" for dataset sessions', allowed: SESSION_DIMENSIONS },
        { pointer: '/dimensions/2', message: 'unknown dimension "turn" for dataset sessions', allowed: SESSION_DIMENSIONS },
      ]);
    });

    it('org_id is never a dimension, and the message says why', async () => {
      await expectInvalid({ ...BASE, dimensions: ['org_id'] }, [
        { pointer: '/dimensions/0', message: 'unknown dimension "org_id" for dataset sessions (results are always scoped to your org; org_id cannot be named in a query)', allowed: SESSION_DIMENSIONS },
      ]);
    });

    it('unknown measure, and a measure of another dataset', async () => {
      await expectInvalid({ ...BASE, measures: ['session_count', 'generation_count', 'row_count'] }, [
        { pointer: '/measures/1', message: 'unknown measure "generation_count" for dataset sessions', allowed: SESSION_MEASURES },
        { pointer: '/measures/2', message: 'unknown measure "row_count" for dataset sessions', allowed: SESSION_MEASURES },
      ]);
    });

    it('duplicates, non-arrays and non-string names', async () => {
      await expectInvalid({ ...BASE, dimensions: ['status', 'day', 'status'], measures: ['session_count', 'session_count'] }, [
        { pointer: '/dimensions/2', message: 'duplicate dimension "status"' },
        { pointer: '/measures/1', message: 'duplicate measure "session_count"' },
      ]);
      await expectInvalid({ ...BASE, dimensions: 'status', measures: [1, null, { name: 'x' }] }, [
        { pointer: '/dimensions', message: 'dimensions must be an array of dimension names', allowed: SESSION_DIMENSIONS },
        { pointer: '/measures/0', message: 'must be a measure name', allowed: SESSION_MEASURES },
        { pointer: '/measures/1', message: 'must be a measure name', allowed: SESSION_MEASURES },
        { pointer: '/measures/2', message: 'must be a measure name', allowed: SESSION_MEASURES },
      ]);
    });

    it('at most 8 dimensions and 16 measures', async () => {
      expect((await api.post('/v1/reports/query', { ...BASE, dimensions: SESSION_DIMENSIONS.slice(0, 8) })).status).toBe(200);
      await expectInvalid({ ...BASE, dimensions: SESSION_DIMENSIONS.slice(0, 9) }, [{ pointer: '/dimensions', message: 'at most 8 dimensions' }]);
      const measures = [...SESSION_MEASURES, ...Array.from({ length: 17 - SESSION_MEASURES.length }, (_, i) => `m${i}`)];
      await expectInvalid({ ...BASE, measures }, [
        { pointer: '/measures', message: 'at most 16 measures' },
        ...measures.slice(SESSION_MEASURES.length).map((m, i) => ({ pointer: `/measures/${SESSION_MEASURES.length + i}`, message: `unknown measure "${m}" for dataset sessions`, allowed: SESSION_MEASURES })),
      ]);
    });
  });

  describe('filters', () => {
    const withFilters = (...filters: unknown[]) => ({ ...BASE, filters });

    it('unknown field, unknown op, op that does not fit the field type', async () => {
      await expectInvalid(withFilters({ field: 'colour', op: 'eq', value: 'red' }, { field: 'status', op: 'like', value: 'x%' }, { field: 'status', op: 'gt', value: 'a' }, { field: 'created_at', op: 'eq', value: RANGE.from }), [
        { pointer: '/filters/0/field', message: 'unknown filter field "colour"', allowed: SESSION_FILTER_FIELDS },
        { pointer: '/filters/1/op', message: 'unknown op "like"', allowed: TEXT_OPS },
        { pointer: '/filters/2/op', message: 'op "gt" does not apply to string field "status"', allowed: TEXT_OPS },
        { pointer: '/filters/3/op', message: 'op "eq" does not apply to time field "created_at"', allowed: TIME_OPS },
      ]);
    });

    it('org_id is not a filter field', async () => {
      await expectInvalid(withFilters({ field: 'org_id', op: 'eq', value: newPublicId('org') }), [
        { pointer: '/filters/0/field', message: 'unknown filter field "org_id" (results are always scoped to your org)', allowed: SESSION_FILTER_FIELDS },
      ]);
    });

    it('missing parts, unknown keys and non-object filters', async () => {
      await expectInvalid({ ...BASE, filters: [{}, 'status = 1', { field: 'status', op: 'eq', value: 'x', negate: true }] }, [
        { pointer: '/filters/0/field', message: 'field is required', allowed: SESSION_FILTER_FIELDS },
        { pointer: '/filters/0/op', message: 'op is required', allowed: OPS },
        { pointer: '/filters/1', message: 'must be an object {field, op, value}' },
        { pointer: '/filters/2/negate', message: 'unknown field "negate"', allowed: ['field', 'op', 'value'] },
      ]);
      await expectInvalid({ ...BASE, filters: { status: 'x' } }, [{ pointer: '/filters', message: 'filters must be an array of {field, op, value}' }]);
    });

    it('values are type-checked against the field', async () => {
      await expectInvalid(withFilters(
        { field: 'duration_ms', op: 'gt', value: '5' },
        { field: 'duration_ms', op: 'eq', value: 1e300 },
        { field: 'status', op: 'eq', value: 5 },
        { field: 'status', op: 'eq', value: 'x'.repeat(1001) },
        { field: 'status', op: 'eq', value: 'a\u0000b' },
        { field: 'status', op: 'eq', value: 'a\ud800b' },
        { field: 'user', op: 'eq', value: 'user_123' },
        { field: 'user', op: 'eq', value: newPublicId('agent') },
        { field: 'created_at', op: 'gte', value: 'yesterday' },
        { field: 'created_at', op: 'lt', value: '2026-05-01T00:00:00' },
        { field: 'status', op: 'eq', value: ['completed'] },
      ), [
        { pointer: '/filters/0/value', message: '"duration_ms" takes a finite number, got "5"' },
        { pointer: '/filters/1/value', message: '"duration_ms" takes a finite number, got 1e+300' },
        { pointer: '/filters/2/value', message: '"status" takes a string of at most 1000 characters (valid Unicode, without NUL), got 5' },
        { pointer: '/filters/3/value', message: `"status" takes a string of at most 1000 characters (valid Unicode, without NUL), got "${'x'.repeat(60)}…"` },
        { pointer: '/filters/4/value', message: '"status" takes a string of at most 1000 characters (valid Unicode, without NUL), got "a\\u0000b"' },
        { pointer: '/filters/5/value', message: '"status" takes a string of at most 1000 characters (valid Unicode, without NUL), got "a\\ud800b"' },
        { pointer: '/filters/6/value', message: '"user" takes a user_ id (user_ + 32 lowercase hex), got "user_123"' },
        { pointer: '/filters/7/value', message: expect.stringMatching(/^"user" takes a user_ id \(user_ \+ 32 lowercase hex\), got "agent_[0-9a-f]{32}"$/) as unknown as string },
        { pointer: '/filters/8/value', message: '"created_at" takes an RFC 3339 timestamp, got "yesterday"' },
        { pointer: '/filters/9/value', message: '"created_at" takes an RFC 3339 timestamp, got "2026-05-01T00:00:00"' },
        { pointer: '/filters/10/value', message: '"status" takes a string of at most 1000 characters (valid Unicode, without NUL), got an array' },
      ]);
    });

    it('in / not_in take 1 to 500 values, each type-checked', async () => {
      const ok = await api.post('/v1/reports/query', withFilters({ field: 'duration_ms', op: 'in', value: Array.from({ length: 500 }, (_, i) => i) }));
      expect(ok.status).toBe(200);
      await expectInvalid(withFilters(
        { field: 'status', op: 'in', value: [] },
        { field: 'duration_ms', op: 'not_in', value: Array.from({ length: 501 }, (_, i) => i) },
        { field: 'status', op: 'in', value: 'completed' },
        { field: 'status', op: 'not_in', value: ['completed', null, 3] },
      ), [
        { pointer: '/filters/0/value', message: 'in takes an array of 1 to 500 values' },
        { pointer: '/filters/1/value', message: 'not_in takes an array of 1 to 500 values' },
        { pointer: '/filters/2/value', message: 'in takes an array of 1 to 500 values' },
        { pointer: '/filters/3/value/1', message: '"status" takes a string of at most 1000 characters (valid Unicode, without NUL), got null (null never matches; to select missing values use {"op": "is_null", "value": true})' },
        { pointer: '/filters/3/value/2', message: '"status" takes a string of at most 1000 characters (valid Unicode, without NUL), got 3' },
      ]);
    });

    it('is_null takes a boolean', async () => {
      await expectInvalid(withFilters({ field: 'user', op: 'is_null', value: 'true' }, { field: 'user', op: 'is_null', value: null }, { field: 'user', op: 'is_null' }, { field: 'user', op: 'is_null', value: 1 }), [
        { pointer: '/filters/0/value', message: 'is_null takes true or false' },
        { pointer: '/filters/1/value', message: 'is_null takes true or false' },
        { pointer: '/filters/2/value', message: 'is_null takes true or false' },
        { pointer: '/filters/3/value', message: 'is_null takes true or false' },
      ]);
    });

    it('a null or missing value is a clear 400 (the reference system answers 500)', async () => {
      await expectInvalid(withFilters({ field: 'status', op: 'eq', value: null }, { field: 'duration_ms', op: 'gt' }, { field: 'status', op: 'neq', value: null }), [
        { pointer: '/filters/0/value', message: 'eq needs a value; to match missing values use {"op": "is_null", "value": true}' },
        { pointer: '/filters/1/value', message: 'gt needs a value; to match missing values use {"op": "is_null", "value": true}' },
        { pointer: '/filters/2/value', message: 'neq needs a value; to match missing values use {"op": "is_null", "value": true}' },
      ]);
    });

    it('at most 20 filters', async () => {
      const f = { field: 'status', op: 'neq', value: 'x' };
      expect((await api.post('/v1/reports/query', withFilters(...Array(20).fill(f)))).status).toBe(200);
      await expectInvalid(withFilters(...Array(21).fill(f)), [{ pointer: '/filters', message: 'at most 20 filters' }]);
    });
  });

  describe('order_by', () => {
    it('a column that is not selected is a 400 (the reference system answers 500)', async () => {
      await expectInvalid({ ...BASE, order_by: [{ dimension: 'user' }, { measure: 'avg_duration_ms' }] }, [
        { pointer: '/order_by/0/dimension', message: 'order_by may only name a selected dimension, got "user"', allowed: ['status'] },
        { pointer: '/order_by/1/measure', message: 'order_by may only name a selected measure, got "avg_duration_ms"', allowed: ['session_count'] },
      ]);
    });

    it('row_count is the measure to order by when no measures are selected', async () => {
      const { measures: _, ...noMeasures } = BASE;
      expect((await api.post('/v1/reports/query', { ...noMeasures, order_by: [{ measure: 'row_count', direction: 'desc' }] })).status).toBe(200);
      await expectInvalid({ ...BASE, order_by: [{ measure: 'row_count' }] }, [
        { pointer: '/order_by/0/measure', message: 'order_by may only name a selected measure, got "row_count"', allowed: ['session_count'] },
      ]);
    });

    it('each entry names exactly one of dimension or measure, with direction asc or desc', async () => {
      await expectInvalid({ ...BASE, order_by: [{ dimension: 'status', measure: 'session_count' }, {}, { direction: 'desc' }, { dimension: 'status', direction: 'DESC' }, { measure: 'session_count', direction: 1 }, 'status', { dimension: 'status', nulls: 'first' }] }, [
        { pointer: '/order_by/0', message: 'name exactly one of "dimension" or "measure"' },
        { pointer: '/order_by/1', message: 'name exactly one of "dimension" or "measure"' },
        { pointer: '/order_by/2', message: 'name exactly one of "dimension" or "measure"' },
        { pointer: '/order_by/3/direction', message: 'direction must be asc or desc, got "DESC"', allowed: ['asc', 'desc'] },
        { pointer: '/order_by/4/direction', message: 'direction must be asc or desc, got 1', allowed: ['asc', 'desc'] },
        { pointer: '/order_by/5', message: 'must be an object {dimension | measure, direction}' },
        { pointer: '/order_by/6/nulls', message: 'unknown field "nulls"', allowed: ['dimension', 'measure', 'direction'] },
      ]);
      await expectInvalid({ ...BASE, order_by: { dimension: 'status' } }, [{ pointer: '/order_by', message: 'order_by must be an array of {dimension | measure, direction}' }]);
    });
  });

  describe('limit, time_range, timezone', () => {
    it('limit is an integer from 1 to 10000', async () => {
      for (const limit of [1, 10000, null]) expect((await api.post('/v1/reports/query', { ...BASE, limit })).status).toBe(200);
      for (const limit of [0, -1, 10001, 1.5, '10', true]) {
        await expectInvalid({ ...BASE, limit }, [{ pointer: '/limit', message: 'limit must be an integer from 1 to 10000' }]);
      }
    });

    it('time_range is required, an object, with RFC 3339 from and to', async () => {
      const { time_range: _, ...noRange } = BASE;
      await expectInvalid(noRange, [{ pointer: '/time_range', message: 'time_range is required: an absolute {"from", "to"}, {"last": "7d"} or {"calendar": "this_month"}' }]);
      await expectInvalid({ ...BASE, time_range: '2026-05' }, [{ pointer: '/time_range', message: 'time_range must be an absolute {"from", "to"}, {"last": "7d"} or {"calendar": "this_month"}' }]);
      await expectInvalid({ ...BASE, time_range: {} }, [
        { pointer: '/time_range/from', message: 'from is required (RFC 3339)' },
        { pointer: '/time_range/to', message: 'to is required (RFC 3339)' },
      ]);
      await expectInvalid({ ...BASE, time_range: { from: '2026-05-01', to: '2026-02-30T00:00:00Z', tz: 'UTC' } }, [
        { pointer: '/time_range/tz', message: 'unknown field "tz"', allowed: ['from', 'to', 'last', 'calendar'] },
        { pointer: '/time_range/from', message: 'from must be an RFC 3339 timestamp with a time zone, got "2026-05-01"' },
        { pointer: '/time_range/to', message: 'to must be an RFC 3339 timestamp with a time zone, got "2026-02-30T00:00:00Z"' },
      ]);
    });

    it('a range is absolute {from, to}, {last} or {calendar} (SPEC §11): anything else lists the shapes', async () => {
      await expectInvalid({ ...BASE, time_range: { since: '7d' } }, [
        { pointer: '/time_range/since', message: 'unknown field "since"', allowed: ['from', 'to', 'last', 'calendar'] },
        { pointer: '/time_range/from', message: 'from is required (RFC 3339)' },
        { pointer: '/time_range/to', message: 'to is required (RFC 3339)' },
      ]);
      await expectInvalid({ ...BASE, time_range: { last: '7d', to: RANGE.to } }, [{ pointer: '/time_range/to', message: 'unknown field "to" (a relative range has only "last")', allowed: ['last'] }]);
    });

    it('from must be before to; the span is at most 400 days', async () => {
      await expectInvalid({ ...BASE, time_range: { from: RANGE.from, to: RANGE.from } }, [{ pointer: '/time_range', message: 'from must be before to (from is inclusive, to exclusive)' }]);
      await expectInvalid({ ...BASE, time_range: { from: RANGE.to, to: RANGE.from } }, [{ pointer: '/time_range', message: 'from must be before to (from is inclusive, to exclusive)' }]);
      // The same instant written with different offsets is still an empty range.
      await expectInvalid({ ...BASE, time_range: { from: '2026-05-01T02:00:00+02:00', to: '2026-05-01T00:00:00Z' } }, [{ pointer: '/time_range', message: 'from must be before to (from is inclusive, to exclusive)' }]);
      expect((await api.post('/v1/reports/query', { ...BASE, time_range: { from: '2025-01-01T00:00:00Z', to: '2026-02-05T00:00:00Z' } })).status).toBe(200);
      await expectInvalid({ ...BASE, time_range: { from: '2025-01-01T00:00:00Z', to: '2026-02-05T00:00:00.001Z' } }, [{ pointer: '/time_range', message: 'the range may span at most 400 days' }]);
    });

    it('extreme but valid instants are answered, not a 500', async () => {
      for (const time_range of [
        { from: '0001-01-01T00:00:00Z', to: '0001-01-02T00:00:00+23:59' },
        { from: '9999-12-30T00:00:00Z', to: '9999-12-31T23:59:59-23:59' },
      ]) {
        const res = await api.post('/v1/reports/query', { ...BASE, dimensions: ['day'], timezone: 'Europe/Berlin', time_range });
        // Berlin's local mean time (+00:53:28) is no RFC 3339 offset, nor is a year past 9999: those ends are echoed as sent.
        const echoed = time_range.from.startsWith('0001') ? time_range : { from: '9999-12-30T01:00:00+01:00', to: time_range.to };
        expect({ status: res.status, rows: res.body.rows, time_range: res.body.time_range }).toEqual({ status: 200, rows: [], time_range: echoed });
      }
    });

    it('timezone must be an IANA zone name', async () => {
      for (const timezone of ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Europe/Kyiv', 'UTC', 'Etc/GMT+5', null]) {
        expect({ timezone, status: (await api.post('/v1/reports/query', { ...BASE, dimensions: ['day'], timezone })).status }).toEqual({ timezone, status: 200 });
      }
      for (const [timezone, shown] of [['Mars/Olympus', '"Mars/Olympus"'], ['+05:00', '"+05:00"'], ['', '""'], [5, '5'], [['UTC'], 'an array']] as const) {
        await expectInvalid({ ...BASE, timezone }, [{ pointer: '/timezone', message: `timezone must be an IANA time zone such as "Europe/Berlin", got ${shown}` }]);
      }
    });

    it('exact (SPEC §15) must be a boolean; null is absent; its problem is listed with the others', async () => {
      for (const exact of [true, false, null]) expect({ exact, status: (await api.post('/v1/reports/query', { ...BASE, exact })).status }).toEqual({ exact, status: 200 });
      for (const [exact, shown] of [['true', '"true"'], [1, '1'], [{}, 'an object'], [[true], 'an array']] as const) {
        await expectInvalid({ ...BASE, exact }, [{ pointer: '/exact', message: `exact must be a boolean (true: answer from the facts, exact percentiles), got ${shown}` }]);
      }
      await expectInvalid({ ...BASE, limit: 0, exact: 'yes' }, [
        { pointer: '/limit', message: 'limit must be an integer from 1 to 10000' },
        { pointer: '/exact', message: 'exact must be a boolean (true: answer from the facts, exact percentiles), got "yes"' },
      ]);
    });
  });

  describe('body shape', () => {
    it('unknown top-level fields are named (a client can never send org_id or SQL)', async () => {
      await expectInvalid({ ...BASE, org_id: newPublicId('org'), sql: 'SELECT 1', 'a/b~c': 1 }, [
        { pointer: '/org_id', message: 'unknown field "org_id"', allowed: TOP_KEYS },
        { pointer: '/sql', message: 'unknown field "sql"', allowed: TOP_KEYS },
        { pointer: '/a~1b~0c', message: 'unknown field "a/b~c"', allowed: TOP_KEYS },
      ]);
    });

    it('a body that is not an object', async () => {
      for (const body of [[], [BASE], 'sessions', 5, true]) {
        const res = await api.post('/v1/reports/query').set('content-type', 'application/json').send(JSON.stringify(body));
        expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({ status: 400, type: PROBLEM, body: invalidQueryProblem([{ pointer: '', message: 'the query must be a JSON object' }]) });
      }
      for (const raw of ['null', '']) {
        const res = await api.post('/v1/reports/query').set('content-type', 'application/json').send(raw);
        expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: invalidQueryProblem([{ pointer: '', message: 'the query must be a JSON object' }]) });
      }
    });

    it('malformed JSON is a 400 bad_request problem', async () => {
      const res = await api.post('/v1/reports/query').set('content-type', 'application/json').send('{"dataset": ');
      expect({ status: res.status, type: res.headers['content-type'], code: res.body.code }).toEqual({ status: 400, type: PROBLEM, code: 'bad_request' });
    });

    it('nested values are described, not echoed; past 64 levels the parser refuses the body', async () => {
      const nested = (depth: number) => `${'['.repeat(depth)}"x"${']'.repeat(depth)}`;
      const res = await api.post('/v1/reports/query').set('content-type', 'application/json').send(`{"dataset": ${nested(60)}, "time_range": ${JSON.stringify(RANGE)}}`);
      expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: invalidQueryProblem([{ pointer: '/dataset', message: 'unknown dataset an array', allowed: DATASETS }]) });
      const deep = await api.post('/v1/reports/query').set('content-type', 'application/json').send(`{"dataset": ${nested(100_000)}, "time_range": ${JSON.stringify(RANGE)}}`);
      expect({ status: deep.status, type: deep.headers['content-type'], body: deep.body }).toEqual({
        status: 400,
        type: 'application/problem+json; charset=utf-8',
        body: {
          type: '/problems/bad_request', title: 'Bad Request', status: 400, detail: 'The JSON body nests deeper than 64 levels.', code: 'bad_request', instance: '/v1/reports/query',
        },
      });
    });

    it('a huge list of problems is bounded', async () => {
      const res = await api.post('/v1/reports/query', { ...BASE, measures: Array.from({ length: 5000 }, (_, i) => `m${i}`) });
      expect(res.status).toBe(400);
      expect(res.body.errors).toHaveLength(101);
      expect(res.body.errors[100]).toEqual({ pointer: '', message: '4901 more problems not listed; fix these first' });
    });
  });

  it('reports every problem at once, in body order', async () => {
    await expectInvalid(
      {
        dataset: 'sessions',
        time_range: { from: '2026-05-24T00:00:00Z', to: '2026-04-24T00:00:00Z' },
        dimensions: ['status', 'model'],
        measures: ['session_count', 'tokens'],
        filters: [{ field: 'status', op: 'eq', value: null }, { field: 'duration_ms', op: 'in', value: [] }],
        order_by: [{ dimension: 'org_id', measure: 'session_count', direction: 'up' }],
        limit: 0,
        timezone: 'Berlin',
        format: 'csv',
      },
      [
        { pointer: '/format', message: 'unknown field "format"', allowed: TOP_KEYS },
        { pointer: '/time_range', message: 'from must be before to (from is inclusive, to exclusive)' },
        { pointer: '/dimensions/1', message: 'unknown dimension "model" for dataset sessions', allowed: SESSION_DIMENSIONS },
        { pointer: '/measures/1', message: 'unknown measure "tokens" for dataset sessions', allowed: SESSION_MEASURES },
        { pointer: '/filters/0/value', message: 'eq needs a value; to match missing values use {"op": "is_null", "value": true}' },
        { pointer: '/filters/1/value', message: 'in takes an array of 1 to 500 values' },
        { pointer: '/order_by/0', message: 'name exactly one of "dimension" or "measure"' },
        { pointer: '/order_by/0/direction', message: 'direction must be asc or desc, got "up"', allowed: ['asc', 'desc'] },
        { pointer: '/order_by/0/dimension', message: 'order_by may only name a selected dimension, got "org_id" (results are always scoped to your org; org_id is not a dimension)', allowed: ['status'] },
        { pointer: '/limit', message: 'limit must be an integer from 1 to 10000' },
        { pointer: '/timezone', message: 'timezone must be an IANA time zone such as "Europe/Berlin", got "Berlin"' },
      ],
    );
  });

  it('needs reports:view: an ingest key is a 403, no key a 401', async () => {
    const ingest = client(t, (await t.key('validation', 'ingest')).key);
    const forbidden = await ingest.post('/v1/reports/query', BASE);
    expect({ status: forbidden.status, type: forbidden.headers['content-type'], code: forbidden.body.code, detail: forbidden.body.detail }).toEqual({
      status: 403, type: PROBLEM, code: 'forbidden', detail: expect.stringContaining('reports:view'),
    });
    const anonymous = await t.http().post('/v1/reports/query').send(BASE);
    expect({ status: anonymous.status, code: anonymous.body.code }).toEqual({ status: 401, code: 'unauthorized' });
  });
});
