import { ApiKeyService } from '#src/auth/api-key.service.js';
import { toPublicId } from '#src/common/ids/public-id.js';
import type { CliContext } from '#src/cli/cli-context.js';
import { DEFAULT_DRAIN_JOBS, drainOutbox, outboxCounts, round, type DrainResult } from '#src/cli/drain.js';
import { type SeedFlags, type SeedOptions, seedOptionsFrom } from './seed-options.js';
import { buildSeedPlan } from './seed-plan.js';
import { CANONICAL_TABLES, countByOrg, FACT_TABLES } from './seed-summary.js';
import { writeOrg, type WrittenCounts } from './seed-writer.js';

/**
 * `seed`: demo data for several orgs (SPEC §1), reproducible from the flags — the same flags,
 * `--end` and `--seed` give the same rows, ids included. Canonical rows and their outbox rows are
 * written set-based; then (unless --no-project) the real projector drains the outbox. Progress on
 * stderr; stdout gets one JSON summary with an owner API key per org.
 */
export function seedCommand(flags: SeedFlags) {
  const options = seedOptionsFrom(flags);
  return (ctx: CliContext) => seed(ctx, options);
}

async function seed(ctx: CliContext, options: SeedOptions): Promise<void> {
  const plan = buildSeedPlan(options);
  const ds = ctx.dataSource;

  const writeStarted = Date.now();
  const orgs: { slug: string; name: string; orgId: string; written: WrittenCounts }[] = [];
  for (const org of plan.orgs) {
    const { orgId, written } = await writeOrg(ds, plan, org, options.jobs);
    orgs.push({ slug: org.slug, name: org.name, orgId, written });
  }
  const writeSeconds = (Date.now() - writeStarted) / 1000;
  const orgIds = orgs.map((o) => o.orgId);

  let drain: DrainResult | null = null;
  if (options.project) drain = await drainOutbox(ds, ctx.config, { jobs: DEFAULT_DRAIN_JOBS, batch: ctx.config.projector.batchSize });
  process.stderr.write('analyzing tables and counting rows…\n');
  // Fresh statistics, so the first report queries on the new data get good plans.
  for (const table of [...CANONICAL_TABLES, ...FACT_TABLES, 'reporting_outbox']) await ds.query(`ANALYZE ${table}`);

  const canonical = await countByOrg(ds, CANONICAL_TABLES, orgIds);
  const facts = await countByOrg(ds, FACT_TABLES, orgIds);
  const keys = new ApiKeyService(ds, ctx.config);
  const orgSummaries = [];
  for (const o of orgs) {
    // Through the service's own key path: hashed, shown once — here, in the summary.
    const created = await keys.createKey(o.slug, 'owner');
    const f = facts.get(o.orgId)!;
    orgSummaries.push({
      slug: o.slug,
      name: o.name,
      id: toPublicId('org', o.orgId),
      owner_api_key: created.key,
      canonical: canonical.get(o.orgId),
      facts: f,
      fact_total: FACT_TABLES.reduce((acc, t) => acc + f[t], 0),
    });
  }
  const summary = {
    seed: options.seed,
    size: options.size,
    facts_requested: options.facts,
    window: { from: new Date(plan.startMs).toISOString(), to: new Date(plan.endMs).toISOString(), days: options.days },
    orgs: orgSummaries,
    written: sum(orgs.map((o) => o.written)),
    outbox: await outboxCounts(ds, orgIds),
    seconds: { write: round(writeSeconds), drain: drain ? drain.seconds : null },
    drain: drain && { claimed: drain.claimed, completed: drain.completed, failed: drain.failed, rows_per_second: drain.rows_per_second },
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

function sum(rows: WrittenCounts[]): WrittenCounts {
  const out = { ...rows[0] };
  for (const r of rows.slice(1)) for (const k of Object.keys(out) as (keyof WrittenCounts)[]) out[k] += r[k];
  return out;
}
