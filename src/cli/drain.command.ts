import type { CliContext } from './cli-context.js';
import { intFlag, orgIdBySlug, slugFlag } from './cli-args.js';
import { DEFAULT_DRAIN_JOBS, drainOutbox } from './drain.js';

/**
 * `drain [--org <slug>] [--jobs n] [--batch n]`: projector passes until nothing is due, with a
 * progress bar; prints the counts, the throughput and what is left in the outbox.
 */
export function drainCommand(values: { org?: string; jobs?: string; batch?: string }) {
  const slug = slugFlag(values.org, false);
  const jobs = intFlag('jobs', values.jobs, 1, 16) ?? DEFAULT_DRAIN_JOBS;
  const batch = intFlag('batch', values.batch, 1, 50_000);
  return async (ctx: CliContext): Promise<void> => {
    const orgId = slug ? await orgIdBySlug(ctx.dataSource, slug) : undefined;
    const result = await drainOutbox(ctx.dataSource, ctx.config, { orgId, jobs, batch: batch ?? ctx.config.projector.batchSize });
    process.stdout.write(`${JSON.stringify({ org: slug ?? null, ...result })}\n`);
  };
}
