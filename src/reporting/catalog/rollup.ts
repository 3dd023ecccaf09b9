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

/**
 * SPEC §15: a percentile column's log-bucket histogram (migration 1732600000013): `keys` the
 * bucket keys ascending, `counts` the facts in each; `keyOfFact` a fact's bucket key (null when
 * its value is unknown, so it is not counted).
 */
export interface RollupSketch {
  column: string;
  keys: string;
  counts: string;
  keyOfFact: string;
}

/** The sketches' relative accuracy α: every bucket's value is within α of each value in it. */
export const SKETCH_RELATIVE_ERROR = 0.01;

export interface RollupSpec {
  table: string;
  /** Covered dimensions (never time buckets); their columns are named as in the fact table. */
  dimensions: DimensionDef[];
  /** Stored additive columns, `row_count` first. */
  columns: RollupColumn[];
  /** Percentile columns kept as sketches (SPEC §15), merged by set-based deltas like the additive columns. */
  sketches: RollupSketch[];
  /** Aggregate over rollup rows, per covered measure name (and `row_count`). */
  aggregates: Map<string, string>;
  /** The stored columns (and sketch key/count columns) each aggregate reads, from its SQL. */
  reads: Map<string, string[]>;
  /** Covered measures answered from sketches: approximate, within SKETCH_RELATIVE_ERROR. */
  approximate: Set<string>;
  /** The UTC hour a fact falls in. */
  hourOfFact: string;
}

/** Aggregations that are sums of per-fact values, so hourly partial sums add up exactly. */
const ADDITIVE: ReadonlySet<Aggregation> = new Set(['count', 'sum', 'avg', 'count_if', 'sum_if']);
const PERCENTILE: ReadonlyMap<Aggregation, number> = new Map([['p50', 0.5], ['p95', 0.95]]);

function specOf(dataset: DatasetDef): RollupSpec {
  const columns = new Map<string, string>([['row_count', '1']]);
  const aggregates = new Map<string, string>([['row_count', 'coalesce(sum(f.row_count), 0)']]);
  const sketches = new Map<string, RollupSketch>();
  const approximate = new Set<string>();
  for (const m of dataset.measures) {
    const p = PERCENTILE.get(m.aggregation);
    if (p !== undefined) {
      // percentile_cont's definition over the merged buckets of the group's hour rows
      // (rollup_sketch_quantile); array_agg collects them in linear time.
      const sketch = { column: m.column!, keys: `skk_${m.column}`, counts: `skn_${m.column}`, keyOfFact: `rollup_sketch_key(f.${m.column})` };
      sketches.set(m.column!, sketch);
      aggregates.set(m.name, `rollup_sketch_quantile(array_agg(ROW(f.${sketch.keys}, f.${sketch.counts})::rollup_sketch), ${p})`);
      approximate.add(m.name);
      continue;
    }
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
    sketches: [...sketches.values()],
    aggregates,
    reads: new Map([...aggregates].map(([name, sql]) => [name, columnsReadBy(sql)])),
    approximate,
    hourOfFact: `date_trunc('hour', f.${dataset.time_column}, 'UTC')`,
  };
}

const SPECS = new Map(DATASETS.map((d) => [d.name, specOf(d)]));

export function rollupOf(dataset: DatasetDef): RollupSpec {
  return SPECS.get(dataset.name)!;
}

/** The columns of `f` a SQL fragment of this file reads (every fragment here is written against `f`). */
export function columnsReadBy(sql: string): string[] {
  return [...sql.matchAll(/\bf\.([a-z0-9_]+)/g)].map((m) => m[1]);
}

/** The stored columns the aggregates of these measures (or `row_count`) read. */
export function storedColumnsRead(spec: RollupSpec, measures: string[]): Set<string> {
  return new Set(measures.flatMap((m) => spec.reads.get(m) ?? []));
}

/** Is this measure answerable from the dataset's rollup? */
export function rollupCovers(dataset: DatasetDef, measureName: string): boolean {
  return rollupOf(dataset).aggregates.has(measureName);
}

/**
 * Is the rollup's answer for this measure approximate (a percentile from a sketch, within
 * SKETCH_RELATIVE_ERROR)? Such a measure is merged from whole hour-rows' sketches, not summed from
 * per-fact column fragments: a plan that mixes rollup hours with fact edge hours must either build
 * the edge hours' sketches too or send the query to the facts.
 */
export function rollupApproximates(dataset: DatasetDef, measureName: string): boolean {
  return rollupOf(dataset).approximate.has(measureName);
}

/**
 * Rollup rows from the fact-shaped rows of `from` (a CTE or table name with the key columns, the
 * stored columns as one fact contributes them — signed for a delta — and `k_<column>`, each
 * sketch's bucket key): the key, the sums of the stored columns, and each sketch's bucket keys
 * ascending with their net counts (buckets netting 0 left out), grouped by the key. The
 * projector's deltas and the rebuild share it, so both build the same arrays. A row counts in its
 * buckets by its `row_count` (1 for a fact, −1 for a fact a delta takes away).
 */
export function rollupRowsSql(spec: RollupSpec, from: string): { select: string; key: string[]; stored: string[] } {
  const key = ['org_id', 'hour', ...spec.dimensions.map((d) => d.column)];
  const cols = spec.columns.map((c) => c.name);
  const stored = [...cols, ...spec.sketches.flatMap((k) => [k.keys, k.counts])];
  if (spec.sketches.length === 0) {
    return { key, stored, select: `SELECT ${key.join(', ')}, ${cols.map((c) => `sum(${c}) AS ${c}`).join(', ')} FROM ${from} GROUP BY ${key.join(', ')}` };
  }
  // Each sketch's buckets of each key, as one row (sk, keys, counts) appended below the rows, so
  // one GROUP BY builds the sums and the arrays of each rollup row. The buckets are sorted once
  // for all keys and aggregated in that order (no sort per group: that cost the projector a third).
  const buckets = spec.sketches.map((k, i) =>
    `SELECT ${key.join(', ')}, ${cols.map(() => 'NULL').join(', ')}, ${i} AS sk, array_agg(kk) AS keys, array_agg(kn) AS counts FROM (` +
    `SELECT ${key.join(', ')}, k_${k.column} AS kk, sum(row_count)::int AS kn FROM ${from} ` +
    `WHERE k_${k.column} IS NOT NULL GROUP BY ${key.join(', ')}, k_${k.column} HAVING sum(row_count) <> 0 ORDER BY ${key.join(', ')}, k_${k.column}) b ` +
    `GROUP BY ${key.join(', ')}`);
  const arrays = spec.sketches.flatMap((k, i) => [
    `coalesce(max(keys) FILTER (WHERE sk = ${i}), '{}') AS ${k.keys}`,
    `coalesce(max(counts) FILTER (WHERE sk = ${i}), '{}') AS ${k.counts}`,
  ]);
  return {
    key,
    stored,
    select: `SELECT ${key.join(', ')}, ${cols.map((c) => `sum(${c}) AS ${c}`).join(', ')}, ${arrays.join(', ')}
    FROM (
      SELECT ${key.join(', ')}, ${cols.join(', ')}, NULL::int AS sk, NULL::int[] AS keys, NULL::int[] AS counts FROM ${from}
      UNION ALL
      ${buckets.join('\n      UNION ALL\n      ')}
    ) d
    GROUP BY ${key.join(', ')}`,
  };
}
