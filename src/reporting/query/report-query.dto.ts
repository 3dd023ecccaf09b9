import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { DATASET_BY_NAME, DATASETS, FILTER_OPS, GRANULARITIES, LIMITS, TOP_N, TOP_OTHER_LABEL } from '#src/reporting/catalog/catalog.js';
import { NULL_SEMANTICS } from '#src/reporting/catalog/catalog.service.js';
import { CALENDAR_RANGES, COMPARE_MODES } from './time-range.js';

/*
 * OpenAPI shapes of the semantic query API. Bodies are validated by the catalog-aware validator
 * (report-query.validate.ts), which reports every problem at once; these classes document them.
 */

// The examples are read from the catalog (SPEC §6), so a renamed column cannot leave a stale
// example behind; an e2e test runs the example query.
const exampleDataset = DATASET_BY_NAME.get('sessions') ?? DATASETS[0];
const named = (list: { name: string }[], name: string) => (list.find((x) => x.name === name) ?? list[0]).name;
const exampleDimension = named(exampleDataset.dimensions, 'status');
const exampleMeasures = [named(exampleDataset.measures, 'session_count'), named(exampleDataset.measures, 'avg_duration_ms')];

/** A valid ReportQuery (the seed's example without its org_id ordering). */
export const REPORT_QUERY_EXAMPLE = {
  dataset: exampleDataset.name,
  time_range: { from: '2026-04-24T00:00:00Z', to: '2026-05-24T00:00:00Z' },
  dimensions: [exampleDimension],
  measures: exampleMeasures,
  filters: [{ field: named(exampleDataset.filter_fields, 'status'), op: 'neq', value: 'running' }],
  order_by: [{ measure: exampleMeasures[0], direction: 'desc' }],
  limit: LIMITS.default_limit,
  timezone: 'UTC',
};

export class TimeRangeDto {
  @ApiProperty({ format: 'date-time', example: '2026-04-24T00:00:00Z', description: 'Inclusive start (RFC 3339).' }) from: string;
  @ApiProperty({ format: 'date-time', example: '2026-05-24T00:00:00Z', description: 'Exclusive end (RFC 3339); at most 400 days after from.' }) to: string;
}

export class ReportFilterDto {
  @ApiProperty({ example: REPORT_QUERY_EXAMPLE.filters[0].field, description: 'A filter field of the dataset (catalog filter_fields).' }) field: string;
  @ApiProperty({ enum: FILTER_OPS, example: REPORT_QUERY_EXAMPLE.filters[0].op, description: `Null semantics: ${NULL_SEMANTICS}` }) op: string;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'number' }] } }],
    example: REPORT_QUERY_EXAMPLE.filters[0].value,
    description: `A scalar for eq/neq/gt/gte/lt/lte, an array of 1–${LIMITS.max_in_values} for in/not_in, a boolean for is_null; never null. Typed by the field: numbers, RFC 3339 times, public ids, strings. ${NULL_SEMANTICS}`,
  })
  value: unknown;
}

/** SPEC §11: a range ending when the query runs. */
export class LastTimeRangeDto {
  @ApiProperty({ pattern: '^[1-9][0-9]{0,5}[mhdw]$', example: '7d', description: 'A positive whole number and a unit: m (minutes), h (hours), d (days), w (weeks); at most 400 days, ending now.' }) last: string;
}

/** SPEC §11: the calendar period around now, in the query's timezone. */
export class CalendarTimeRangeDto {
  @ApiProperty({ enum: CALENDAR_RANGES, example: 'this_month', description: "The whole period (its first instant to the next period's) containing now, in the query's timezone; weeks start Monday." }) calendar: string;
}

// An order_by entry names exactly one of dimension or measure: two schemas under oneOf, so a
// generated client (and Swagger UI's example) never sends both.
const DIRECTION = { enum: ['asc', 'desc'], default: 'asc', description: 'asc (default) or desc.' };
export class ReportOrderByDimensionDto {
  @ApiProperty({ example: exampleDimension, description: 'A selected dimension.' }) dimension: string;
  @ApiPropertyOptional(DIRECTION) direction?: string;
}
export class ReportOrderByMeasureDto {
  @ApiProperty({ example: exampleMeasures[0], description: 'A selected measure, or row_count when none is selected.' }) measure: string;
  @ApiPropertyOptional(DIRECTION) direction?: string;
}

