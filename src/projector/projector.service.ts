import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Histogram } from 'prom-client';
import { DataSource, EntityManager } from 'typeorm';
import { JsonLogger } from '#src/common/logging/json-logger.js';
import { APP_CONFIG, type AppConfig } from '#src/config/app-config.js';
import { isConflict, isDatabaseUnavailable, isUniqueViolation, pgErrorCode } from '#src/common/pg/pg-errors.js';
import { MetricsService } from '#src/metrics/metrics.service.js';
import { backoffMs } from './backoff.js';
import { REPRICE_WORK, SOURCE_TYPES, type SourceType } from '#src/pipeline/pipeline.vocabulary.js';
import { ClaimedRow, OutboxRepository } from './outbox.repository.js';
import { RepriceService } from './reprice.service.js';
import { batchParams, PROJECTION_PLAN_SQL } from './projections/common.sql.js';
import { PROJECT_EVENTS_SQL } from './projections/event.projection.js';
import { PROJECT_LLM_GENERATIONS_SQL } from './projections/llm-generation.projection.js';
import { PROJECT_SESSIONS_SQL } from './projections/session.projection.js';
import { PROJECT_USAGE_LEDGER_SQL } from './projections/usage-ledger.projection.js';
import { PRICE_LOCK_SQL } from '#src/reporting/prices/price-rule.sql.js';
import { WATERMARK_SQL } from '#src/reporting/freshness/watermark.sql.js';

/** One set-based statement per source type (SPEC §5). */
const PROJECTIONS: Record<SourceType, string> = {
  event: PROJECT_EVENTS_SQL,
  session: PROJECT_SESSIONS_SQL,
  llm_generation: PROJECT_LLM_GENERATIONS_SQL,
  usage_ledger: PROJECT_USAGE_LEDGER_SQL,
};

/** A batch projected unfenced met rows no longer its own: rolled back, to run again fenced. */
class ClaimsLost extends Error {}

export interface ProjectorRunResult {
  claimed: number;
  completed: number;
  failed: number;
}

/**
 * claim → project → finish (SPEC §5). Used by the schedule and the admin route alike. Safe to run
 * concurrently in any number of processes: claims skip locked rows and in-flight sources.
 */
