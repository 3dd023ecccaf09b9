import { PROJECTED_EVENT_TYPES } from '#src/pipeline/pipeline.vocabulary.js';
import { backfill as runBackfill } from '#src/projector/backfill/backfill.js';
import type { CliContext } from './cli-context.js';
import { intFlag, orgIdBySlug, slugFlag } from './cli-args.js';
import { ProgressBar } from './progress-bar.js';

/**
 * Rows per backfill call. Calls resume where the previous one stopped, so the size sets how often
 * the progress bar moves and how many rows one statement inserts (and holds uncommitted) at most.
 */
const BATCH = 250_000;

/**
 * `backfill --org <slug> [--limit n]`: the admin route's backfill (SPEC §5) in batches until
 * nothing is left to enqueue or the limit is reached. Without --limit it enqueues everything
 * missing or stale. Prints `{org, enqueued, events, llm_generations, sessions, usage_ledger}`.
 */
export function backfillCommand(values: { org?: string; limit?: string }) {
  const slug = slugFlag(values.org, true)!;
  const limit = intFlag('limit', values.limit, 1, 100_000_000);
  return (ctx: CliContext) => backfill(ctx, slug, limit);
}

async function backfill(ctx: CliContext, slug: string, limit: number | undefined): Promise<void> {
  const ds = ctx.dataSource;
  const orgId = await orgIdBySlug(ds, slug);
  // The bar's total is what backfill could enqueue at most: every projected canonical row of the org.
  const [{ n }] = await ds.query(
    `SELECT (SELECT count(*) FROM sessions WHERE org_id = $1) + (SELECT count(*) FROM llm_generations WHERE org_id = $1)
          + (SELECT count(*) FROM usage_ledger WHERE org_id = $1) + (SELECT count(*) FROM events WHERE org_id = $1 AND type = ANY($2)) AS n`,
    [orgId, [...PROJECTED_EVENT_TYPES]],
  );
  const bar = new ProgressBar(`backfill ${slug}`, Math.min(limit ?? Infinity, Number(n)));
  const total = { enqueued: 0, events: 0, llm_generations: 0, sessions: 0, usage_ledger: 0 };
  for (;;) {
    const want = Math.min(BATCH, (limit ?? Infinity) - total.enqueued);
    if (want <= 0) break;
    const got = await runBackfill(ds, orgId, want);
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += got[k];
    bar.update(total.enqueued);
    if (got.enqueued < want) break;
  }
  bar.finish(total.enqueued);
  process.stdout.write(`${JSON.stringify({ org: slug, ...total })}\n`);
}
