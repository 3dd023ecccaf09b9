import type { DataSource } from 'typeorm';
import { JsonLogger } from '#src/common/logging/json-logger.js';
import type { AppConfig } from '#src/config/app-config.js';
import { MetricsService } from '#src/metrics/metrics.service.js';
import { OutboxRepository } from '#src/projector/outbox.repository.js';
import { ProjectorService } from '#src/projector/projector.service.js';
import { RepriceService } from '#src/projector/reprice.service.js';
import { ProgressBar } from './progress-bar.js';

export interface DrainResult {
  claimed: number;
  completed: number;
  failed: number;
  seconds: number;
  rows_per_second: number;
  /** What the scope's outbox still holds afterwards: rows backing off, held by another worker, or failed for good. */
  remaining: { pending: number; processing: number; failed: number };
}

/** The real ProjectorService on the CLI's DataSource: facts are produced exactly as in the service. */
export function cliProjector(ds: DataSource, config: AppConfig): ProjectorService {
  // Its warnings go to stderr: the CLI's stdout is for machine-read results.
  const logger = new JsonLogger(config.logLevel, (line) => process.stderr.write(line));
  const outbox = new OutboxRepository();
  return new ProjectorService(ds, config, outbox, new RepriceService(ds, config, outbox, logger), logger, new MetricsService());
}

export async function outboxCounts(ds: DataSource, orgIds: string[] | null): Promise<DrainResult['remaining']> {
  const { pending, processing, failed } = await new OutboxRepository().countByStatus(ds.manager, orgIds);
  return { pending, processing, failed };
}

/** As many workers as a service instance runs by default (REPORTING_PROJECTOR_WORKERS). */
export const DEFAULT_DRAIN_JOBS = 2;

/**
 * Runs claim → project → finish passes (`jobs` at once, as several service instances would) until
 * a pass finds nothing due. Rows that fail are retried later by the projector's backoff; they show
 * up in `remaining` rather than keeping the drain busy.
 */
export async function drainOutbox(
  ds: DataSource,
  config: AppConfig,
  options: { orgId?: string; jobs: number; batch: number },
): Promise<DrainResult> {
  const projector = cliProjector(ds, config);
  const scope = options.orgId ? [options.orgId] : null;
  const before = await outboxCounts(ds, scope);
  const bar = new ProgressBar(options.orgId ? 'projecting (org)' : 'projecting', before.pending);
  const started = Date.now();
  const total = { claimed: 0, completed: 0, failed: 0 };
  const worker = async () => {
    for (;;) {
      const r = await projector.runOnce({ orgId: options.orgId, limit: options.batch });
      if (r.claimed === 0) return;
      total.claimed += r.claimed;
      total.completed += r.completed;
      total.failed += r.failed;
      bar.update(total.completed + total.failed);
    }
  };
  await Promise.all(Array.from({ length: options.jobs }, worker));
  bar.finish(total.completed + total.failed);
  const seconds = (Date.now() - started) / 1000;
  return {
    ...total,
    seconds: round(seconds),
    rows_per_second: Math.round(total.claimed / Math.max(seconds, 0.001)),
    remaining: await outboxCounts(ds, scope),
  };
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
