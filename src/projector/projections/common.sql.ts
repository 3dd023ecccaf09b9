import { onlyFact, type SourceType } from '#src/pipeline/pipeline.vocabulary.js';
import { DATASETS } from '#src/reporting/catalog/catalog.js';
import { rollupDeltaCtes } from './rollup-delta.sql.js';

/** SQL shared by the projections: session attribution columns, keys, upserts, probes. */

/** The attribution every fact copies from its session (SPEC §4 denormalization). */
export const ATTRIBUTION = ['user_id', 'principal_id', 'agent_id', 'agent_name', 'harness_id', 'harness_name', 'app_id', 'blueprint_id'];

/**
 * The orgs of a batch, $3 uuid[]: each distinct org of $1 once. A read or delete of a fact table
 * (partitioned by org, migrations 14 and 17) also says `org_id = ANY(BATCH_ORGS)`: a statement is
 * planned with its parameters' values, so the planner keeps only those orgs' partitions. Joined by
 * `k.org_id` alone, it plans every org's partition for each reference and the executor picks one
 * per key: an event batch planned in 17 ms instead of 8, and probed each key's stored fact about
 * twice as slowly as one unpartitioned table (BENCHMARKS.md, seventh pass).
 */
export const BATCH_ORGS = '$3::uuid[]';

/**
 * The claimed (org, source id) pairs of one batch: $1 uuid[] orgs, $2 uuid[] source ids, $3 the
 * batch's orgs (BATCH_ORGS; a key of an org not in it is not projected). Build them with batchParams.
 */
export const KEYS = `k AS (SELECT DISTINCT org_id, id FROM unnest($1::uuid[], $2::uuid[]) AS u(org_id, id) WHERE org_id = ANY(${BATCH_ORGS}))`;

/** The parameters of a projection statement for a batch of (org, source id) keys. */
export function batchParams(orgIds: readonly string[], sourceIds: readonly string[]): [string[], string[], string[]] {
  return [[...orgIds], [...sourceIds], [...new Set(orgIds)]];
}

/** `SET a = excluded.a, …` for an upsert. */
const setExcluded = (cols: string[]) => cols.map((c) => `${c} = excluded.${c}`).join(', ');

/**
 * CTE `name`: the fact-shaped rows of CTE `from` upserted into `table` by (org_id, source_key).
 * `returning`: `1` (a row per fact written), or `old.*` — the stored fact each one replaced, as it
 * was (all nulls for a fact inserted): what the rollups must subtract, found by the upsert's own
 * probe of the primary key instead of a second one.
 */
export const upsertFacts = (name: string, table: string, cols: string[], from: string, returning: '1' | 'old.*' = '1') => `${name} AS (
    INSERT INTO ${table} (org_id, source_key, ${cols.join(', ')})
    SELECT org_id, source_key, ${cols.join(', ')} FROM ${from}
    ON CONFLICT (org_id, source_key) DO UPDATE SET ${setExcluded(cols)}, projected_at = now()
    RETURNING ${returning}
  )`;

/**
 * One primary-key probe per key: `LIMIT 1` (the key is unique) keeps the subquery from being
 * flattened into a join the planner may cost from a bad row estimate of the batch. As a plain join
 * it once chose a merge join on org_id alone over the fact table's time index — every batch read
 * the fact index up to its org (seconds at 10M facts; freshness lag p95 42 s under 2,000 records/s), and a
 * 100k-key statement compared each key with each of the org's 1M facts.
 */
export const factByKey = (table: string, orgId: string, sourceKey: string) =>
  `LATERAL (SELECT * FROM ${table} f WHERE f.org_id = ${orgId} AND f.org_id = ANY(${BATCH_ORGS}) AND f.source_key = ${sourceKey} LIMIT 1) f`;

/**
 * The planner settings of a projection transaction (transaction-local; run before its statements).
 * Every read a projection makes of a fact, canonical or rollup table is by key; a sequential scan
 * is only ever chosen when the table's statistics say it is empty — a new org's partition, or one
 * analyzed while its rows were rolled back or deleted — and the statement then fills it, scanning
 * it once per key: quadratic in the batch (one rolled-back bench projection of 100,000 keys took
 * 212 s instead of 8 s; BENCHMARKS.md). Off, the planner still falls back to one where no index fits.
 */
export const PROJECTION_PLAN_SQL = `SELECT set_config('enable_seqscan', 'off', true)`;

/** Strict JSON number → bigint: a non-number fails the statement (a poison row), never silently 0. */
export const jsonBigint = (expr: string) => `(CASE WHEN ${expr} IS NULL OR ${expr} = 'null'::jsonb THEN NULL ELSE (${expr} #>> '{}')::bigint END)`;

/**
 * The statement of a source type that feeds one fact table: `newFacts` selects the batch's
 * fact-shaped rows from the claimed keys `k`; they are upserted, and the dataset's hourly rollup
 * moved by the difference between them and the stored facts the upsert replaced (RETURNING old:
 * the row each upsert found, as it was — after waiting for any transaction that held it).
 */
export function oneTableProjection(type: SourceType, cols: string[], newFacts: string): string {
  const { table } = onlyFact(type);
  const dataset = DATASETS.find((d) => d.table === table)!;
  return `
  WITH ${KEYS},
  n AS (${newFacts}
  ),
  ${upsertFacts('up', table, cols, 'n', 'old.*')},
  o AS (SELECT * FROM up WHERE org_id IS NOT NULL),
  ${rollupDeltaCtes('roll', dataset, 'n', 'o')}
  SELECT (SELECT count(*) FROM up)::int AS projected, (SELECT count(*) FROM roll)::int AS rollup_rows`;
}
