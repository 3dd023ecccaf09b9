import type { DatasetDef } from '#src/reporting/catalog/catalog.js';
import { columnsReadBy, rollupOf, rollupRowsSql, type RollupSketch, type RollupSpec } from '#src/reporting/catalog/rollup.js';

/**
 * CTEs that keep a dataset's hourly rollup exact as a projection rewrites facts (SPEC §6
 * Rollups): every fact the statement writes is added, every fact it replaces or deletes is
 * subtracted, and the net change per rollup row is upserted as a delta. `plus` and `minus` name
 * CTEs of fact-shaped rows: the new facts, and the stored facts they replace or remove — either
 * read from the fact table in the same statement (a data-modifying WITH never sees its own
 * writes, so that yields the values before it) or returned by the upsert that replaced them
 * (RETURNING old: the version it replaced).
 *
 * Percentile sketches (SPEC §15) move the same way: each new fact adds one to its value's bucket,
 * each replaced fact takes one from its old bucket.
 *
 * Rows are upserted in key order so concurrent projectors lock rollup rows in the same order;
 * groups whose delta is zero (a replay, or an attribution change the rollup does not keep) are
 * not written at all.
 */
export function rollupDeltaCtes(name: string, dataset: DatasetDef, plus: string, minus: string, options: { changed?: readonly string[] } = {}): string {
  const full = rollupOf(dataset);
  // `changed`: the only fact columns the caller rewrites (re-pricing: the cost), every other
  // column of `plus` equal to its row in `minus`. The deltas of the stored columns and sketches
  // that read none of them are zero: not computed, and left alone in the stored rows (a row the
  // upsert would insert takes their defaults, 0 and empty; with every key in both sides there is none).
  const only = options.changed;
  const spec = only
    ? { ...full, columns: full.columns.filter((c) => columnsReadBy(c.perFact).some((col) => only.includes(col))), sketches: full.sketches.filter((k) => only.includes(k.column)) }
    : full;
  const dims = spec.dimensions.map((d) => d.column);
  const cols = spec.columns.map((c) => c.name);
  const side = (from: string, sign: string) =>
    `SELECT f.org_id, ${spec.hourOfFact} AS hour, ${dims.map((d) => `f.${d}`).join(', ')}, ` +
    `${spec.columns.map((c) => `${sign}(${c.perFact}) AS ${c.name}`).join(', ')}` +
    `${spec.sketches.map((k) => `, ${k.keyOfFact} AS k_${k.column}`).join('')} FROM ${from} f`;
  const rows = deltaRowsSql(spec, `${name}_delta`);
  // Stored + delta, merged bucket by bucket; a bucket whose count reaches 0 is dropped, so a row's
  // arrays stay what a rebuild from its facts computes. A sketch the delta leaves unchanged is
  // kept as it is. A delta of one bucket (most rows of a batch: one fact of the row's hour and
  // group) is spliced in by position: its key found in the stored keys (array_position), else
  // inserted where it sorts (width_bucket over the ascending keys). Any other delta is merged in
  // general: the two sketches' buckets unnested, summed by key, collected in key order. Every
  // sketch of the row in one subquery (one per conflicting row, not one per sketch); the general
  // merge runs only for a delta of several buckets, once (x is not flattened: OFFSET 0).
  const sketchSet = (sketches: readonly RollupSketch[]) => {
    const parts = sketches.map((k, j) => {
      const [keys, counts, dk, dn, n] = [`r.${k.keys}`, `r.${k.counts}`, `excluded.${k.keys}[1]`, `excluded.${k.counts}[1]`, `cardinality(excluded.${k.keys})`];
      const [i, p, g] = [`x.i${j}`, `x.p${j}`, `x.g${j}`];
      const splice = (arr: string, removed: string, kept: string) =>
        `CASE WHEN ${n} = 0 THEN ${arr} WHEN ${n} > 1 THEN (${g}).${arr === keys ? 'keys' : 'counts'} ` +
        `WHEN ${i} IS NULL THEN ${arr}[:${p}] || ${arr === keys ? dk : dn} || ${arr}[${p} + 1:] ` +
        `WHEN ${counts}[${i}] + ${dn} = 0 THEN ${removed} ELSE ${kept} END`;
      return {
        out: [
          splice(keys, `${keys}[:${i} - 1] || ${keys}[${i} + 1:]`, keys),
          splice(counts, `${counts}[:${i} - 1] || ${counts}[${i} + 1:]`, `${counts}[:${i} - 1] || (${counts}[${i}] + ${dn}) || ${counts}[${i} + 1:]`),
        ],
        inner: [
          `array_position(${keys}, ${dk}) AS i${j}`, `width_bucket(${dk}, ${keys}) AS p${j}`,
          `CASE WHEN ${n} > 1 THEN (SELECT ROW(coalesce(array_agg(u.k), '{}'), coalesce(array_agg(u.n), '{}'))::rollup_sketch FROM ` +
          `(SELECT k, sum(n)::int AS n FROM unnest(${keys} || excluded.${k.keys}, ${counts} || excluded.${k.counts}) AS m(k, n) ` +
          `GROUP BY k HAVING sum(n) <> 0 ORDER BY k) u) END AS g${j}`,
        ],
      };
    });
    return `(${sketches.flatMap((k) => [k.keys, k.counts]).join(', ')}) = (SELECT ${parts.flatMap((x) => x.out).join(', ')} ` +
      `FROM (SELECT ${parts.flatMap((x) => x.inner).join(', ')} OFFSET 0) x)`;
  };
  const set = [...cols.map((c) => `${c} = r.${c} + excluded.${c}`), ...(spec.sketches.length > 0 ? [sketchSet(spec.sketches)] : [])];
  const changed = [...cols.map((c) => `g.${c} <> 0`), ...spec.sketches.map((k) => `cardinality(g.${k.keys}) > 0`)];
  return `${name}_delta AS (
    ${side(plus, '')}
    UNION ALL
    ${side(minus, '-')}
  ),
  ${name} AS (
    INSERT INTO ${spec.table} AS r (${[...rows.key, ...rows.stored].join(', ')})
    SELECT ${[...rows.key, ...rows.stored].join(', ')} FROM (${rows.select}) g
    WHERE ${changed.join(' OR ')}
    ORDER BY ${rows.key.join(', ')}
    ON CONFLICT ON CONSTRAINT ${spec.table}_key DO UPDATE SET ${set.join(', ')}
    RETURNING 1
  )`;
}

