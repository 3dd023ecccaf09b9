import type pg from 'pg';

/** A node of `EXPLAIN (FORMAT JSON)`, with the fields the plan tests read. */
export interface PlanNode {
  'Node Type': string;
  'Join Type'?: string;
  Operation?: string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

/** The plan of `sql` after `settingsSql` (transaction-local planner settings), in a transaction rolled back after. */
export async function explainJson(pool: pg.Pool, settingsSql: string, sql: string, params: unknown[]): Promise<PlanNode> {
  const db = await pool.connect();
  try {
    await db.query('BEGIN');
    await db.query(settingsSql);
    const { rows } = await db.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    return rows[0]['QUERY PLAN'][0].Plan as PlanNode;
  } finally {
    await db.query('ROLLBACK');
    db.release();
  }
}

/** The node and every node below it. */
export const planNodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(planNodes)];

/** The relations a plan reads (partitions by their own names), sorted. */
export const planRelations = (plan: PlanNode): string[] =>
  [...new Set(planNodes(plan).map((n) => n['Relation Name']).filter((n): n is string => !!n))].sort();
