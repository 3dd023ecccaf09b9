import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter } from 'prom-client';
import { DataSource, EntityManager } from 'typeorm';
import { toPublicId } from '#src/common/ids/public-id.js';
import { JsonLogger } from '#src/common/logging/json-logger.js';
import { ProblemException } from '#src/common/problem-details/problem.js';
import { APP_CONFIG, type AppConfig } from '#src/config/app-config.js';
import { queryRows } from '#src/database/query-rows.js';
import { MetricsService } from '#src/metrics/metrics.service.js';
import { backoffMs } from '#src/projector/backoff.js';
import { SavedReportsService } from '#src/reporting/saved-reports/saved-reports.service.js';
import { stateFor } from '#src/alerts/alert-rules/alert-condition.js';
import type { AlertOp, AlertState } from '#src/alerts/alert-rules/alert.entity.js';
import { nextTick } from '#src/alerts/schedules/cron-schedule.js';
import { sendWebhook } from '#src/alerts/webhooks/webhook-sender.js';
import { ClaimedDelivery, DeliveryRepository } from './delivery.repository.js';

/** Schedules and alerts evaluated side by side. Two, not more: each holds one of its org's query slots (SPEC §8). */
const EVALUATORS = 2;
/** Upper bound of items one pass takes per kind, so a pass ends and deliveries go out. */
const PER_PASS = 500;
const SEND_BATCH = 50;
const SEND_CONCURRENCY = 8;

export interface DeliveryPassResult {
  schedules: number;
  alerts: number;
  sent: number;
  succeeded: number;
  failed: number;
}

interface DueSchedule {
  id: string;
  org_id: string;
  saved_report_id: string;
  destination_id: string;
  cron: string;
  timezone: string;
  format: 'json' | 'csv';
  next_run_at: Date;
}

interface DueAlert {
  id: string;
  org_id: string;
  name: string;
  saved_report_id: string;
  destination_id: string;
  measure: string;
  op: AlertOp;
  threshold: number;
  state: AlertState;
  transitions: number;
}

/**
 * SPEC §14, one pass: run due schedule ticks, evaluate due alerts, send due deliveries. A schedule
 * or alert is taken with FOR UPDATE SKIP LOCKED and held until its delivery row is written in the
 * same transaction, so any number of instances split the work; the deliveries' unique dedupe key
 * (tick or transition number) makes a duplicate impossible even if a lock were lost.
 */
