import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsObject, IsOptional, IsString, Length, Max, Min, ValidateNested,
} from 'class-validator';
import { IsCount, IsDecimal, IsPublicId, IsRfc3339 } from '#src/common/validation/validators.js';

const closed = (allowed: readonly string[]) => ({ context: { allowed: [...allowed] } });
export const SESSION_STATUSES = ['running', 'completed', 'failed', 'cancelled'] as const;
export const CHANNEL_TYPES = ['slack', 'ag_ui', 'webhook', 'a2a', 'fcp', 'schedule', 'api_endpoint'] as const;
export const APP_RUN_STATUSES = ['ok', 'err', 'running'] as const;
// Explicit types: reflection sees `string | null` as Object, which the document would call an object.
const TIME = { type: String, example: '2026-05-01T12:00:00Z', format: 'date-time' };
const OPT_TIME = { ...TIME, nullable: true };
const COUNT = { type: 'integer', format: 'int64', minimum: 0, example: 120 } as const;
const OPT_COUNT = { ...COUNT, nullable: true };
const OPT_STRING = { type: String, nullable: true };
const id = (prefix: string) => ({ type: String, example: `${prefix}_0190b5a0000070008000000000000001`, pattern: `^${prefix}_[0-9a-f]{32}$` });
const optId = (prefix: string) => ({ ...id(prefix), nullable: true });
const ID = id('session');

export class SessionRecordDto {
  @ApiProperty(ID) @IsPublicId('session') id: string;
  @ApiProperty({ enum: SESSION_STATUSES }) @IsIn(SESSION_STATUSES, closed(SESSION_STATUSES)) status: string;
  @ApiProperty(TIME) @IsRfc3339() created_at: string;
  @ApiPropertyOptional(OPT_TIME) @IsOptional() @IsRfc3339() started_at?: string | null;
  @ApiPropertyOptional(OPT_TIME) @IsOptional() @IsRfc3339() finished_at?: string | null;
  @ApiPropertyOptional(OPT_TIME) @IsOptional() @IsRfc3339() last_active_at?: string | null;
  @ApiPropertyOptional(optId('agent')) @IsOptional() @IsPublicId('agent') agent_id?: string | null;
  @ApiPropertyOptional(OPT_STRING) @IsOptional() @IsString() @Length(0, 500) agent_name?: string | null;
  @ApiPropertyOptional(optId('harness')) @IsOptional() @IsPublicId('harness') harness_id?: string | null;
  @ApiPropertyOptional(OPT_STRING) @IsOptional() @IsString() @Length(0, 500) harness_name?: string | null;
  @ApiPropertyOptional(optId('app')) @IsOptional() @IsPublicId('app') app_id?: string | null;
  @ApiPropertyOptional(OPT_STRING) @IsOptional() @IsString() @Length(1, 200) blueprint_id?: string | null;
  @ApiPropertyOptional(optId('user')) @IsOptional() @IsPublicId('user') user_id?: string | null;
  @ApiPropertyOptional(optId('principal')) @IsOptional() @IsPublicId('principal') principal_id?: string | null;
  @ApiPropertyOptional(OPT_COUNT) @IsOptional() @IsCount() input_tokens?: number | null;
  @ApiPropertyOptional(OPT_COUNT) @IsOptional() @IsCount() output_tokens?: number | null;
  @ApiPropertyOptional(OPT_COUNT) @IsOptional() @IsCount() total_tokens?: number | null;
}

