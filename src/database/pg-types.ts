import pg from 'pg';

/**
 * Counts (int8) and sums (numeric) leave the database as strings by default; every figure
 * Factline returns is far below 2^53, so they are read as JS numbers. The parsers are global to
 * the `pg` module, so this runs wherever a connection is configured (buildDataSourceOptions, and
 * the tests' direct pools); calling it again changes nothing.
 */
export function configurePgTypes(): void {
  pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
  pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
}
