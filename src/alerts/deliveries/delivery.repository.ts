import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { uuidv7 } from '#src/common/ids/public-id.js';
import { queryRows } from '#src/database/query-rows.js';

export type DeliveryEventType = 'report.scheduled' | 'alert.firing' | 'alert.resolved';
export type DeliveryStatus = 'pending' | 'processing' | 'succeeded' | 'failed';

export interface NewDelivery {
  orgId: string;
  destinationId: string;
  scheduleId?: string;
  alertId?: string;
  dedupeKey: string;
  eventType: DeliveryEventType;
  body: string;
}

export interface ClaimedDelivery {
  id: string;
  org_id: string;
  attempts: number;
  body: string;
  event_type: DeliveryEventType;
  url: string;
  signing_secret: string;
}

export interface DeliveryRow {
  id: string;
  destination_id: string;
  schedule_id: string | null;
  alert_id: string | null;
  event_type: DeliveryEventType;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  last_response_status: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, destination_id, schedule_id, alert_id, event_type, status, attempts, next_attempt_at,
  last_response_status, last_error, delivered_at, created_at, updated_at`;

/**
 * All delivery SQL. Same claim pattern as the projector's outbox (OutboxRepository): SKIP LOCKED,
 * attempts counted at claim time, a lease, and outcomes fenced by the claim's attempts so a
 * worker that outlived its lease cannot overwrite the outcome of the one that re-claimed the row.
 */
@Injectable()
export class DeliveryRepository {
  /** One delivery per dedupe key (schedule tick or alert transition): false when it already exists. */
  async insert(em: EntityManager, d: NewDelivery): Promise<boolean> {
    const rows = await queryRows(em,
      `INSERT INTO report_deliveries (id, org_id, destination_id, schedule_id, alert_id, dedupe_key, event_type, body)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT ON CONSTRAINT report_deliveries_dedupe_key DO NOTHING RETURNING 1`,
      [uuidv7(), d.orgId, d.destinationId, d.scheduleId ?? null, d.alertId ?? null, d.dedupeKey, d.eventType, d.body],
    );
    return rows.length > 0;
  }

  async claim(em: EntityManager, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return queryRows<ClaimedDelivery>(em,
      `WITH c AS (
         SELECT d.id FROM report_deliveries d
          WHERE d.status = 'pending' AND d.next_attempt_at <= now()
          ORDER BY d.next_attempt_at, d.id
          LIMIT $1
          FOR UPDATE SKIP LOCKED
       )
       UPDATE report_deliveries d
          SET status = 'processing', attempts = d.attempts + 1,
              lease_until = now() + make_interval(secs => $2::double precision / 1000), updated_at = now()
         FROM c, webhook_destinations w
        WHERE d.id = c.id AND w.id = d.destination_id AND w.org_id = d.org_id
       RETURNING d.id::text AS id, d.org_id, d.attempts, d.body, d.event_type, w.url, w.signing_secret`,
      [limit, leaseMs],
    );
  }

  async succeed(em: EntityManager, row: ClaimedDelivery, status: number): Promise<boolean> {
    const rows = await queryRows(em,
      `UPDATE report_deliveries
          SET status = 'succeeded', lease_until = NULL, last_response_status = $3, last_error = NULL,
              delivered_at = clock_timestamp(), updated_at = clock_timestamp()
        WHERE id = $1 AND attempts = $2 AND status = 'processing' RETURNING 1`,
      [row.id, row.attempts, status],
    );
    return rows.length > 0;
  }

  /** Back to pending after `delayMs`, or `failed` at the limit; null when the row is no longer ours. */
  async fail(em: EntityManager, row: ClaimedDelivery, status: number | null, error: string, maxAttempts: number, delayMs: number): Promise<DeliveryStatus | null> {
    const [r] = await queryRows<{ status: DeliveryStatus }>(em,
      `UPDATE report_deliveries
          SET status = CASE WHEN attempts >= $3 THEN 'failed' ELSE 'pending' END,
              next_attempt_at = now() + make_interval(secs => $4::double precision / 1000),
              last_response_status = $5, last_error = left($6, 500), lease_until = NULL, updated_at = clock_timestamp()
        WHERE id = $1 AND attempts = $2 AND status = 'processing'
        RETURNING status`,
      [row.id, row.attempts, maxAttempts, delayMs, status, error],
    );
    return r?.status ?? null;
  }

  /** Claims never attempted (shutdown): pending again at once, the attempt they were charged given back. */
  async release(em: EntityManager, rows: ClaimedDelivery[]): Promise<number> {
    if (rows.length === 0) return 0;
    const released = await queryRows(em,
      `UPDATE report_deliveries d SET status = 'pending', attempts = d.attempts - 1, lease_until = NULL, next_attempt_at = now(), updated_at = now()
         FROM unnest($1::uuid[], $2::int[]) AS c(id, attempts)
        WHERE d.id = c.id AND d.attempts = c.attempts AND d.status = 'processing' RETURNING 1`,
      [rows.map((r) => r.id), rows.map((r) => r.attempts)],
    );
    return released.length;
  }

  /** Rows of crashed workers (lease expired) become claimable again, or failed at the limit. */
  async releaseExpired(em: EntityManager, maxAttempts: number): Promise<number> {
    const rows = await queryRows(em,
      `UPDATE report_deliveries
          SET status = CASE WHEN attempts >= $1 THEN 'failed' ELSE 'pending' END,
              last_error = CASE WHEN attempts >= $1 THEN coalesce(last_error, 'lease expired') ELSE last_error END,
              lease_until = NULL, next_attempt_at = now(), updated_at = now()
        WHERE id IN (SELECT id FROM report_deliveries WHERE status = 'processing' AND lease_until < now() FOR UPDATE SKIP LOCKED)
        RETURNING 1`,
      [maxAttempts],
    );
    return rows.length;
  }

  /** Newest first by id: ids are UUIDv7, so id order is creation order (to the millisecond). */
  async list(em: EntityManager, orgId: string, status: DeliveryStatus | null, limit: number, beforeId: string | null): Promise<DeliveryRow[]> {
    return queryRows<DeliveryRow>(em,
      `SELECT ${COLUMNS} FROM report_deliveries
        WHERE org_id = $1 AND ($2::text IS NULL OR status = $2) AND ($4::uuid IS NULL OR id < $4)
        ORDER BY id DESC LIMIT $3`,
      [orgId, status, limit, beforeId],
    );
  }

  async get(em: EntityManager, orgId: string, id: string): Promise<DeliveryRow | undefined> {
    const [row] = await queryRows<DeliveryRow>(em, `SELECT ${COLUMNS} FROM report_deliveries WHERE org_id = $1 AND id = $2`, [orgId, id]);
    return row;
  }

  /**
   * Manual retry: due now with a fresh budget of attempts; the id (the webhook-id) and body stay.
   * A row being sent right now is left alone (null status returned as 'processing').
   */
  async retry(em: EntityManager, orgId: string, id: string): Promise<DeliveryRow | 'processing' | undefined> {
    const [row] = await queryRows<DeliveryRow>(em,
      `UPDATE report_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), lease_until = NULL, updated_at = clock_timestamp()
        WHERE org_id = $1 AND id = $2 AND status <> 'processing' RETURNING ${COLUMNS}`,
      [orgId, id],
    );
    if (row) return row;
    return (await this.get(em, orgId, id)) ? 'processing' : undefined;
  }
}
