import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsObject, IsOptional, IsString, Length, Max, Min, ValidateNested,
} from 'class-validator';
import { IsCount, IsDecimal, IsPublicId, IsRfc3339 } from '../common/validation/validators.js';

const closed = (allowed: readonly string[]) => ({ context: { allowed: [...allowed] } });
export const SESSION_STATUSES = ['running', 'completed', 'failed', 'cancelled'] as const;
export const CHANNEL_TYPES = ['slack', 'ag_ui', 'webhook', 'a2a', 'fcp', 'schedule', 'api_endpoint'] as const;
export const APP_RUN_STATUSES = ['ok', 'err', 'running'] as const;
const ID = { example: 'session_0190b5a0000070008000000000000001' };
const TIME = { example: '2026-05-01T12:00:00Z', format: 'date-time' };

export class SessionRecordDto {
  @ApiProperty(ID) @IsPublicId('session') id: string;
  @ApiProperty({ enum: SESSION_STATUSES }) @IsIn(SESSION_STATUSES, closed(SESSION_STATUSES)) status: string;
  @ApiProperty(TIME) @IsRfc3339() created_at: string;
  @ApiPropertyOptional({ ...TIME, nullable: true }) @IsOptional() @IsRfc3339() started_at?: string | null;
  @ApiPropertyOptional({ ...TIME, nullable: true }) @IsOptional() @IsRfc3339() finished_at?: string | null;
  @ApiPropertyOptional({ ...TIME, nullable: true }) @IsOptional() @IsRfc3339() last_active_at?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsPublicId('agent') agent_id?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @Length(0, 500) agent_name?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsPublicId('harness') harness_id?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @Length(0, 500) harness_name?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsPublicId('app') app_id?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @Length(1, 200) blueprint_id?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsPublicId('user') user_id?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsPublicId('principal') principal_id?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsCount() input_tokens?: number | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsCount() output_tokens?: number | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsCount() total_tokens?: number | null;
}

export class EventRecordDto {
  @ApiProperty({ example: 'event_0190b5a0000070008000000000000001' }) @IsPublicId('event') id: string;
  @ApiProperty(ID) @IsPublicId('session') session_id: string;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsPublicId('turn') turn_id?: string | null;
  @ApiProperty({ example: 'tool.completed', description: 'tool.completed and turn.completed|failed|cancelled feed facts; other types are stored only.' })
  @IsString() @Length(1, 100) type: string;
  @ApiProperty(TIME) @IsRfc3339() created_at: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'tool.completed: {tool_name, tool_display_name?, capability_id?, status, duration_ms?}; turn.*: {duration_ms?, iterations?, input_tokens?, output_tokens?}' })
  @IsOptional() @IsObject() data?: Record<string, unknown> | null;
}

export class LlmGenerationRecordDto {
  @ApiProperty({ example: 'gen_0190b5a0000070008000000000000001' }) @IsPublicId('gen') id: string;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsPublicId('session') session_id?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsPublicId('turn') turn_id?: string | null;
  @ApiProperty({ example: 'gpt-5' }) @IsString() @Length(1, 200) model: string;
  @ApiProperty({ example: 'openai' }) @IsString() @Length(1, 200) provider: string;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @Length(1, 100) finish_reason?: string | null;
  @ApiProperty() @IsCount() input_tokens: number;
  @ApiProperty() @IsCount() output_tokens: number;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsCount() cache_read_tokens?: number | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsCount() cache_creation_tokens?: number | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsCount() duration_ms?: number | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsCount() time_to_first_token_ms?: number | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsBoolean() error?: boolean | null;
  @ApiProperty(TIME) @IsRfc3339() created_at: string;
}

export class UsageLedgerRecordDto {
  @ApiProperty({ example: 'ledger_0190b5a0000070008000000000000001' }) @IsPublicId('ledger') id: string;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsPublicId('session') session_id?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsPublicId('budget') budget_id?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @Length(1, 100) subject_type?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @Length(1, 200) subject_id?: string | null;
  @ApiProperty({ example: 'USD' }) @IsString() @Length(1, 16) currency: string;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @Length(1, 100) meter_source?: string | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @Length(1, 100) ref_type?: string | null;
  @ApiProperty({ example: 1.25, description: 'Signed: >= 0 is a debit, < 0 a credit.' })
  @IsDecimal(8) @Min(-1e15) @Max(1e15) amount: number;
  @ApiProperty(TIME) @IsRfc3339() created_at: string;
}

