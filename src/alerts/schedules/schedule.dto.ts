import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { ValidatedBy } from '#src/common/validation/input-validator.js';
import { CreateScheduleValidator } from './schedule.input.js';

export const SCHEDULE_ID_EXAMPLE = 'sched_0190b5a0000070008000000000000501';

@ValidatedBy(CreateScheduleValidator)
export class CreateScheduleDto {
  @ApiProperty({ maxLength: 100, example: '0 9 * * 1', description: 'Five-field cron (minute hour day-of-month month day-of-week) or a nickname (@daily, @hourly, …), in `timezone`. A wall-clock time skipped by a DST change runs once, right after the gap; one repeated by it runs once.' })
  @IsString() @MaxLength(100) cron: string;

  @ApiPropertyOptional({ maxLength: 64, default: 'UTC', example: 'Europe/Berlin', description: 'IANA time zone the cron is read in.' })
  @IsOptional() @IsString() @MaxLength(64) timezone: string = 'UTC';

  @ApiProperty({ example: 'dest_0190b5a0000070008000000000000d01', description: 'A destination of your org.' })
  @IsString() @MaxLength(100) destination_id: string;

  @ApiPropertyOptional({ enum: ['json', 'csv'], default: 'json', description: 'json: the ReportResult; csv: the export envelope (as export_saved_report returns it).' })
  @IsOptional() @IsIn(['json', 'csv'], { context: { allowed: ['json', 'csv'] } }) format: 'json' | 'csv' = 'json';
}

export class ScheduleDto {
  @ApiProperty({ example: SCHEDULE_ID_EXAMPLE, pattern: '^sched_[0-9a-f]{32}$' }) id: string;
  @ApiProperty({ format: 'uuid', example: '0190b5a0-0000-7000-8000-000000000301' }) saved_report_id: string;
  @ApiProperty({ example: '0 9 * * 1' }) cron: string;
  @ApiProperty({ example: 'Europe/Berlin' }) timezone: string;
  @ApiProperty({ example: 'dest_0190b5a0000070008000000000000d01' }) destination_id: string;
  @ApiProperty({ enum: ['json', 'csv'], example: 'json' }) format: 'json' | 'csv';
  @ApiProperty({ format: 'date-time', example: '2026-05-04T07:00:00.000Z', description: 'The next tick.' }) next_run_at: string;
  @ApiProperty({ format: 'date-time', type: String, nullable: true, example: null, description: 'The last tick run.' }) last_run_at: string | null;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'Why the last run produced no delivery (e.g. the saved report no longer validates).' }) last_error: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-05-01T12:00:00.000Z' }) created_at: string;
}

export class ScheduleListDto {
  @ApiProperty({ type: [ScheduleDto], description: 'Newest first.' }) data: ScheduleDto[];
}
