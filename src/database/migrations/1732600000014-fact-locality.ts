import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SPEC §15: an org's facts are stored together, so a query the rollup cannot serve reads only its
 * org's rows. Every fact table (`fact_%`, whichever migration made it) becomes LIST-partitioned
 * by `org_id`: one partition per org (`<table>_<org uuid hex>`), created when the org is, and a
 * `<table>_default` partition that takes the rows of an org without one, so no write ever fails
 * for want of a partition. BENCHMARKS.md ("Org locality") has the measurements behind the choice:
 * hash partitions leave a big org sharing its partition with whichever neighbours hash beside it,
 * and clustering decays with every row written after the rewrite.
 *
 * A query scoped by `org_id = $1` is pruned to the org's partition: at planning with a custom
 * plan, at executor startup with a generic one. Keys are unchanged — every primary key and unique
 * index already starts with `org_id`, the partition key — so the projector's
 * `ON CONFLICT (org_id, source_key)` targets still match a unique index. Non-unique indexes lose
 * their leading `org_id` (see withoutLeadingOrg; their names stay).
 *
 * Partitions are made by `fact_partitions_ensure(org)`: idempotent, serialized per org by an
 * advisory lock, and called by a trigger on `orgs`, so every way of creating an org (the API,
 * the CLI, the seed, a raw INSERT) gets them. It creates a plain table, moves the org's rows out
 * of the default partition into it and ATTACHes it: ATTACH takes SHARE UPDATE EXCLUSIVE on the
 * parent (CREATE TABLE … PARTITION OF would take ACCESS EXCLUSIVE and stop every reader of the
 * table), plus ACCESS EXCLUSIVE on the default partition for the move. The trigger gives up after
 * `lock_timeout` (a long report holding the default partition, a deadlock with a projector batch)
 * rather than fail the org's creation: the org's facts then land in the default partition — still
 * correct — until the next boot (`runMigrations` ensures every org's partitions) moves them.
 *
 * The table is rebuilt in this migration's transaction: renamed away, its index definitions
 * kept, a partitioned table made LIKE it, every org's partition attached, the rows copied,
 * the indexes and keys created on the parent (so on every partition) after the copy, the old
 * table dropped. Autovacuum never analyzes a partitioned parent; plans scoped to one org use the
 * partition's statistics, which it does keep.
 */

/** `c.relname` of a fact table (migration 17 adds the rollup tables: `byOrgTables`). */
export const FACT_TABLES = `c.relname LIKE 'fact\\_%'`;

/** The tables (`names`: a condition on `c.relname`) of the current schema that are still plain tables. */
const plainTablesSql = (names: string) => `
  SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = current_schema() AND c.relkind = 'r' AND NOT c.relispartition AND ${names}
  ORDER BY c.relname`;

/** The tables (`names`) of the current schema that are partitioned (by this migration). */
const partitionedTablesSql = (names: string) => `
  SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = current_schema() AND c.relkind = 'p' AND NOT c.relispartition AND ${names}
  ORDER BY c.relname`;

/** A table's indexes, with the constraint each one backs (primary key, unique), as SQL that recreates them. */
const INDEXES_SQL = `
  SELECT ic.relname AS name, pg_get_indexdef(i.indexrelid) AS def, con.conname, con.contype, pg_get_constraintdef(con.oid) AS condef,
         (SELECT array_agg(a.attname::text) FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) AS columns,
         i.indisunique AS is_unique
  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
  LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
  WHERE i.indrelid = $1::regclass
  ORDER BY con.contype NULLS LAST, ic.relname`;

/** Constraints that LIKE … INCLUDING CONSTRAINTS does not carry (foreign keys, exclusions). */
const OTHER_CONSTRAINTS_SQL = `SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype NOT IN ('p', 'u', 'c', 'n')`;

interface IndexRow {
  name: string;
  def: string;
  conname: string | null;
  contype: string | null;
  condef: string | null;
  columns: string[];
  is_unique: boolean;
}

/**
 * `fact_partitions_ensure(org)`, over the partitioned tables `names` (a condition on
 * `c.relname`). Idempotent; returns how many partitions it attached. Two callers for one org: the
 * advisory lock makes the second wait for the first's commit, then find the partitions there.
 * Migration 17 replaces it (`OR REPLACE`) to cover the rollup tables too.
 */
export const ensureFunctionSql = (names: string, replace = false) =>
  `CREATE ${replace ? 'OR REPLACE ' : ''}FUNCTION fact_partitions_ensure(p_org uuid) RETURNS integer LANGUAGE plpgsql AS $fn$
   DECLARE
     t record;
     part text;
     def regclass;
     cols text;
     made integer := 0;
   BEGIN
     PERFORM pg_advisory_xact_lock(1732600014, hashtext(p_org::text));
     FOR t IN
       SELECT c.oid AS oid, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
       WHERE n.nspname = current_schema() AND c.relkind = 'p' AND NOT c.relispartition AND ${names} AND pt.partstrat = 'l'
       ORDER BY c.relname
     LOOP
       part := fact_partition_name(t.name, p_org);
       CONTINUE WHEN to_regclass(format('%I.%I', current_schema(), part)) IS NOT NULL;
       EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)', current_schema(), part, t.oid::regclass);
       def := to_regclass(format('%I.%I', current_schema(), t.name || '_default'));
       IF def IS NOT NULL THEN
         -- Locked before the move so that no row of the org reaches the default partition between
         -- the move and the ATTACH (which checks that none is left there).
         EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', def);
         SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
         FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped;
         EXECUTE format('WITH moved AS (DELETE FROM %s WHERE org_id = $1 RETURNING %s) INSERT INTO %I.%I (%s) SELECT %s FROM moved',
                        def, cols, current_schema(), part, cols, cols) USING p_org;
       END IF;
       EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I.%I FOR VALUES IN (%L)', t.oid::regclass, current_schema(), part, p_org);
       made := made + 1;
     END LOOP;
     RETURN made;
   END
   $fn$`;

/** The org's partition of a fact table and the per-org partitions' maintenance. */
const FUNCTIONS_SQL = [
  `CREATE FUNCTION fact_partition_name(p_table text, p_org uuid) RETURNS text LANGUAGE sql IMMUTABLE
     RETURN p_table || '_' || replace(p_org::text, '-', '')`,
  ensureFunctionSql(FACT_TABLES),
  // Every way of creating an org gets its partitions. Giving up (lock_timeout, or chosen as a
  // deadlock's victim) rolls back only the partitions, never the org: its facts then land in the
  // default partitions until the next boot's fact_partitions_ensure.
  `CREATE FUNCTION orgs_fact_partitions() RETURNS trigger LANGUAGE plpgsql SET lock_timeout = '2s' AS $fn$
   BEGIN
     BEGIN
       PERFORM fact_partitions_ensure(NEW.id);
     EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
       RAISE WARNING 'fact partitions of org % not created now (%); its facts go to the default partitions until the next boot creates them', NEW.id, SQLERRM;
     END;
     RETURN NULL;
   END
   $fn$`,
  `CREATE TRIGGER orgs_fact_partitions AFTER INSERT ON orgs FOR EACH ROW EXECUTE FUNCTION orgs_fact_partitions()`,
];

/** A partitioned index's definition reads `ON ONLY t`; recreated on a plain table it must not. */
const onPlainTable = (def: string) => def.replace(/ ON ONLY /, ' ON ');

/**
 * In a table partitioned by org a leading `org_id` is constant in every partition, so a
 * non-unique index drops it: `(org_id, created_at)` becomes `(created_at)`. Kept, it is a trap —
 * a partition the planner has no statistics for yet (a new org's, until autovacuum analyzes it)
 * looked as good a probe path by `org_id` alone as the primary key, and the projector's per-key
 * probe of stored facts (common.sql.ts) was planned on it: a scan of the org's facts per key,
 * 60 s instead of 1 s for 10,000 generations (BENCHMARKS.md, "Org locality"). Unique indexes keep
 * it: they must contain the partition key.
 */
const withoutLeadingOrg = (def: string) => def.replace(/ USING (\w+) \(org_id, /, ' USING $1 (');
/** The reverse, for `down`: every fact index of a plain table leads with org_id. */
const withLeadingOrg = (def: string) => (/ USING \w+ \(org_id[,)]/.test(def) ? def : def.replace(/ USING (\w+) \(/, ' USING $1 (org_id, '));

/** Columns in order, for copying rows between two tables of the same shape. */
async function columnList(q: QueryRunner, table: string): Promise<string> {
  const rows: { name: string }[] = await q.query(
    `SELECT quote_ident(attname) AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [table],
  );
  return rows.map((r) => r.name).join(', ');
}

/**
 * Renames `table` to `<table>_<suffix>` and frees its index and key names (dropped: the rows are
 * copied and the table dropped in the same transaction); returns how to recreate them.
 */
async function setAside(q: QueryRunner, table: string, suffix: string): Promise<{ old: string; indexes: IndexRow[] }> {
  const indexes: IndexRow[] = await q.query(INDEXES_SQL, [table]);
  const others: { conname: string }[] = await q.query(OTHER_CONSTRAINTS_SQL, [table]);
  if (others.length > 0) throw new Error(`${table}: constraints ${others.map((o) => o.conname).join(', ')} are not carried over by this migration`);
  const old = `${table}_${suffix}`;
  await q.query(`ALTER TABLE ${table} RENAME TO ${old}`);
  for (const ix of indexes) {
    if (ix.conname) await q.query(`ALTER TABLE ${old} DROP CONSTRAINT ${ix.conname}`);
    else await q.query(`DROP INDEX ${ix.name}`);
  }
  return { old, indexes };
}

/** Recreates the keys and indexes (on a partitioned table: on every partition too), the others' definitions passed through `index`. */
async function restoreIndexes(q: QueryRunner, table: string, indexes: IndexRow[], index: (def: string) => string): Promise<void> {
  for (const ix of indexes) {
    if (ix.conname) await q.query(`ALTER TABLE ${table} ADD CONSTRAINT ${ix.conname} ${ix.condef}`);
    else await q.query(index(onPlainTable(ix.def)));
  }
}

/**
 * Makes the plain tables `names` LIST-partitioned by org (see the top of this file); every org's
 * partitions are made by `fact_partitions_ensure`, which must already cover them.
 */
export async function partitionByOrg(q: QueryRunner, names: string): Promise<void> {
  const tables: { name: string }[] = await q.query(plainTablesSql(names));
  const moved: { table: string; old: string; indexes: IndexRow[] }[] = [];
  for (const { name: table } of tables) {
    const { old, indexes } = await setAside(q, table, 'unpartitioned');
    // A unique key must contain the partition key; every fact table's starts with org_id.
    const bad = indexes.filter((ix) => ix.is_unique && !ix.columns.includes('org_id'));
    if (bad.length > 0) throw new Error(`${table}: unique index ${bad.map((b) => b.name).join(', ')} lacks org_id, the partition key`);
    await q.query(`CREATE TABLE ${table} (LIKE ${old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY LIST (org_id)`);
    await q.query(`CREATE TABLE ${table}_default PARTITION OF ${table} DEFAULT`);
    moved.push({ table, old, indexes });
  }
  // Every org's partitions, before the rows arrive: they are routed straight to them. Rows of
  // an org that is not in `orgs` go to the default partition.
  await q.query(`SELECT fact_partitions_ensure(id) FROM orgs ORDER BY id`);
  for (const { table, old, indexes } of moved) {
    const cols = await columnList(q, table);
    await q.query(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM ${old}`);
    await restoreIndexes(q, table, indexes, (def) => (def.startsWith('CREATE UNIQUE ') ? def : withoutLeadingOrg(def)));
    await q.query(`DROP TABLE ${old}`);
    // Statistics for the partitions that hold rows only: an empty partition analyzed as empty
    // makes a projection statement that fills it probe it by sequential scan per key
    // (bench/support/data.ts forgetEmptyPartitionStats); never analyzed, it is planned as 10 pages.
    await q.query(`ANALYZE ONLY ${table}`);
    const parts: { name: string }[] = await q.query(`SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = $1::regclass`, [table]);
    for (const { name } of parts) {
      const [{ empty }] = await q.query(`SELECT NOT EXISTS (SELECT 1 FROM ${name}) AS empty`);
      if (!empty) await q.query(`ANALYZE ${name}`);
    }
  }
}

/** The reverse of partitionByOrg: the partitioned tables `names` become plain tables again. */
export async function unpartitionByOrg(q: QueryRunner, names: string): Promise<void> {
  const tables: { name: string }[] = await q.query(partitionedTablesSql(names));
  for (const { name: table } of tables) {
    const { old, indexes } = await setAside(q, table, 'partitioned');
    await q.query(`CREATE TABLE ${table} (LIKE ${old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)`);
    const cols = await columnList(q, table);
    await q.query(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM ${old}`);
    await restoreIndexes(q, table, indexes, (def) => (def.startsWith('CREATE UNIQUE ') ? def : withLeadingOrg(def)));
    await q.query(`DROP TABLE ${old}`);
  }
}

export class FactLocality1732600000014 implements MigrationInterface {
  name = 'FactLocality1732600000014';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of FUNCTIONS_SQL) await q.query(sql);
    await partitionByOrg(q, FACT_TABLES);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER orgs_fact_partitions ON orgs`);
    await unpartitionByOrg(q, FACT_TABLES);
    await q.query(`DROP FUNCTION orgs_fact_partitions()`);
    await q.query(`DROP FUNCTION fact_partitions_ensure(uuid)`);
    await q.query(`DROP FUNCTION fact_partition_name(text, uuid)`);
  }
}
