/** SQL shared by the projections: ids rendered as public ids, session attribution columns. */
export const publicId = (prefix: string, col: string) => `'${prefix}_' || replace(${col}::text, '-', '')`;

/** The attribution every fact copies from its session (SPEC §4 denormalization). */
export const ATTRIBUTION = ['user_id', 'principal_id', 'agent_id', 'agent_name', 'harness_id', 'harness_name', 'app_id', 'blueprint_id'];

/** The claimed (org, source id) pairs of one batch: $1 uuid[] orgs, $2 uuid[] source ids. */
export const KEYS = `k AS (SELECT DISTINCT org_id, id FROM unnest($1::uuid[], $2::uuid[]) AS u(org_id, id))`;

/** `SET a = excluded.a, …` for an upsert. */
export const setExcluded = (cols: string[]) => cols.map((c) => `${c} = excluded.${c}`).join(', ');

/** Strict JSON number → bigint: a non-number fails the statement (a poison row), never silently 0. */
export const jsonBigint = (expr: string) => `(CASE WHEN ${expr} IS NULL OR ${expr} = 'null'::jsonb THEN NULL ELSE (${expr} #>> '{}')::bigint END)`;
