import { SOURCE_TYPES, type SourceType } from '#src/pipeline/pipeline.vocabulary.js';
import { BACKFILL_PLAN_SQL, type BackfillMode, backfillStep, type WalkRow } from '#src/projector/backfill/backfill.sql.js';
import { client } from '../../support/api.js';
import { explainJson, type PlanNode, planNodes as nodes } from '../../support/plans.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { batches, makeWorkload, SOURCES } from '../../reliability/workload.js';

/** Every scan in a plan, outside the INSERT itself: "<relation> <node type> <index>". */
function scans(node: PlanNode, out: string[] = []): string[] {
  if (node['Relation Name'] && node['Node Type'] !== 'ModifyTable') out.push(`${node['Relation Name']} ${node['Node Type']} ${node['Index Name'] ?? ''}`.trim());
  for (const child of node.Plans ?? []) scans(child, out);
  return out;
}

const WALK_INDEX = { event: 'events_org_projected_created_idx', session: 'sessions_org_created_idx', llm_generation: 'llm_generations_org_created_idx', usage_ledger: 'usage_ledger_org_created_idx' };
const TABLE = { event: 'events', session: 'sessions', llm_generation: 'llm_generations', usage_ledger: 'usage_ledger' };

/**
 * The backfill statements' plans, with the outbox's statistics stale the way a first backfill
 * finds them: analyzed while the org had no pending rows, then filled. A per-row probe of pending
 * rows was then planned on the per-org age index — a scan of all the org's pending rows per
 * canonical row (unbounded at 200k rows) — so the probe walk must not read pending rows at all
 * (the insert's ON CONFLICT skips them), and the closing walk must hash them once.
 */
describe('backfill statements keep their plans under stale outbox statistics (SPEC §5, §9)', () => {
  let t: TestApp;
  let orgId: string;
  beforeAll(async () => {
    t = await startTestApp();
    const owner = await t.key('backfill-plans', 'owner');
    orgId = owner.orgId;
    const api = client(t, owner.key);
    const w = makeWorkload(901, { sessions: 120, generationsPerSession: 4, ledgerPerSession: 2 });
    for (const source of SOURCES) for (const batch of batches(source, w[source], 1000)) await api.ingest(source, batch);
    await api.project();
    await t.db.pool.query('VACUUM ANALYZE');
    for (const [type, table] of Object.entries(TABLE)) {
      await t.db.pool.query(`INSERT INTO reporting_outbox (org_id, source_type, source_id) SELECT org_id, $2, id FROM ${table} WHERE org_id = $1`, [orgId, type]);
    }
  });
  afterAll(() => t.close());

  const plan = async (mode: BackfillMode, type: SourceType, after: WalkRow | null = null, upTo: WalkRow | null = null) => {
    const { sql, params } = backfillStep(mode, type, orgId, 1000, after, upTo);
    return explainJson(t.db.pool, BACKFILL_PLAN_SQL[mode], sql, params);
  };

  it.each(SOURCE_TYPES)('%s, probe walk: the (org_id, created_at, id) index in order; the outbox only through its in-flight index', async (type) => {
    const read = scans(await plan('probe', type));
    expect(read).toContainEqual(expect.stringMatching(new RegExp(`^${TABLE[type]} Index (Only )?Scan ${WALK_INDEX[type]}$`)));
    expect(read.filter((s) => s.startsWith('reporting_outbox ')).map((s) => s.replace(' Only', ''))).toEqual(['reporting_outbox Index Scan reporting_outbox_inflight_source_idx']);
  });

  it.each(SOURCE_TYPES)('%s, closing walk: the waiting rows joined out by one hash anti join', async (type) => {
    const all = nodes(await plan('hash', type));
    const anti = all.filter((n) => n['Node Type'] === 'Hash Join' && n['Join Type'] === 'Anti');
    expect(anti).toHaveLength(1);
    // The pending rows are read once, as the anti join's hashed side; only the in-flight index is probed per row.
    const pending = (n: PlanNode) => scans(n).filter((s) => s.startsWith('reporting_outbox ') && !s.endsWith('reporting_outbox_inflight_source_idx'));
    expect(pending(all[0])).toHaveLength(1);
    expect(pending(anti[0].Plans!.find((c) => c['Node Type'] === 'Hash')!)).toHaveLength(1);
  });

  it.each(SOURCE_TYPES)('%s, resumed walk: the position bounds the index scan itself', async (type) => {
    const from = { createdAt: '2026-01-01 00:00:00.000001+00', id: '01900000-0000-7000-8000-000000000000' };
    const to = { createdAt: '2027-01-01 00:00:00+00', id: 'ffffffff-ffff-7fff-bfff-ffffffffffff' };
    const walk = nodes(await plan('probe', type, from, to)).find((n) => n['Index Name'] === WALK_INDEX[type])!;
    expect(walk['Index Cond']).toContain('ROW(created_at, id) > ROW(');
    expect(walk['Index Cond']).toContain('ROW(created_at, id) <= ROW(');
  });
});
