import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { parsePublicId, toPublicId, uuidv7 } from '#src/common/ids/public-id.js';
import { ProblemException } from '#src/common/problem-details/problem.js';
import { SavedReportsService } from '#src/reporting/saved-reports/saved-reports.service.js';
import { DestinationsService } from '#src/alerts/destinations/destinations.service.js';
import { nextTick } from './cron-schedule.js';
import { ScheduleEntity } from './schedule.entity.js';
import type { CreateScheduleDto, ScheduleDto, ScheduleListDto } from './schedule.dto.js';

export function toScheduleDto(e: ScheduleEntity): ScheduleDto {
  return {
    id: toPublicId('sched', e.id), saved_report_id: e.savedReportId, cron: e.cron, timezone: e.timezone,
    destination_id: toPublicId('dest', e.destinationId), format: e.format, next_run_at: e.nextRunAt.toISOString(),
    last_run_at: e.lastRunAt?.toISOString() ?? null, last_error: e.lastError, created_at: e.createdAt.toISOString(),
  };
}

/** Schedules on saved reports (SPEC §14); the deliveries worker runs their ticks. */
@Injectable()
export class SchedulesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reports: SavedReportsService,
    private readonly destinations: DestinationsService,
  ) {}

  async create(orgId: string, rawReportId: string, dto: CreateScheduleDto): Promise<ScheduleDto> {
    const report = await this.reports.get(orgId, rawReportId);
    const timezone = dto.timezone;
    const destinationId = await this.destinations.resolve(orgId, dto.destination_id);
    const now = new Date();
    const next = nextTick(dto.cron, timezone, now);
    if (!next) throw new ProblemException('validation_failed', 'The cron expression never fires.', { errors: [{ pointer: '/cron', message: 'never fires' }] });
    const entity: ScheduleEntity = {
      id: uuidv7(), orgId, savedReportId: report.id, destinationId, cron: dto.cron.trim(), timezone, format: dto.format,
      nextRunAt: next, lastRunAt: null, lastError: null, createdAt: now,
    };
    await this.dataSource.getRepository(ScheduleEntity).insert(entity);
    return toScheduleDto(entity);
  }

  async list(orgId: string, rawReportId: string): Promise<ScheduleListDto> {
    const report = await this.reports.get(orgId, rawReportId);
    const rows = await this.dataSource.getRepository(ScheduleEntity).find({ where: { orgId, savedReportId: report.id }, order: { createdAt: 'DESC', id: 'DESC' } });
    return { data: rows.map(toScheduleDto) };
  }

  async remove(orgId: string, rawReportId: string, rawId: string): Promise<void> {
    const report = await this.reports.get(orgId, rawReportId);
    const id = parsePublicId('sched', rawId);
    if (!id) throw new ProblemException('invalid_schedule_id', `${JSON.stringify(rawId.slice(0, 80))} is not a schedule id (sched_ followed by 32 lowercase hex characters).`);
    const result = await this.dataSource.getRepository(ScheduleEntity).delete({ id, orgId, savedReportId: report.id });
    if (!result.affected) throw new ProblemException('schedule_not_found', `Schedule ${rawId} was not found on saved report ${report.id}.`);
  }
}