@Injectable()
export class DeliveryWorker {
  private readonly outcomes: Counter<'outcome'>;
  private readonly evaluations: Counter<'kind'>;
  /** Set at shutdown: lanes finish the item in hand and take no more. */
  private stopping = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: DeliveryRepository,
    private readonly reports: SavedReportsService,
    private readonly logger: JsonLogger,
    metrics: MetricsService,
  ) {
    const registers = [metrics.registry];
    this.outcomes = new Counter({ name: 'factline_delivery_attempts_total', help: 'Webhook delivery attempts by outcome (succeeded, retry, failed, lost)', labelNames: ['outcome'], registers });
    this.evaluations = new Counter({ name: 'factline_delivery_evaluations_total', help: 'Schedule ticks run and alerts evaluated', labelNames: ['kind'], registers });
  }

  stop(): void {
    this.stopping = true;
  }

  async runOnce(): Promise<DeliveryPassResult> {
    await this.dataSource.transaction((em) => this.deliveries.releaseExpired(em, this.config.deliveries.maxAttempts));
    const schedules = await this.drain(() => this.runDueSchedule());
    // Ticks go out before a long run of alert evaluations can hold them back (SPEC §16: ≤ 2 s after the tick).
    const first = await this.sendDue();
    const alerts = await this.drain(() => this.evaluateDueAlert());
    const then = await this.sendDue();
    return { schedules, alerts, sent: first.sent + then.sent, succeeded: first.succeeded + then.succeeded, failed: first.failed + then.failed };
  }

  /** Runs `one` on EVALUATORS lanes until nothing is due (or PER_PASS); a transient error ends the lane. */
  private async drain(one: () => Promise<boolean>): Promise<number> {
    let done = 0;
    const lane = async () => {
      while (done < PER_PASS && !this.stopping) {
        try {
          if (!(await one())) return;
        } catch (error) {
          if (!isTransient(error)) throw error;
          this.logger.emit('warn', 'delivery evaluation deferred', { error: describe(error) });
          return;
        }
        done += 1;
      }
    };
    await Promise.all(Array.from({ length: EVALUATORS }, lane));
    return done;
  }

  /** One due tick: run the report, write its delivery, move to the next tick; false when none is due. */
  private async runDueSchedule(): Promise<boolean> {
    return this.dataSource.transaction(async (em) => {
      const [s] = await queryRows<DueSchedule>(em,
        `SELECT id, org_id, saved_report_id, destination_id, cron, timezone, format, next_run_at FROM report_schedules
          WHERE next_run_at <= now() ORDER BY next_run_at LIMIT 1 FOR UPDATE SKIP LOCKED`);
      if (!s) return false;
      const tick = s.next_run_at;
      let error: string | null = null;
      try {
        await this.deliveries.insert(em, {
          orgId: s.org_id, destinationId: s.destination_id, scheduleId: s.id, eventType: 'report.scheduled',
          dedupeKey: `schedule:${s.id}:${tick.toISOString()}`, body: await this.schedulePayload(s, tick),
        });
      } catch (e) {
        // Transient (database, query slots): roll back, the tick stays due. Otherwise (the report
        // no longer validates, a query timeout) the tick is recorded as failed and skipped.
        if (isTransient(e)) throw e;
        error = describe(e);
      }
      this.evaluations.inc({ kind: 'schedule' });
      // Missed ticks (the service was down) are not replayed: the next tick is after now.
      const next = nextTick(s.cron, s.timezone, new Date(Math.max(tick.getTime(), Date.now()))) ?? new Date('9999-01-01T00:00:00Z');
      await em.query(`UPDATE report_schedules SET next_run_at = $2, last_run_at = $3, last_error = $4 WHERE id = $1`, [s.id, next, tick, error]);
      return true;
    });
  }

  private async schedulePayload(s: DueSchedule, tick: Date): Promise<string> {
    const data = {
      schedule_id: toPublicId('sched', s.id),
      saved_report_id: s.saved_report_id,
      scheduled_for: tick.toISOString(),
      format: s.format,
      ...(s.format === 'csv'
        ? { export: await this.reports.exportEnvelope(s.org_id, s.saved_report_id) }
        : { result: await this.reports.run(s.org_id, s.saved_report_id) }),
    };
    return JSON.stringify({ type: 'report.scheduled', timestamp: new Date().toISOString(), data });
  }

  /**
   * One due alert: evaluate, and on a change of state write the transition's delivery (dedupe key:
   * the transition's number) with the new state in the same transaction; false when none is due.
   */
  private async evaluateDueAlert(): Promise<boolean> {
    return this.dataSource.transaction(async (em) => {
      const [a] = await queryRows<DueAlert>(em,
        `SELECT id, org_id, name, saved_report_id, destination_id, measure, op, threshold, state, transitions FROM report_alerts
          WHERE next_eval_at <= now() ORDER BY next_eval_at LIMIT 1 FOR UPDATE SKIP LOCKED`);
      if (!a) return false;
      this.evaluations.inc({ kind: 'alert' });
      let value: number | null;
      let asOf: string;
      try {
        const result = await this.reports.run(a.org_id, a.saved_report_id);
        const dims = result.columns.filter((c) => c.kind === 'dimension');
        if (dims.length > 0) throw new AlertError('the saved report has dimensions now; an alert needs one aggregate row');
        if (!result.columns.some((c) => c.name === a.measure)) throw new AlertError(`the saved report no longer has the measure ${a.measure}`);
        const raw = result.rows[0]?.[a.measure];
        value = typeof raw === 'number' ? raw : raw === null || raw === undefined ? null : Number(raw);
        asOf = result.as_of;
      } catch (e) {
        if (isTransient(e)) throw e;
        await this.reschedule(em, a.id, `UPDATE report_alerts SET last_error = $2, last_evaluated_at = now()`, [describe(e)]);
        return true;
      }
      const state = stateFor(value, a.op, a.threshold);
      let transitions = a.transitions;
      if (state !== a.state) {
        transitions += 1;
        const evaluatedAt = new Date().toISOString();
        await this.deliveries.insert(em, {
          orgId: a.org_id, destinationId: a.destination_id, alertId: a.id, dedupeKey: `alert:${a.id}:${transitions}`,
          eventType: state === 'firing' ? 'alert.firing' : 'alert.resolved',
          body: JSON.stringify({
            type: state === 'firing' ? 'alert.firing' : 'alert.resolved',
            timestamp: evaluatedAt,
            data: {
              alert_id: toPublicId('alert', a.id), name: a.name, saved_report_id: a.saved_report_id, measure: a.measure, op: a.op,
              threshold: a.threshold, value, state, previous_state: a.state, as_of: asOf, evaluated_at: evaluatedAt,
            },
          }),
        });
      }
      await this.reschedule(em, a.id,
        `UPDATE report_alerts SET state = $2, transitions = $3, last_value = $4, last_error = NULL, last_evaluated_at = now()`,
        [state, transitions, value]);
      return true;
    });
  }

  /**
   * `update` plus the next evaluation: every `every` on the alert's own cadence; after a stall
   * (the service was down) `every` from now, rather than a burst of catch-up evaluations.
   */
  private async reschedule(em: EntityManager, id: string, update: string, params: unknown[]): Promise<void> {
    await em.query(
      `${update}, next_eval_at = CASE WHEN next_eval_at + make_interval(secs => every_seconds) > now()
                                      THEN next_eval_at + make_interval(secs => every_seconds)
                                      ELSE now() + make_interval(secs => every_seconds) END
        WHERE id = $1`,
      [id, ...params],
    );
  }

  /** Claims due deliveries in batches and sends them, SEND_CONCURRENCY at a time, until none is due. */
  private async sendDue(): Promise<{ sent: number; succeeded: number; failed: number }> {
    const total = { sent: 0, succeeded: 0, failed: 0 };
    for (let round = 0; round < PER_PASS / SEND_BATCH; round++) {
      const claimed = await this.dataSource.transaction((em) => this.deliveries.claim(em, SEND_BATCH, this.config.deliveries.leaseMs));
      let next = 0;
      const lane = async () => {
        // At shutdown the rest of the batch is released below, for another instance (or this one, restarted).
        while (next < claimed.length && !this.stopping) {
          const outcome = await this.sendOne(claimed[next++]);
          total.sent += 1;
          if (outcome === 'succeeded') total.succeeded += 1;
          if (outcome === 'failed') total.failed += 1;
        }
      };
      await Promise.all(Array.from({ length: SEND_CONCURRENCY }, lane));
      if (next < claimed.length) {
        const unsent = claimed.slice(next);
        await this.dataSource.transaction((em) => this.deliveries.release(em, unsent));
      }
      if (claimed.length < SEND_BATCH || this.stopping) break;
    }
    return total;
  }

  private async sendOne(row: ClaimedDelivery): Promise<'succeeded' | 'retry' | 'failed' | 'lost'> {
    const { allowPrivate, timeoutMs, maxAttempts, backoffBaseMs, backoffCapMs } = this.config.deliveries;
    const result = await sendWebhook(
      { id: toPublicId('delivery', row.id), url: row.url, secret: row.signing_secret, body: row.body, contentType: 'application/json' },
      { allowPrivate, timeoutMs },
    );
    let outcome: 'succeeded' | 'retry' | 'failed' | 'lost';
    if (result.ok) {
      outcome = (await this.dataSource.transaction((em) => this.deliveries.succeed(em, row, result.status!))) ? 'succeeded' : 'lost';
    } else {
      const status = await this.dataSource.transaction((em) =>
        this.deliveries.fail(em, row, result.status, result.error ?? 'failed', maxAttempts, backoffMs(row.attempts, backoffBaseMs, backoffCapMs)));
      outcome = status === null ? 'lost' : status === 'failed' ? 'failed' : 'retry';
      this.logger.emit('warn', 'webhook delivery attempt failed', { delivery_id: toPublicId('delivery', row.id), attempts: row.attempts, outcome, error: result.error });
    }
    this.outcomes.inc({ outcome });
    return outcome;
  }
}

class AlertError extends Error {}

/** The database going away or the org's query slots being busy: try again at the next pass. */
function isTransient(error: unknown): boolean {
  if (error instanceof ProblemException) return error.code === 'query_concurrency_limited' || error.code === 'service_unavailable';
  const e = error as { code?: string; driverError?: { code?: string }; message?: string };
  const code = e?.driverError?.code ?? e?.code ?? '';
  return /^(08|53|57P0[123])/.test(code) || /ECONNREFUSED|ECONNRESET|Connection terminated|timeout exceeded when trying to connect/.test(e?.message ?? '');
}

/** Bounded, secret-free text for `last_error`. */
function describe(error: unknown): string {
  if (error instanceof ProblemException) {
    const first = error.options.errors?.[0];
    return `${error.code}: ${error.detail ?? ''}${first ? ` (${first.pointer}: ${first.message})` : ''}`.slice(0, 500);
  }
  const e = error as { message?: string };
  return (e?.message ?? String(error)).replace(/\s+/g, ' ').slice(0, 500);
}
