import type { DataSource } from 'typeorm';
import type { SourceType } from '#src/pipeline/pipeline.vocabulary.js';
import { PROJECT_EVENTS_SQL } from '#src/projector/projections/event.projection.js';
import { PROJECT_LLM_GENERATIONS_SQL } from '#src/projector/projections/llm-generation.projection.js';
import { PROJECT_SESSIONS_SQL } from '#src/projector/projections/session.projection.js';
import { PROJECT_USAGE_LEDGER_SQL } from '#src/projector/projections/usage-ledger.projection.js';
import { DATASETS } from '#src/reporting/catalog/catalog.js';
import { rollupOf } from '#src/reporting/catalog/rollup.js';

/**
 * The projector's tables and statements with and without issue 18's rollup and locality changes
 * (SPEC §15): the percentile sketches in the rollups (migration 13), the fact and rollup tables
 * LIST-partitioned by org (migrations 14 and 17). Bench-only.
 */

export type Statements = Record<SourceType, string>;

/** The projection statements as the projector runs them. */
export const STATEMENTS: Statements = {
  event: PROJECT_EVENTS_SQL,
  session: PROJECT_SESSIONS_SQL,
  llm_generation: PROJECT_LLM_GENERATIONS_SQL,
  usage_ledger: PROJECT_USAGE_LEDGER_SQL,
};

/**
 * The projection statements as they were before the sketches: the same modules evaluated again
 * (a distinct module URL) while every rollup spec lists no sketch, so their SQL leaves out the
 * sketch deltas and nothing else. The shared specs are restored before returning.
 */
export async function statementsWithoutSketches(): Promise<Statements> {
  const specs = DATASETS.map((d) => rollupOf(d));
  const kept = specs.map((s) => s.sketches);
  try {
    for (const s of specs) s.sketches = [];
    const load = (file: string) => import(new URL(`../../src/projector/projections/${file}?without-sketches`, import.meta.url).href);
    const [events, sessions, generations, ledger] = await Promise.all(
      ['event', 'session', 'llm-generation', 'usage-ledger'].map((f) => load(`${f}.projection.js`)),
    );
    const without: Statements = {
      event: events.PROJECT_EVENTS_SQL, session: sessions.PROJECT_SESSIONS_SQL,
      llm_generation: generations.PROJECT_LLM_GENERATIONS_SQL, usage_ledger: ledger.PROJECT_USAGE_LEDGER_SQL,
    };
    if (Object.values(without).some((sql) => sql.includes('rollup_sketch_key')) || !STATEMENTS.llm_generation.includes('rollup_sketch_key')) {
      throw new Error('the statements without sketches were not built');
    }
    return without;
  } finally {
    specs.forEach((s, i) => (s.sketches = kept[i]));
  }
}

/** The schema that holds the tables as they were before issue 18, with one org's rows only (see createLayoutBefore). */
export const BEFORE_SCHEMA = 'bench_before_locality';
/** The same tables holding every other org's rows too, as the database held them before issue 18. */
export const SHARED_SCHEMA = 'bench_before_shared';

/** The fact and rollup tables of the current schema (partitioned by org since migrations 14 and 17). */
const PARTITIONED_SQL = `
  SELECT c.relname AS name FROM pg_class c
  WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'p' AND NOT c.relispartition
    AND (c.relname LIKE 'fact\\_%' OR c.relname LIKE 'rollup\\_%')
  ORDER BY c.relname`;

/**
 * `schema`, made again: for every fact and rollup table a plain table of the same columns,
 * defaults and checks, with the same keys and indexes, the rollups without their sketch columns.
 * Statements run with this schema first on their search_path write to these tables, and read
 * everything else (canonical rows, prices) where it is.
 *
 * Not `shared` (BEFORE_SCHEMA): the tables start empty and hold one org's rows. Their
 * non-unique indexes keep the definitions of today's partitions: `(created_at)`, not the
 * `(org_id, created_at)` of before migration 14. On a table with no statistics that holds one
 * org's rows the leading org_id makes the per-key probe of stored facts scan the org's facts by
 * time — the trap that migration documents, 3.4× slower at quick size — which a table holding
 * every org's rows, analyzed, never met. Either index costs an insert into such a table the same.
 *
 * `shared` (SHARED_SCHEMA): the tables as they were — every fact and rollup row of every org
 * copied in (before the indexes are built), the non-unique indexes leading with org_id as before
 * migration 14, analyzed while they hold the bench org's rows too (emptyLayouts deletes those
 * before each pass), and not analyzed again (autovacuum off): a running system's statistics
 * know its orgs. Analyzed without an org's rows, they estimate one row for it, and the per-key
 * probe of stored facts is planned on `(org_id, created_at)` — a scan of the org's facts per key,
 * the trap migration 14 documents (3.6× slower at quick size).
 */
