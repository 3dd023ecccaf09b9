import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { parsePublicId, toPublicId, uuidv7 } from '#src/common/ids/public-id.js';
import { ProblemException } from '#src/common/problem-details/problem.js';
import { SavedReportsService } from '#src/reporting/saved-reports/saved-reports.service.js';
import { DestinationsService } from '#src/alerts/destinations/destinations.service.js';
import { parseEvery } from './alert-condition.js';
import { AlertEntity } from './alert.entity.js';
import type { AlertDto, AlertListDto, CreateAlertDto } from './alert.dto.js';

function toDto(e: AlertEntity): AlertDto {
  return {
    id: toPublicId('alert', e.id), name: e.name, saved_report_id: e.savedReportId, measure: e.measure, op: e.op,
    threshold: e.threshold, every: e.every, destination_id: toPublicId('dest', e.destinationId), state: e.state,
    last_value: e.lastValue, last_evaluated_at: e.lastEvaluatedAt?.toISOString() ?? null, last_error: e.lastError,
    next_evaluation_at: e.nextEvalAt.toISOString(), created_at: e.createdAt.toISOString(),
  };
}

/** Threshold alerts on a saved report's single-row measure (SPEC §14); the deliveries worker evaluates them. */
@Injectable()
export class AlertsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reports: SavedReportsService,
    private readonly destinations: DestinationsService,
  ) {}

  async create(orgId: string, dto: CreateAlertDto): Promise<AlertDto> {
    // Checked by alert.input.ts: the interval parses.
    const everySeconds = parseEvery(dto.every)!;
    const report = await this.reports.get(orgId, dto.saved_report_id);
    const query = report.query as { dimensions?: unknown; measures?: unknown };
    const dimensions = Array.isArray(query.dimensions) ? (query.dimensions as string[]) : [];
    if (dimensions.length > 0) {
      throw new ProblemException('alert_report_not_single_row', `Saved report ${report.id} has dimensions (${dimensions.join(', ')}): an alert needs one aggregate row.`, {
        errors: [{ pointer: '/saved_report_id', message: 'the saved report must have no dimensions' }],
      });
    }
    const measures = Array.isArray(query.measures) && query.measures.length > 0 ? (query.measures as string[]) : ['row_count'];
    if (!measures.includes(dto.measure)) {
      throw new ProblemException('validation_failed', `${JSON.stringify(dto.measure)} is not a measure of saved report ${report.id}.`, {
        errors: [{ pointer: '/measure', message: "must be one of the saved report's measures", allowed: measures }],
      });
    }
    const destinationId = await this.destinations.resolve(orgId, dto.destination_id);
    const now = new Date();
    const entity: AlertEntity = {
      id: uuidv7(), orgId, name: dto.name, savedReportId: report.id, destinationId, measure: dto.measure, op: dto.op,
      threshold: dto.threshold, every: dto.every, everySeconds, state: 'ok', transitions: 0,
      lastValue: null, lastEvaluatedAt: null, lastError: null,
      // Evaluated at the next worker pass; a value already past the threshold fires then.
      nextEvalAt: now, createdAt: now,
    };
    await this.dataSource.getRepository(AlertEntity).insert(entity);
    return toDto(entity);
  }

  async list(orgId: string): Promise<AlertListDto> {
    const rows = await this.dataSource.getRepository(AlertEntity).find({ where: { orgId }, order: { createdAt: 'DESC', id: 'DESC' } });
    return { data: rows.map(toDto) };
  }

  async get(orgId: string, rawId: string): Promise<AlertDto> {
    const id = this.parseId(rawId);
    const found = await this.dataSource.getRepository(AlertEntity).findOneBy({ id, orgId });
    if (!found) throw new ProblemException('alert_not_found', `Alert ${rawId} was not found.`);
    return toDto(found);
  }

  async remove(orgId: string, rawId: string): Promise<void> {
    const id = this.parseId(rawId);
    const result = await this.dataSource.getRepository(AlertEntity).delete({ id, orgId });
    if (!result.affected) throw new ProblemException('alert_not_found', `Alert ${rawId} was not found.`);
  }

  private parseId(rawId: string): string {
    const id = parsePublicId('alert', rawId);
    if (!id) throw new ProblemException('invalid_alert_id', `${JSON.stringify(rawId.slice(0, 80))} is not an alert id (alert_ followed by 32 lowercase hex characters).`);
    return id;
  }
}
