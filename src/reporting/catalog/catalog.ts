import type { IdPrefix } from '#src/common/ids/public-id.js';
import type { SourceType } from '#src/pipeline/pipeline.vocabulary.js';

/**
 * The semantic catalog (SPEC §6): datasets as data, and the ONLY source of SQL identifiers for
 * report queries. Validation, the compiler, GET /v1/reports/catalog, the OpenAPI examples and the
 * docs all read this file. Column expressions are written here against the fact alias `f`.
 */

export type FieldType = 'string' | 'id' | 'number' | 'time' | 'boolean';
export type FilterOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'not_in' | 'is_null';
export type Aggregation = 'count' | 'sum' | 'avg' | 'p50' | 'p95' | 'count_distinct' | 'count_if' | 'sum_if';
export type Granularity = 'hour' | 'day' | 'week' | 'month';

export const FILTER_OPS: FilterOp[] = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'is_null'];
export const GRANULARITIES: Granularity[] = ['hour', 'day', 'week', 'month'];

export const OPS_BY_TYPE: Record<FieldType, FilterOp[]> = {
  string: ['eq', 'neq', 'in', 'not_in', 'is_null'],
  id: ['eq', 'neq', 'in', 'not_in', 'is_null'],
  number: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'is_null'],
  time: ['gt', 'gte', 'lt', 'lte', 'is_null'],
  boolean: ['eq', 'neq', 'is_null'],
};

export interface DimensionDef {
  name: string;
  type: 'string' | 'id' | 'time';
  /** Fact column (identifier from this file only). */
  column: string;
  idPrefix?: IdPrefix;
  granularity?: Granularity;
  description: string;
}

export interface MeasureDef {
  name: string;
  aggregation: Aggregation;
  column?: string;
  /** For count_if / sum_if: a condition over fact columns, written here. */
  condition?: string;
  type: 'integer' | 'number';
  unit?: string;
  description: string;
}

export interface FilterFieldDef {
  name: string;
  type: FieldType;
  column: string;
  idPrefix?: IdPrefix;
  ops: FilterOp[];
}

export interface DatasetDef {
  name: string;
  description: string;
  table: string;
  time_column: string;
  /** Outbox source types whose pending rows make this dataset stale (freshness). */
  sources: SourceType[];
  dimensions: DimensionDef[];
  measures: MeasureDef[];
  filter_fields: FilterFieldDef[];
  /**
   * The hourly rollup (SPEC §6 Rollups): its table and the dimensions it keeps. Only the dataset's
   * own low-cardinality dimensions: ids such as session, turn, user (and agent, app, …) would make
   * nearly every fact its own rollup row. Covered measures follow from their aggregation
   * (rollup.ts): counts, sums and averages are, exactly; percentiles are, approximately (SPEC §15:
   * from log-bucket sketches, within 1 %); distinct counts are not.
   */
  rollup: { table: string; dimensions: string[]; /** Measured rollup size against the facts (docs). */ sizeNote: string };
}

export const LIMITS = {
  max_dimensions: 8,
  max_measures: 16,
  max_filters: 20,
  max_in_values: 500,
  max_limit: 10_000,
  default_limit: 100,
  max_range_days: 400,
  export_max_rows: 50_000,
  stream_max_rows: 1_000_000,
} as const;

/**
 * SPEC §11 query options. A running total (`cumulative`) is only meaningful for a measure whose
 * value over a union of rows is the sum of its values over the parts: counts and sums, not
 * averages, percentiles or distinct counts.
 */
export const ADDITIVE_AGGREGATIONS: readonly Aggregation[] = ['count', 'sum', 'count_if', 'sum_if'];
export const isAdditive = (m: MeasureDef) => ADDITIVE_AGGREGATIONS.includes(m.aggregation);
export const TOP_N = { min: 1, max: 100 } as const;
/** The label of the row that merges the values outside a `top` set (`other: true`). */
export const TOP_OTHER_LABEL = '(other)';

const id = (name: string, column: string, prefix: IdPrefix, description: string): DimensionDef => ({ name, type: 'id', column, idPrefix: prefix, description });
const str = (name: string, column: string, description: string): DimensionDef => ({ name, type: 'string', column, description });

const TIME_DIMENSIONS: DimensionDef[] = GRANULARITIES.map((g) => ({
  name: g,
  type: 'time',
  column: 'created_at',
  granularity: g,
  description: `Start of the ${g} (in the query's timezone) the row falls in; RFC 3339 with the zone's offset.`,
}));