/** SPEC §11 top: keep only the n largest values of one dimension. */
export class ReportTopDto {
  @ApiProperty({ example: 'model', description: 'A selected dimension other than a time bucket.' }) dimension: string;
  @ApiProperty({ type: 'integer', format: 'int32', minimum: TOP_N.min, maximum: TOP_N.max, example: 3, description: 'How many values to keep.' }) n: number;
  @ApiProperty({ example: 'total_tokens', description: 'A selected measure (row_count when none is selected): the values with the largest total over the whole range (all time buckets and other dimensions) are kept; ties go to the smaller value, nulls rank last.' }) by: string;
  @ApiPropertyOptional({
    default: false,
    description: `true: the other values are merged into one row per combination of the other dimensions, labelled "${TOP_OTHER_LABEL}", with every measure computed over their facts (a true average or percentile, not one of the kept rows' figures).`,
  })
  other?: boolean;
}

@ApiExtraModels(ReportOrderByDimensionDto, ReportOrderByMeasureDto, TimeRangeDto, LastTimeRangeDto, CalendarTimeRangeDto)
export class ReportQueryDto {
  @ApiProperty({ enum: DATASETS.map((d) => d.name), example: REPORT_QUERY_EXAMPLE.dataset, description: 'GET /v1/reports/catalog lists each dataset with its dimensions, measures and filter fields.' }) dataset: string;
  @ApiProperty({
    oneOf: [{ $ref: getSchemaPath(TimeRangeDto) }, { $ref: getSchemaPath(LastTimeRangeDto) }, { $ref: getSchemaPath(CalendarTimeRangeDto) }],
    description: 'Absolute {from, to}, or relative: {"last": "7d"} (ending now) or {"calendar": "this_month"} (in the query\'s timezone), resolved when the query runs; the result echoes the absolute range in time_range.',
  })
  time_range: TimeRangeDto | LastTimeRangeDto | CalendarTimeRangeDto;
  @ApiPropertyOptional({ type: [String], example: REPORT_QUERY_EXAMPLE.dimensions, maxItems: LIMITS.max_dimensions, description: `Group-by columns of the dataset, including the time buckets ${GRANULARITIES.join('/')}; no duplicates. None: one aggregate row.` }) dimensions?: string[];
  @ApiPropertyOptional({ type: [String], example: REPORT_QUERY_EXAMPLE.measures, maxItems: LIMITS.max_measures, description: 'Aggregates of the dataset; no duplicates. None: a row_count column.' }) measures?: string[];
  @ApiPropertyOptional({ type: [ReportFilterDto], maxItems: LIMITS.max_filters, description: 'ANDed predicates.' }) filters?: ReportFilterDto[];
  @ApiPropertyOptional({
    type: 'array',
    items: { oneOf: [{ $ref: getSchemaPath(ReportOrderByDimensionDto) }, { $ref: getSchemaPath(ReportOrderByMeasureDto) }] },
    description: 'Selected columns only. Default: time buckets ascending, else the first measure descending; ties broken by the dimensions.',
  })
  order_by?: (ReportOrderByDimensionDto | ReportOrderByMeasureDto)[];
  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: LIMITS.max_limit, default: LIMITS.default_limit, description: 'Most rows to return (truncated says when more matched).' }) limit?: number;
  @ApiPropertyOptional({ example: 'Europe/Berlin', default: 'UTC', description: 'IANA zone for time buckets.' }) timezone?: string;
  @ApiPropertyOptional({
    enum: ['zero'],
    description: 'Needs exactly one time bucket among the dimensions: every bucket of the range appears for each combination of the other dimensions present in the result; sums and counts of an empty bucket are 0, averages and percentiles null.',
  })
  fill?: string;
  @ApiPropertyOptional({
    enum: COMPARE_MODES,
    description:
      'Adds, after each measure m, m_previous (the same query over the previous range) and m_change ((m − m_previous) / m_previous; null when m_previous is 0 or null). ' +
      'previous_year: both edges one calendar year earlier in the query timezone. previous_period: the range of equal length just before — whole calendar months ' +
      '(both edges on a month start) → the same number of months before; whole days (both edges at midnight) → the same number of days before; else the same duration before. ' +
      'Rows pair on the other dimensions and their time bucket by position (the k-th bucket with the k-th); the rows are the current range\'s. At most one time bucket. ' +
      'The result echoes the range compared with in previous_time_range.',
  })
  compare?: string;
  @ApiPropertyOptional({
    type: [String],
    example: ['total_tokens'],
    maxItems: LIMITS.max_measures,
    description: 'Selected additive measures (sums and counts; row_count when none is selected): adds m_cumulative after m (and before m_previous), the running total in time-bucket order per combination of the other dimensions, over the current range. Needs exactly one time bucket; with fill "zero" it carries across empty buckets.',
  })
  cumulative?: string[];
  @ApiPropertyOptional({ type: ReportTopDto, description: 'Only the n values of one dimension with the largest `by` over the whole range (chosen on the current range when comparing).' }) top?: ReportTopDto;
  @ApiPropertyOptional({
    default: false,
    description: 'true: answer from the facts, so percentiles are exact (served_by "facts"). Otherwise a percentile on dimensions the rollup covers is answered from its sketches, within 1 % (see approximate in the result).',
  })
  exact?: boolean;
}

