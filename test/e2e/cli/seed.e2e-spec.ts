import { createHash } from 'node:crypto';
import { DATASETS } from '#src/reporting/catalog/catalog.js';
import { client } from '../../support/api.js';
import { CLI_JS, spawnNode } from '../../support/processes.js';
import { startTestApp } from '../../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-db.js';

const END = '2026-05-01T12:34:56Z';
const SEED = ['seed', '--size', 'demo', '--end', END, '--seed', '42'];
const CANONICAL = ['sessions', 'events', 'llm_generations', 'usage_ledger', 'apps', 'app_channels', 'app_runs'];
const FACTS = ['fact_session', 'fact_turn', 'fact_tool_call', 'fact_llm_generation', 'fact_budget_posting', 'fact_capability_usage'];
const SLUGS = ['acme', 'globex', 'initech'];
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

interface OrgSummary {
  slug: string;
  name: string;
  id: string;
  owner_api_key: string;
  canonical: Record<string, number>;
  facts: Record<string, number>;
  fact_total: number;
}

async function cli(db: TestDatabase, args: string[]) {
  const proc = spawnNode(CLI_JS, args, { DATABASE_URL: db.url });
  const { code } = await proc.exited;
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}

async function counts(db: TestDatabase, tables: string[]): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const table of tables) {
    const { rows } = await db.pool.query(`SELECT o.slug, count(t.org_id)::int AS n FROM orgs o LEFT JOIN ${table} t ON t.org_id = o.id GROUP BY o.slug`);
    for (const r of rows) (out[r.slug] ??= {})[table] = r.n;
  }
  return out;
}

/** md5 of a table's ordered rows without the columns that record when this database wrote them. */
async function digest(db: TestDatabase, table: string, volatile: string[]): Promise<string> {
  const { rows } = await db.pool.query(
    `SELECT md5(coalesce(string_agg(r, E'\\n' ORDER BY r), '')) AS md5 FROM (SELECT (to_jsonb(t) - $1::text[])::text AS r FROM ${table} t) x`,
    [volatile],
  );
  return rows[0].md5;
}

/** Set by the database at write time, not by the seed. */
const VOLATILE: Record<string, string[]> = { orgs: ['created_at'], default: ['updated_at'] };
const canonicalDigests = async (db: TestDatabase) =>
  Object.fromEntries(await Promise.all(['orgs', ...CANONICAL].map(async (t) => [t, await digest(db, t, VOLATILE[t] ?? VOLATILE.default)])));
const factDigests = async (db: TestDatabase) =>
  Object.fromEntries(await Promise.all(FACTS.map(async (t) => [t, await digest(db, t, ['projected_at', 'source_updated_at'])])));

