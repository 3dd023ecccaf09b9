import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { parsePublicId, toPublicId } from '#src/common/ids/public-id.js';
import { ProblemException } from '#src/common/problem-details/problem.js';
import { DeliveryRepository, type DeliveryRow, type DeliveryStatus } from './delivery.repository.js';
import type { DeliveryDto, DeliveryListDto } from './delivery.dto.js';

function toDto(r: DeliveryRow): DeliveryDto {
  return {
    id: toPublicId('delivery', r.id), destination_id: toPublicId('dest', r.destination_id),
    schedule_id: r.schedule_id ? toPublicId('sched', r.schedule_id) : null, alert_id: r.alert_id ? toPublicId('alert', r.alert_id) : null,
    event_type: r.event_type, status: r.status, attempts: r.attempts, last_response_status: r.last_response_status, last_error: r.last_error,
    next_attempt_at: r.status === 'pending' ? r.next_attempt_at.toISOString() : null, delivered_at: r.delivered_at?.toISOString() ?? null,
    created_at: r.created_at.toISOString(), updated_at: r.updated_at.toISOString(),
  };
}

/** The delivery log and manual retries (SPEC §14), scoped to the caller's org. */
@Injectable()
export class DeliveriesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly deliveries: DeliveryRepository,
  ) {}

  async list(orgId: string, status: DeliveryStatus | undefined, limit: number, cursor: string | undefined): Promise<DeliveryListDto> {
    const before = cursor === undefined ? null : parsePublicId('delivery', cursor);
    if (cursor !== undefined && before === null) {
      throw new ProblemException('validation_failed', 'The cursor is not one this API issued.', { errors: [{ pointer: '/query/cursor', message: 'malformed cursor; pass next_cursor from the previous page' }] });
    }
    const rows = await this.deliveries.list(this.dataSource.manager, orgId, status ?? null, limit + 1, before);
    const page = rows.slice(0, limit);
    return { data: page.map(toDto), next_cursor: rows.length > limit ? toPublicId('delivery', page[page.length - 1].id) : null };
  }

  /** Due now with a fresh budget of attempts; the same webhook-id and body as before. */
  async retry(orgId: string, rawId: string): Promise<DeliveryDto> {
    const id = parsePublicId('delivery', rawId);
    if (!id) throw new ProblemException('invalid_delivery_id', `${JSON.stringify(rawId.slice(0, 80))} is not a delivery id (delivery_ followed by 32 lowercase hex characters).`);
    const row = await this.dataSource.transaction((em) => this.deliveries.retry(em, orgId, id));
    if (row === undefined) throw new ProblemException('delivery_not_found', `Delivery ${rawId} was not found.`);
    if (row === 'processing') throw new ProblemException('delivery_in_progress', `Delivery ${rawId} is being sent right now; retry it once this attempt has finished.`);
    return toDto(row);
  }
}
