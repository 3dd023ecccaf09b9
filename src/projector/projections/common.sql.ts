/** SQL shared by the projections: ids rendered as public ids, session attribution columns. */
export const publicId = (prefix: string, col: string) => `'${prefix}_' || replace(${col}::text, '-', '')`;

/** The attribution every fact copies from its session (SPEC §4 denormalization). */
export const ATTRIBUTION = ['user_id', 'principal_id', 'agent_id', 'agent_name', 'harness_id', 'harness_name', 'app_id', 'blueprint_id'];

/** The claimed (org, source id) pairs of one batch: $1 uuid[] orgs, $2 uuid[] source ids. */
export const KEYS = `k AS (SELECT DISTINCT org_id, id FROM unnest($1::uuid[], $2::uuid[]) AS u(org_id, id))`;

/** `SET a = excluded.a, …` for an upsert. */
const setExcluded = (cols: string[]) => cols.map((c) => `${c} = excluded.${c}`).join(', ');

/** CTE `name`: the fact-shaped rows of CTE `from` upserted into `table` by (org_id, source_key). */
export const upsertFacts = (name: string, table: string, cols: string[], from: string) => `${name} AS (
    INSERT INTO ${table} (org_id, source_key, ${cols.join(', ')})
    SELECT org_id, source_key, ${cols.join(', ')} FROM ${from}
    ON CONFLICT (org_id, source_key) DO UPDATE SET ${setExcluded(cols)}, projected_at = now()
    RETURNING 1
  )`;

/** CTE `name`: the stored facts of `table` that the rows of CTE `from` replace (as they were before the statement). */
export const storedFacts = (name: string, table: string, from: string) =>
  `${name} AS (SELECT f.* FROM ${from} JOIN ${table} f ON f.org_id = ${from}.org_id AND f.source_key = ${from}.source_key)`;

/** Strict JSON number → bigint: a non-number fails the statement (a poison row), never silently 0. */
export const jsonBigint = (expr: string) => `(CASE WHEN ${expr} IS NULL OR ${expr} = 'null'::jsonb THEN NULL ELSE (${expr} #>> '{}')::bigint END)`;
