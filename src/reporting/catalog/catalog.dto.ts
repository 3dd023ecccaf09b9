import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ADDITIVE_AGGREGATIONS, FILTER_OPS, GRANULARITIES, TOP_N, TOP_OTHER_LABEL } from './catalog.js';
import { COMPARE_MODES } from '#src/reporting/query/time-range.js';

export class CatalogDimensionDto {
  @ApiProperty({ example: 'model' }) name: string;
  @ApiProperty({ enum: ['string', 'id', 'time'] }) type: string;
  @ApiProperty({ description: 'What it means, in a sentence.' }) description: string;
}
export class CatalogMeasureDto {
  @ApiProperty({ example: 'total_tokens' }) name: string;
  @ApiProperty({ enum: ['count', 'sum', 'avg', 'p50', 'p95', 'count_distinct', 'count_if', 'sum_if'] }) aggregation: string;
  @ApiProperty({ enum: ['integer', 'number'] }) type: string;
  @ApiPropertyOptional({ example: 'tokens' }) unit?: string;
  @ApiProperty({ description: 'A sum or a count: its value over a union of rows is the sum over the parts, so a query may ask for its running total (cumulative).' }) additive: boolean;
  @ApiProperty({ description: 'What it means, in a sentence.' }) description: string;
  @ApiPropertyOptional({ description: 'Present (true) on percentiles the hourly rollup answers from sketches: approximate when served_by is "rollup" (exact: true on a query forces the exact answer).' }) approximate?: boolean;
  @ApiPropertyOptional({ example: 0.01, description: 'With approximate: the bound on |answer − exact| ÷ |exact| of a rollup-served answer.' }) relative_error?: number;
}
export class CatalogFilterFieldDto {
  @ApiProperty({ example: 'model' }) name: string;
  @ApiProperty({ enum: ['string', 'id', 'number', 'time', 'boolean'] }) type: string;
  @ApiProperty({ enum: FILTER_OPS, isArray: true }) ops: string[];
}
export class CatalogLimitsDto {
  @ApiProperty({ type: 'integer', format: 'int32' }) max_dimensions: number;
  @ApiProperty({ type: 'integer', format: 'int32' }) max_measures: number;
  @ApiProperty({ type: 'integer', format: 'int32' }) max_filters: number;
  @ApiProperty({ type: 'integer', format: 'int32' }) max_in_values: number;
  @ApiProperty({ type: 'integer', format: 'int32' }) max_limit: number;
  @ApiProperty({ type: 'integer', format: 'int32' }) default_limit: number;
  @ApiProperty({ type: 'integer', format: 'int32' }) max_range_days: number;
  @ApiProperty({ type: 'integer', format: 'int32' }) export_max_rows: number;
  @ApiProperty({ type: 'integer', format: 'int32' }) stream_max_rows: number;
}
export class CatalogRollupDto {
  @ApiProperty({ enum: ['hour'] }) granularity: string;
  @ApiProperty({ type: [String], example: ['model', 'provider', 'finish_reason'], description: 'Dimensions (and filter fields) the rollup keeps.' }) dimensions: string[];
  @ApiProperty({ type: [String], example: ['generation_count', 'total_tokens', 'avg_duration_ms'], description: 'Measures it can answer: sums, counts and averages exactly; percentiles approximately (measures marked approximate).' }) measures: string[];
  @ApiProperty({ description: 'When the planner uses it, and how large it is compared with the facts.' }) description: string;
}
export class CatalogDatasetDto {
  @ApiProperty({ example: 'llm_generations' }) name: string;
  @ApiProperty({ description: 'What it means, in a sentence.' }) description: string;
  @ApiProperty({ example: 'created_at' }) time_column: string;
  @ApiProperty({ type: [CatalogDimensionDto] }) dimensions: CatalogDimensionDto[];
  @ApiProperty({ type: [CatalogMeasureDto] }) measures: CatalogMeasureDto[];
  @ApiProperty({ type: [CatalogFilterFieldDto] }) filter_fields: CatalogFilterFieldDto[];
  @ApiProperty({ enum: GRANULARITIES, isArray: true }) granularities: string[];
  @ApiProperty({ type: CatalogLimitsDto }) limits: CatalogLimitsDto;
  @ApiProperty({ type: CatalogRollupDto, description: 'The hourly rollup that answers common queries without reading the facts (results say served_by).' }) rollup: CatalogRollupDto;
}
export class CatalogFillOptionDto {
  @ApiProperty({ enum: ['zero'], isArray: true }) values: string[];
  @ApiProperty({ description: 'Needs exactly one time bucket among the dimensions.' }) needs_time_bucket: boolean;
  @ApiProperty() description: string;
}
export class CatalogCompareOptionDto {
  @ApiProperty({ enum: COMPARE_MODES, isArray: true }) values: string[];
  @ApiProperty({ type: [String], example: ['{m}_previous', '{m}_change'], description: 'The columns added after each measure m ({m} stands for its name).' }) columns: string[];
  @ApiProperty({ type: 'integer', format: 'int32', description: 'The most time buckets among the dimensions (buckets pair by position).' }) max_time_buckets: number;
  @ApiProperty() description: string;
}
export class CatalogCumulativeOptionDto {
  @ApiProperty({ enum: ADDITIVE_AGGREGATIONS, isArray: true, description: 'The aggregations a running total applies to (measures marked additive).' }) aggregations: string[];
  @ApiProperty({ type: [String], example: ['{m}_cumulative'] }) columns: string[];
  @ApiProperty({ description: 'Needs exactly one time bucket among the dimensions.' }) needs_time_bucket: boolean;
  @ApiProperty() description: string;
}
export class CatalogTopOptionDto {
  @ApiProperty({ type: 'integer', format: 'int32', example: TOP_N.min }) n_min: number;
  @ApiProperty({ type: 'integer', format: 'int32', example: TOP_N.max }) n_max: number;
  @ApiProperty({ example: TOP_OTHER_LABEL, description: 'The dimension value of the merged row (other: true).' }) other_label: string;
  @ApiProperty() description: string;
}
/** SPEC §11: the query options beyond dimensions, measures and filters, and how they combine. */
export class CatalogQueryOptionsDto {
  @ApiProperty({ type: CatalogFillOptionDto }) fill: CatalogFillOptionDto;
  @ApiProperty({ type: CatalogCompareOptionDto }) compare: CatalogCompareOptionDto;
  @ApiProperty({ type: CatalogCumulativeOptionDto }) cumulative: CatalogCumulativeOptionDto;
  @ApiProperty({ type: CatalogTopOptionDto }) top: CatalogTopOptionDto;
  @ApiProperty({ type: [String], description: 'How the options combine, one rule a line.' }) combinations: string[];
}
export class CatalogDto {
  @ApiProperty({ type: [CatalogDatasetDto] }) datasets: CatalogDatasetDto[];
  @ApiProperty({ type: CatalogQueryOptionsDto }) query_options: CatalogQueryOptionsDto;
  @ApiProperty({
    description: 'How filters treat missing (null) values.',
    example: 'eq/in never match null; neq/not_in keep rows whose value is null; use is_null to select or exclude them.',
  })
  null_semantics: string;
}
