import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsNumber, IsString, Length, Matches, MaxLength } from 'class-validator';
import { ValidatedBy } from '#src/common/validation/input-validator.js';
import { CreateAlertValidator } from './alert.input.js';

export const ALERT_ID_EXAMPLE = 'alert_0190b5a0000070008000000000000a01';
const OPS = ['gt', 'gte', 'lt', 'lte'];

@ValidatedBy(CreateAlertValidator)
export class CreateAlertDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'LLM errors over 50 in the last hour' })
  @IsString() @Length(1, 200) name: string;

  @ApiProperty({ format: 'uuid', example: '0190b5a0-0000-7000-8000-000000000301', description: 'A saved report of your org with no dimensions (one aggregate row).' })
  @IsString() @MaxLength(100) saved_report_id: string;

  @ApiProperty({ maxLength: 100, example: 'error_count', description: "One of the report's measures (row_count when it selects none)." })
  @IsString() @MaxLength(100) measure: string;

  @ApiProperty({ enum: OPS, example: 'gt' })
  @IsIn(OPS, { context: { allowed: OPS } }) op: 'gt' | 'gte' | 'lt' | 'lte';

  @ApiProperty({ type: 'number', format: 'double', example: 50 })
  @IsNumber({ allowNaN: false, allowInfinity: false }) threshold: number;

  @ApiProperty({ pattern: '^[1-9][0-9]{0,3}[mh]$', example: '5m', description: 'How often the report is evaluated: minutes or hours, 1m to 168h.' })
  @IsString() @Matches(/^[1-9][0-9]{0,3}[mh]$/, { message: 'every must be <n>m or <n>h (1m to 168h)' }) every: string;

  @ApiProperty({ example: 'dest_0190b5a0000070008000000000000d01', description: 'A destination of your org.' })
  @IsString() @MaxLength(100) destination_id: string;
}

export class AlertDto {
  @ApiProperty({ example: ALERT_ID_EXAMPLE, pattern: '^alert_[0-9a-f]{32}$' }) id: string;
  @ApiProperty({ example: 'LLM errors over 50 in the last hour' }) name: string;
  @ApiProperty({ format: 'uuid', example: '0190b5a0-0000-7000-8000-000000000301' }) saved_report_id: string;
  @ApiProperty({ example: 'error_count' }) measure: string;
  @ApiProperty({ enum: OPS, example: 'gt' }) op: string;
  @ApiProperty({ type: 'number', format: 'double', example: 50 }) threshold: number;
  @ApiProperty({ example: '5m' }) every: string;
  @ApiProperty({ example: 'dest_0190b5a0000070008000000000000d01' }) destination_id: string;
  @ApiProperty({ enum: ['ok', 'firing'], example: 'ok', description: 'Notifications are sent on changes of state only.' }) state: 'ok' | 'firing';
  @ApiProperty({ type: 'number', format: 'double', nullable: true, example: 12, description: 'The value at the last evaluation (null before the first, or when the report had no value).' }) last_value: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-05-01T12:05:00.000Z' }) last_evaluated_at: string | null;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'Why the last evaluation failed (the state is kept meanwhile).' }) last_error: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-05-01T12:10:00.000Z' }) next_evaluation_at: string;
  @ApiProperty({ format: 'date-time', example: '2026-05-01T12:00:00.000Z' }) created_at: string;
}

export class AlertListDto {
  @ApiProperty({ type: [AlertDto], description: 'Newest first.' }) data: AlertDto[];
}
