import type { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '#src/database/query-rows.js';
import { DATASETS, type DatasetDef } from '#src/reporting/catalog/catalog.js';
import { WATERMARK_SQL } from '#src/reporting/freshness/watermark.sql.js';
import { rollupOf, rollupRowsSql } from '#src/reporting/catalog/rollup.js';

/**
 * Rollups recomputed from facts (`rollups rebuild`) and compared with them (`rollups check`),
 * SPEC §6. The projector keeps rollups exact incrementally; these are the reference it is tested
 * against and the repair tool when something went wrong.
 */

export interface RollupDrift {
  dataset: string;
  /** Rows the facts imply that the rollup lacks or holds with other values. */
  missing: number;
  /** Rollup rows (or values) the facts do not support. */
  extra: number;
  /** A few differing rows, for the operator to look at. */
  examples: { side: 'expected' | 'stored'; row: Record<string, unknown> }[];
}

export interface RebuildProgress {
  dataset: string;
  /** Facts read so far for this dataset, and in all. */
  done: number;
  total: number;
}

const WEEK_MS = 7 * 86_400_000;

function factsGrouped(dataset: DatasetDef, where: string): string {
  const spec = rollupOf(dataset);
  const dims = spec.dimensions.map((d) => `f.${d.column}`);
  const perFact = `SELECT f.org_id, ${spec.hourOfFact} AS hour, ${dims.join(', ')}, ${spec.columns.map((c) => `${c.perFact} AS ${c.name}`).join(', ')}` +
    `${spec.sketches.map((k) => `, ${k.keyOfFact} AS k_${k.column}`).join('')} FROM ${dataset.table} f WHERE ${where}`;
  // The projector's own grouping (rollup-delta.sql.ts), over every fact counted once.
  return `WITH x AS (${perFact}) ${rollupRowsSql(spec, 'x').select}`;
}

function storedNonZero(dataset: DatasetDef, where: string): string {
  const spec = rollupOf(dataset);
  const cols = spec.columns.map((c) => c.name);
  const stored = rollupRowsSql(spec, '').stored;
  // A row whose every sum is zero and whose sketches are empty stands for "no facts" (all of its facts moved elsewhere).
  return `SELECT f.org_id, f.hour, ${spec.dimensions.map((d) => `f.${d.column}`).join(', ')}, ${stored.map((c) => `f.${c}`).join(', ')}
    FROM ${spec.table} f WHERE ${where} AND NOT (${[...cols.map((c) => `f.${c} = 0`), ...spec.sketches.map((k) => `cardinality(f.${k.keys}) = 0`)].join(' AND ')})`;
}

/**
 * Recomputes one dataset's rollup from its facts, for one org or all, in one transaction. The
 * fact table is locked against writes meanwhile (SHARE), so projector batches wait instead of
 * applying deltas to rows being rebuilt; reads go on.
 */
export async function rebuildRollup(
  dataSource: DataSource,
  dataset: DatasetDef,
  orgId: string | null,
  onProgress: (p: RebuildProgress) => void = () => undefined,
): Promise<number> {
  const spec = rollupOf(dataset);
  return dataSource.transaction(async (em) => {
    await em.query(`LOCK TABLE ${dataset.table} IN SHARE MODE`);
    await em.query(`LOCK TABLE ${spec.table} IN EXCLUSIVE MODE`);
    await em.query(`DELETE FROM ${spec.table} WHERE $1::uuid IS NULL OR org_id = $1`, [orgId]);
    const spans = await queryRows<{ org_id: string; n: number; lo: Date; hi: Date }>(em,
      `SELECT org_id, count(*)::bigint AS n, min(created_at) AS lo, max(created_at) AS hi FROM ${dataset.table}
        WHERE $1::uuid IS NULL OR org_id = $1 GROUP BY org_id ORDER BY org_id`,
      [orgId],
    );
    const total = spans.reduce((s, x) => s + x.n, 0);
    let done = 0;
    let written = 0;
    onProgress({ dataset: dataset.name, done, total });
    const { key, stored } = rollupRowsSql(spec, '');
    const cols = [...key, ...stored];
    for (const span of spans) {
      // Week-sized slices on whole hours: each slice's groups are complete, and progress moves.
      const start = Math.floor(span.lo.getTime() / 3_600_000) * 3_600_000;
      for (let from = start; from <= span.hi.getTime(); from += WEEK_MS) {
        const rows = await queryRows<{ n: number; facts: number }>(em,
          `WITH g AS (${factsGrouped(dataset, 'f.org_id = $1 AND f.created_at >= $2 AND f.created_at < $3')}),
                ins AS (INSERT INTO ${spec.table} (${cols.join(', ')}) SELECT ${cols.join(', ')} FROM g RETURNING row_count)
           SELECT count(*)::int AS n, coalesce(sum(row_count), 0)::bigint AS facts FROM ins`,
          [span.org_id, new Date(from), new Date(from + WEEK_MS)],
        );
        written += rows[0].n;
        done += rows[0].facts;
        onProgress({ dataset: dataset.name, done, total });
      }
    }
    // SPEC §15: answers cached from the old rollup rows miss from the commit on (on every instance).
    await em.query(WATERMARK_SQL.bumpExisting, [orgId, dataset.sources]);
    const orgs = spans.map((x) => x.org_id);
    if (orgs.length > 0) await em.query(WATERMARK_SQL.bump, [orgs.flatMap((o) => dataset.sources.map(() => o)), orgs.flatMap(() => dataset.sources)]);
    return written;
  });
}

/** Compares a dataset's rollup with a recomputation from its facts (for one org or all). */
export async function checkRollup(em: EntityManager, dataset: DatasetDef, orgId: string | null, exampleLimit = 5): Promise<RollupDrift> {
  const scope = '($1::uuid IS NULL OR f.org_id = $1)';
  const rows = await queryRows<Record<string, unknown> & { side: 'expected' | 'stored' }>(em,
    `WITH expected AS (${factsGrouped(dataset, scope)}),
          stored AS (${storedNonZero(dataset, scope)}),
          missing AS (SELECT * FROM expected EXCEPT ALL SELECT * FROM stored),
          extra AS (SELECT * FROM stored EXCEPT ALL SELECT * FROM expected)
     SELECT 'expected' AS side, m.* FROM missing m
     UNION ALL
     SELECT 'stored' AS side, x.* FROM extra x`,
    [orgId],
  );
  return {
    dataset: dataset.name,
    missing: rows.filter((r) => r.side === 'expected').length,
    extra: rows.filter((r) => r.side === 'stored').length,
    examples: rows.slice(0, exampleLimit).map(({ side, ...row }) => ({ side, row })),
  };
}

export async function checkAllRollups(dataSource: DataSource, orgId: string | null = null): Promise<RollupDrift[]> {
  const out: RollupDrift[] = [];
  for (const dataset of DATASETS) out.push(await checkRollup(dataSource.manager, dataset, orgId));
  return out;
}