async function outbox(db: TestDatabase): Promise<Record<string, number>> {
  const { rows } = await db.pool.query(`SELECT status, count(*)::int AS n FROM reporting_outbox GROUP BY status`);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

describe('npm run cli -- seed (issue 7: demo data)', () => {
  let a: TestDatabase;
  let summary: { orgs: OrgSummary[]; window: { from: string; to: string; days: number }; outbox: unknown; written: Record<string, number>; drain: { claimed: number; failed: number } };

  beforeAll(async () => {
    a = await createTestDatabase();
    const run = await cli(a, SEED);
    expect(run.stderr).toContain('acme: sessions [');
    expect(run.code).toBe(0);
    summary = JSON.parse(run.stdout);
  });
  afterAll(() => a.drop());

  it('prints a JSON summary whose counts are the database’s, with a working owner key per org', async () => {
    expect(summary.window).toEqual({ from: '2026-04-17T13:00:00.000Z', to: '2026-05-01T12:34:56.000Z', days: 14 });
    expect(summary.orgs.map((o) => [o.slug, o.name])).toEqual([['acme', 'Acme Robotics'], ['globex', 'Globex Corporation'], ['initech', 'Initech']]);
    const canonical = await counts(a, CANONICAL);
    const facts = await counts(a, FACTS);
    for (const o of summary.orgs) {
      expect(o.canonical).toEqual(canonical[o.slug]);
      expect(o.facts).toEqual(facts[o.slug]);
      expect(o.fact_total).toBe(FACTS.reduce((n, t) => n + facts[o.slug][t], 0));
      const { rows } = await a.pool.query(
        `SELECT k.role, 'org_' || replace(o.id::text, '-', '') AS org FROM api_keys k JOIN orgs o ON o.id = k.org_id WHERE k.key_hash = decode($1, 'hex')`,
        [sha(o.owner_api_key)],
      );
      expect(rows).toEqual([{ role: 'owner', org: o.id }]);
    }
    // The first org holds most facts; the demo is about 5,000 facts in all, besides capability
    // usage (SPEC §11), which comes on top of the size.
    expect(summary.orgs[0].fact_total).toBeGreaterThan(summary.orgs[1].fact_total + summary.orgs[2].fact_total);
    const total = summary.orgs.reduce((n, o) => n + o.fact_total - o.facts.fact_capability_usage, 0);
    expect(total).toBeGreaterThan(4000);
    expect(total).toBeLessThan(6000);
  });

  it('costs every generation (SPEC §10: the built-in prices cover every demo model), and sums them per session', async () => {
    const { rows } = await a.pool.query(`
      SELECT count(*) FILTER (WHERE cost_usd IS NULL)::int AS unpriced, count(*) FILTER (WHERE cost_usd > 0)::int AS positive, count(*)::int AS n
      FROM fact_llm_generation`);
    expect(rows[0]).toEqual({ unpriced: 0, positive: expect.any(Number), n: expect.any(Number) });
    expect(rows[0].positive).toBeGreaterThan(rows[0].n * 0.9);
    const { rows: sessions } = await a.pool.query(`
      SELECT count(*)::int AS differ FROM fact_session s
      WHERE s.cost_usd IS DISTINCT FROM (SELECT sum(g.cost_usd) FROM fact_llm_generation g WHERE g.org_id = s.org_id AND g.session_id = s.session_id)`);
    expect(sessions).toEqual([{ differ: 0 }]);
  });

  it('projects everything through the outbox: nothing pending, one fact per projected canonical row', async () => {
    expect(summary.outbox).toEqual({ pending: 0, processing: 0, failed: 0 });
    expect(await outbox(a)).toEqual({ completed: summary.written.enqueued });
    expect(summary.drain).toEqual(expect.objectContaining({ claimed: summary.written.enqueued, failed: 0 }));
    const { rows } = await a.pool.query(`
      SELECT o.slug,
        (SELECT count(*)::int FROM events e WHERE e.org_id = o.id AND e.type = 'tool.completed') AS tool_events,
        (SELECT count(*)::int FROM events e WHERE e.org_id = o.id AND e.type IN ('turn.completed', 'turn.failed', 'turn.cancelled')) AS turn_events,
        (SELECT count(*)::int FROM events e WHERE e.org_id = o.id AND e.type = 'capability.usage') AS capability_events,
        (SELECT count(*)::int FROM events e WHERE e.org_id = o.id AND e.type NOT IN ('tool.completed', 'turn.completed', 'turn.failed', 'turn.cancelled', 'capability.usage')) AS other_events
      FROM orgs o ORDER BY o.slug`);
    const facts = await counts(a, FACTS);
    const canonical = await counts(a, CANONICAL);
    for (const r of rows) {
      expect(facts[r.slug]).toEqual({
        fact_session: canonical[r.slug].sessions,
        fact_turn: r.turn_events,
        fact_tool_call: r.tool_events,
        fact_llm_generation: canonical[r.slug].llm_generations,
        fact_budget_posting: canonical[r.slug].usage_ledger,
        fact_capability_usage: r.capability_events,
      });
      expect(r.other_events).toBeGreaterThan(0);
    }
  });

  it('gives every org rows in every table and every dataset, every status and every app runs on every channel', async () => {
    const canonical = await counts(a, CANONICAL);
    const facts = await counts(a, FACTS);
    for (const slug of SLUGS) {
      for (const t of CANONICAL) expect([slug, t, canonical[slug][t] > 0]).toEqual([slug, t, true]);
      for (const d of DATASETS) expect([slug, d.table, facts[slug][d.table] > 0]).toEqual([slug, d.table, true]);
    }
    const { rows: idle } = await a.pool.query(`
      SELECT 'app' AS kind, a.name FROM apps a WHERE NOT EXISTS (SELECT 1 FROM app_runs r WHERE r.org_id = a.org_id AND r.app_id = a.id)
      UNION ALL SELECT 'channel', c.name FROM app_channels c WHERE NOT EXISTS (SELECT 1 FROM app_runs r WHERE r.org_id = c.org_id AND r.channel_id = c.id)`);
    expect(idle).toEqual([]);
    const statuses = async (sql: string) => (await a.pool.query(sql)).rows.map((r) => r.s);
    expect(await statuses(`SELECT DISTINCT status AS s FROM sessions ORDER BY 1`)).toEqual(['cancelled', 'completed', 'failed', 'running']);
    expect(await statuses(`SELECT DISTINCT status AS s FROM app_runs ORDER BY 1`)).toEqual(['err', 'ok', 'running']);
    expect(await statuses(`SELECT DISTINCT type AS s FROM app_channels ORDER BY 1`)).toEqual(['a2a', 'ag_ui', 'api_endpoint', 'fcp', 'schedule', 'slack', 'webhook']);
    expect(await statuses(`SELECT DISTINCT status AS s FROM fact_tool_call ORDER BY 1`)).toEqual(['cancelled', 'error', 'success', 'timeout']);
    expect(await statuses(`SELECT DISTINCT status AS s FROM fact_turn ORDER BY 1`)).toEqual(['cancelled', 'completed', 'failed']);
    expect(await statuses(`SELECT DISTINCT kind AS s FROM fact_capability_usage ORDER BY 1`)).toEqual(['configured', 'effect_ran', 'exposed', 'invoked', 'resolved']);
    expect(await statuses(`SELECT DISTINCT provider AS s FROM llm_generations ORDER BY 1`)).toEqual(['anthropic', 'google', 'mistral', 'openai']);
    expect(await statuses(`SELECT DISTINCT sign(amount)::int AS s FROM usage_ledger ORDER BY 1`)).toEqual([-1, 1]);
  });

  it('keeps facts together: events, generations and postings hang off sessions, tool calls inside their turns', async () => {
    const { rows } = await a.pool.query(`
      WITH turns AS (
        SELECT org_id, turn_id, min(created_at) FILTER (WHERE type = 'turn.started') AS started,
               max(created_at) FILTER (WHERE type IN ('turn.completed', 'turn.failed', 'turn.cancelled')) AS ended
        FROM events WHERE turn_id IS NOT NULL GROUP BY org_id, turn_id
      )
      SELECT
        (SELECT count(*)::int FROM events e LEFT JOIN sessions s ON s.org_id = e.org_id AND s.id = e.session_id
          WHERE s.id IS NULL OR e.created_at < s.created_at OR e.created_at > s.last_active_at) AS events_outside_sessions,
        (SELECT count(*)::int FROM llm_generations g LEFT JOIN sessions s ON s.org_id = g.org_id AND s.id = g.session_id WHERE s.id IS NULL) AS orphan_generations,
        (SELECT count(*)::int FROM usage_ledger l LEFT JOIN sessions s ON s.org_id = l.org_id AND s.id = l.session_id
          WHERE l.session_id IS NOT NULL AND s.id IS NULL) AS orphan_postings,
        (SELECT count(*)::int FROM events e JOIN turns t ON t.org_id = e.org_id AND t.turn_id = e.turn_id
          WHERE e.type = 'tool.completed' AND (e.created_at < t.started OR e.created_at > coalesce(t.ended, 'infinity'))) AS tools_outside_turns,
        (SELECT count(*)::int FROM sessions s WHERE s.input_tokens <> (SELECT coalesce(sum(g.input_tokens), 0) FROM llm_generations g
          WHERE g.org_id = s.org_id AND g.session_id = s.id)) AS sessions_with_other_token_sums`);
    expect(rows).toEqual([{ events_outside_sessions: 0, orphan_generations: 0, orphan_postings: 0, tools_outside_turns: 0, sessions_with_other_token_sums: 0 }]);
  });

  it('answers report queries for every dataset of every org through the API, with the printed owner keys', async () => {
    const app = await startTestApp({ db: a });
    try {
      const facts = await counts(a, FACTS);
      for (const o of summary.orgs) {
        const api = client(app, o.owner_api_key);
        for (const d of DATASETS) {
          const res = await api.post('/v1/reports/query', {
            dataset: d.name, time_range: { from: summary.window.from, to: summary.window.to }, dimensions: [], measures: [],
          });
          expect([o.slug, d.name, res.status, res.body.rows]).toEqual([o.slug, d.name, 200, [{ row_count: facts[o.slug][d.table] }]]);
        }
      }
    } finally {
      await app.close();
    }
  });

  it('is reproducible: the same flags on a fresh database give the same rows, ids included, whatever the parallelism', async () => {
    const b = await createTestDatabase();
    try {
      const run = await cli(b, [...SEED, '--jobs', '1', '--no-project']);
      expect(run.code).toBe(0);
      expect(await canonicalDigests(b)).toEqual(await canonicalDigests(a));
      // --no-project: canonical rows and their outbox rows only.
      expect(await outbox(b)).toEqual({ pending: summary.written.enqueued });
      expect(Object.values(await counts(b, FACTS)).flatMap((c) => Object.values(c))).toEqual(Array(SLUGS.length * FACTS.length).fill(0));

      // drain one org, then the rest: the facts come out identical to the first database's.
      const one = await cli(b, ['drain', '--org', 'globex']);
      expect(one.code).toBe(0);
      const globex = summary.orgs[1];
      const pendingGlobex = globex.fact_total;
      expect(JSON.parse(one.stdout)).toEqual(expect.objectContaining({ org: 'globex', claimed: pendingGlobex, completed: pendingGlobex, failed: 0,
        remaining: { pending: 0, processing: 0, failed: 0 } }));
      expect(await outbox(b)).toEqual({ pending: summary.written.enqueued - pendingGlobex, completed: pendingGlobex });
      const rest = await cli(b, ['drain', '--jobs', '1', '--batch', '500']);
      expect(rest.code).toBe(0);
      expect(rest.stderr).toContain('projecting [');
      expect(JSON.parse(rest.stdout)).toEqual(expect.objectContaining({ org: null, claimed: summary.written.enqueued - pendingGlobex, failed: 0 }));
      expect(await factDigests(b)).toEqual(await factDigests(a));

      // Another seed is other data.
      const c = await createTestDatabase();
      try {
        expect((await cli(c, ['seed', '--size', 'demo', '--end', END, '--seed', '43', '--no-project'])).code).toBe(0);
        const [x, y] = [await canonicalDigests(c), await canonicalDigests(a)];
        expect(CANONICAL.filter((t) => x[t] === y[t])).toEqual([]);
      } finally {
        await c.drop();
      }
    } finally {
      await b.drop();
    }
  });

  it('re-running with the same flags on the same database adds nothing but keys', async () => {
    const before = await canonicalDigests(a);
    const run = await cli(a, SEED);
    expect(run.code).toBe(0);
    const again = JSON.parse(run.stdout);
    expect(again.written).toEqual({ sessions: 0, events: 0, llm_generations: 0, usage_ledger: 0, apps: 0, app_channels: 0, app_runs: 0, enqueued: 0 });
    expect(await canonicalDigests(a)).toEqual(before);
    expect(again.orgs.map((o: OrgSummary) => o.id)).toEqual(summary.orgs.map((o) => o.id));
  });

  it('backfill enqueues only missing facts, in batches up to --limit, and drain projects them again', async () => {
    const nothing = await cli(a, ['backfill', '--org', 'acme']);
    expect(nothing.code).toBe(0);
    expect(JSON.parse(nothing.stdout)).toEqual({ org: 'acme', enqueued: 0, events: 0, llm_generations: 0, sessions: 0, usage_ledger: 0 });

    const acme = summary.orgs[0];
    await a.pool.query(`DELETE FROM fact_session WHERE org_id = (SELECT id FROM orgs WHERE slug = 'acme')`);
    await a.pool.query(`DELETE FROM fact_llm_generation WHERE org_id = (SELECT id FROM orgs WHERE slug = 'acme')`);
    const sessions = acme.facts.fact_session;
    const generations = acme.facts.fact_llm_generation;
    const first = await cli(a, ['backfill', '--org', 'acme', '--limit', '5']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('backfill acme [');
    expect(JSON.parse(first.stdout)).toEqual({ org: 'acme', enqueued: 5, events: 0, llm_generations: 0, sessions: 5, usage_ledger: 0 });
    const rest = await cli(a, ['backfill', '--org', 'acme']);
    expect(JSON.parse(rest.stdout)).toEqual({
      org: 'acme', enqueued: sessions - 5 + generations, events: 0, llm_generations: generations, sessions: sessions - 5, usage_ledger: 0,
    });
    const drained = await cli(a, ['drain', '--org', 'acme']);
    expect(JSON.parse(drained.stdout)).toEqual(expect.objectContaining({ org: 'acme', claimed: sessions + generations, completed: sessions + generations, failed: 0 }));
    expect((await counts(a, FACTS)).acme).toEqual(acme.facts);
  });

  it.each([
    [['seed', '--size', 'huge'], '--size must be one of demo, small, medium, large'],
    [['seed', '--facts', '20000000'], '--facts must be an integer from 1 to 10,000,000'],
    [['seed', '--end', 'tomorrow'], '--end must be an RFC 3339 time'],
    [['seed', '--colour', 'blue'], "unknown option '--colour'"],
    [['backfill'], '--org <slug> is required'],
    [['backfill', '--org', 'acme', '--limit', '0'], '--limit must be an integer'],
    [['drain', '--jobs', 'many'], '--jobs must be an integer'],
  ])('%j exits 2 with the reason and the usage', async (args, message) => {
    const run = await cli(a, args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('Usage: npm run cli -- <command>');
    expect(run.stdout).toBe('');
  });

  it('an unknown org is an error (exit 1) naming it', async () => {
    const run = await cli(a, ['drain', '--org', 'nobody']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('no org with slug "nobody"\n');
  });
});
