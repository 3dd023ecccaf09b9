import type { DatasetDef } from '#src/reporting/catalog/catalog.js';
import { columnsReadBy, rollupOf, rollupRowsSql } from '#src/reporting/catalog/rollup.js';

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
  const rows = rollupRowsSql(spec, `${name}_delta`);
  // Stored + delta, merged bucket by bucket (sorted once, then collected in that order); a bucket
  // whose count reaches 0 is dropped, so a row's arrays stay what a rebuild from its facts
  // computes. A sketch the delta leaves unchanged is kept as it is, without the merge.
  const merge = (k: { keys: string; counts: string }) =>
    `(${k.keys}, ${k.counts}) = (SELECT r.${k.keys}, r.${k.counts} WHERE cardinality(excluded.${k.keys}) = 0 UNION ALL ` +
    `SELECT coalesce(array_agg(u.k), '{}'), coalesce(array_agg(u.n), '{}') FROM ` +
    `(SELECT k, sum(n)::int AS n FROM unnest(r.${k.keys} || excluded.${k.keys}, r.${k.counts} || excluded.${k.counts}) AS m(k, n) ` +
    `GROUP BY k HAVING sum(n) <> 0 ORDER BY k) u HAVING cardinality(excluded.${k.keys}) > 0)`;
  const set = [...cols.map((c) => `${c} = r.${c} + excluded.${c}`), ...spec.sketches.map(merge)];
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
