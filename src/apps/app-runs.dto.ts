import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { APP_RUN_STATUSES, CHANNEL_TYPES } from '#src/ingest/ingest-records.dto.js';
import { DEFAULT_WINDOW, GROUP_BY_VALUES, LIMIT_DEFAULT, LIMIT_MAX, LIMIT_MIN } from './app-runs.params.js';

/**
 * Query string of list_app_runs as documented; AppRunsQueryInput (app-runs.input.ts) is what the
 * pipe makes of it: an unknown parameter is a 400 validation_failed naming it, as on every route;
 * the values are parsed by app-runs.params.ts, each bad one a 400 invalid_query saying which and why.
 */
export class ListAppRunsQueryDto {
  @ApiPropertyOptional({
    type: String, default: DEFAULT_WINDOW, example: '24h', pattern: '^[0-9]+[mhd]$',
    description: 'Time window ending now: a positive whole number followed by m (minutes), h (hours) or d (days); at most 30d. ' +
      'A run is in the window when now − window ≤ created_at ≤ now.',
  })
  window?: unknown;

  @ApiPropertyOptional({
    type: String, enum: GROUP_BY_VALUES,
    description: 'Add `buckets`: one per UTC hour of the whole window, ascending, zero-filled, counted over all runs of the window (not just the page). ' +
      'The hours run from the one containing now − window through the one containing now, both included, so a whole-hour window of N hours ' +
      'has N + 1 buckets (24h → 25: the partial hour at the start and the current hour). The first and last buckets count only runs inside the window.',
  })
  group_by?: unknown;

  @ApiPropertyOptional({ type: String, enum: GROUP_BY_VALUES, description: 'Alias of group_by; when both are given they must agree.' })
  groupBy?: unknown;

  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: LIMIT_MIN, maximum: LIMIT_MAX, default: LIMIT_DEFAULT, description: 'Runs per page.' })
  limit?: unknown;

  @ApiPropertyOptional({
    type: String,
    description: 'next_cursor of the previous page, unchanged. Later pages keep the first page\'s window and "now"; repeat the same window (or omit it if the first page did).',
  })
  cursor?: unknown;
}

export class AppRunDto {
  @ApiProperty({ example: 'apprun_0190b5a0000070008000000000000001', description: 'Public id of the run.' }) id: string;
  @ApiProperty({ example: 'app_0190b5a0000070008000000000000001', description: 'App that received the invocation.' }) app_id: string;
  @ApiProperty({ example: 'appchan_0190b5a0000070008000000000000001', description: 'Channel that originated the invocation.' }) channel_id: string;
  @ApiProperty({ type: String, nullable: true, example: 'Support Slack', description: 'Human-readable channel name; null when unset.' }) channel_name: string | null;
  @ApiProperty({
    type: String, enum: [...CHANNEL_TYPES, null], nullable: true, example: 'slack',
    description: 'Channel kind; null only when the channel has since been removed from the app.',
  })
  channel_type: string | null;
  @ApiProperty({ enum: APP_RUN_STATUSES, example: 'ok', description: 'ok, err, or running.' }) status: string;
  @ApiProperty({ format: 'date-time', example: '2026-05-01T11:59:30Z', description: 'When the run started (RFC 3339, UTC).' }) created_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-05-01T11:59:31.25Z', description: 'When the run finished (RFC 3339, UTC); null while running.' })
  completed_at: string | null;
}

export class AppRunBucketDto {
  @ApiProperty({ format: 'date-time', example: '2026-05-01T11:00:00Z', description: 'Bucket start: top of the UTC hour (RFC 3339).' }) hour: string;
  @ApiProperty({ type: 'integer', format: 'int64', example: 41, description: 'Runs created in this hour (and in the window) with status ok.' }) ok: number;
  @ApiProperty({ type: 'integer', format: 'int64', example: 2, description: 'Runs with status err.' }) err: number;
  @ApiProperty({ type: 'integer', format: 'int64', example: 1, description: 'Runs still running.' }) running: number;
}

export class AppRunListDto {
  @ApiProperty({ type: [AppRunDto], description: 'Runs of the window, newest first (ties on created_at broken by id, descending).' }) data: AppRunDto[];
  @ApiPropertyOptional({ type: [AppRunBucketDto], description: 'Only with group_by=hour: every hour of the whole window, ascending, zero-filled, over all runs of the window (not just this page).' })
  buckets?: AppRunBucketDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page.' }) next_cursor: string | null;
}

export const APP_RUN_LIST_EXAMPLE: AppRunListDto = {
  data: [
    {
      id: 'apprun_0196a1b2c3d470008000000000000002', app_id: 'app_0196a1b2c3d470008000000000000001', channel_id: 'appchan_0196a1b2c3d470008000000000000001',
      channel_name: 'Support Slack', channel_type: 'slack', status: 'running', created_at: '2026-05-01T11:59:30Z', completed_at: null,
    },
    {
      id: 'apprun_0196a1b2c3d470008000000000000001', app_id: 'app_0196a1b2c3d470008000000000000001', channel_id: 'appchan_0196a1b2c3d470008000000000000002',
      channel_name: null, channel_type: 'webhook', status: 'ok', created_at: '2026-05-01T10:15:00.5Z', completed_at: '2026-05-01T10:15:02.125Z',
    },
  ],
  buckets: [
    { hour: '2026-05-01T10:00:00Z', ok: 1, err: 0, running: 0 },
    { hour: '2026-05-01T11:00:00Z', ok: 0, err: 0, running: 1 },
  ],
  next_cursor: null,
};