/** SPEC §15: a measure answered approximately. */
export class ReportApproximationDto {
  @ApiProperty({ example: 'p95_duration_ms', description: 'A selected measure.' }) measure: string;
  @ApiProperty({ example: 0.01, description: "Bound on |answer − exact| ÷ |exact|, exact being percentile_cont's value over the same rows (for values of one sign; durations are never negative)." }) relative_error: number;
}

export class ReportColumnDto {
  @ApiProperty({ example: 'status' }) name: string;
  @ApiProperty({ enum: ['dimension', 'measure'], example: 'dimension' }) kind: string;
}

export class ReportResultDto {
  @ApiPropertyOptional({
    type: [ReportApproximationDto],
    description: 'Present only when some measure is approximate: percentiles answered from the hourly rollup\'s sketches (served_by "rollup"). Send exact: true for the exact values from the facts.',
  })
  approximate?: ReportApproximationDto[];
  @ApiProperty({ format: 'date-time', description: 'Every change of the dataset sources up to this instant is reflected.' }) as_of: string;
  @ApiProperty({ type: [ReportColumnDto], description: 'Dimensions first, in query order.' }) columns: ReportColumnDto[];
  @ApiProperty({ type: 'integer', format: 'int64', nullable: true, description: 'now − as_of in ms (0 when nothing is pending); null when unknown.' }) freshness_lag_ms: number | null;
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'One object per row keyed by column name: measures are numbers (averages and percentiles null when nothing is known), ids public ids, time buckets RFC 3339 in the query timezone.',
    example: [{ [exampleDimension]: 'completed', [exampleMeasures[0]]: 42, [exampleMeasures[1]]: 1830.5 }],
  })
  rows: Record<string, unknown>[];
  @ApiProperty({ enum: ['facts', 'rollup', 'rollup+facts'], description: "Which store answered the query: the hourly rollup, the facts, or both (`rollup+facts`: the rollup for the range's whole UTC hours and the facts for its partial first and last hours). The answer is the same whichever it is." }) served_by: string;
  @ApiProperty({ type: TimeRangeDto, description: "The absolute range the query ran over (a relative one resolved), RFC 3339 with the query timezone's offsets." }) time_range: TimeRangeDto;
  @ApiPropertyOptional({ type: TimeRangeDto, description: 'With compare only: the absolute range the *_previous columns were computed over.' }) previous_time_range?: TimeRangeDto;
  @ApiProperty({ description: 'More rows matched than limit.' }) truncated: boolean;
}

export class ExportRequestDto {
  @ApiPropertyOptional({ enum: ['csv'], default: 'csv' }) format?: string;
  @ApiProperty({ type: ReportQueryDto, description: `A ReportQuery; limit may go up to ${LIMITS.export_max_rows} here (${LIMITS.stream_max_rows} when streaming) and defaults to that cap.` }) query: ReportQueryDto;
}

export class SavedReportExportRequestDto {
  @ApiPropertyOptional({ enum: ['csv'], default: 'csv' }) format?: string;
}

export class ExportEnvelopeDto {
  @ApiProperty({ format: 'date-time' }) as_of: string;
  @ApiProperty({ description: 'The CSV text.' }) content: string;
  @ApiProperty({ example: 'text/csv; charset=utf-8' }) content_type: string;
  @ApiProperty({ example: 'report.csv' }) filename: string;
  @ApiProperty({ enum: ['csv'] }) format: string;
  @ApiProperty({ type: 'integer', format: 'int64', nullable: true, description: 'now − as_of in ms (0 when nothing is pending); null when unknown.' }) freshness_lag_ms: number | null;
  @ApiProperty({ type: TimeRangeDto, description: 'The absolute range exported (a relative one resolved).' }) time_range: TimeRangeDto;
}
