import { randomUUID } from 'node:crypto';
import { CLAIM_PLAN_SQL, CLAIM_SQL } from '#src/projector/outbox.repository.js';
import { batchParams, PROJECTION_PLAN_SQL } from '#src/projector/projections/common.sql.js';
import { PROJECT_EVENTS_SQL } from '#src/projector/projections/event.projection.js';
import { PROJECT_LLM_GENERATIONS_SQL } from '#src/projector/projections/llm-generation.projection.js';
import { PROJECT_SESSIONS_SQL } from '#src/projector/projections/session.projection.js';
import { PROJECT_USAGE_LEDGER_SQL } from '#src/projector/projections/usage-ledger.projection.js';
import { client } from '../../support/api.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { explainJson, planNodes, type PlanNode } from '../../support/plans.js';
import { batches, makeWorkload, SOURCES } from '../../reliability/workload.js';

const FACT_TABLES = new Set(['fact_llm_generation', 'fact_session', 'fact_budget_posting', 'fact_tool_call', 'fact_turn', 'fact_capability_usage']);

/** SPEC §15 (migration 14): an org's partition (`<table>_<org hex>`, `<table>_default`) and its indexes, named after the table's. */
const PARTITION = /_(?:[0-9a-f]{32}|default)(?=$|_)/;
const unpartitioned = (name: string) => name.replace(PARTITION, '');

/**
 * How each fact table is read by a plan, outside DELETE targets: "<node type> <index>". Only the
 * partitions of `org` (the batch's org): the others are pruned when the statement runs, and the
 * empty ones (the default partition, an org without facts) — analyzed here as empty — are planned
 * as a sequential scan of nothing.
 */
function factReads(node: PlanNode, org: string, out: string[] = [], underDelete = false): string[] {
  const deleting = underDelete || (node['Node Type'] === 'ModifyTable' && node.Operation === 'Delete');
  const relation = node['Relation Name'];
  const table = relation && relation.endsWith(`_${org.replaceAll('-', '')}`) ? unpartitioned(relation) : undefined;
  if (!deleting && table && FACT_TABLES.has(table) && node['Node Type'] !== 'ModifyTable') {
    // A probe has the key in its index condition; a full read of the same index would not.
    const byKey = /source_key = /.test(node['Index Cond'] ?? '') ? ' by key' : '';
    out.push(`${table}: ${node['Node Type']} ${unpartitioned(node['Index Name'] ?? '')}${byKey}`.trim());
  }
  for (const child of node.Plans ?? []) factReads(child, org, out, deleting);
  return out;
}

/**
 * The stored facts a batch replaces (subtracted from the rollups) are found by key, whatever the
 * planner would prefer: with a misestimated batch a plain join was once planned as a merge join
 * over the fact table's time index, which read the whole index per batch (freshness lag p95 42 s
 * on 10M facts; BENCHMARKS.md). A statement that feeds one table takes them from its upsert
 * (RETURNING old: the upsert's own probe of the primary key) and reads the table nowhere else;
 * the events statement, whose events may have left a table, probes each table by primary key.
 * Nested loops are switched off here, so a plain join would be planned as a hash or merge join
 * over the fact table. Facts of two orgs are projected and analyzed first, as on a running system.
 */
