import type { EntityManager } from 'typeorm';

/**
 * Rows of any statement. TypeORM's `query()` returns `[rows, affectedCount]` for UPDATE and
 * DELETE (even with RETURNING) but plain rows otherwise. Rows are objects, never arrays, so the
 * two shapes cannot be confused.
 */
export async function queryRows<T = Record<string, unknown>>(em: EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  const result: unknown = await em.query(sql, params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
