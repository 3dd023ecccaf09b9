import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SPEC §15: percentiles from the hourly rollups. Each rollup row keeps, per percentile column of
 * its dataset, a log-bucket histogram of the known values of its facts (a DDSketch-style sketch,
 * relative accuracy α = 0.01): `skk_<column>` the bucket keys in ascending order, `skn_<column>`
 * the count of facts in each (never 0 in a consistent row). Counts, not samples: the projector
 * moves them by deltas like every other rollup column, so they are exact and a rebuild gives the
 * same arrays (src/reporting/catalog/rollup.ts, src/projector/projections/rollup-delta.sql.ts).
 *
 * Buckets, with γ = (1 + α) / (1 − α): a value x > 0 is in bucket i = ⌈log_γ x⌉, i.e.
 * γ^(i−1) < x ≤ γ^i, keyed 100000 + i; 0 is key 0; x < 0 is keyed −(100000 + ⌈log_γ(−x)⌉). Keys
 * sort as their values do (|i| stays below 40000 for any float8). A bucket's value is
 * 2γ^i / (γ + 1) (negated for negative keys), within α of every value in it.
 */
export class RollupSketches1732600000013 implements MigrationInterface {
  name = 'RollupSketches1732600000013';

  async up(q: QueryRunner): Promise<void> {
    // Plain SQL bodies, neither STRICT nor set-returning, so the planner inlines them into the
    // projector's statements (as calls they cost ~20 µs a fact: half the projector's time). A null
    // value falls through every branch to null (not counted).
    await q.query(`
      CREATE FUNCTION rollup_sketch_key(x float8) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN x = 0 THEN 0
                    WHEN x > 0 THEN 100000 + ceil(ln(x) / ln(1.01::float8 / 0.99))::int
                    ELSE -(100000 + ceil(ln(-x) / ln(1.01::float8 / 0.99))::int) END
      $$`);
    await q.query(`
      CREATE FUNCTION rollup_sketch_value(k int) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN k = 0 THEN 0::float8
                    ELSE sign(k) * 2 * power(1.01::float8 / 0.99, abs(k) - 100000) / (1.01::float8 / 0.99 + 1) END
      $$`);
    // One hour-row's sketch, so that many rows' sketches can be collected by array_agg (linear)
    // and merged once per group by rollup_sketch_quantile.
    await q.query(`CREATE TYPE rollup_sketch AS (keys int[], counts int[])`);
    // percentile_cont(p)'s definition over the merged buckets: with n values, position
    // h = 1 + p(n − 1); the values at ranks ⌊h⌋ and ⌈h⌉ are estimated by the value of the first
    // bucket whose cumulative count reaches the rank, and interpolated linearly as percentile_cont
    // does. No known value: null.
    // One pass: the merged buckets with their cumulative counts, the first two whose count reaches
    // rank ⌊h⌋ (the second holds rank ⌈h⌉ when the first does not: counts are positive).
    await q.query(`
      CREATE FUNCTION rollup_sketch_quantile(parts rollup_sketch[], p float8) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN cums[1] >= ceil(h) THEN lo ELSE lo + (h - floor(h)) * (rollup_sketch_value(keys[2]) - lo) END
        FROM (
          SELECT min(h) AS h, array_agg(k ORDER BY k) AS keys, array_agg(cum ORDER BY k) AS cums, rollup_sketch_value(min(k)) AS lo
          FROM (
            SELECT k, cum, 1 + p * (total - 1) AS h
            FROM (
              SELECT k, sum(n) OVER (ORDER BY k) AS cum, sum(n) OVER () AS total
              FROM (SELECT u.k, sum(u.n) AS n FROM unnest(parts) AS x CROSS JOIN LATERAL unnest(x.keys, x.counts) AS u(k, n) GROUP BY u.k HAVING sum(u.n) <> 0) b
            ) c
            WHERE cum >= floor(1 + p * (total - 1))
            ORDER BY k LIMIT 2
          ) t
          HAVING count(*) > 0
        ) z
      $$`);
    for (const [table, columns] of SKETCHED) {
      await q.query(`ALTER TABLE ${table} ${columns.map((c) => `ADD COLUMN skk_${c} int[] NOT NULL DEFAULT '{}', ADD COLUMN skn_${c} int[] NOT NULL DEFAULT '{}'`).join(', ')}`);
    }
    // Rows written before this migration: their sketches from the facts (what `rollups rebuild` computes).
    for (const [table, columns, fact, dims] of SKETCHED) {
      for (const c of columns) {
        await q.query(`
          UPDATE ${table} r SET skk_${c} = s.keys, skn_${c} = s.counts
          FROM (
            SELECT org_id, hour, ${dims.join(', ')}, array_agg(k ORDER BY k) AS keys, array_agg(n ORDER BY k) AS counts
            FROM (SELECT f.org_id, date_trunc('hour', f.created_at, 'UTC') AS hour, ${dims.map((d) => `f.${d}`).join(', ')}, rollup_sketch_key(f.${c}) AS k, count(*)::int AS n
                  FROM ${fact} f WHERE f.${c} IS NOT NULL GROUP BY 1, 2, ${dims.map((_, i) => i + 3).join(', ')}, ${dims.length + 3}) g
            GROUP BY org_id, hour, ${dims.join(', ')}
          ) s
          WHERE r.org_id = s.org_id AND r.hour = s.hour AND ${dims.map((d) => `r.${d} IS NOT DISTINCT FROM s.${d}`).join(' AND ')}`);
      }
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, columns] of SKETCHED) {
      await q.query(`ALTER TABLE ${table} ${columns.map((c) => `DROP COLUMN skk_${c}, DROP COLUMN skn_${c}`).join(', ')}`);
    }
    await q.query('DROP FUNCTION rollup_sketch_quantile(rollup_sketch[], float8)');
    await q.query('DROP TYPE rollup_sketch');
    await q.query('DROP FUNCTION rollup_sketch_value(int)');
    await q.query('DROP FUNCTION rollup_sketch_key(float8)');
  }
}

/** Rollup table, its percentile columns, its fact table and its dimension columns (as of this migration). */
const SKETCHED: [string, string[], string, string[]][] = [
  ['rollup_llm_generation_hourly', ['duration_ms', 'time_to_first_token_ms'], 'fact_llm_generation', ['model', 'provider', 'finish_reason']],
  ['rollup_tool_call_hourly', ['duration_ms'], 'fact_tool_call', ['tool', 'tool_display_name', 'status', 'capability']],
  ['rollup_turn_hourly', ['duration_ms'], 'fact_turn', ['status']],
  ['rollup_session_hourly', ['duration_ms'], 'fact_session', ['status']],
];
