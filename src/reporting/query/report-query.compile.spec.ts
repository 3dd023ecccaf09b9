import { DATASET_BY_NAME } from '#src/reporting/catalog/catalog.js';
import { compileReportQuery } from './report-query.compile.js';
import { planReportQuery } from './report-query.plan.js';
import { validateReportQuery } from './report-query.validate.js';

const ORG = '0190b5a0-0000-7000-8000-000000000001';

/** Compiles a wire query the way the service does: validated against the catalog first (and planned, when `planned`). */
function compile(query: unknown, planned = false) {
  const result = validateReportQuery(query);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return compileReportQuery(result.query, ORG, undefined, planned ? planReportQuery(result.query) : 'facts');
}

/*
 * The compiled SQL of representative queries, snapshotted so that any change to the SQL the
 * API runs shows up in review (STYLE habit 4). Update with `jest -u` when a change is intended.
 */
describe('compileReportQuery', () => {
  const REPRESENTATIVE: Record<string, unknown> = {
    'fill zero: tool_calls by day × tool in New York, every day of the range': {
      dataset: 'tool_calls',
      time_range: { from: '2026-03-01T00:00:00Z', to: '2026-03-15T00:00:00Z' },
      dimensions: ['day', 'tool'],
      measures: ['call_count', 'avg_duration_ms'],
      timezone: 'America/New_York',
      fill: 'zero',
    },
    'compare + cumulative + top with other: llm_generations by day × model in Berlin': {
      dataset: 'llm_generations',
      time_range: { from: '2026-04-01T00:00:00+02:00', to: '2026-05-01T00:00:00+02:00' },
      dimensions: ['day', 'model'],
      measures: ['total_tokens', 'avg_duration_ms'],
      filters: [{ field: 'provider', op: 'eq', value: 'openai' }],
      timezone: 'Europe/Berlin',
      compare: 'previous_period',
      cumulative: ['total_tokens'],
      top: { dimension: 'model', n: 3, by: 'total_tokens', other: true },
    },
    'top without other, row_count only, by user (an id dimension)': {
      dataset: 'sessions',
      time_range: { from: '2026-04-01T00:00:00Z', to: '2026-05-01T00:00:00Z' },
      dimensions: ['user'],
      top: { dimension: 'user', n: 10, by: 'row_count' },
    },
    'llm_generations by day × model in Berlin, text filters': {
      dataset: 'llm_generations',
      time_range: { from: '2026-04-01T00:00:00Z', to: '2026-05-01T00:00:00Z' },
      dimensions: ['day', 'model'],
      measures: ['total_tokens', 'avg_duration_ms', 'p50_duration_ms', 'error_count'],
      filters: [{ field: 'model', op: 'in', value: ['gpt-5', "o'brien"] }, { field: 'finish_reason', op: 'neq', value: 'stop' }, { field: 'error', op: 'eq', value: false }],
      timezone: 'Europe/Berlin',
    },
    'sessions, one aggregate row, null filters': {
      dataset: 'sessions',
      time_range: { from: '2026-04-01T00:00:00Z', to: '2026-05-01T00:00:00Z' },
      measures: ['session_count', 'p95_duration_ms', 'unique_users'],
      filters: [{ field: 'user', op: 'is_null', value: false }, { field: 'status', op: 'not_in', value: ['running'] }, { field: 'agent', op: 'eq', value: 'agent_0190b5a0000070008000000000000002' }],
    },
    'budget_postings by budget with explicit order and limit': {
      dataset: 'budget_postings',
      time_range: { from: '2026-04-01T00:00:00Z', to: '2026-05-01T00:00:00Z' },
      dimensions: ['budget', 'currency'],
      measures: ['amount', 'debit_amount', 'credit_count'],
      filters: [{ field: 'amount', op: 'gte', value: -10.5 }, { field: 'created_at', op: 'lt', value: '2026-04-15T00:00:00+02:00' }],
      order_by: [{ measure: 'credit_count', direction: 'desc' }, { dimension: 'currency' }],
      limit: 10,
    },
    'tool_calls, row_count only, by status': {
      dataset: 'tool_calls',
      time_range: { from: '2026-04-01T00:00:00Z', to: '2026-05-01T00:00:00Z' },
      dimensions: ['status'],
      filters: [{ field: 'duration_ms', op: 'is_null', value: true }],
    },
  };

  for (const [name, query] of Object.entries(REPRESENTATIVE)) {
    it(name, () => {
      const { sql, params, columns } = compile(query);
      expect({ sql: sql.split('\n'), params: params.map((p) => (p instanceof Date ? p.toISOString() : p)), columns }).toMatchSnapshot();
    });
  }

  it('SPEC §15: p95 by day × model from the rollup merges the hours\' sketches per group', () => {
    const result = validateReportQuery({ dataset: 'llm_generations', time_range: { from: '2026-04-01T00:00:00Z', to: '2026-05-01T00:00:00Z' }, dimensions: ['day', 'model'], measures: ['generation_count', 'p95_duration_ms'] });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const { sql } = compileReportQuery(result.query, ORG, undefined, 'rollup');
    expect(sql.split('\n')).toMatchSnapshot();
  });

  // SPEC §15: as planned, a covered query whose range starts and ends within an hour.
  const PLANNED: Record<string, unknown> = {
    'rollup+facts: last 7 days at 14:37, day × model in Berlin, a filter': {
      dataset: 'llm_generations',
      time_range: { from: '2026-04-01T14:37:12.345Z', to: '2026-04-08T14:37:12.345Z' },
      dimensions: ['day', 'model'],
      measures: ['generation_count', 'total_tokens', 'avg_duration_ms', 'error_count'],
      filters: [{ field: 'provider', op: 'in', value: ['openai', 'anthropic'] }],
      timezone: 'Europe/Berlin',
    },
    'rollup+facts: only the end within an hour, fill zero by day, budget ids': {
      dataset: 'budget_postings',
      time_range: { from: '2026-04-01T00:00:00Z', to: '2026-04-03T09:15:00Z' },
      dimensions: ['day', 'budget'],
      measures: ['amount', 'debit_count'],
      fill: 'zero',
    },
  };
  for (const [name, query] of Object.entries(PLANNED)) {
    it(name, () => {
      const { sql, params, columns } = compile(query, true);
      expect({ sql: sql.split('\n'), params: params.map((p) => (p instanceof Date ? p.toISOString() : p)), columns }).toMatchSnapshot();
    });
  }

  it('rollup+facts: every branch is scoped by org first, values stay bound', () => {
    const { sql, params } = compile({
      dataset: 'llm_generations',
      time_range: { from: '2026-04-01T14:37:00Z', to: '2026-04-08T14:37:00Z' },
      dimensions: ['model'],
      filters: [{ field: 'model', op: 'eq', value: "x'); DROP TABLE fact_llm_generation; --" }],
    }, true);
    expect(sql).not.toContain('DROP');
    expect(params[0]).toBe(ORG);
    const branches = sql.split('UNION ALL');
    expect(branches).toHaveLength(3);
    for (const b of branches) expect(b).toMatch(/\n {2}WHERE f\.org_id = \$1::uuid\n/);
    expect(params.map((p) => (p instanceof Date ? p.toISOString() : p))).toEqual([
      ORG, '2026-04-01T14:37:00.000Z', '2026-04-08T14:37:00.000Z', "x'); DROP TABLE fact_llm_generation; --", '2026-04-01T15:00:00.000Z', '2026-04-08T14:00:00.000Z', 101,
    ]);
  });

  it('rollup+facts: each branch carries only the stored columns the aggregates read (sketches only for a percentile)', () => {
    const range = { from: '2026-04-01T14:37:00Z', to: '2026-04-08T14:37:00Z' };
    // The SELECT list of each branch of the rollup+facts source.
    const outputs = (sql: string) => sql.slice(sql.indexOf('FROM (\n')).split('UNION ALL').map((b) => b.match(/SELECT (.*)\n/)![1]);
    const plain = compile({ dataset: 'llm_generations', time_range: range, dimensions: ['model'], measures: ['total_tokens'] }, true);
    for (const o of outputs(plain.sql)) {
      expect(o).toMatch(/\bsum_total_tokens$/);
      expect(o).not.toMatch(/skk_|skn_|sum_input_tokens|row_count/);
    }
    const p95 = compile({ dataset: 'llm_generations', time_range: range, dimensions: ['model'], measures: ['p95_duration_ms'], top: { dimension: 'model', n: 2, by: 'p95_duration_ms' } }, true);
    for (const o of outputs(p95.sql)) {
      expect(o).toMatch(/skk_duration_ms, .*skn_duration_ms$/);
      expect(o).not.toMatch(/time_to_first_token|sum_total_tokens/);
    }
  });

  it('values never reach the SQL text; the org is always the first predicate', () => {
    const { sql, params } = compile({
      dataset: 'llm_generations',
      time_range: { from: '2026-04-01T00:00:00Z', to: '2026-05-01T00:00:00Z' },
      dimensions: ['model'],
      filters: [{ field: 'model', op: 'eq', value: "x'); DROP TABLE fact_llm_generation; --" }, { field: 'provider', op: 'in', value: ['$1', 'a"b'] }],
      timezone: 'Asia/Kolkata',
    });
    expect(sql).not.toContain('DROP');
    expect(sql).not.toContain('a"b');
    expect(params).toContain("x'); DROP TABLE fact_llm_generation; --");
    expect(params).toContainEqual(['$1', 'a"b']);
    expect(sql).toMatch(/\nWHERE f\.org_id = \$1::uuid\n/);
    expect(params[0]).toBe(ORG);
  });

  it('every identifier in the SQL comes from the catalog', () => {
    const llm = DATASET_BY_NAME.get('llm_generations')!;
    const allowed = new Set([
      llm.table, ...llm.dimensions.map((d) => d.column), ...llm.measures.flatMap((m) => (m.column ? [m.column] : [])), ...llm.filter_fields.map((f) => f.column), 'org_id', 'is_error',
    ]);
    const { sql } = compile({
      dataset: 'llm_generations',
      time_range: { from: '2026-04-01T00:00:00Z', to: '2026-05-01T00:00:00Z' },
      dimensions: llm.dimensions.slice(0, 8).map((d) => d.name),
      measures: llm.measures.slice(0, 14).map((m) => m.name),
    });
    for (const [, column] of sql.matchAll(/\bf\.([a-z_]+)/g)) expect({ column, fromCatalog: allowed.has(column) }).toEqual({ column, fromCatalog: true });
  });
});
