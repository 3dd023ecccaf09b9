import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { JsonLogger } from '#src/common/logging/json-logger.js';
import { APP_CONFIG, type AppConfig } from '#src/config/app-config.js';
import { queryRows } from '#src/database/query-rows.js';
import { REPRICE_WORK } from '#src/pipeline/pipeline.vocabulary.js';
import { WATERMARK_SQL } from '#src/reporting/freshness/watermark.sql.js';
import { PRICE_LOCK_SQL } from '#src/reporting/prices/price-rule.sql.js';
import { ClaimedRow, OutboxRepository } from './outbox.repository.js';
import { REPRICE_FINISH_SQL, REPRICE_GENERATIONS_SQL, REPRICE_SESSIONS_SQL, REPRICE_STATE_SQL } from './projections/reprice.projection.js';

/** What one step did: more to do, the work finished (its outbox row completed), or the row is no longer this worker's. */
export type RepriceStep = 'more' | 'finished' | 'lost';

/**
 * Carries out a claimed `reprice` outbox row (SPEC §10; reprice.projection.ts): one transaction
 * per bounded step, each under the org's price lock held exclusively — price changes and the
 * org's projections wait for the step, and the step for them — fenced like a projection batch
 * (the row still this worker's claim) and renewing the row's lease. The last step deletes the
 * work and completes the row in the same transaction. A crash loses at most the step in flight:
 * the lease expires, the row is claimed again and the work resumes at its recorded progress.
 */
@Injectable()
export class RepriceService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outbox: OutboxRepository,
    private readonly logger: JsonLogger,
  ) {}

  /** Runs `step` until the work is finished or lost; a step that fails throws (the work keeps its progress). */
  async run(row: ClaimedRow, retrying: <T>(work: () => Promise<T>) => Promise<T>): Promise<Exclude<RepriceStep, 'more'>> {
    for (;;) {
      const r = await retrying(() => this.dataSource.transaction((em) => this.step(em, row)));
      if (r !== 'more') return r;
    }
  }

  /** One bounded step of the work, in the caller's transaction. */
  async step(em: EntityManager, row: ClaimedRow): Promise<RepriceStep> {
    if (row.source_type !== REPRICE_WORK.type) throw new Error(`not re-pricing work: ${row.source_type}`);
    await em.query(PRICE_LOCK_SQL.change, [row.org_id]);
    if (!(await this.outbox.lockOwned(em, [row])).has(row.id)) return 'lost';
    await this.outbox.renewLease(em, row.id, this.config.outbox.leaseMs);
    const params = [row.org_id, row.source_id];
    const size = this.config.projector.repriceStepSize;
    const [state] = await queryRows<{ generations_done: boolean }>(em, REPRICE_STATE_SQL, params);
    const started = Date.now();
    let more = false;
    if (state && !state.generations_done) {
      const [r] = await queryRows<Record<string, number | boolean>>(em, REPRICE_GENERATIONS_SQL, [...params, size]);
      this.logger.emit('debug', 're-pricing step: generations', { outbox_id: row.id, ms: Date.now() - started, ...r });
      more = true;
    } else if (state) {
      const [r] = await queryRows<{ sessions: number }>(em, REPRICE_SESSIONS_SQL, [...params, Math.max(1, Math.floor(size / 10))]);
      this.logger.emit('debug', 're-pricing step: sessions', { outbox_id: row.id, ms: Date.now() - started, ...r });
      more = r.sessions > 0;
    }
    if (!more) {
      await queryRows(em, REPRICE_FINISH_SQL, params);
      await this.outbox.complete(em, [row.id]);
    }
    // SPEC §15: cached answers of the datasets this work rewrites miss from this step's commit on.
    await em.query(WATERMARK_SQL.bump, [[row.org_id], [REPRICE_WORK.type]]);
    return more ? 'more' : 'finished';
  }
}
