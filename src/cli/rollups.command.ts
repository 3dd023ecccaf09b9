import { checkRollup, rebuildRollup } from '#src/projector/rollups/rollup-maintenance.js';
import { DATASET_BY_NAME, DATASETS, type DatasetDef } from '#src/reporting/catalog/catalog.js';
import { orgIdBySlug, slugFlag } from './cli-args.js';
import type { CliContext } from './cli-context.js';
import { ProgressBar } from './progress-bar.js';
import { UsageError } from './usage-error.js';

/** `--org <slug>` and `--dataset <name>`, checked before the database is opened. */
export interface RollupFlags { org?: string; dataset?: string }

function scope(values: RollupFlags): { org?: string; datasets: DatasetDef[] } {
  const org = slugFlag(values.org, false);
  const dataset = values.dataset === undefined ? undefined : DATASET_BY_NAME.get(values.dataset);
  if (values.dataset !== undefined && !dataset) throw new UsageError(`--dataset must be one of ${DATASETS.map((d) => d.name).join(', ')}`);
  return { org, datasets: dataset ? [dataset] : DATASETS };
}

/** `rollups rebuild [--org <slug>] [--dataset <name>]`: recompute rollups from facts. */
export function rollupsRebuild(flags: RollupFlags) {
  const { org, datasets } = scope(flags);
  return async (ctx: CliContext) => {
    const orgId = org === undefined ? null : await orgIdBySlug(ctx.dataSource, org);
    for (const dataset of datasets) {
      let bar: ProgressBar | undefined;
      const rows = await rebuildRollup(ctx.dataSource, dataset, orgId, (p) => {
        bar ??= new ProgressBar(`rebuild ${p.dataset}`, p.total);
        bar.update(p.done);
      });
      bar?.finish();
      process.stdout.write(`${dataset.name}: ${rows} rollup rows rebuilt\n`);
    }
  };
}

/** `rollups check [--org <slug>] [--dataset <name>]`: report drift; exit 1 when there is any. */
export function rollupsCheck(flags: RollupFlags) {
  const { org, datasets } = scope(flags);
  return async (ctx: CliContext) => {
    const orgId = org === undefined ? null : await orgIdBySlug(ctx.dataSource, org);
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
  };
}