export async function createLayoutBefore(ds: DataSource, schema = BEFORE_SCHEMA, shared = false): Promise<string[]> {
  await ds.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await ds.query(`CREATE SCHEMA ${schema}`);
  const tables = ((await ds.query(PARTITIONED_SQL)) as { name: string }[]).map((t) => t.name);
  const sketchColumns = new Map(DATASETS.map((d) => rollupOf(d)).map((r) => [r.table, r.sketches.flatMap((k) => [k.keys, k.counts])]));
  for (const table of tables) {
    const copy = `${schema}.${table}`;
    await ds.query(`CREATE TABLE ${copy} (LIKE ${table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)`);
    const drop = sketchColumns.get(table) ?? [];
    if (drop.length > 0) await ds.query(`ALTER TABLE ${copy} ${drop.map((c) => `DROP COLUMN ${c}`).join(', ')}`);
    if (shared) {
      const [{ cols }] = await ds.query(
        `SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS cols FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, [copy]);
      await ds.query(`INSERT INTO ${copy} (${cols}) SELECT ${cols} FROM ${table}`);
      await ds.query(`ALTER TABLE ${copy} SET (autovacuum_enabled = false)`);
    }
    const indexes: { def: string; conname: string | null; condef: string | null }[] = await ds.query(
      `SELECT pg_get_indexdef(i.indexrelid) AS def, con.conname, pg_get_constraintdef(con.oid) AS condef
         FROM pg_index i LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
        WHERE i.indrelid = $1::regclass ORDER BY con.contype NULLS LAST, i.indexrelid`,
      [table],
    );
    for (const ix of indexes) {
      if (ix.conname) await ds.query(`ALTER TABLE ${copy} ADD CONSTRAINT ${ix.conname} ${ix.condef}`);
      else {
        const def = ix.def.replace(/ ON (ONLY )?\S+ USING /, ` ON ${copy} USING `);
        await ds.query(shared && !/ USING \w+ \(org_id[,)]/.test(def) ? def.replace(/ USING (\w+) \(/, ' USING $1 (org_id, ') : def);
      }
    }
    if (shared) await ds.query(`VACUUM ANALYZE ${copy}`);
  }
  return tables;
}

/**
 * Empties the org's facts and rollup rows in every layout: its partitions and the BEFORE_SCHEMA
 * tables truncated; in SHARED_SCHEMA (when made) its rows deleted and the tables vacuumed, their
 * size in the statistics kept, so each pass meets them as the first did.
 */
export async function emptyLayouts(ds: DataSource, tables: string[], orgId: string, shared: boolean): Promise<void> {
  const [{ parts }] = await ds.query(`SELECT array_agg(fact_partition_name(t, $1::uuid)) AS parts FROM unnest($2::text[]) AS t`, [orgId, tables]);
  await ds.query(`TRUNCATE ${[...(parts as string[]), ...tables.map((t) => `${BEFORE_SCHEMA}.${t}`)].join(', ')}`);
  if (!shared) return;
  for (const t of tables) {
    // VACUUM also sets the sizes of the table and its indexes in pg_class to what they hold now —
    // without the org's rows, which the statistics must keep counting (see createLayoutBefore):
    // put back after it. Nor may it cut the table's empty end: the planner scales the stored size
    // to the file's, and a table of this org's rows alone (the events' facts) would look empty.
    const sizes: { name: string; relpages: number; reltuples: number; relallvisible: number }[] = await ds.query(
      `SELECT c.relname AS name, c.relpages, c.reltuples, c.relallvisible FROM pg_class c
        WHERE c.oid = $1::regclass OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = $1::regclass)`, [`${SHARED_SCHEMA}.${t}`]);
    await ds.query(`DELETE FROM ${SHARED_SCHEMA}.${t} WHERE org_id = $1`, [orgId]);
    await ds.query(`VACUUM (TRUNCATE false) ${SHARED_SCHEMA}.${t}`);
    for (const size of sizes) {
      await ds.query(
        `SELECT pg_restore_relation_stats('schemaname', $1::text, 'relname', $2::text, 'relpages', $3::int, 'reltuples', $4::real, 'relallvisible', $5::int)`,
        [SHARED_SCHEMA, size.name, size.relpages, size.reltuples, size.relallvisible],
      );
    }
  }
}
