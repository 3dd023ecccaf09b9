import { normalizedQuery } from './report-query.cache.js';
import { validateReportQuery } from './report-query.validate.js';

const resolved = (input: unknown) => {
  const r = validateReportQuery(input);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.query;
};
const BASE = {
  dataset: 'llm_generations', time_range: { from: '2026-04-01T00:00:00Z', to: '2026-05-01T00:00:00Z' },
  dimensions: ['model'], measures: ['generation_count'],
  filters: [{ field: 'model', op: 'in', value: ['a', 'b'] }, { field: 'provider', op: 'eq', value: 'openai' }],
};
const key = (over: Record<string, unknown> = {}) => normalizedQuery(resolved({ ...BASE, ...over }), 'rollup');

describe('normalizedQuery (the result cache key, SPEC §15)', () => {
  it('is the same for the same question however it is spelled: defaults, offsets, filter order, in-list order', () => {
    expect(key({ limit: 100, timezone: 'UTC' })).toBe(key());
    expect(key({ time_range: { from: '2026-04-01T02:00:00+02:00', to: '2026-05-01T00:00:00.000Z' } })).toBe(key());
    expect(key({ filters: [{ field: 'provider', op: 'eq', value: 'openai' }, { field: 'model', op: 'in', value: ['b', 'a'] }] })).toBe(key());
  });

  it('differs whenever the answer could', () => {
    const others = [
      { limit: 99 }, { timezone: 'Europe/Paris' }, { measures: ['total_tokens'] }, { dimensions: ['provider'] },
      { time_range: { from: '2026-04-01T00:00:00Z', to: '2026-05-01T00:00:01Z' } }, { filters: [] },
      { filters: [{ field: 'model', op: 'not_in', value: ['a', 'b'] }, { field: 'provider', op: 'eq', value: 'openai' }] },
      { order_by: [{ measure: 'generation_count', direction: 'desc' }] },
      { dimensions: ['day'], filters: [], fill: 'zero' }, { dimensions: ['day'], filters: [] },
      { dataset: 'sessions', dimensions: [], measures: ['session_count'], filters: [] },
    ];
    const keys = new Set([key(), ...others.map((o) => key(o))]);
    expect(keys.size).toBe(others.length + 1);
    expect(normalizedQuery(resolved(BASE), 'facts')).not.toBe(key());
  });
});
