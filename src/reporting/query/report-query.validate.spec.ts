import { DATASET_BY_NAME, LIMITS } from '#src/reporting/catalog/catalog.js';
import { pointerSegment } from '#src/common/validation/json-input.js';
import { isTimezone, validateReportQuery } from './report-query.validate.js';

const RANGE = { from: '2026-04-01T00:00:00Z', to: '2026-05-01T00:00:00+02:00' };
const ok = (input: unknown, options = {}) => {
  const r = validateReportQuery(input, options);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.query;
};
const errors = (input: unknown, options = {}, base = '') => {
  const r = validateReportQuery(input, options, base);
  if (r.ok) throw new Error('expected problems');
  return r.errors;
};

describe('validateReportQuery', () => {
  it('resolves a valid query against the catalog: definitions, instants, decoded ids, defaults', () => {
    const q = ok({
      dataset: 'llm_generations',
      time_range: RANGE,
      dimensions: ['day', 'user'],
      filters: [{ field: 'user', op: 'in', value: ['user_0190b5a0000070008000000000000001'] }, { field: 'created_at', op: 'gte', value: '2026-04-02T00:00:00+02:00' }],
    });
    const ds = DATASET_BY_NAME.get('llm_generations')!;
    expect(q).toEqual({
      dataset: ds,
      from: new Date('2026-04-01T00:00:00Z'),
      to: new Date('2026-04-30T22:00:00Z'),
      rangeText: RANGE,
      dimensions: [ds.dimensions.find((d) => d.name === 'day'), ds.dimensions.find((d) => d.name === 'user')],
      measures: [],
      rowCountOnly: true,
      filters: [
        { field: ds.filter_fields.find((f) => f.name === 'user'), op: 'in', value: ['0190b5a0-0000-7000-8000-000000000001'] },
        { field: ds.filter_fields.find((f) => f.name === 'created_at'), op: 'gte', value: new Date('2026-04-01T22:00:00Z') },
      ],
      orderBy: [],
      limit: LIMITS.default_limit,
      timezone: 'UTC',
    });
  });

  it('resolves order_by entries with their kind and direction', () => {
    const q = ok({ dataset: 'sessions', time_range: RANGE, dimensions: ['status'], measures: ['session_count'], order_by: [{ measure: 'session_count', direction: 'desc' }, { dimension: 'status' }] });
    expect(q.orderBy).toEqual([{ column: 'session_count', kind: 'measure', direction: 'desc' }, { column: 'status', kind: 'dimension', direction: 'asc' }]);
    expect(ok({ dataset: 'sessions', time_range: RANGE, order_by: [{ measure: 'row_count' }] }).orderBy).toEqual([{ column: 'row_count', kind: 'measure', direction: 'asc' }]);
  });

  it('relative ranges on every query (SPEC §11), resolved against now in the query timezone', () => {
    const now = new Date('2026-05-10T12:00:00Z');
    const q = ok({ dataset: 'sessions', time_range: { last: '36h' } }, { now });
    expect({ from: q.from, to: q.to }).toEqual({ from: new Date('2026-05-09T00:00:00Z'), to: now });
    expect(ok({ dataset: 'sessions', time_range: { last: '2w' } }, { now }).from).toEqual(new Date('2026-04-26T12:00:00Z'));
    const month = ok({ dataset: 'sessions', time_range: { calendar: 'this_month' }, timezone: 'Europe/Berlin' }, { now });
    expect({ from: month.from, to: month.to }).toEqual({ from: new Date('2026-04-30T22:00:00Z'), to: new Date('2026-05-31T22:00:00Z') });
    expect(errors({ dataset: 'sessions', time_range: { last: '7 days', from: 'x' } })).toEqual([
      { pointer: '/time_range/from', message: 'unknown field "from" (a relative range has only "last")', allowed: ['last'] },
      { pointer: '/time_range/last', message: 'last must be a positive integer followed by m, h, d or w (e.g. "7d")' },
    ]);
    expect(errors({ dataset: 'sessions', time_range: { calendar: 'this_decade' } })).toEqual([
      {
        pointer: '/time_range/calendar',
        message: 'calendar must be one of today, yesterday, this_week, last_week, this_month, last_month, this_year, last_year (periods in the query\'s timezone; weeks start Monday), got "this_decade"',
        allowed: ['today', 'yesterday', 'this_week', 'last_week', 'this_month', 'last_month', 'this_year', 'last_year'],
      },
    ]);
    expect(errors({ dataset: 'sessions', time_range: { last: '401d' } })).toEqual([{ pointer: '/time_range/last', message: 'the range may span at most 400 days' }]);
    expect(errors({ dataset: 'sessions', time_range: { since: '7d' } })).toEqual([
      { pointer: '/time_range/since', message: 'unknown field "since"', allowed: ['from', 'to', 'last', 'calendar'] },
      { pointer: '/time_range/from', message: 'from is required (RFC 3339)' },
      { pointer: '/time_range/to', message: 'to is required (RFC 3339)' },
    ]);
  });

  it('export limits: a different cap and default', () => {
    expect(ok({ dataset: 'sessions', time_range: RANGE }, { maxLimit: 50_000, defaultLimit: 50_000 }).limit).toBe(50_000);
    expect(errors({ dataset: 'sessions', time_range: RANGE, limit: 50_001 }, { maxLimit: 50_000 })).toEqual([{ pointer: '/limit', message: 'limit must be an integer from 1 to 50000' }]);
  });

  it('pointers carry the base (the query inside an export or a saved report)', () => {
    expect(errors({ dataset: 'nope', time_range: RANGE }, {}, '/query')).toEqual([{ pointer: '/query/dataset', message: 'unknown dataset "nope"', allowed: ['llm_generations', 'tool_calls', 'turns', 'sessions', 'budget_postings', 'capability_usage'] }]);
    expect(errors(null, {}, '/query')).toEqual([{ pointer: '/query', message: 'the query must be a JSON object' }]);
  });

  it('never throws, whatever the input', () => {
    const deep: unknown[] = [];
    let cur = deep;
    for (let i = 0; i < 50_000; i++) cur.push((cur = []));
    const odd: unknown[] = [
      undefined, null, 0, '', [], {}, deep, { dataset: deep }, { __proto__: { dataset: 'sessions' } }, Object.create(null),
      { dataset: 'sessions', time_range: RANGE, filters: [null, [], { field: deep, op: deep, value: deep }] },
      { dataset: 'sessions', time_range: RANGE, order_by: [{ dimension: {}, measure: [], direction: deep }] },
      { dataset: 'sessions', time_range: { from: deep, to: 1 }, dimensions: [deep], measures: deep, limit: deep, timezone: deep },
      JSON.parse('{"__proto__": {"x": 1}, "constructor": 1, "toString": 2}'),
    ];
    for (const input of odd) expect(() => validateReportQuery(input)).not.toThrow();
  });

  it('caps the list of problems', () => {
    const e = errors({ dataset: 'sessions', time_range: RANGE, measures: Array.from({ length: 300 }, (_, i) => `m${i}`) });
    expect(e).toHaveLength(101);
    expect(e[100]).toEqual({ pointer: '', message: '201 more problems not listed; fix these first' });
  });

  it('JSON pointer segments are escaped', () => {
    expect(pointerSegment('a/b~c')).toBe('a~1b~0c');
    expect(errors({ dataset: 'sessions', time_range: RANGE, 'x/y': 1 })).toEqual([{ pointer: '/x~1y', message: 'unknown field "x/y"', allowed: ['dataset', 'time_range', 'dimensions', 'measures', 'filters', 'order_by', 'limit', 'timezone', 'fill', 'exact', 'compare', 'cumulative', 'top'] }]);
  });
});

describe('isTimezone', () => {
  it('takes IANA names, canonical or not, and refuses offsets and junk', () => {
    for (const tz of ['UTC', 'Etc/UTC', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Calcutta', 'Europe/Kyiv', 'America/Argentina/Buenos_Aires', 'Etc/GMT-14', 'US/Eastern']) expect({ tz, ok: isTimezone(tz) }).toEqual({ tz, ok: true });
    for (const tz of ['', 'Mars/Olympus', '+05:00', 'UTC+1', 'Europe/', '/Berlin', 'Europe//Berlin', 'a'.repeat(65), 'Europe/Berlin\u0000', 'Factory']) expect({ tz, ok: isTimezone(tz) }).toEqual({ tz, ok: false });
  });
});
