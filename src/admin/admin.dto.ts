import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { SOURCE_TYPES } from '../pipeline/pipeline.vocabulary.js';
import { decimalInt, IsIntInRange } from '../common/validation/validators.js';

export class ProjectorRunQuery {
  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: 5000, default: 100, description: 'Most outbox rows to claim in this pass (decimal digits).' })
  @IsOptional() @Transform(decimalInt) @IsIntInRange(1, 5000) limit?: number;
}

export class ProjectorRunResultDto {
  @ApiProperty({ description: 'Outbox rows claimed by this run.', example: 1 }) claimed: number;
  @ApiProperty({ description: 'Claimed rows that completed.', example: 1 }) completed: number;
  @ApiProperty({ description: 'Claimed rows that failed (retried later, or failed at the retry limit).', example: 0 }) failed: number;
}

export class BackfillRequestDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100000, default: 1000, example: 5000, description: 'Most outbox rows to enqueue across all source types.' })
  @IsOptional() @IsInt() @Min(1) @Max(100000) limit?: number;
}

export class BackfillResultDto {
  @ApiProperty({ description: 'Total rows enqueued (the sum of the others).', example: 4 }) enqueued: number;
  @ApiProperty({ example: 1 }) events: number;
  @ApiProperty({ example: 1 }) llm_generations: number;
  @ApiProperty({ example: 1 }) sessions: number;
  @ApiProperty({ example: 1 }) usage_ledger: number;
}

export class OutboxRetryRequestDto {
  @ApiPropertyOptional({ type: [String], description: 'Outbox row ids to retry; absent = every failed row of your org.', example: ['42'] })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(10000) @Matches(/^[1-9]\d{0,17}$/, { each: true, message: 'each id must be an outbox row id (a positive integer string)' })
  ids?: string[];
}

export class OutboxRetryResultDto {
  @ApiProperty({ description: 'Failed rows moved back to pending.', example: 1 }) retried: number;
}

export class DatasetFreshnessDto {
  @ApiProperty({ example: 'llm_generations' }) dataset: string;
  @ApiProperty({ format: 'date-time' }) as_of: string;
  @ApiProperty({ type: 'integer', nullable: true }) freshness_lag_ms: number | null;
}

export class OutboxCountsDto {
  @ApiProperty() pending: number;
  @ApiProperty() processing: number;
  @ApiProperty() completed: number;
  @ApiProperty() failed: number;
}

export class FailedRowDto {
  @ApiProperty({ example: '42' }) id: string;
  @ApiProperty({ enum: SOURCE_TYPES }) source_type: string;
  @ApiProperty({ example: 'gen_0190b5a0000070008000000000000001' }) source_id: string;
  @ApiProperty() attempts: number;
  @ApiProperty({ nullable: true, type: String }) last_error: string | null;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class DiagnosticsDto {
  @ApiProperty({ type: [DatasetFreshnessDto] }) datasets: DatasetFreshnessDto[];
  @ApiProperty({ type: OutboxCountsDto }) outbox: OutboxCountsDto;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Age of the oldest pending row in ms; null when none.' }) oldest_pending_age_ms: number | null;
  @ApiProperty({ type: [FailedRowDto], description: 'The 20 most recently failed rows.' }) recent_failures: FailedRowDto[];
}