export class EventRecordDto {
  @ApiProperty(id('event')) @IsPublicId('event') id: string;
  @ApiProperty(ID) @IsPublicId('session') session_id: string;
  @ApiPropertyOptional(optId('turn')) @IsOptional() @IsPublicId('turn') turn_id?: string | null;
  @ApiProperty({ example: 'tool.completed', description: 'tool.completed, turn.completed|failed|cancelled and capability.usage feed facts; other types are stored only.' })
  @IsString() @Length(1, 100) type: string;
  @ApiProperty(TIME) @IsRfc3339() created_at: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'tool.completed: {tool_name, tool_display_name?, capability_id?, status, duration_ms?}; turn.*: {duration_ms?, iterations?, input_tokens?, output_tokens?}; capability.usage: {capability_id, capability_name?, kind: configured|resolved|exposed|invoked|effect_ran, tool_name?, duration_ms?}' })
  @IsOptional() @IsObject() data?: Record<string, unknown> | null;
}

export class LlmGenerationRecordDto {
  @ApiProperty(id('gen')) @IsPublicId('gen') id: string;
  @ApiPropertyOptional(optId('session')) @IsOptional() @IsPublicId('session') session_id?: string | null;
  @ApiPropertyOptional(optId('turn')) @IsOptional() @IsPublicId('turn') turn_id?: string | null;
  @ApiProperty({ example: 'gpt-5' }) @IsString() @Length(1, 200) model: string;
  @ApiProperty({ example: 'openai' }) @IsString() @Length(1, 200) provider: string;
  @ApiPropertyOptional(OPT_STRING) @IsOptional() @IsString() @Length(1, 100) finish_reason?: string | null;
  @ApiProperty(COUNT) @IsCount() input_tokens: number;
  @ApiProperty(COUNT) @IsCount() output_tokens: number;
  @ApiPropertyOptional(OPT_COUNT) @IsOptional() @IsCount() cache_read_tokens?: number | null;
  @ApiPropertyOptional(OPT_COUNT) @IsOptional() @IsCount() cache_creation_tokens?: number | null;
  @ApiPropertyOptional(OPT_COUNT) @IsOptional() @IsCount() duration_ms?: number | null;
  @ApiPropertyOptional(OPT_COUNT) @IsOptional() @IsCount() time_to_first_token_ms?: number | null;
  @ApiPropertyOptional({ type: Boolean, nullable: true }) @IsOptional() @IsBoolean() error?: boolean | null;
  @ApiPropertyOptional({ type: 'number', nullable: true, minimum: 0, maximum: 1e9, example: 0.0125, description: 'What the provider reported the generation cost, in USD (at most 12 decimals). Wins over any price (SPEC §10).' })
  @IsOptional() @IsDecimal(12) @Min(0) @Max(1e9) cost_usd?: number | null;
  @ApiProperty(TIME) @IsRfc3339() created_at: string;
}

export class UsageLedgerRecordDto {
  @ApiProperty(id('ledger')) @IsPublicId('ledger') id: string;
  @ApiPropertyOptional(optId('session')) @IsOptional() @IsPublicId('session') session_id?: string | null;
  @ApiPropertyOptional(optId('budget')) @IsOptional() @IsPublicId('budget') budget_id?: string | null;
  @ApiPropertyOptional(OPT_STRING) @IsOptional() @IsString() @Length(1, 100) subject_type?: string | null;
  @ApiPropertyOptional(OPT_STRING) @IsOptional() @IsString() @Length(1, 200) subject_id?: string | null;
  @ApiProperty({ example: 'USD' }) @IsString() @Length(1, 16) currency: string;
  @ApiPropertyOptional(OPT_STRING) @IsOptional() @IsString() @Length(1, 100) meter_source?: string | null;
  @ApiPropertyOptional(OPT_STRING) @IsOptional() @IsString() @Length(1, 100) ref_type?: string | null;
  @ApiProperty({ type: 'number', minimum: -1e15, maximum: 1e15, example: 1.25, description: 'Signed, at most 8 decimal places: >= 0 is a debit, < 0 a credit.' })
  @IsDecimal(8) @Min(-1e15) @Max(1e15) amount: number;
  @ApiProperty(TIME) @IsRfc3339() created_at: string;
}