function commonDimensions(withTurn: boolean): DimensionDef[] {
  return [
    id('session', 'session_id', 'session', 'Session id.'),
    ...(withTurn ? [id('turn', 'turn_id', 'turn', 'Turn id.')] : []),
    id('user', 'user_id', 'user', "The session's user."),
    id('principal', 'principal_id', 'principal', "The session's principal."),
    id('agent', 'agent_id', 'agent', "The session's agent."),
    str('agent_name', 'agent_name', "The agent's name at the session's last update."),
    id('harness', 'harness_id', 'harness', "The session's harness."),
    str('harness_name', 'harness_name', "The harness's name."),
    id('app', 'app_id', 'app', 'The app the session ran in.'),
    str('blueprint', 'blueprint_id', 'Blueprint identifier.'),
  ];
}

const sum = (name: string, column: string, description: string, unit?: string): MeasureDef => ({ name, aggregation: 'sum', column, type: 'integer', unit, description: `${description} Unknown values count as 0.` });
const avg = (name: string, column: string, description: string, unit?: string): MeasureDef => ({ name, aggregation: 'avg', column, type: 'number', unit, description: `${description} Rows where it is unknown are ignored; null when none is known.` });
const pct = (p: 50 | 95, name: string, column: string, description: string, unit?: string): MeasureDef => ({
  name, aggregation: p === 50 ? 'p50' : 'p95', column, type: 'number', unit, description: `${description} (continuous percentile). Rows where it is unknown are ignored.`,
});
const countIf = (name: string, condition: string, description: string): MeasureDef => ({ name, aggregation: 'count_if', condition, type: 'integer', description });
const count = (name: string, description: string): MeasureDef => ({ name, aggregation: 'count', type: 'integer', description });
/** SPEC §10: USD, exact decimal sums (numeric), answered as JSON numbers. */
const costUsd = (description: string): MeasureDef => ({
  name: 'cost_usd', aggregation: 'sum', column: 'cost_usd', type: 'number', unit: 'USD',
  description: `${description} Unknown costs count as 0 (see unpriced_count on llm_generations).`,
});

/** Filter fields: every dimension (ids and strings), plus numeric and time columns. */
function filtersFor(dims: DimensionDef[], extra: FilterFieldDef[]): FilterFieldDef[] {
  const fromDims = dims
    .filter((d) => d.type !== 'time')
    .map((d) => ({ name: d.name, type: d.type as FieldType, column: d.column, idPrefix: d.idPrefix, ops: OPS_BY_TYPE[d.type as FieldType] }));
  return [...fromDims, ...extra, { name: 'created_at', type: 'time', column: 'created_at', ops: OPS_BY_TYPE.time }];
}
const num = (name: string, column = name): FilterFieldDef => ({ name, type: 'number', column, ops: OPS_BY_TYPE.number });

const llmDims = [...commonDimensions(true), str('model', 'model', 'Model name.'), str('provider', 'provider', 'Model provider.'), str('finish_reason', 'finish_reason', 'Why generation stopped.'), ...TIME_DIMENSIONS];
const toolDims = [
  ...commonDimensions(true),
  str('tool', 'tool', 'Tool name.'),
  str('tool_display_name', 'tool_display_name', 'Tool display name.'),
  str('status', 'status', 'success | error | timeout | cancelled.'),
  str('capability', 'capability', 'Capability id the tool belongs to.'),
  ...TIME_DIMENSIONS,
];
const capabilityDims = [
  ...commonDimensions(true),
  str('capability', 'capability', 'Capability id (as tool_calls.capability).'),
  str('capability_name', 'capability_name', 'Capability name.'),
  str('kind', 'kind', 'configured | resolved | exposed | invoked | effect_ran.'),
  str('tool', 'tool', 'Tool the capability was used through.'),
  ...TIME_DIMENSIONS,
];
/** The token sums of turns and of sessions (a turn's and a session's tokens are their generations'). */
const tokenSums = () => [
  sum('input_tokens', 'input_tokens', 'Input tokens.', 'tokens'),
  sum('output_tokens', 'output_tokens', 'Output tokens.', 'tokens'),
  sum('total_tokens', 'total_tokens', 'Input + output tokens.', 'tokens'),
];
const turnDims = [...commonDimensions(true), str('status', 'status', 'completed | failed | cancelled.'), ...TIME_DIMENSIONS];
const sessionDims = [...commonDimensions(false), str('status', 'status', 'running | completed | failed | cancelled.'), ...TIME_DIMENSIONS];
const budgetDims = [
  ...commonDimensions(false),
  id('budget', 'budget_id', 'budget', 'Budget id.'),
  str('subject_type', 'subject_type', 'Kind of subject charged.'),
  str('subject', 'subject_id', 'Subject charged.'),
  str('currency', 'currency', 'Currency or unit of the amount.'),
  str('meter_source', 'meter_source', 'What metered the usage.'),
  str('ref_type', 'ref_type', 'Kind of reference the posting points at.'),
  ...TIME_DIMENSIONS,
];

