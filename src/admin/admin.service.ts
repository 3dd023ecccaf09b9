import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { IdPrefix, toPublicId } from '../common/ids/public-id.js';
import { OUTBOX_CHANNEL } from '../ingest/ingest.service.js';
import { OutboxRepository } from '../projector/outbox.repository.js';
import { ProjectorService } from '../projector/projector.service.js';
import { DATASETS } from '../reporting/catalog/catalog.js';
import { FreshnessService } from '../reporting/freshness/freshness.service.js';
import type { BackfillResultDto, DiagnosticsDto, OutboxRetryResultDto, ProjectorRunResultDto } from './admin.dto.js';
import { backfill as runBackfill } from './backfill.js';

const SOURCE_PREFIX: Record<string, IdPrefix> = { event: 'event', session: 'session', llm_generation: 'gen', usage_ledger: 'ledger' };

/** Operator actions (SPEC §5), each scoped to the caller's org. */
@Injectable()
export class AdminService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly projector: ProjectorService,
    private readonly outbox: OutboxRepository,
    private readonly freshness: FreshnessService,
  ) {}

  runProjector(orgId: string, limit: number): Promise<ProjectorRunResultDto> {
    return this.projector.runOnce({ orgId, limit });
  }

  async backfill(orgId: string, limit: number): Promise<BackfillResultDto> {
    return runBackfill(this.dataSource, orgId, limit);
  }

  async diagnostics(orgId: string): Promise<DiagnosticsDto> {
    const datasets = await Promise.all(DATASETS.map(async (d) => ({ dataset: d.name, ...(await this.freshness.of(orgId, d)) })));
    const counts: { status: string; n: number }[] = await this.dataSource.query(
      `SELECT status, count(*)::int AS n FROM reporting_outbox WHERE org_id = $1 GROUP BY status`,
      [orgId],
    );
    const [oldest] = await this.dataSource.query(
      `SELECT (extract(epoch FROM now() - min(created_at)) * 1000)::bigint AS age FROM reporting_outbox WHERE org_id = $1 AND status = 'pending'`,
      [orgId],
    );
    const failed: { id: string; source_type: string; source_id: string; attempts: number; last_error: string | null; updated_at: Date }[] = await this.dataSource.query(
      `SELECT id::text, source_type, source_id, attempts, last_error, updated_at FROM reporting_outbox
        WHERE org_id = $1 AND status = 'failed' ORDER BY updated_at DESC, id DESC LIMIT 20`,
      [orgId],
    );
    const n = (s: string) => counts.find((c) => c.status === s)?.n ?? 0;
    return {
      datasets,
      outbox: { pending: n('pending'), processing: n('processing'), completed: n('completed'), failed: n('failed') },
      oldest_pending_age_ms: oldest.age === null ? null : Math.max(0, oldest.age),
      recent_failures: failed.map((f) => ({
        id: f.id, source_type: f.source_type, source_id: toPublicId(SOURCE_PREFIX[f.source_type], f.source_id), attempts: f.attempts,
        last_error: f.last_error, updated_at: f.updated_at.toISOString(),
      })),
    };
  }

  async retry(orgId: string, ids: string[] | undefined): Promise<OutboxRetryResultDto> {
    const retried = await this.dataSource.transaction(async (em) => {
      const n = await this.outbox.retryFailed(em, orgId, ids ?? null);
      if (n > 0) await em.query(`SELECT pg_notify($1, $2)`, [OUTBOX_CHANNEL, orgId]);
      return n;
    });
    return { retried };
  }
}