export class AppChannelRecordDto {
  @ApiProperty(id('appchan')) @IsPublicId('appchan') id: string;
  @ApiProperty({ enum: CHANNEL_TYPES }) @IsIn(CHANNEL_TYPES, closed(CHANNEL_TYPES)) type: string;
  @ApiPropertyOptional(OPT_STRING) @IsOptional() @IsString() @Length(1, 200) name?: string | null;
}

export class AppRecordDto {
  @ApiProperty(id('app')) @IsPublicId('app') id: string;
  @ApiProperty({ example: 'Support bot' }) @IsString() @Length(1, 200) name: string;
  @ApiProperty({ type: [AppChannelRecordDto] })
  @IsArray() @ArrayMaxSize(100) @ValidateNested({ each: true }) @Type(() => AppChannelRecordDto) channels: AppChannelRecordDto[];
}

export class AppRunRecordDto {
  @ApiProperty(id('apprun')) @IsPublicId('apprun') id: string;
  @ApiProperty(id('app')) @IsPublicId('app') app_id: string;
  @ApiProperty(id('appchan')) @IsPublicId('appchan') channel_id: string;
  @ApiProperty({ enum: APP_RUN_STATUSES }) @IsIn(APP_RUN_STATUSES, closed(APP_RUN_STATUSES)) status: string;
  @ApiProperty(TIME) @IsRfc3339() created_at: string;
  @ApiPropertyOptional(OPT_TIME) @IsOptional() @IsRfc3339() completed_at?: string | null;
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
  @ApiProperty({ ...COUNT, description: 'Records accepted: all of the batch, or none (a bad record rejects the batch).', example: 2 }) accepted: number;
  @ApiProperty({ ...COUNT, description: 'Outbox rows added for projection (unchanged records add none).', example: 2 }) enqueued: number;
}

const at = '2026-05-01T12:00:00Z';
/** One request example per ingest route (Swagger UI's Try-it-out sends these; a test validates them against the schemas). */
export const INGEST_EXAMPLES = {
  sessions: {
    records: [{
      id: 'session_0190b5a0000070008000000000000001', status: 'completed', created_at: at, started_at: at, finished_at: '2026-05-01T12:03:00Z',
      agent_id: 'agent_0190b5a0000070008000000000000001', agent_name: 'Support agent', user_id: 'user_0190b5a0000070008000000000000001',
      input_tokens: 1200, output_tokens: 300, total_tokens: 1500,
    }],
  },
  events: {
    records: [{
      id: 'event_0190b5a0000070008000000000000001', session_id: 'session_0190b5a0000070008000000000000001', turn_id: 'turn_0190b5a0000070008000000000000001',
      type: 'tool.completed', created_at: at, data: { tool_name: 'search', status: 'success', duration_ms: 420 },
    }],
  },
  llm_generations: {
    records: [{
      id: 'gen_0190b5a0000070008000000000000001', session_id: 'session_0190b5a0000070008000000000000001', model: 'gpt-5', provider: 'openai',
      finish_reason: 'stop', input_tokens: 120, output_tokens: 40, duration_ms: 900, created_at: at,
    }],
  },
  usage_ledger: {
    records: [{ id: 'ledger_0190b5a0000070008000000000000001', session_id: 'session_0190b5a0000070008000000000000001', currency: 'USD', meter_source: 'llm', amount: 0.0125, created_at: at }],
  },
  apps: {
    records: [{
      id: 'app_0190b5a0000070008000000000000001', name: 'Support bot',
      channels: [{ id: 'appchan_0190b5a0000070008000000000000001', type: 'slack', name: 'Support Slack' }],
    }],
  },
  app_runs: {
    records: [{
      id: 'apprun_0190b5a0000070008000000000000001', app_id: 'app_0190b5a0000070008000000000000001', channel_id: 'appchan_0190b5a0000070008000000000000001',
      status: 'ok', created_at: at, completed_at: '2026-05-01T12:00:02Z',
    }],
  },
};
