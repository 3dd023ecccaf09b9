import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { OUTBOX_TYPES } from '#src/pipeline/pipeline.vocabulary.js';
import { decimalInt, IsIntInRange } from '#src/common/validation/validators.js';

// SPEC seeds: counts are int64.
const COUNT = { type: 'integer', format: 'int64', minimum: 0 } as const;

export class ProjectorRunQuery {
  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: 5000, default: 100, description: 'Most outbox rows to claim in this pass (decimal digits).' })
  @IsOptional() @Transform(decimalInt) @IsIntInRange(1, 5000) limit: number = 100;
}

export class ProjectorRunResultDto {
  @ApiProperty({ ...COUNT, description: 'Outbox rows claimed by this run.', example: 1 }) claimed: number;
  @ApiProperty({ ...COUNT, description: 'Claimed rows that completed.', example: 1 }) completed: number;
  @ApiProperty({ ...COUNT, description: 'Claimed rows that failed (retried later, or failed at the retry limit).', example: 0 }) failed: number;
}

export class BackfillRequestDto {
  @ApiPropertyOptional({ type: 'integer', format: 'int64', minimum: 1, maximum: 100000, default: 1000, example: 5000, description: 'Most outbox rows to enqueue across all source types.' })
  @IsOptional() @IsInt() @Min(1) @Max(100000) limit: number = 1000;
}

export class BackfillResultDto {
  @ApiProperty({ ...COUNT, description: 'Total rows enqueued (the sum of the others).', example: 4 }) enqueued: number;
  @ApiProperty({ ...COUNT, example: 1, description: 'Event outbox rows enqueued.' }) events: number;
  @ApiProperty({ ...COUNT, example: 1, description: 'LLM generation outbox rows enqueued.' }) llm_generations: number;
  @ApiProperty({ ...COUNT, example: 1, description: 'Session outbox rows enqueued.' }) sessions: number;
  @ApiProperty({ ...COUNT, example: 1, description: 'Usage-ledger outbox rows enqueued.' }) usage_ledger: number;
}

export class OutboxRetryRequestDto {
  @ApiPropertyOptional({ type: [String], minItems: 1, maxItems: 10000, description: 'Outbox row ids (positive integer strings) to retry; absent = every failed row of your org.', example: ['42'] })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(10000) @Matches(/^[1-9]\d{0,17}$/, { each: true, message: 'each id must be an outbox row id (a positive integer string)' })
  ids?: string[];
}

export class OutboxRetryResultDto {
  @ApiProperty({ ...COUNT, description: 'Failed rows moved back to pending.', example: 1 }) retried: number;
}

export class DatasetFreshnessDto {
  @ApiProperty({ example: 'llm_generations' }) dataset: string;
  @ApiProperty({ format: 'date-time', example: '2026-05-01T12:00:00Z', description: 'Every change of the dataset sources up to this instant is projected.' }) as_of: string;
  @ApiProperty({ type: 'integer', format: 'int64', nullable: true, example: 0, description: 'now − as_of in ms; null when unknown.' }) freshness_lag_ms: number | null;
}

export class OutboxCountsDto {
  @ApiProperty({ ...COUNT, example: 3 }) pending: number;
  @ApiProperty({ ...COUNT, example: 0 }) processing: number;
  @ApiProperty({ ...COUNT, example: 1200 }) completed: number;
  @ApiProperty({ ...COUNT, example: 1 }) failed: number;
}

export class FailedRowDto {
  @ApiProperty({ example: '42' }) id: string;
  @ApiProperty({ enum: OUTBOX_TYPES, example: 'llm_generation', description: 'A source type, or `reprice`: re-pricing work after a price change (SPEC §10).' }) source_type: string;
  @ApiProperty({ example: 'gen_0190b5a0000070008000000000000001' }) source_id: string;
  @ApiProperty({ type: 'integer', format: 'int32', example: 8, description: 'Claims so far (counted at claim time).' }) attempts: number;
  @ApiProperty({ nullable: true, type: String, example: 'duplicate key value violates unique constraint', description: 'The last failure (bounded length); null when none was recorded.' }) last_error: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-05-01T12:00:00Z' }) updated_at: string;
}

export class DiagnosticsDto {
  @ApiProperty({ type: [DatasetFreshnessDto] }) datasets: DatasetFreshnessDto[];
  @ApiProperty({ type: OutboxCountsDto }) outbox: OutboxCountsDto;
  @ApiProperty({ type: 'integer', format: 'int64', nullable: true, example: 250, description: 'Age of the oldest pending row in ms; null when none.' }) oldest_pending_age_ms: number | null;
  @ApiProperty({ type: [FailedRowDto], description: 'The 20 most recently failed rows.' }) recent_failures: FailedRowDto[];
}
