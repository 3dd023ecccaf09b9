import type pg from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

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

/** A fixed statement run as a named prepared statement (preparedRows). */
export interface PreparedStatement {
  /** Unique per text: a connection keeps one plan per name. */
  name: string;
  text: string;
}

/**
 * Rows of a fixed statement run on the pool as a named prepared statement: each connection parses
 * and plans it once, and after five runs PostgreSQL may keep one generic plan, rather than planning
 * it on every call. For the statements every request runs (the key and its rate-limit token, the
 * freshness probe): planning the probe's three partial-index lookups took ~1.4 ms, its execution
 * 0.07 ms (SPEC §16 cached repeat ≤ 5 ms; BENCHMARKS.md). Outside any transaction: a pooled
 * connection of its own, like `dataSource.query`.
 */
export async function preparedRows<T = Record<string, unknown>>(dataSource: DataSource, statement: PreparedStatement, params: unknown[]): Promise<T[]> {
  const pool = (dataSource.driver as PostgresDriver).master as pg.Pool;
  return (await pool.query<T & pg.QueryResultRow>({ name: statement.name, text: statement.text, values: params })).rows;
}