@Injectable()
export class ProjectorService {
  private readonly projected: Counter<'source_type'>;
  private readonly outcomes: Counter<'outcome'>;
  private readonly batchSeconds: Histogram;
  private lastRelease = 0;
  /** Claims of passes the database dropped, released at the next pass that reaches it. */
  private abandoned: ClaimedRow[] = [];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outbox: OutboxRepository,
    private readonly reprices: RepriceService,
    private readonly logger: JsonLogger,
    metrics: MetricsService,
  ) {
    const registers = [metrics.registry];
    this.projected = new Counter({ name: 'factline_projector_rows_total', help: 'Outbox rows projected, by source type', labelNames: ['source_type'], registers });
    this.outcomes = new Counter({ name: 'factline_projector_failures_total', help: 'Failed outbox row attempts by outcome (retry, failed, superseded, lost, conflict_retry)', labelNames: ['outcome'], registers });
    this.batchSeconds = new Histogram({
      name: 'factline_projector_batch_duration_seconds', help: 'Duration of one claim-project-finish pass',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
    });
  }

  /** One pass: claim up to `limit` due rows (of one org, or all), project them, finish them. */
  async runOnce(options: { limit?: number; orgId?: string } = {}): Promise<ProjectorRunResult> {
    const end = this.batchSeconds.startTimer();
    const limit = options.limit ?? this.config.projector.batchSize;
    try {
      const raced = (e: unknown) => {
        // A concurrent ingest can race a release (unique pending row); the next pass retries it.
        if (!isUniqueViolation(e)) throw e;
      };
      if (this.abandoned.length > 0) {
        const rows = this.abandoned;
        await this.dataSource.transaction((em) => this.outbox.releaseClaims(em, rows)).then(() => {
          this.abandoned = this.abandoned.filter((r) => !rows.includes(r));
        }, raced);
      }
      // Expired leases are looked for on every manual run and at most once a second by the
      // schedule (not per pass: with several loops draining, that scan would run many times a second).
      if (options.orgId !== undefined || Date.now() - this.lastRelease >= 1000) {
        this.lastRelease = Date.now();
        await this.dataSource.transaction((em) => this.outbox.releaseExpired(em, this.config.outbox.maxAttempts)).catch(raced);
      }
      const claimed = await this.dataSource.transaction((em) => this.outbox.claim(em, limit, this.config.outbox.leaseMs, options.orgId));
      if (claimed.length === 0) return { claimed: 0, completed: 0, failed: 0 };
      try {
        // Sources are projected in batches; re-pricing work (SPEC §10) row by row, each in its own steps.
        const sources = claimed.filter((r) => r.source_type !== REPRICE_WORK.type);
        let { completed, failed } = sources.length > 0 ? await this.process(sources) : { completed: 0, failed: 0 };
        for (const row of claimed.filter((r) => r.source_type === REPRICE_WORK.type)) {
          const outcome = await this.reprice(row);
          completed += outcome === 'completed' ? 1 : 0;
          failed += outcome === 'failed' ? 1 : 0;
        }
        return { claimed: claimed.length, completed, failed };
      } catch (error) {
        // SPEC §8: the database went away mid-pass. The rows stay claimed in the database; hand
        // them back as soon as it answers again rather than after the lease.
        if (isDatabaseUnavailable(error)) this.abandoned.push(...claimed);
        throw error;
      }
    } finally {
      end();
    }
  }

  /**
   * Projects a batch in one transaction: project facts and rollups, then complete the rows — which
   * checks they are all still ours (completeClaimed). When one is not (its lease expired
   * mid-batch and another worker released or re-claimed it), the transaction rolls back and the
   * batch runs again fenced: the rows still ours locked first (lockOwned), only those projected.
   * Either way a batch commits facts only for rows it owns. If it fails, the batch is split in
   * halves and each half retried alone, so one poison row fails by itself and its neighbours
   * complete (SPEC §5).
   */
  private async process(rows: ClaimedRow[], fenced = false): Promise<{ completed: number; failed: number }> {
    try {
      const done = await this.retryingConflicts(() =>
        this.dataSource.transaction(async (em) => {
          // SPEC §10: never price with a table a concurrent price change is replacing (price-rule.sql.ts).
          await em.query(PRICE_LOCK_SQL.project, [[...new Set(rows.map((r) => r.org_id))]]);
          await em.query(PROJECTION_PLAN_SQL);
          const owned = fenced ? await this.outbox.lockOwned(em, rows) : undefined;
          const mine = owned ? rows.filter((r) => owned.has(r.id)) : rows;
          await this.project(em, mine);
          if (owned) await this.outbox.complete(em, mine.map((r) => r.id));
          else if (!(await this.outbox.completeClaimed(em, mine))) throw new ClaimsLost();
          // SPEC §15: last, so the row lock is held only to the commit; cached answers of these
          // orgs' datasets miss from the moment the facts are visible. One pair per (org, source type).
          const pairs = [...new Map(mine.map((r) => [`${r.org_id} ${r.source_type}`, r])).values()];
          if (pairs.length > 0) await em.query(WATERMARK_SQL.bump, [pairs.map((r) => r.org_id), pairs.map((r) => r.source_type)]);
          return mine;
        }),
      );
      if (done.length < rows.length) {
        this.logger.emit('warn', 'outbox rows lost to another worker after their lease expired', { lost: rows.length - done.length });
      }
      for (const t of SOURCE_TYPES) {
        const n = done.filter((r) => r.source_type === t).length;
        if (n > 0) this.projected.inc({ source_type: t }, n);
      }
      return { completed: done.length, failed: 0 };
    } catch (error) {
      if (error instanceof ClaimsLost) return this.process(rows, true);
      if (isDatabaseUnavailable(error)) throw error;
      if (rows.length === 1) {
        return { completed: 0, failed: (await this.failRow(rows[0], error)) ? 1 : 0 };
      }
      const mid = Math.ceil(rows.length / 2);
      const a = await this.process(rows.slice(0, mid), fenced);
      const b = await this.process(rows.slice(mid), fenced);
      return { completed: a.completed + b.completed, failed: a.failed + b.failed };
    }
  }

  /**
   * Concurrent projectors meet on shared rollup rows; a deadlock or serialization failure is the
   * database choosing a victim, not the batch's fault: run it again (a few times) before treating
   * it as a failure.
   */
  private async retryingConflicts<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (!isConflict(error) || attempt >= 5) throw error;
        this.outcomes.inc({ outcome: 'conflict_retry' });
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      }
    }
  }

  /** Carries out one re-pricing row to its end; a failing step backs the row off like any other (its progress stays). */
  private async reprice(row: ClaimedRow): Promise<'completed' | 'failed' | 'lost'> {
    try {
      const outcome = await this.reprices.run(row, (work) => this.retryingConflicts(work));
      if (outcome === 'lost') {
        this.logger.emit('warn', 'outbox rows lost to another worker after their lease expired', { lost: 1 });
        return 'lost';
      }
      this.projected.inc({ source_type: row.source_type });
      return 'completed';
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      return (await this.failRow(row, error)) ? 'failed' : 'lost';
    }
  }

  private async project(em: EntityManager, rows: ClaimedRow[]): Promise<void> {
    for (const type of SOURCE_TYPES) {
      const batch = rows.filter((r) => r.source_type === type);
      if (batch.length === 0) continue;
      await em.query(PROJECTIONS[type], batchParams(batch.map((r) => r.org_id), batch.map((r) => r.source_id)));
    }
  }

  /** Records a failed attempt; false when the row was no longer this worker's to fail. */
  private async failRow(row: ClaimedRow, error: unknown): Promise<boolean> {
    const message = describe(error);
    const { maxAttempts, backoffBaseMs, backoffCapMs } = this.config.outbox;
    const outcome = await this.dataSource.transaction((em) =>
      this.outbox.fail(em, row, message, maxAttempts, backoffMs(row.attempts, backoffBaseMs, backoffCapMs)),
    );
    this.outcomes.inc({ outcome });
    this.logger.emit('warn', 'outbox row failed', { outbox_id: row.id, source_type: row.source_type, attempts: row.attempts, outcome, error: message });
    return outcome !== 'lost';
  }

  async prune(): Promise<number> {
    return this.dataSource.transaction((em) => this.outbox.prune(em, this.config.outbox.retentionHours));
  }
}

/** Bounded, secret-free error text for `last_error`: the database's message and code only. */
function describe(error: unknown): string {
  const code = pgErrorCode(error);
  const message = (error as { message?: string } | null)?.message ?? String(error);
  return `${code ? `[${code}] ` : ''}${message.replace(/\s+/g, ' ')}`.slice(0, 500);
}
