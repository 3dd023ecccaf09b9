import { DATASETS, type Aggregation, type DatasetDef, type DimensionDef } from './catalog.js';

/**
 * The hourly rollups (SPEC §6 Rollups), derived from the catalog so that the projector (which
 * keeps them), the rebuild/check commands and the query compiler (which reads them) share one
 * definition. A rollup row holds, for one org, one UTC hour and one combination of the covered
 * dimensions, the sums and counts of the dataset's additive measures over the facts in it.
 *
 * Every SQL fragment here is written against the alias `f` — a fact row when a fragment computes
 * what one fact contributes, a rollup row when it aggregates rollup rows.
 */

/** A stored additive column: its name and what one fact adds to it. */
export interface RollupColumn {
  name: string;
  perFact: string;
}

export interface RollupSpec {
  table: string;
  /** Covered dimensions (never time buckets); their columns are named as in the fact table. */
  dimensions: DimensionDef[];
  /** Stored additive columns, `row_count` first. */
  columns: RollupColumn[];
  /** Aggregate over rollup rows, per covered measure name (and `row_count`). */
  aggregates: Map<string, string>;
  /** The UTC hour a fact falls in. */
  hourOfFact: string;
}

/** Aggregations that are sums of per-fact values, so hourly partial sums add up exactly. */
const ADDITIVE: ReadonlySet<Aggregation> = new Set(['count', 'sum', 'avg', 'count_if', 'sum_if']);

function specOf(dataset: DatasetDef): RollupSpec {
  const columns = new Map<string, string>([['row_count', '1']]);
  const aggregates = new Map<string, string>([['row_count', 'coalesce(sum(f.row_count), 0)']]);
  for (const m of dataset.measures) {
    if (!ADDITIVE.has(m.aggregation)) continue;
    switch (m.aggregation) {
      case 'count':
        aggregates.set(m.name, 'coalesce(sum(f.row_count), 0)');
        break;
      case 'sum':
        columns.set(`sum_${m.column}`, `coalesce(f.${m.column}, 0)`);
        aggregates.set(m.name, `coalesce(sum(f.sum_${m.column}), 0)`);
        break;
      case 'avg':
        // avg(x) = sum(x) / count(x) over known values; dividing numerics exactly as PostgreSQL's
        // own avg() does keeps the two paths bit-identical.
        columns.set(`sum_${m.column}`, `coalesce(f.${m.column}, 0)`);
        columns.set(`cnt_${m.column}`, `(f.${m.column} IS NOT NULL)::int`);
        aggregates.set(m.name, `(sum(f.sum_${m.column})::numeric / nullif(sum(f.cnt_${m.column}), 0)::numeric)::float8`);
        break;
      case 'count_if':
        columns.set(`if_${m.name}`, `CASE WHEN ${m.condition} THEN 1 ELSE 0 END`);
        aggregates.set(m.name, `coalesce(sum(f.if_${m.name}), 0)`);
        break;
      case 'sum_if':
        columns.set(`if_${m.name}`, `CASE WHEN ${m.condition} THEN coalesce(f.${m.column}, 0) ELSE 0 END`);
        aggregates.set(m.name, `coalesce(sum(f.if_${m.name}), 0)`);
        break;
    }
  }
  const dimensions = dataset.rollup.dimensions.map((name) => {
    const d = dataset.dimensions.find((x) => x.name === name);
    if (!d || d.type === 'time') throw new Error(`catalog: rollup of ${dataset.name} names ${name}, not a dimension`);
    return d;
  });
  return {
    table: dataset.rollup.table,
    dimensions,
    columns: [...columns].map(([name, perFact]) => ({ name, perFact })),
    aggregates,
    hourOfFact: `date_trunc('hour', f.${dataset.time_column}, 'UTC')`,
  };
}

const SPECS = new Map(DATASETS.map((d) => [d.name, specOf(d)]));

export function rollupOf(dataset: DatasetDef): RollupSpec {
  return SPECS.get(dataset.name)!;
}

/** Is this measure answerable from the dataset's rollup? */
export function rollupCovers(dataset: DatasetDef, measureName: string): boolean {
  return rollupOf(dataset).aggregates.has(measureName);
}
