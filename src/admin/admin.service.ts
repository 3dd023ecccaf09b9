import { Injectable } from '@nestjs/common';
import { toPublicId } from '#src/common/ids/public-id.js';
import { REPRICE_WORK, SOURCES } from '#src/pipeline/pipeline.vocabulary.js';
import { OutboxService } from '#src/projector/outbox.service.js';
import { ProjectorService } from '#src/projector/projector.service.js';
import { DATASETS } from '#src/reporting/catalog/catalog.js';
import { FreshnessService } from '#src/reporting/freshness/freshness.service.js';
import type { BackfillResultDto, DiagnosticsDto, OutboxRetryResultDto, ProjectorRunResultDto } from './admin.dto.js';

/** Operator actions (SPEC §5), each scoped to the caller's org. */
@Injectable()
export class AdminService {
  constructor(
    private readonly projector: ProjectorService,
    private readonly outbox: OutboxService,
    private readonly freshness: FreshnessService,
  ) {}

  runProjector(orgId: string, limit: number): Promise<ProjectorRunResultDto> {
    return this.projector.runOnce({ orgId, limit });
  }

  backfill(orgId: string, limit: number): Promise<BackfillResultDto> {
    return this.outbox.backfill(orgId, limit);
  }

  async diagnostics(orgId: string): Promise<DiagnosticsDto> {
    const datasets = await Promise.all(DATASETS.map(async (d) => ({ dataset: d.name, ...(await this.freshness.of(orgId, d)) })));
    const { counts, oldestPendingAgeMs, recentFailures } = await this.outbox.summary(orgId, 20);
    return {
      datasets,
      outbox: counts,
      oldest_pending_age_ms: oldestPendingAgeMs,
      recent_failures: recentFailures.map((f) => ({
        id: f.id, source_type: f.source_type, source_id: toPublicId(f.source_type === REPRICE_WORK.type ? 'reprice' : SOURCES[f.source_type].idPrefix, f.source_id), attempts: f.attempts,
        last_error: f.last_error, updated_at: f.updated_at.toISOString(),
      })),
    };
  }

  async retry(orgId: string, ids: string[] | undefined): Promise<OutboxRetryResultDto> {
    return { retried: await this.outbox.retry(orgId, ids ?? null) };
  }
}
