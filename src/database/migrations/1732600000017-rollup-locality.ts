import { MigrationInterface, QueryRunner } from 'typeorm';
import { ensureFunctionSql, FACT_TABLES, partitionByOrg, unpartitionByOrg } from './1732600000014-fact-locality.js';

/** `c.relname` of an hourly rollup table (`rollup_%`). */
const ROLLUP_TABLES = `c.relname LIKE 'rollup\\_%'`;

/**
 * SPEC §15 org locality, for the hourly rollups too: every `rollup_%` table becomes
 * LIST-partitioned by org exactly as migration 14 did the fact tables (one partition per org,
 * `<table>_<org uuid hex>`, and a default partition), and `fact_partitions_ensure` — the trigger
 * on `orgs` and every boot call it — now makes the rollup partitions of an org with its fact
 * partitions.
 *
 * Why: a rollup-served query reads the org's rollup rows for the range; in one shared table they
 * sit on pages with every other org's rows, so a query read the whole table's pages (Seq Scan of
 * 56,160 rows, 8,013 pages, for the 17,280 rows of the org queried — BENCHMARKS.md, 2026-11-30).
 * Rollup rows are wide since the percentile sketches (migration 13), and a busy org's rows are
 * rewritten by every projection batch, so the other orgs' pages are what an org pays for. In its
 * own partition, a query reads its org's pages only, and a projection batch rewrites rows in its
 * org's partition only.
 *
 * Every rollup key (`<table>_key`, UNIQUE NULLS NOT DISTINCT) starts with org_id, the partition
 * key, so the projector's `ON CONFLICT ON CONSTRAINT <table>_key` still names the key; the rollups
 * have no other index.
 */
export class RollupLocality1732600000017 implements MigrationInterface {
  name = 'RollupLocality1732600000017';

  async up(q: QueryRunner): Promise<void> {
    await q.query(ensureFunctionSql(`(${FACT_TABLES} OR ${ROLLUP_TABLES})`, true));
    await partitionByOrg(q, ROLLUP_TABLES);
  }

  async down(q: QueryRunner): Promise<void> {
    await unpartitionByOrg(q, ROLLUP_TABLES);
    await q.query(ensureFunctionSql(FACT_TABLES, true));
  }
}
