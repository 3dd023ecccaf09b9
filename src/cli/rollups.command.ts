import { parseArgs } from 'node:util';
import { DATASET_BY_NAME, DATASETS } from '../reporting/catalog/catalog.js';
import { checkRollup, rebuildRollup } from '../projector/rollups/rollup-maintenance.js';
import type { CliContext } from './cli-context.js';
import { ProgressBar } from './progress-bar.js';

export class CliUsageError extends Error {}

/** `--org <slug>` and `--dataset <name>` → the org id (or all) and the datasets to work on. */
async function scope(ctx: CliContext, args: string[]) {
  const { values } = parseArgs({ args, options: { org: { type: 'string' }, dataset: { type: 'string' } }, strict: true });
  let orgId: string | null = null;
  if (values.org !== undefined) {
    const [org] = await ctx.dataSource.query(`SELECT id FROM orgs WHERE slug = $1`, [values.org]);
    if (!org) throw new CliUsageError(`no org with slug "${values.org}"`);
    orgId = org.id;
  }
  const dataset = values.dataset === undefined ? undefined : DATASET_BY_NAME.get(values.dataset);
  if (values.dataset !== undefined && !dataset) throw new CliUsageError(`--dataset must be one of ${DATASETS.map((d) => d.name).join(', ')}`);
  return { orgId, datasets: dataset ? [dataset] : DATASETS };
}

/** `rollups rebuild [--org <slug>] [--dataset <name>]`: recompute rollups from facts. */
export async function rollupsRebuild(ctx: CliContext, args: string[]): Promise<void> {
  const { orgId, datasets } = await scope(ctx, args);
  for (const dataset of datasets) {
    let bar: ProgressBar | undefined;
    const rows = await rebuildRollup(ctx.dataSource, dataset, orgId, (p) => {
      bar ??= new ProgressBar(`rebuild ${p.dataset}`, p.total);
      bar.update(p.done);
    });
    bar?.finish();
    process.stdout.write(`${dataset.name}: ${rows} rollup rows rebuilt\n`);
  }
}

/** `rollups check [--org <slug>] [--dataset <name>]`: report drift; exit 1 when there is any. */
export async function rollupsCheck(ctx: CliContext, args: string[]): Promise<void> {
  const { orgId, datasets } = await scope(ctx, args);
  let drifted = 0;
  for (const dataset of datasets) {
    const drift = await checkRollup(ctx.dataSource.manager, dataset, orgId);
    if (drift.missing + drift.extra === 0) {
      process.stdout.write(`${dataset.name}: ok\n`);
      continue;
    }
    drifted += 1;
    process.stdout.write(`${dataset.name}: DRIFT — ${drift.missing} rows missing or different, ${drift.extra} rows extra or different\n`);
    for (const e of drift.examples) process.stdout.write(`  ${e.side === 'expected' ? 'facts say ' : 'rollup has'} ${JSON.stringify(e.row)}\n`);
  }
  if (drifted > 0) {
    process.stdout.write(`drift in ${drifted} dataset(s); repair with: npm run cli -- rollups rebuild\n`);
    process.exitCode = 1;
  }
}
