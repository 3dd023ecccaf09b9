import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OUTBOX_CHANNEL } from '#src/pipeline/pipeline.vocabulary.js';
import { backfill, type BackfillCounts } from './backfill/backfill.js';
import { type FailedRow, OutboxRepository } from './outbox.repository.js';

export interface OutboxSummary {
  counts: Record<'pending' | 'processing' | 'completed' | 'failed', number>;
  oldestPendingAgeMs: number | null;
  recentFailures: FailedRow[];
}

/** The operator's view of and actions on one org's outbox (SPEC §5), for the admin routes. */
@Injectable()
export class OutboxService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxRepository,
  ) {}

  backfill(orgId: string, limit: number): Promise<BackfillCounts> {
    return backfill(this.dataSource, orgId, limit);
  }

  async summary(orgId: string, failures: number): Promise<OutboxSummary> {
    const em = this.dataSource.manager;
    const [counts, oldestPendingAgeMs, recentFailures] = await Promise.all([
      this.outbox.countByStatus(em, [orgId]), this.outbox.oldestPendingAgeMs(em, orgId), this.outbox.recentFailures(em, orgId, failures),
    ]);
    return { counts, oldestPendingAgeMs, recentFailures };
  }

  /** Failed rows (all of the org's, or the listed ids) back to pending; the projector is woken on commit. */
  retry(orgId: string, ids: string[] | null): Promise<number> {
    return this.dataSource.transaction(async (em) => {
      const n = await this.outbox.retryFailed(em, orgId, ids);
      if (n > 0) await em.query(`SELECT pg_notify($1, $2)`, [OUTBOX_CHANNEL, orgId]);
      return n;
    });
  }
}
