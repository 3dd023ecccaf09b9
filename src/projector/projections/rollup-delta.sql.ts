import type { DatasetDef } from '#src/reporting/catalog/catalog.js';
import { rollupOf } from '#src/reporting/catalog/rollup.js';

/**
 * CTEs that keep a dataset's hourly rollup exact as a projection rewrites facts (SPEC §6
 * Rollups): every fact the statement writes is added, every fact it replaces or deletes is
 * subtracted, and the net change per rollup row is upserted as a delta. `plus` and `minus` name
 * CTEs of fact-shaped rows (the new facts, and the stored facts as they were before the statement
 * — a data-modifying WITH never sees its own writes, so reading the fact table in the same
 * statement yields the old values).
 *
 * Rows are upserted in key order so concurrent projectors lock rollup rows in the same order;
 * groups whose delta is zero (a replay, or an attribution change the rollup does not keep) are
 * not written at all.
 */
export function rollupDeltaCtes(name: string, dataset: DatasetDef, plus: string, minus: string): string {
  const spec = rollupOf(dataset);
  const dims = spec.dimensions.map((d) => d.column);
  const key = ['org_id', 'hour', ...dims];
  const cols = spec.columns.map((c) => c.name);
  const side = (from: string, sign: string) =>
    `SELECT f.org_id, ${spec.hourOfFact} AS hour, ${dims.map((d) => `f.${d}`).join(', ')}, ` +
    `${spec.columns.map((c) => `${sign}(${c.perFact}) AS ${c.name}`).join(', ')} FROM ${from} f`;
  return `${name}_delta AS (
    ${side(plus, '')}
    UNION ALL
    ${side(minus, '-')}
  ),
  ${name} AS (
    INSERT INTO ${spec.table} AS r (${[...key, ...cols].join(', ')})
    SELECT ${key.join(', ')}, ${cols.map((c) => `sum(${c})`).join(', ')}
    FROM ${name}_delta
    GROUP BY ${key.join(', ')}
    HAVING ${cols.map((c) => `sum(${c}) <> 0`).join(' OR ')}
    ORDER BY ${key.join(', ')}
    ON CONFLICT ON CONSTRAINT ${spec.table}_key DO UPDATE SET ${cols.map((c) => `${c} = r.${c} + excluded.${c}`).join(', ')}
    RETURNING 1
  )`;
}
