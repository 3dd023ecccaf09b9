import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { decimalInt, IsIntInRange } from '#src/common/validation/validators.js';
import { ReportQueryDto } from '#src/reporting/query/report-query.dto.js';

/** Characters (code points) of a name and a description: documented here, checked by saved-report.input.ts. */
export const SAVED_REPORT_NAME_MAX = 200;
export const SAVED_REPORT_DESCRIPTION_MAX = 2000;

export class ListSavedReportsQuery {
  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: 100, default: 20, description: 'Reports per page (decimal digits).' })
  @IsOptional() @Transform(decimalInt) @IsIntInRange(1, 100) limit: number = 20;
  @ApiPropertyOptional({ type: String, maxLength: 500, description: 'next_cursor of the previous page, unchanged.' })
  @IsOptional() @IsString() @MaxLength(500) cursor?: string;
}

export class SavedReportDto {
  @ApiProperty({ format: 'uuid', example: '2489e9ad-2ee2-8e00-8ec9-32d5f69181c0' }) id: string;
  @ApiProperty({ example: 'Sessions by status' }) name: string;
  @ApiProperty({ nullable: true, type: String, example: 'Weekly review.' }) description: string | null;
  @ApiProperty({ type: ReportQueryDto, description: 'The stored semantic query; a relative time_range ({"last": "7d"}, {"calendar": "this_month"}) is resolved on every run.' }) query: Record<string, unknown>;
  @ApiProperty({ format: 'date-time', example: '2026-05-01T12:00:00Z' }) created_at: string;
  @ApiProperty({ format: 'date-time', example: '2026-05-01T12:00:00Z' }) updated_at: string;
}

export class SavedReportListDto {
  @ApiProperty({ type: [SavedReportDto], description: 'Newest first.' }) data: SavedReportDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as ?cursor= for the next page; null on the last page.' }) next_cursor: string | null;
}

export class CreateSavedReportDto {
  @ApiProperty({ minLength: 1, maxLength: SAVED_REPORT_NAME_MAX, example: 'Sessions by status' }) name: string;
  @ApiPropertyOptional({ type: String, maxLength: SAVED_REPORT_DESCRIPTION_MAX, nullable: true, example: 'Weekly review.' }) description?: string | null;
  @ApiProperty({ type: ReportQueryDto }) query: Record<string, unknown>;
}

export class UpdateSavedReportDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: SAVED_REPORT_NAME_MAX, example: 'Sessions by status (weekly)', description: 'Absent = unchanged; may not be null.' }) name?: string;
  @ApiPropertyOptional({ type: String, maxLength: SAVED_REPORT_DESCRIPTION_MAX, nullable: true, example: 'Reviewed every Monday.', description: 'Absent = unchanged; null clears it.' }) description?: string | null;
  @ApiPropertyOptional({ type: ReportQueryDto, description: 'Absent = unchanged; may not be null.' }) query?: Record<string, unknown>;
}
