import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SavedReportQueryDto } from '../query/report-query.dto.js';

export class SavedReportDto {
  @ApiProperty({ format: 'uuid', example: '2489e9ad-2ee2-8e00-8ec9-32d5f69181c0' }) id: string;
  @ApiProperty({ example: 'Sessions by status' }) name: string;
  @ApiProperty({ nullable: true, type: String, example: 'Weekly review.' }) description: string | null;
  @ApiProperty({ type: SavedReportQueryDto, description: 'The stored semantic query; time_range may be relative: {"last": "7d"} (m|h|d|w).' }) query: Record<string, unknown>;
  @ApiProperty({ format: 'date-time', example: '2026-05-01T12:00:00Z' }) created_at: string;
  @ApiProperty({ format: 'date-time', example: '2026-05-01T12:00:00Z' }) updated_at: string;
}

export class SavedReportListDto {
  @ApiProperty({ type: [SavedReportDto], description: 'Newest first.' }) data: SavedReportDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as ?cursor= for the next page; null on the last page.' }) next_cursor: string | null;
}

export class CreateSavedReportDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Sessions by status' }) name: string;
  @ApiPropertyOptional({ type: String, maxLength: 2000, nullable: true, example: 'Weekly review.' }) description?: string | null;
  @ApiProperty({ type: SavedReportQueryDto }) query: Record<string, unknown>;
}

export class UpdateSavedReportDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200, example: 'Sessions by status (weekly)', description: 'Absent = unchanged; may not be null.' }) name?: string;
  @ApiPropertyOptional({ type: String, maxLength: 2000, nullable: true, example: 'Reviewed every Monday.', description: 'Absent = unchanged; null clears it.' }) description?: string | null;
  @ApiPropertyOptional({ type: SavedReportQueryDto, description: 'Absent = unchanged; may not be null.' }) query?: Record<string, unknown>;
}