export class AppChannelRecordDto {
  @ApiProperty({ example: 'appchan_0190b5a0000070008000000000000001' }) @IsPublicId('appchan') id: string;
  @ApiProperty({ enum: CHANNEL_TYPES }) @IsIn(CHANNEL_TYPES, closed(CHANNEL_TYPES)) type: string;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @Length(1, 200) name?: string | null;
}

export class AppRecordDto {
  @ApiProperty({ example: 'app_0190b5a0000070008000000000000001' }) @IsPublicId('app') id: string;
  @ApiProperty({ example: 'Support bot' }) @IsString() @Length(1, 200) name: string;
  @ApiProperty({ type: [AppChannelRecordDto] })
  @IsArray() @ArrayMaxSize(100) @ValidateNested({ each: true }) @Type(() => AppChannelRecordDto) channels: AppChannelRecordDto[];
}

export class AppRunRecordDto {
  @ApiProperty({ example: 'apprun_0190b5a0000070008000000000000001' }) @IsPublicId('apprun') id: string;
  @ApiProperty({ example: 'app_0190b5a0000070008000000000000001' }) @IsPublicId('app') app_id: string;
  @ApiProperty({ example: 'appchan_0190b5a0000070008000000000000001' }) @IsPublicId('appchan') channel_id: string;
  @ApiProperty({ enum: APP_RUN_STATUSES }) @IsIn(APP_RUN_STATUSES, closed(APP_RUN_STATUSES)) status: string;
  @ApiProperty(TIME) @IsRfc3339() created_at: string;
  @ApiPropertyOptional({ ...TIME, nullable: true }) @IsOptional() @IsRfc3339() completed_at?: string | null;
}

const batch = (description: string) => ({ description: `${description} (1–5000 per request)`, minItems: 1, maxItems: 5000 });
const records = () => [IsArray(), ArrayMinSize(1), ArrayMaxSize(5000), ValidateNested({ each: true })];
const apply = (decorators: PropertyDecorator[]): PropertyDecorator => (t, k) => decorators.forEach((d) => d(t, k));

export class IngestSessionsDto {
  @ApiProperty({ type: [SessionRecordDto], ...batch('Sessions') }) @apply(records()) @Type(() => SessionRecordDto) records: SessionRecordDto[];
}
export class IngestEventsDto {
  @ApiProperty({ type: [EventRecordDto], ...batch('Events') }) @apply(records()) @Type(() => EventRecordDto) records: EventRecordDto[];
}
export class IngestLlmGenerationsDto {
  @ApiProperty({ type: [LlmGenerationRecordDto], ...batch('LLM generations') }) @apply(records()) @Type(() => LlmGenerationRecordDto) records: LlmGenerationRecordDto[];
}
export class IngestUsageLedgerDto {
  @ApiProperty({ type: [UsageLedgerRecordDto], ...batch('Usage-ledger postings') }) @apply(records()) @Type(() => UsageLedgerRecordDto) records: UsageLedgerRecordDto[];
}
export class IngestAppsDto {
  @ApiProperty({ type: [AppRecordDto], ...batch('Apps with their channels') }) @apply(records()) @Type(() => AppRecordDto) records: AppRecordDto[];
}
export class IngestAppRunsDto {
  @ApiProperty({ type: [AppRunRecordDto], ...batch('App runs') }) @apply(records()) @Type(() => AppRunRecordDto) records: AppRunRecordDto[];
}

export class IngestResultDto {
  @ApiProperty({ description: 'Records accepted: all of the batch, or none (a bad record rejects the batch).', example: 2 }) accepted: number;
  @ApiProperty({ description: 'Outbox rows added for projection (unchanged records add none).', example: 2 }) enqueued: number;
}
