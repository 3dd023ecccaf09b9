import type { Dataset, QueryOptions, ReportQuery } from '../../web/src/api/types.js';
import { availability, columnRoles, describeOptions, followSelection } from '../../web/src/explore/options.js';
import { decodeQuery, encodeQuery } from '../../web/src/explore/query-url.js';
import { fromLocalInput, presetOf, presetRange, toLocalInput, zonedInstant } from '../../web/src/explore/time-range.js';
import { formatChange, formatDuration, formatValue, valueKind } from '../../web/src/format.js';

// The explorer's pure rules (web/src), run by jest like the server's unit tests.

describe('range presets in the query zone', () => {
  const at = (iso: string) => Date.parse(iso);

  test('last_* end at the next whole hour (the rollup can answer them) and span exactly', () => {
    expect(presetRange('last_24h', 'UTC', at('2026-05-10T14:37:00Z'))).toEqual({ from: '2026-05-09T15:00:00Z', to: '2026-05-10T15:00:00Z' });
    expect(presetRange('last_7d', 'Asia/Tokyo', at('2026-05-10T14:00:00Z'))).toEqual({ from: '2026-05-03T14:00:00Z', to: '2026-05-10T14:00:00Z' });
  });

  test('this_month starts at local midnight of the 1st, across a DST change inside the month', () => {
    // Berlin: March 1st is still winter time (+01:00); DST starts on March 29th.
    expect(presetRange('this_month', 'Europe/Berlin', at('2026-03-30T12:10:00Z')).from).toBe('2026-02-28T23:00:00Z');
    // New York: November 1st 00:00 is still EDT (-04:00); EST starts at 02:00 that day.
    expect(presetRange('this_month', 'America/New_York', at('2026-11-15T12:00:00Z')).from).toBe('2026-11-01T04:00:00Z');
    // Early on the 1st in UTC but still the previous month in the zone.
    expect(presetRange('this_month', 'America/Los_Angeles', at('2026-06-01T03:00:00Z')).from).toBe('2026-05-01T07:00:00Z');
  });

  test('a day without a local midnight starts at the first instant after the gap', () => {
    // America/Santiago jumps from 00:00 to 01:00 (-04:00 → -03:00) on 2026-09-06.
    expect(new Date(zonedInstant(2026, 8, 6, 'America/Santiago')).toISOString()).toBe('2026-09-06T04:00:00.000Z');
    expect(new Date(zonedInstant(2026, 8, 1, 'America/Santiago')).toISOString()).toBe('2026-09-01T04:00:00.000Z');
    expect(new Date(zonedInstant(2026, 9, 25, 'Europe/Berlin')).toISOString()).toBe('2026-10-24T22:00:00.000Z');
  });

  test('a range a preset produced is recognised after a reload; any other is custom', () => {
    const now = at('2026-05-10T14:37:00Z');
    expect(presetOf(presetRange('last_30d', 'UTC', now), 'UTC', now)).toBe('last_30d');
    expect(presetOf({ from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z' }, 'UTC', now)).toBe('custom');
  });

  test('datetime-local values are wall-clock times in the zone', () => {
    expect(toLocalInput('2026-07-01T10:30:00Z', 'Europe/Berlin')).toBe('2026-07-01T12:30');
    expect(fromLocalInput('2026-07-01T12:30', 'Europe/Berlin')).toBe('2026-07-01T10:30:00Z');
    expect(fromLocalInput('2026-01-01T12:30', 'Europe/Berlin')).toBe('2026-01-01T11:30:00Z');
    expect(fromLocalInput('not a time', 'UTC')).toBeNull();
  });
});

describe('the query in the URL', () => {
  test('base64url of the JSON, round trip (non-ASCII included), no padding or + /', () => {
    const q = { dataset: 'sessions', time_range: { from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z' }, filters: [{ field: 'agent_name', op: 'eq' as const, value: 'Zürich ✓ ??>>' }] };
    const encoded = encodeQuery(q);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(encoded).toBe(Buffer.from(JSON.stringify(q)).toString('base64url'));
    expect(decodeQuery(encoded)).toEqual(q);
  });

  test('anything else is no query (the page falls back to the default)', () => {
    expect(decodeQuery(null)).toBeNull();
    expect(decodeQuery('%%%')).toBeNull();
    expect(decodeQuery(Buffer.from('[1,2]').toString('base64url'))).toBeNull();
    expect(decodeQuery(Buffer.from('{"dataset":3}').toString('base64url'))).toBeNull();
  });
});

describe('number formatting', () => {
  test('tokens and counts with thousands separators, USD with cents, durations in ms or s', () => {
    expect(formatValue(valueKind({ name: 'total_tokens', type: 'integer', unit: 'tokens' }, 'total_tokens'), 1234567)).toBe('1,234,567');
    expect(formatValue(valueKind(undefined, 'cost_usd'), 12.5)).toBe('$12.50');
    expect(formatValue(valueKind({ name: 'avg_duration_ms', type: 'number', unit: 'ms' }, 'avg_duration_ms'), 850.4)).toBe('850 ms');
    expect(formatDuration(1250)).toBe('1.25 s');
    expect(formatValue('count', null)).toBe('—');
    expect(formatValue('number', 3.14159)).toBe('3.14');
  });
});

describe('SPEC §11 options', () => {
  const range = { from: '2026-05-01T00:00:00Z', to: '2026-05-08T00:00:00Z' };

  test('compare, cumulative and top survive the URL round trip', () => {
    const q: ReportQuery = {
      dataset: 'llm_generations', time_range: range, dimensions: ['day', 'model'], measures: ['total_tokens'],
      compare: 'previous_year', cumulative: ['total_tokens'], top: { dimension: 'model', n: 3, by: 'total_tokens', other: true },
    };
    expect(decodeQuery(encodeQuery(q))).toEqual(q);
  });

  // A catalog fragment written out here (the oracle), shaped like GET /v1/reports/catalog's.
  const options: QueryOptions = {
    fill: { values: ['zero'], needs_time_bucket: true, description: '' },
    compare: { values: ['previous_period', 'previous_year'], columns: ['{m}_previous', '{m}_change'], max_time_buckets: 1, description: '' },
    cumulative: { aggregations: ['count', 'sum', 'count_if', 'sum_if'], columns: ['{m}_cumulative'], needs_time_bucket: true, description: '' },
    top: { n_min: 1, n_max: 100, other_label: '(other)', description: '' },
    combinations: [],
  };
  const measure = (name: string, additive: boolean) => ({ name, aggregation: additive ? 'sum' : 'avg', type: 'number' as const, additive, description: '' });
  const dataset = { name: 'llm_generations', measures: [measure('total_tokens', true), measure('avg_duration_ms', false)] } as unknown as Dataset;
  const q = (patch: Partial<ReportQuery>): ReportQuery => ({ dataset: 'llm_generations', time_range: range, dimensions: ['day', 'model'], measures: ['total_tokens', 'avg_duration_ms'], ...patch });

  test('what the selection allows: running totals of additive measures with one bucket, top of a non-time dimension, compare with at most one bucket', () => {
    const a = availability(options, dataset, q({}));
    expect(a.cumulative).toEqual({ candidates: ['total_tokens'], why: null });
    expect(a.top).toMatchObject({ dimensions: ['model'], by: ['total_tokens', 'avg_duration_ms'], nMin: 1, nMax: 100, why: null });
    expect(a.compare.why).toBeNull();
    expect(availability(options, dataset, q({ dimensions: ['model'] })).cumulative.why).toBe('Needs exactly one time bucket.');
    expect(availability(options, dataset, q({ dimensions: ['day'] })).top.why).toBe('Needs a dimension other than the time bucket.');
    expect(availability(options, dataset, q({ measures: ['avg_duration_ms'] })).cumulative).toEqual({ candidates: [], why: 'Needs a sum or a count among the measures.' });
    // No measure selected: row_count is the measure, and it is a count.
    expect(availability(options, dataset, q({ measures: [] })).cumulative.candidates).toEqual(['row_count']);
    expect(availability(options, dataset, q({ dimensions: ['day', 'hour'] })).compare.why).toBe('Takes at most 1 time bucket.');
  });

  test('the options follow a change of dimensions and measures; a typed n is left for the API to judge', () => {
    const set = q({ cumulative: ['total_tokens'], top: { dimension: 'model', n: 0, by: 'avg_duration_ms', other: true }, compare: 'previous_period' });
    expect(followSelection({ ...set, measures: ['total_tokens'] }, dataset, options)).toEqual({ ...set, measures: ['total_tokens'], top: { dimension: 'model', n: 0, by: 'total_tokens', other: true } });
    const noModel = followSelection({ ...set, dimensions: ['day', 'provider'] }, dataset, options);
    expect(noModel.top).toEqual({ dimension: 'provider', n: 0, by: 'avg_duration_ms', other: true });
    const noBucket = followSelection({ ...set, dimensions: ['model'] }, dataset, options);
    expect(noBucket.cumulative).toBeUndefined();
    expect('cumulative' in noBucket).toBe(false);
    expect(noBucket.compare).toBe('previous_period');
    expect('top' in followSelection({ ...set, dimensions: ['day'] }, dataset, options)).toBe(false);
  });

  test('result columns: a measure\'s own value or a column an option added after it', () => {
    const roles = columnRoles(['total_tokens', 'total_tokens_cumulative', 'total_tokens_previous', 'total_tokens_change', 'rate_change']);
    expect(Object.fromEntries(roles)).toEqual({
      total_tokens: { base: 'total_tokens', role: 'value' },
      total_tokens_cumulative: { base: 'total_tokens', role: 'cumulative' },
      total_tokens_previous: { base: 'total_tokens', role: 'previous' },
      total_tokens_change: { base: 'total_tokens', role: 'change' },
      // No measure "rate" among the columns: a measure of its own.
      rate_change: { base: 'rate_change', role: 'value' },
    });
  });

  test('a change is a signed percentage with one decimal; no previous value is a dash', () => {
    expect(formatChange(0.125)).toBe('+12.5%');
    expect(formatChange(-0.5)).toBe('−50.0%');
    expect(formatChange(0)).toBe('0.0%');
    expect(formatChange(12.3456)).toBe('+1,234.6%');
    expect(formatChange(null)).toBe('—');
  });

  test('a saved report names its options', () => {
    expect(describeOptions({ compare: 'previous_period', top: { dimension: 'model', n: 3, by: 'total_tokens', other: true }, cumulative: ['total_tokens'] }))
      .toBe('vs previous period · top 3 model by total_tokens + (other) · running total of total_tokens');
    expect(describeOptions({})).toBe('');
  });
});