describe('projection statements read stored facts by primary key (SPEC §5)', () => {
  let t: TestApp;
  let orgId: string;
  beforeAll(async () => {
    t = await startTestApp();
    for (const [i, slug] of ['plans-a', 'plans-b'].entries()) {
      const owner = await t.key(slug, 'owner');
      orgId = owner.orgId;
      const api = client(t, owner.key);
      const w = makeWorkload(700 + i, { sessions: 150, generationsPerSession: 4, ledgerPerSession: 2 });
      for (const source of SOURCES) for (const batch of batches(source, w[source], 1000)) await api.ingest(source, batch);
      await api.project();
    }
    await t.db.pool.query('ANALYZE');
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    ['llm_generations', PROJECT_LLM_GENERATIONS_SQL],
    ['sessions', PROJECT_SESSIONS_SQL],
    ['usage_ledger', PROJECT_USAGE_LEDGER_SQL],
  ])('%s: the fact table is read only by the upsert, which returns the facts it replaced', async (_source, sql) => {
    const ids = Array.from({ length: 500 }, () => randomUUID());
    const plan = await explainJson(t.db.pool, `SET LOCAL enable_nestloop = off`, sql, batchParams(ids.map(() => orgId), ids));
    expect(factReads(plan, orgId)).toEqual([]);
  });

  it.each([
    ['events', PROJECT_EVENTS_SQL, ['fact_tool_call', 'fact_turn', 'fact_capability_usage']],
  ])('%s: every read of the fact tables is an index scan of the primary key', async (_source, sql, tables) => {
    const ids = Array.from({ length: 500 }, () => randomUUID());
    const orgs = ids.map(() => orgId);
    const plan = await explainJson(t.db.pool, `SET LOCAL enable_nestloop = off`, sql, batchParams(orgs, ids));
    const reads = factReads(plan, orgId);
    expect(new Set(reads.map((r) => r.split(':')[0]))).toEqual(new Set(tables));
    // Planned for the batch's org alone (BATCH_ORGS): no other org's partition, nor the default, in any read or delete.
    const partitions = planNodes(plan).map((n) => n['Relation Name']).filter((r): r is string => !!r && FACT_TABLES.has(unpartitioned(r)) && r !== unpartitioned(r));
    expect(partitions.length).toBeGreaterThan(0);
    expect(partitions.filter((r) => !r.endsWith(`_${orgId.replaceAll('-', '')}`))).toEqual([]);
    const probe = new RegExp(`^(${tables.join('|')}): Index (Only )?Scan (${tables.map((x) => `${x}_pkey`).join('|')}) by key$`);
    // A partition of a few pages (this org's sessions: 150 rows) is rightly read whole instead: bounded, whatever the batch.
    const { rows: small } = await t.db.pool.query(`SELECT c.relname AS name FROM pg_class c WHERE c.relname = ANY ($1) AND c.relpages <= 10`,
      [tables.map((x) => `${x}_${orgId.replaceAll('-', '')}`)]);
    const seqOk = new Set(small.map((r: { name: string }) => `${r.name.replace(/_[0-9a-f]{32}$/, '')}: Seq Scan`));
    expect(reads.filter((r) => !probe.test(r) && !seqOk.has(r))).toEqual([]);
  });


  it('the claim finds each claimed row again by its primary key, never by reading every row the outbox keeps', async () => {
    // An outbox as a drain meets it: many completed rows kept for the retention, a burst pending (the test app runs no projector).
    const claimOrg = (await t.key('plans-claim', 'owner')).orgId;
    await t.db.pool.query(
      `INSERT INTO reporting_outbox (org_id, source_type, source_id, status)
       SELECT $1, 'event', gen_random_uuid(), CASE WHEN i <= 60000 THEN 'completed' ELSE 'pending' END
         FROM generate_series(1, 66000) i`, [claimOrg]);
    try {
      await t.db.pool.query('ANALYZE reporting_outbox');
      const reads = (plan: PlanNode) => planNodes(plan).filter((n) => n['Relation Name'] === 'reporting_outbox' && n['Node Type'] !== 'ModifyTable')
        .map((n) => `${n['Node Type']} ${n['Index Name']}${n['Index Cond'] ? ` (${n['Index Cond']})` : ''}`);
      const params = [5000, 300_000, null]; // the scheduled projector claims across orgs
      // The trap: with only the scan settings, the claimed ids are hashed against a full read of the primary key.
      const scanOnly = `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true)`;
      expect(reads(await explainJson(t.db.pool, scanOnly, CLAIM_SQL, params))).toContain('Index Scan reporting_outbox_pkey');
      expect(reads(await explainJson(t.db.pool, CLAIM_PLAN_SQL, CLAIM_SQL, params))).toEqual([
        'Index Scan reporting_outbox_pending_idx',
        'Index Only Scan reporting_outbox_inflight_source_idx (((org_id = o_1.org_id) AND (source_type = o_1.source_type) AND (source_id = o_1.source_id)))',
        'Index Scan reporting_outbox_pkey ((id = c.id))',
      ]);
    } finally {
      await t.db.pool.query(`DELETE FROM reporting_outbox WHERE org_id = $1`, [claimOrg]);
    }
  });
  it.each([
    ['events', PROJECT_EVENTS_SQL, ['fact_tool_call', 'fact_turn', 'fact_capability_usage']],
  ])('%s: an org whose partitions were analyzed empty is still probed by key under the projector\'s settings, not scanned once per key', async (source, sql, tables) => {
    const empty = await t.key(`plans-empty-${source.replaceAll('_', '-')}`, 'owner');
    const parts = tables.map((x) => `${x}_${empty.orgId.replaceAll('-', '')}`);
    for (const part of parts) await t.db.pool.query(`ANALYZE ${part}`);
    const { rows: stats } = await t.db.pool.query(`SELECT count(*)::int AS n FROM pg_class WHERE relname = ANY ($1) AND reltuples = 0`, [parts]);
    expect(stats[0].n).toBe(parts.length);
    const ids = Array.from({ length: 500 }, () => randomUUID());
    const params = batchParams(ids.map(() => empty.orgId), ids);
    // The trap: with the statistics of an empty table, each key's probe is a sequential scan of
    // the partition the statement is filling. The projector's settings (PROJECTION_PLAN_SQL) keep the probe.
    const plain = factReads(await explainJson(t.db.pool, `SELECT 1`, sql, params), empty.orgId);
    expect(plain.filter((r) => r.endsWith(': Seq Scan')).length).toBeGreaterThan(0);
    const projector = factReads(await explainJson(t.db.pool, PROJECTION_PLAN_SQL, sql, params), empty.orgId);
    const probe = new RegExp(`^(${tables.join('|')}): Index (Only )?Scan (${tables.map((x) => `${x}_pkey`).join('|')}) by key$`);
    expect({ reads: projector.filter((r) => !probe.test(r)), tables: new Set(projector.map((r) => r.split(':')[0])) }).toEqual({ reads: [], tables: new Set(tables) });
  });
});
