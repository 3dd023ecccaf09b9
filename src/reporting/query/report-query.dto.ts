import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DATASETS, FILTER_OPS, LIMITS } from '../catalog/catalog.js';

/*
 * OpenAPI shapes of the semantic query API. Bodies are validated by the catalog-aware validator
 * (report-query.validate.ts), which reports every problem at once; these classes document them.
 */

export class TimeRangeDto {
  @ApiProperty({ format: 'date-time', example: '2026-04-24T00:00:00Z', description: 'Inclusive start (RFC 3339).' }) from: string;
  @ApiProperty({ format: 'date-time', example: '2026-05-24T00:00:00Z', description: 'Exclusive end (RFC 3339); at most 400 days after from.' }) to: string;
}

export class ReportFilterDto {
  @ApiProperty({ example: 'status', description: 'A filter field of the dataset (catalog filter_fields).' }) field: string;
  @ApiProperty({ enum: FILTER_OPS, example: 'eq' }) op: string;
  @ApiProperty({
    example: 'completed',
    description: 'A scalar for eq/neq/gt/gte/lt/lte, an array of 1–500 for in/not_in, a boolean for is_null. Typed by the field: numbers, RFC 3339 times, public ids, strings. neq and not_in keep rows whose value is null; eq and in never match null.',
  })
  value: unknown;
}

export class ReportOrderDto {
  @ApiPropertyOptional({ example: 'status', description: 'A selected dimension (exactly one of dimension or measure).' }) dimension?: string;
  @ApiPropertyOptional({ example: 'session_count', description: 'A selected measure (exactly one of dimension or measure).' }) measure?: string;
  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'asc' }) direction?: string;
}

export class ReportQueryDto {
  @ApiProperty({ enum: DATASETS.map((d) => d.name), example: 'sessions' }) dataset: string;
  @ApiProperty({ type: TimeRangeDto }) time_range: TimeRangeDto;
  @ApiPropertyOptional({ type: [String], example: ['status'], maxItems: LIMITS.max_dimensions, description: 'Group-by columns, including time buckets hour/day/week/month. None: one aggregate row.' }) dimensions?: string[];
  @ApiPropertyOptional({ type: [String], example: ['session_count', 'avg_duration_ms'], maxItems: LIMITS.max_measures, description: 'Aggregates. None: a row_count column.' }) measures?: string[];
  @ApiPropertyOptional({ type: [ReportFilterDto], maxItems: LIMITS.max_filters, description: 'ANDed predicates.' }) filters?: ReportFilterDto[];
  @ApiPropertyOptional({ type: [ReportOrderDto], description: 'Default: time buckets ascending, else the first measure descending; ties broken by the dimensions.' }) order_by?: ReportOrderDto[];
  @ApiPropertyOptional({ minimum: 1, maximum: LIMITS.max_limit, default: LIMITS.default_limit }) limit?: number;
  @ApiPropertyOptional({ example: 'Europe/Berlin', default: 'UTC', description: 'IANA zone for time buckets.' }) timezone?: string;
}

export class ReportColumnDto {
  @ApiProperty({ example: 'status' }) name: string;
  @ApiProperty({ enum: ['dimension', 'measure'] }) kind: string;
}

export class ReportResultDto {
  @ApiProperty({ format: 'date-time', description: 'Every change of the dataset sources up to this instant is reflected.' }) as_of: string;
  @ApiProperty({ type: [ReportColumnDto], description: 'Dimensions first, in query order.' }) columns: ReportColumnDto[];
  @ApiProperty({ type: 'integer', nullable: true, description: 'now − as_of in ms (0 when nothing is pending).' }) freshness_lag_ms: number | null;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, example: [{ status: 'completed', session_count: 42, avg_duration_ms: 1830.5 }] }) rows: Record<string, unknown>[];
  @ApiProperty({ enum: ['facts', 'rollup'], description: 'Which store answered the query.' }) served_by: string;
  @ApiProperty({ description: 'More rows matched than limit.' }) truncated: boolean;
}

export class ExportRequestDto {
  @ApiPropertyOptional({ enum: ['csv'], default: 'csv' }) format?: string;
  @ApiProperty({ type: ReportQueryDto, description: `A ReportQuery; limit may go up to ${LIMITS.export_max_rows} here (${LIMITS.stream_max_rows} when streaming) and defaults to that cap.` }) query: ReportQueryDto;
}

export class ExportEnvelopeDto {
  @ApiProperty({ format: 'date-time' }) as_of: string;
  @ApiProperty({ description: 'The CSV text.' }) content: string;
  @ApiProperty({ example: 'text/csv; charset=utf-8' }) content_type: string;
  @ApiProperty({ example: 'report.csv' }) filename: string;
  @ApiProperty({ enum: ['csv'] }) format: string;
  @ApiProperty({ type: 'integer', nullable: true }) freshness_lag_ms: number | null;
}
