import { planReportQuery, wholeHours } from './report-query.plan.js';
import { validateReportQuery } from './report-query.validate.js';

function plan(query: object) {
  const result = validateReportQuery({ dataset: 'llm_generations', ...query });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return planReportQuery(result.query);
}

const range = (from: string, to: string) => ({ time_range: { from, to } });

/** SPEC §6 Rollups and §15: the planner's three outcomes. */
describe('planReportQuery', () => {
  it.each([
    ['whole UTC hours, day × model', { ...range('2026-05-01T00:00:00Z', '2026-05-31T00:00:00Z'), dimensions: ['day', 'model'], measures: ['total_tokens', 'avg_duration_ms'] }, 'rollup'],
    ['whole hours given with an offset', { ...range('2026-05-01T02:00:00+02:00', '2026-05-02T00:00:00-05:00') }, 'rollup'],
    ['a single whole hour', { ...range('2026-05-01T13:00:00Z', '2026-05-01T14:00:00Z'), dimensions: ['hour'] }, 'rollup'],
    ['"last 7 days" at 14:37', { ...range('2026-05-01T14:37:00Z', '2026-05-08T14:37:00Z'), dimensions: ['day', 'model'], measures: ['total_tokens'] }, 'rollup+facts'],
    ['only the start within an hour', { ...range('2026-05-01T00:00:00.001Z', '2026-05-08T00:00:00Z'), measures: ['error_count'] }, 'rollup+facts'],
    ['only the end within an hour', { ...range('2026-05-01T00:00:00Z', '2026-05-08T00:59:59.999Z'), dimensions: ['provider'] }, 'rollup+facts'],
    ['one whole hour between two partial ones', { ...range('2026-05-01T12:59:00Z', '2026-05-01T14:01:00Z'), dimensions: ['hour'] }, 'rollup+facts'],
    ['unaligned, day buckets in a DST change (whole-hour offsets)', { ...range('2026-03-25T14:37:00Z', '2026-04-01T14:37:00Z'), dimensions: ['day'], timezone: 'Europe/Berlin' }, 'rollup+facts'],
    ['unaligned, no buckets in a half-hour zone', { ...range('2026-05-01T14:37:00Z', '2026-05-08T14:37:00Z'), dimensions: ['model'], timezone: 'Asia/Kolkata' }, 'rollup+facts'],
    ['unaligned, day buckets in a half-hour zone', { ...range('2026-05-01T14:37:00Z', '2026-05-08T14:37:00Z'), dimensions: ['day'], timezone: 'Asia/Kolkata' }, 'facts'],
    ['aligned, day buckets in a half-hour zone', { ...range('2026-05-01T00:00:00Z', '2026-05-08T00:00:00Z'), dimensions: ['day'], timezone: 'Asia/Kolkata' }, 'facts'],
    ['within one hour', { ...range('2026-05-01T14:05:00Z', '2026-05-01T14:55:00Z') }, 'facts'],
    ['across one hour boundary but no whole hour', { ...range('2026-05-01T14:05:00Z', '2026-05-01T15:55:00Z') }, 'facts'],
    ['unaligned, a percentile: its sketch, edge facts included (SPEC §15)', { ...range('2026-05-01T14:37:00Z', '2026-05-08T14:37:00Z'), measures: ['p95_duration_ms'] }, 'rollup+facts'],
    ['unaligned, a dimension the rollup does not keep', { ...range('2026-05-01T14:37:00Z', '2026-05-08T14:37:00Z'), dimensions: ['user'] }, 'facts'],
    ['unaligned, a numeric filter', { ...range('2026-05-01T14:37:00Z', '2026-05-08T14:37:00Z'), filters: [{ field: 'duration_ms', op: 'gt', value: 1 }] }, 'facts'],
  ])('%s → %s', (_, query, servedBy) => {
    expect(plan(query)).toBe(servedBy);
  });

  it('wholeHours: the first hour starting at or after from, the last ending at or before to', () => {
    const iso = (r: { wholeFrom: Date; wholeTo: Date }) => [r.wholeFrom.toISOString(), r.wholeTo.toISOString()];
    expect(iso(wholeHours(new Date('2026-05-01T14:37:00Z'), new Date('2026-05-08T14:37:00Z')))).toEqual(['2026-05-01T15:00:00.000Z', '2026-05-08T14:00:00.000Z']);
    expect(iso(wholeHours(new Date('2026-05-01T14:00:00Z'), new Date('2026-05-01T15:00:00Z')))).toEqual(['2026-05-01T14:00:00.000Z', '2026-05-01T15:00:00.000Z']);
    expect(iso(wholeHours(new Date('1969-12-31T23:30:00Z'), new Date('1970-01-01T01:30:00Z')))).toEqual(['1970-01-01T00:00:00.000Z', '1970-01-01T01:00:00.000Z']);
  });
});
