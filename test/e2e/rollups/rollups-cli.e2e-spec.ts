import { newPublicId } from '#src/common/ids/public-id.js';
import { client } from '../../support/api.js';
import { capabilityEvent, generation, ledger, session, toolEvent } from '../../support/factories.js';
import { CLI_JS, spawnNode } from '../../support/processes.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const DATASETS = ['llm_generations', 'tool_calls', 'turns', 'sessions', 'budget_postings', 'capability_usage'];

async function cli(t: TestApp, ...args: string[]) {
  const proc = spawnNode(CLI_JS, args, { DATABASE_URL: t.db.url });
  const { code } = await proc.exited;
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}

describe('npm run cli -- rollups rebuild | check (SPEC §6)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    for (const org of ['cli-a', 'cli-b']) {
      const api = client(t, (await t.key(org, 'owner')).key);
      const s = session();
      await api.ingest('sessions', [s]);
      await api.ingest('events', [toolEvent(s.id, { turn_id: newPublicId('turn') }), toolEvent(s.id), capabilityEvent(s.id), capabilityEvent(s.id, {}, { kind: 'exposed' })]);
      await api.ingest('llm_generations', [generation({ session_id: s.id }), generation({ model: 'claude', provider: 'anthropic' })]);
      await api.ingest('usage_ledger', [ledger({ session_id: s.id }), ledger({ amount: -2 })]);
      await api.project();
    }
  });
  afterAll(() => t.close());

  it('check reports every dataset ok when the rollups match the facts', async () => {
    const res = await cli(t, 'rollups', 'check');
    expect(res).toEqual({ code: 0, stdout: DATASETS.map((d) => `${d}: ok\n`).join(''), stderr: '' });
  });

  it('check finds drift and exits 1; rebuild repairs it', async () => {
    const { rows } = await t.db.pool.query(`SELECT id FROM orgs WHERE slug = 'cli-b'`);
    await t.db.pool.query(`UPDATE rollup_llm_generation_hourly SET sum_input_tokens = sum_input_tokens + 5 WHERE org_id = $1 AND model = 'claude'`, [rows[0].id]);
    await t.db.pool.query(`DELETE FROM rollup_session_hourly WHERE org_id = $1`, [rows[0].id]);
    await t.db.pool.query(`UPDATE rollup_capability_usage_hourly SET cnt_duration_ms = cnt_duration_ms + 1 WHERE org_id = $1 AND kind = 'exposed'`, [rows[0].id]);

    const drift = await cli(t, 'rollups', 'check');
    expect(drift.code).toBe(1);
    const lines = drift.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => !l.startsWith('  '))).toEqual([
      'llm_generations: DRIFT — 1 rows missing or different, 1 rows extra or different',
      'tool_calls: ok',
      'turns: ok',
      'sessions: DRIFT — 1 rows missing or different, 0 rows extra or different',
      'budget_postings: ok',
      'capability_usage: DRIFT — 1 rows missing or different, 1 rows extra or different',
      'drift in 3 dataset(s); repair with: npm run cli -- rollups rebuild',
    ]);
    expect(lines.filter((l) => l.startsWith('  '))).toHaveLength(5);
    // The other org is fine on its own.
    expect((await cli(t, 'rollups', 'check', '--org', 'cli-a')).code).toBe(0);

    const rebuilt = await cli(t, 'rollups', 'rebuild', '--org', 'cli-b');
    expect(rebuilt.code).toBe(0);
    const expected = { llm_generations: 2, tool_calls: 1, turns: 0, sessions: 1, budget_postings: 1, capability_usage: 2 };
    expect(rebuilt.stdout).toBe(Object.entries(expected).map(([d, n]) => `${d}: ${n} rollup rows rebuilt\n`).join(''));
    // The progress bar goes to stderr, so stdout stays machine-readable.
    expect(rebuilt.stderr).toContain('rebuild llm_generations [');
    expect((await cli(t, 'rollups', 'check')).code).toBe(0);
  });

  it('rejects an unknown dataset with exit 2 (usage) and an unknown org with exit 1', async () => {
    const bad = await cli(t, 'rollups', 'check', '--dataset', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--dataset must be one of llm_generations, tool_calls, turns, sessions, budget_postings, capability_usage');
    const org = await cli(t, 'rollups', 'rebuild', '--org', 'nobody');
    expect(org).toEqual({ code: 1, stdout: '', stderr: 'no org with slug "nobody"\n' });
  });
});
