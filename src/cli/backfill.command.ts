import { parseArgs } from 'node:util';
import { BACKFILL_PLAN_SQL, BACKFILL_SQL } from '../admin/backfill.sql.js';
import { PROJECTED_EVENT_TYPES } from '../ingest/ingest.sql.js';
import { OUTBOX_CHANNEL } from '../ingest/ingest.service.js';
import type { CliContext } from './cli-context.js';
import { intFlag, orgIdBySlug, slugFlag } from './cli-args.js';
import { ProgressBar } from './progress-bar.js';

/**
 * Rows per BACKFILL_SQL call: each call is one statement and one transaction, and each re-reads
 * the org's canonical rows, facts and live outbox rows (the selection is stateless), so fewer,
 * larger calls do less work in all; 250k still moves the progress bar on a million rows.
 */
const BATCH = 250_000;

/**
 * `backfill --org <slug> [--limit n]`: the admin route's statement (SPEC §5) in batches until
 * nothing is left to enqueue or the limit is reached. Without --limit it enqueues everything
 * missing or stale. Prints `{org, enqueued, events, llm_generations, sessions, usage_ledger}`.
 */
export function backfillCommand(args: string[]) {
  const { values } = parseArgs({ args, strict: true, options: { org: { type: 'string' }, limit: { type: 'string' } } });
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
    const got = await ds.transaction(async (em) => {
      await em.query(BACKFILL_PLAN_SQL);
      const [r] = await em.query(BACKFILL_SQL, [orgId, want]);
      const enqueued = r.events + r.sessions + r.llm_generations + r.usage_ledger;
      if (enqueued > 0) await em.query(`SELECT pg_notify($1, $2)`, [OUTBOX_CHANNEL, orgId]);
      return { ...r, enqueued };
    });
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += got[k];
    bar.update(total.enqueued);
    if (got.enqueued < want) break;
  }
  bar.finish(total.enqueued);
  process.stdout.write(`${JSON.stringify({ org: slug, ...total })}\n`);
}
