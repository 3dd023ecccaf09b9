import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export const DELIVERY_STATUSES = ['pending', 'processing', 'succeeded', 'failed'];
export const DELIVERY_ID_EXAMPLE = 'delivery_0190b5a0000070008000000000000e01';

export class ListDeliveriesQuery {
  @IsOptional() @IsIn(DELIVERY_STATUSES, { context: { allowed: DELIVERY_STATUSES } }) status?: 'pending' | 'processing' | 'succeeded' | 'failed';
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) limit: number = 50;
  @IsOptional() @IsString() @MaxLength(100) cursor?: string;
}

export class DeliveryDto {
  @ApiProperty({ example: DELIVERY_ID_EXAMPLE, pattern: '^delivery_[0-9a-f]{32}$', description: 'Also the `webhook-id` header of every attempt.' }) id: string;
  @ApiProperty({ example: 'dest_0190b5a0000070008000000000000d01' }) destination_id: string;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'The schedule whose tick produced it (null for alerts, or once the schedule is deleted).' }) schedule_id: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'alert_0190b5a0000070008000000000000a01', description: 'The alert whose transition produced it.' }) alert_id: string | null;
  @ApiProperty({ enum: ['report.scheduled', 'alert.firing', 'alert.resolved'], example: 'alert.firing' }) event_type: string;
  @ApiProperty({ enum: DELIVERY_STATUSES, example: 'succeeded', description: 'pending → processing → succeeded, or back to pending after a backoff, or failed once attempts reach the limit.' }) status: string;
  @ApiProperty({ type: 'integer', format: 'int32', example: 1 }) attempts: number;
  @ApiProperty({ type: 'integer', format: 'int32', nullable: true, example: 200, description: 'HTTP status of the last attempt (null when it got no response).' }) last_response_status: number | null;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'Why the last attempt failed.' }) last_error: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null, description: 'When the next attempt is due (pending only).' }) next_attempt_at: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-05-01T12:05:00.412Z' }) delivered_at: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-05-01T12:05:00.120Z' }) created_at: string;
  @ApiProperty({ format: 'date-time', example: '2026-05-01T12:05:00.412Z' }) updated_at: string;
}

export class DeliveryListDto {
  @ApiProperty({ type: [DeliveryDto], description: 'Newest first.' }) data: DeliveryDto[];
  @ApiProperty({ type: String, nullable: true, example: null, description: 'Pass as ?cursor= for the next page; null on the last page.' }) next_cursor: string | null;
}
