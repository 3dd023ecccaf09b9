import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ReportQueryDto } from '../query/report-query.dto.js';

export class SavedReportDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'Sessions by status' }) name: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ type: ReportQueryDto, description: 'The stored semantic query; time_range may be relative: {"last": "7d"} (m|h|d|w).' }) query: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class SavedReportListDto {
  @ApiProperty({ type: [SavedReportDto], description: 'Newest first.' }) data: SavedReportDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as ?cursor= for the next page; null on the last page.' }) next_cursor: string | null;
}

export class CreateSavedReportDto {
  @ApiProperty({ minLength: 1, maxLength: 200 }) name: string;
  @ApiPropertyOptional({ maxLength: 2000, nullable: true }) description?: string | null;
  @ApiProperty({ type: ReportQueryDto }) query: Record<string, unknown>;
}

export class UpdateSavedReportDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200, description: 'Absent = unchanged; may not be null.' }) name?: string;
  @ApiPropertyOptional({ maxLength: 2000, nullable: true, description: 'Absent = unchanged; null clears it.' }) description?: string | null;
  @ApiPropertyOptional({ type: ReportQueryDto, description: 'Absent = unchanged; may not be null.' }) query?: Record<string, unknown>;
}