export const DATASETS: DatasetDef[] = [
  {
    name: 'llm_generations',
    description: 'One row per LLM generation, attributed to its session.',
    table: 'fact_llm_generation',
    time_column: 'created_at',
    sources: ['llm_generation'],
    rollup: {
      table: 'rollup_llm_generation_hourly', dimensions: ['model', 'provider', 'finish_reason'],
      sizeNote: 'Measured on the demo data (npm run seed -- --size medium, 60 days): 355,065 generation facts make 44,629 rollup rows (8.0×); in the largest org 213,364 facts make 15,791 rows, 11.3 an hour (13.5×). Rows grow with hours × combinations in use, not with facts.',
    },
    dimensions: llmDims,
    measures: [
      count('generation_count', 'Number of generations.'),
      sum('input_tokens', 'input_tokens', 'Input tokens.', 'tokens'),
      sum('output_tokens', 'output_tokens', 'Output tokens.', 'tokens'),
      sum('cache_read_tokens', 'cache_read_tokens', 'Cache-read tokens.', 'tokens'),
      sum('cache_creation_tokens', 'cache_creation_tokens', 'Cache-creation tokens.', 'tokens'),
      sum('total_tokens', 'total_tokens', 'Input + output + cache tokens.', 'tokens'),
      sum('duration_ms', 'duration_ms', 'Total generation time.', 'ms'),
      avg('avg_duration_ms', 'duration_ms', 'Mean generation time.', 'ms'),
      pct(50, 'p50_duration_ms', 'duration_ms', 'Median generation time', 'ms'),
      pct(95, 'p95_duration_ms', 'duration_ms', '95th percentile generation time', 'ms'),
      avg('avg_time_to_first_token_ms', 'time_to_first_token_ms', 'Mean time to first token.', 'ms'),
      pct(95, 'p95_time_to_first_token_ms', 'time_to_first_token_ms', '95th percentile time to first token', 'ms'),
      countIf('success_count', 'NOT f.is_error', 'Generations without an error.'),
      countIf('error_count', 'f.is_error', 'Generations that errored.'),
      costUsd('What the generations cost: the cost_usd the provider reported, else priced by the applicable price (GET /v1/reports/prices).'),
      avg('avg_cost_usd', 'cost_usd', 'Mean cost of a generation.', 'USD'),
      countIf('unpriced_count', 'f.cost_usd IS NULL', 'Generations of unknown cost: no reported cost and no applicable price.'),
    ],
    filter_fields: filtersFor(llmDims, [
      num('input_tokens'), num('output_tokens'), num('total_tokens'), num('duration_ms'), num('time_to_first_token_ms'), num('cost_usd'),
      { name: 'error', type: 'boolean', column: 'is_error', ops: OPS_BY_TYPE.boolean },
    ]),
  },
  {
    name: 'tool_calls',
    description: 'One row per completed tool call (tool.completed events).',
    table: 'fact_tool_call',
    time_column: 'created_at',
    sources: ['event'],
    rollup: {
      table: 'rollup_tool_call_hourly', dimensions: ['tool', 'tool_display_name', 'status', 'capability'],
      sizeNote: 'Measured on the demo data (npm run seed -- --size medium, 60 days): 209,081 tool-call facts make 51,093 rollup rows (4.1×); in the largest org 125,723 facts make 17,335 rows, 12.5 an hour (7.3×).',
    },
    dimensions: toolDims,
    measures: [
      count('call_count', 'Number of tool calls.'),
      countIf('success_count', "f.status = 'success'", 'Calls with status success.'),
      countIf('error_count', "f.status = 'error'", 'Calls with status error.'),
      countIf('timeout_count', "f.status = 'timeout'", 'Calls with status timeout.'),
      countIf('cancelled_count', "f.status = 'cancelled'", 'Calls with status cancelled.'),
      sum('duration_ms', 'duration_ms', 'Total call time.', 'ms'),
      avg('avg_duration_ms', 'duration_ms', 'Mean call time.', 'ms'),
      pct(95, 'p95_duration_ms', 'duration_ms', '95th percentile call time', 'ms'),
    ],
    filter_fields: filtersFor(toolDims, [num('duration_ms')]),
  },
  {
    name: 'turns',
    description: 'One row per finished turn (turn.completed, turn.failed, turn.cancelled events).',
    table: 'fact_turn',
    time_column: 'created_at',
    sources: ['event'],
    rollup: {
      table: 'rollup_turn_hourly', dimensions: ['status'],
      sizeNote: 'Measured on the demo data (npm run seed -- --size medium, 60 days): 145,976 turn facts make 10,014 rollup rows (14.6×); in the largest org 87,619 facts make 3,014 rows, 2.2 an hour (29.1×).',
    },
    dimensions: turnDims,
    measures: [
      count('turn_count', 'Number of turns.'),
      sum('duration_ms', 'duration_ms', 'Total turn time.', 'ms'),
      avg('avg_duration_ms', 'duration_ms', 'Mean turn time.', 'ms'),
      pct(95, 'p95_duration_ms', 'duration_ms', '95th percentile turn time', 'ms'),
      sum('iterations', 'iterations', 'Agent-loop iterations.'),
      sum('tool_call_count', 'tool_call_count', 'Tool calls made in the turns.'),
      ...tokenSums(),
      countIf('success_count', "f.status = 'completed'", 'Turns that completed.'),
      countIf('error_count', "f.status = 'failed'", 'Turns that failed.'),
      costUsd("What the turns' generations cost (generations with the turn's session and turn id)."),
    ],
    filter_fields: filtersFor(turnDims, [num('duration_ms'), num('iterations'), num('tool_call_count'), num('total_tokens')]),
  },
  {
    name: 'sessions',
    description: 'One row per session.',
    table: 'fact_session',
    time_column: 'created_at',
    sources: ['session'],
    rollup: {
      table: 'rollup_session_hourly', dimensions: ['status'],
      sizeNote: 'Measured on the demo data (npm run seed -- --size medium, 60 days): 48,757 session facts make 9,976 rollup rows (4.9×); in the largest org 29,265 facts make 3,349 rows, 2.4 an hour (8.7×).',
    },
    dimensions: sessionDims,
    measures: [
      count('session_count', 'Number of sessions.'),
      sum('duration_ms', 'duration_ms', 'Total session time (finished − started).', 'ms'),
      avg('avg_duration_ms', 'duration_ms', 'Mean session time; sessions not finished are ignored.', 'ms'),
      pct(95, 'p95_duration_ms', 'duration_ms', '95th percentile session time', 'ms'),
      sum('turn_count', 'turn_count', 'Turns in the sessions.'),
      sum('tool_call_count', 'tool_call_count', 'Tool calls in the sessions.'),
      ...tokenSums(),
      { name: 'unique_users', aggregation: 'count_distinct', column: 'user_id', type: 'integer', description: 'Distinct users (sessions without a user are not counted).' },
      costUsd("What the sessions' generations cost."),
    ],
    filter_fields: filtersFor(sessionDims, [num('duration_ms'), num('turn_count'), num('tool_call_count'), num('total_tokens')]),
  },
  {
    name: 'budget_postings',
    description: 'One row per usage-ledger posting. amount is signed: >= 0 debit, < 0 credit.',
    table: 'fact_budget_posting',
    time_column: 'created_at',
    sources: ['usage_ledger'],
    rollup: {
      table: 'rollup_budget_posting_hourly', dimensions: ['budget', 'subject_type', 'currency', 'meter_source', 'ref_type'],
      sizeNote: 'Measured on the demo data (npm run seed -- --size medium, 60 days): 240,811 posting facts make 26,308 rollup rows (9.2×); in the largest org 144,525 facts make 9,179 rows, 6.5 an hour (15.7×).',
    },
    dimensions: budgetDims,
    measures: [
      { name: 'amount', aggregation: 'sum', column: 'amount', type: 'number', description: 'Net amount (debits minus credits).' },
      { name: 'debit_amount', aggregation: 'sum_if', column: 'amount', condition: 'f.amount >= 0', type: 'number', description: 'Sum of debits (amount >= 0).' },
      { name: 'credit_amount', aggregation: 'sum_if', column: 'amount', condition: 'f.amount < 0', type: 'number', description: 'Sum of credits as a negative number (amount < 0); amount = debit_amount + credit_amount.' },
      countIf('debit_count', 'f.amount >= 0', 'Number of debits.'),
      countIf('credit_count', 'f.amount < 0', 'Number of credits.'),
    ],
    filter_fields: filtersFor(budgetDims, [num('amount')]),
  },
  {
    name: 'capability_usage',
    description: 'One row per capability usage (capability.usage events): a capability configured, resolved, exposed to the model, invoked, or its effect ran.',
    table: 'fact_capability_usage',
    time_column: 'created_at',
    sources: ['event'],
    rollup: {
      table: 'rollup_capability_usage_hourly', dimensions: ['capability', 'capability_name', 'kind', 'tool'],
      sizeNote: 'Not measured at demo size yet; like tool_calls (same own dimensions, fewer of them) rows grow with hours × combinations in use, not with facts.',
    },
    dimensions: capabilityDims,
    measures: [
      count('usage_count', 'Number of capability usages.'),
      sum('duration_ms', 'duration_ms', 'Total usage time.', 'ms'),
      avg('avg_duration_ms', 'duration_ms', 'Mean usage time.', 'ms'),
    ],
    filter_fields: filtersFor(capabilityDims, [num('duration_ms')]),
  },
];

export const DATASET_BY_NAME = new Map(DATASETS.map((d) => [d.name, d]));