/**
 * The rollup rows of a delta (`from`: fact-shaped rows, `row_count` 1 for a fact added and −1 for
 * one taken away): rollupRowsSql's rows, built for a batch, where most groups hold one fact. One
 * GROUP BY collects each sketch's bucket keys and counts as they come; a group of one fact's
 * bucket is already what rollupRowsSql builds (one key, a count of ±1), and only a group with
 * several is summed by key, netted and sorted (rollupRowsSql instead sorts every bucket of the
 * batch apart from the rows, then merges both: about a third of a statement's rollup time).
 */
function deltaRowsSql(spec: RollupSpec, from: string): { select: string; key: string[]; stored: string[] } {
  const rows = rollupRowsSql(spec, from);
  if (spec.sketches.length === 0) return rows;
  const cols = spec.columns.map((c) => c.name);
  const sketch = (k: RollupSketch) => {
    const known = `FILTER (WHERE k_${k.column} IS NOT NULL)`;
    const [keys, counts] = [`array_agg(k_${k.column}) ${known}`, `array_agg(row_count::int) ${known}`];
    return `CASE WHEN count(k_${k.column}) < 2 THEN ROW(coalesce(${keys}, '{}'), coalesce(${counts}, '{}'))::rollup_sketch ` +
      `ELSE (SELECT ROW(coalesce(array_agg(u.k ORDER BY u.k), '{}'), coalesce(array_agg(u.n ORDER BY u.k), '{}'))::rollup_sketch ` +
      `FROM (SELECT m.k, sum(m.n)::int AS n FROM unnest(${keys}, ${counts}) AS m(k, n) GROUP BY m.k HAVING sum(m.n) <> 0) u) END AS s_${k.column}`;
  };
  return {
    ...rows,
    select: `SELECT ${rows.key.join(', ')}, ${cols.join(', ')}, ${spec.sketches.map((k) => `(g.s_${k.column}).keys AS ${k.keys}, (g.s_${k.column}).counts AS ${k.counts}`).join(', ')}
    FROM (SELECT ${rows.key.join(', ')}, ${cols.map((c) => `sum(${c}) AS ${c}`).join(', ')}, ${spec.sketches.map(sketch).join(', ')}
          FROM ${from} GROUP BY ${rows.key.join(', ')}) g`,
  };
}
