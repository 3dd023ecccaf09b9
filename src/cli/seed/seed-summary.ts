import type { DataSource } from 'typeorm';

export const CANONICAL_TABLES = ['sessions', 'events', 'llm_generations', 'usage_ledger', 'apps', 'app_channels', 'app_runs'] as const;
export const FACT_TABLES = ['fact_session', 'fact_turn', 'fact_tool_call', 'fact_llm_generation', 'fact_budget_posting', 'fact_capability_usage'] as const;

export type TableCounts<T extends string> = Record<T, number>;

/** Row counts per org of the given tables (names from the constants above, never from input). */
export async function countByOrg<T extends string>(ds: DataSource, tables: readonly T[], orgIds: string[]): Promise<Map<string, TableCounts<T>>> {
  const out = new Map<string, TableCounts<T>>(orgIds.map((id) => [id, Object.fromEntries(tables.map((t) => [t, 0])) as TableCounts<T>]));
  for (const table of tables) {
    const rows: { org_id: string; n: string }[] = await ds.query(
      `SELECT org_id, count(*) AS n FROM ${table} WHERE org_id = ANY($1::uuid[]) GROUP BY org_id`,
      [orgIds],
    );
    for (const r of rows) out.get(r.org_id)![table] = Number(r.n);
  }
  return out;
}
