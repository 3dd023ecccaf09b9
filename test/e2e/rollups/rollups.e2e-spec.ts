import fc from 'fast-check';
import { newPublicId } from '#src/common/ids/public-id.js';
import { checkAllRollups, rebuildRollup } from '#src/projector/rollups/rollup-maintenance.js';
import { DATASETS, type DatasetDef } from '#src/reporting/catalog/catalog.js';
import { rollupApproximates, rollupCovers, rollupOf } from '#src/reporting/catalog/rollup.js';
import { planReportQuery } from '#src/reporting/query/report-query.plan.js';
import { ReportQueryService } from '#src/reporting/query/report-query.service.js';
import { DataSource } from 'typeorm';
import { client, uuidOf } from '../../support/api.js';
import { generation } from '../../support/factories.js';
import { servedBy } from '../../support/oracle.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { prng } from '../../support/prng.js';

const HOUR = 3_600_000;
const START = Date.UTC(2026, 2, 5); // spans the US (Mar 8) and EU (Mar 29) DST starts and Sydney's DST end (Apr 5)
const SPAN_HOURS = 32 * 24;

const MODELS = [['gpt-5', 'openai'], ['gpt-5-mini', 'openai'], ['claude-4', 'anthropic'], ['gemini-3', 'google']] as const;
const TOOLS = [['search', 'Web search', 'browse'], ['calc', null, null], ['fetch', 'Fetch URL', 'browse'], ['sql', 'SQL', 'data']] as const;
const TOOL_STATUSES = ['success', 'success', 'error', 'timeout', 'cancelled'];
const BUDGETS = [newPublicId('budget'), newPublicId('budget'), null];
const CAPABILITY_KINDS = ['configured', 'resolved', 'exposed', 'invoked', 'effect_ran'];
const CAPABILITY_NAMES: Record<string, string> = { browse: 'Browsing', data: 'Data' };

/** A varied data set: nulls in every nullable column, times on and off the hour. */
function dataset(seed: number) {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const maybe = <T>(v: T, p = 0.2) => (r() < p ? null : v);
  const at = () => {
    const ms = START + Math.floor(r() * SPAN_HOURS) * HOUR + (r() < 0.15 ? 0 : Math.floor(r() * HOUR));
    return new Date(ms).toISOString();
  };
  const agents = [newPublicId('agent'), newPublicId('agent')];
  const sessions = Array.from({ length: 40 }, () => {
    const created = at();
    const finished = r() < 0.8;
    return {
      id: newPublicId('session'), status: finished ? pick(['completed', 'failed', 'cancelled']) : 'running', created_at: created,
      started_at: created, finished_at: finished ? new Date(Date.parse(created) + Math.floor(r() * 600_000)).toISOString() : null,
      agent_id: pick(agents), agent_name: pick(['Planner', 'Coder']), user_id: maybe(newPublicId('user')),
      input_tokens: maybe(Math.floor(r() * 5000)), output_tokens: maybe(Math.floor(r() * 2000)),
    };
  });
  const events: Record<string, unknown>[] = [];
  for (const s of sessions) {
    for (let t = 0; t < 3; t++) {
      const turn = newPublicId('turn');
      for (let c = Math.floor(r() * 4); c > 0; c--) {
        const [tool, display, capability] = pick(TOOLS);
        events.push({
          id: newPublicId('event'), session_id: s.id, turn_id: turn, type: 'tool.completed', created_at: at(),
          data: { tool_name: tool, tool_display_name: display, capability_id: capability, status: pick(TOOL_STATUSES), duration_ms: maybe(Math.floor(r() * 3000)) },
        });
      }
      // SPEC §11 capability usage, with and without a tool, name and duration.
      for (let c = Math.floor(r() * 4); c > 0; c--) {
        const [tool, , capability] = pick(TOOLS);
        const capabilityId = capability ?? pick(['browse', 'data']);
        events.push({
          id: newPublicId('event'), session_id: s.id, turn_id: maybe(turn), type: 'capability.usage', created_at: at(),
          data: { capability_id: capabilityId, capability_name: maybe(CAPABILITY_NAMES[capabilityId]), kind: pick(CAPABILITY_KINDS), tool_name: maybe(tool, 0.4), duration_ms: maybe(Math.floor(r() * 2000), 0.4) },
        });
      }
      events.push({
        id: newPublicId('event'), session_id: s.id, turn_id: turn, type: pick(['turn.completed', 'turn.completed', 'turn.failed', 'turn.cancelled']), created_at: at(),
        data: { duration_ms: maybe(Math.floor(r() * 20_000)), iterations: maybe(1 + Math.floor(r() * 5)), input_tokens: maybe(Math.floor(r() * 900)), output_tokens: maybe(Math.floor(r() * 300)) },
      });
    }
    events.push({ id: newPublicId('event'), session_id: s.id, type: 'message.created', created_at: at(), data: { n: 1 } });
  }
  const generations = Array.from({ length: 400 }, () => {
    const [model, provider] = pick(MODELS);
    return {
      id: newPublicId('gen'), session_id: maybe(pick(sessions).id, 0.1), model, provider, finish_reason: maybe(pick(['stop', 'length', 'tool_calls'])),
      input_tokens: Math.floor(r() * 4000), output_tokens: Math.floor(r() * 1500), cache_read_tokens: maybe(Math.floor(r() * 800), 0.5),
      cache_creation_tokens: maybe(Math.floor(r() * 100), 0.7), duration_ms: maybe(Math.floor(r() * 9000)), time_to_first_token_ms: maybe(Math.floor(r() * 900)),
      error: r() < 0.1 ? true : maybe(false, 0.5), created_at: at(),
    };
  });
  const ledger = Array.from({ length: 200 }, () => ({
    id: newPublicId('ledger'), session_id: maybe(pick(sessions).id, 0.3), budget_id: pick(BUDGETS), subject_type: maybe(pick(['agent', 'user'])),
    subject_id: maybe('subj-1'), currency: pick(['USD', 'EUR', 'credits']), meter_source: maybe(pick(['llm', 'tool'])), ref_type: maybe('generation'),
    amount: Math.round((r() * 120 - 20) * 1000) / 1000, created_at: at(),
  }));
  return { sessions, events, generations, ledger };
}

/** Values a filter on this rollup dimension may name: those in the data, plus one that is not. */
function valuesFor(dimension: string): unknown[] {
  switch (dimension) {
    case 'model': return [...MODELS.map((m) => m[0]), 'nope'];
    case 'provider': return ['openai', 'anthropic', 'google', 'nope'];
    case 'finish_reason': return ['stop', 'length', 'tool_calls', 'nope'];
    case 'tool': return [...TOOLS.map((t) => t[0]), 'nope'];
    case 'tool_display_name': return ['Web search', 'Fetch URL', 'SQL', 'nope'];
    case 'capability': return ['browse', 'data', 'nope'];
    case 'capability_name': return ['Browsing', 'Data', 'nope'];
    case 'kind': return [...CAPABILITY_KINDS, 'nope'];
    case 'status': return ['success', 'error', 'timeout', 'cancelled', 'completed', 'failed', 'running', 'nope'];
    case 'budget': return [...BUDGETS.filter(Boolean), newPublicId('budget')];
    case 'subject_type': return ['agent', 'user', 'nope'];
    case 'currency': return ['USD', 'EUR', 'credits', 'nope'];
    case 'meter_source': return ['llm', 'tool', 'nope'];
    case 'ref_type': return ['generation', 'nope'];
    default: throw new Error(`no values for ${dimension}`);
  }
}

const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Sydney', 'Asia/Tokyo', 'America/Sao_Paulo'];

/** A random query the rollup covers, in the wire shape. */
function coveredQuery(d: DatasetDef) {
  const dims = rollupOf(d).dimensions.map((x) => x.name);
  // Exactly covered measures: percentiles from sketches are compared within their bound in sketch.e2e-spec.ts.
  const measures = d.measures.filter((m) => rollupCovers(d, m.name) && !rollupApproximates(d, m.name)).map((m) => m.name);
  const filter = fc.constantFrom(...dims).chain((field) => {
    const value = fc.constantFrom(...valuesFor(field));
    return fc.oneof(
      fc.record({ field: fc.constant(field), op: fc.constantFrom('eq', 'neq'), value }),
      fc.record({ field: fc.constant(field), op: fc.constantFrom('in', 'not_in'), value: fc.uniqueArray(value, { minLength: 1, maxLength: 3 }) }),
      fc.record({ field: fc.constant(field), op: fc.constant('is_null'), value: fc.boolean() }),
    );
  });
  return fc
    .record({
      dims: fc.subarray(dims, { maxLength: Math.min(3, dims.length) }),
      bucket: fc.constantFrom(null, 'hour', 'day', 'week', 'month'),
      measures: fc.subarray(measures, { maxLength: Math.min(5, measures.length) }),
      filters: fc.array(filter, { maxLength: 2 }),
      timezone: fc.constantFrom(...ZONES),
      fromHour: fc.integer({ min: -24, max: SPAN_HOURS }),
      hours: fc.oneof(fc.integer({ min: 1, max: 48 }), fc.integer({ min: 48, max: SPAN_HOURS + 48 })),
      limit: fc.constantFrom(undefined, 1, 3, 10, 10_000),
      order: fc.boolean(),
      desc: fc.boolean(),
    })
    .map((x) => {
      const dimensions = x.bucket ? [x.bucket, ...x.dims] : x.dims;
      const columns = [...dimensions, ...(x.measures.length ? x.measures : ['row_count'])];
      const orderCol = columns[(x.hours * 7 + x.fromHour + 24) % columns.length];
      return {
        dataset: d.name,
        time_range: { from: new Date(START + x.fromHour * HOUR).toISOString(), to: new Date(START + (x.fromHour + x.hours) * HOUR).toISOString() },
        dimensions,
        measures: x.measures,
        filters: x.filters,
        timezone: x.timezone,
        ...(x.limit ? { limit: x.limit } : {}),
        ...(x.order ? { order_by: [{ [dimensions.includes(orderCol) ? 'dimension' : 'measure']: orderCol, direction: x.desc ? 'desc' : 'asc' }] } : {}),
      };
    });
}

const HYBRID_ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'];

/**
 * SPEC §15: a random covered query whose range may start and end anywhere within an hour (or on
 * one), in a zone with whole-hour offsets across a DST change or one with half-hour offsets.
 */
function anyRangeQuery(d: DatasetDef) {
  const within = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: HOUR - 1 }));
  return fc.record({ q: coveredQuery(d), fromMs: within, toMs: within, timezone: fc.constantFrom(...HYBRID_ZONES) }).map(({ q, fromMs, toMs, timezone }) => {
    const from = Date.parse(q.time_range.from) + fromMs;
    const end = Date.parse(q.time_range.to) + toMs;
    const to = end > from ? end : from + HOUR / 2;
    return { ...q, time_range: { from: new Date(from).toISOString(), to: new Date(to).toISOString() }, timezone };
  });
}

async function expectNoDrift(t: TestApp) {
  const drift = await checkAllRollups(t.app.get(DataSource));
  expect(drift.map(({ dataset, missing, extra, examples }) => ({ dataset, missing, extra, examples }))).toEqual(
    DATASETS.map((d) => ({ dataset: d.name, missing: 0, extra: 0, examples: [] })),
  );
}

describe('hourly rollups: kept exact by the projector, chosen by the planner (SPEC §6)', () => {
  let a: TestApp;
  let b: TestApp;
  let orgId: string;
  let api: ReturnType<typeof client>;
  const data = dataset(20261124);

  beforeAll(async () => {
    a = await startTestApp({ env: { REPORTING_OUTBOX_MAX_ATTEMPTS: '2', REPORTING_OUTBOX_BACKOFF_BASE_MS: '1', REPORTING_OUTBOX_BACKOFF_CAP_MS: '2' } });
    b = await startTestApp({ db: a.db });
    const owner = await a.key('rollups', 'owner');
    orgId = owner.orgId;
    api = client(a, owner.key);
    // Children before their sessions, so the sessions' arrival re-attributes them.
    await api.ingest('llm_generations', data.generations);
    await api.ingest('usage_ledger', data.ledger);
    await api.ingest('events', data.events);
    await api.project();
    await api.ingest('sessions', data.sessions);
    await api.project();
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('the rollup tables have exactly the columns the catalog derives', async () => {
    for (const d of DATASETS) {
      const spec = rollupOf(d);
      const { rows } = await a.db.pool.query(`SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`, [spec.table]);
      expect({ table: spec.table, columns: rows.map((r) => r.column_name) }).toEqual({
        table: spec.table,
        columns: ['org_id', 'hour', ...spec.dimensions.map((x) => x.column), ...spec.columns.map((c) => c.name), ...spec.sketches.flatMap((k) => [k.keys, k.counts])],
      });
    }
  });

  it('after ingest and projection the rollups equal a rebuild from the facts', async () => {
    await expectNoDrift(a);
    const { rows } = await a.db.pool.query(`SELECT sum(row_count)::int AS n FROM rollup_llm_generation_hourly WHERE org_id = $1`, [orgId]);
    expect(rows[0].n).toBe(data.generations.length);
  });

  it('stay exact through replays, changed records, re-attribution and out-of-order delivery', async () => {
    // Replays: nothing changes.
    await api.ingest('llm_generations', data.generations.slice(0, 100));
    // Changed dimensions and measures, moving facts between rollup rows (and hours).
    const gens = data.generations.slice(0, 150).map((g, i) => ({ ...g, model: MODELS[i % MODELS.length][0], provider: MODELS[i % MODELS.length][1], input_tokens: g.input_tokens + 1, duration_ms: i % 3 ? null : 5, created_at: i % 5 ? g.created_at : new Date(START + 3 * HOUR).toISOString() }));
    // Tool calls change status; some events stop feeding facts; a turn changes its outcome.
    const tools = data.events.filter((e) => e.type === 'tool.completed');
    const changed = [
      ...tools.slice(0, 30).map((e) => ({ ...e, data: { ...(e.data as object), status: 'error', duration_ms: 1 } })),
      ...tools.slice(30, 40).map((e) => ({ ...e, type: 'tool.started' })),
      ...data.events.filter((e) => e.type === 'turn.completed').slice(0, 10).map((e) => ({ ...e, type: 'turn.failed' })),
      // Capability usage changes kind, tool, duration and hour; some stops feeding facts.
      ...data.events.filter((e) => e.type === 'capability.usage').slice(0, 25).map((e, i) => ({
        ...e, created_at: i % 4 ? e.created_at : new Date(START + 5 * HOUR).toISOString(),
        data: { ...(e.data as object), kind: CAPABILITY_KINDS[i % CAPABILITY_KINDS.length], tool_name: i % 3 ? 'sql' : null, duration_ms: i % 2 ? i : null },
      })),
      ...data.events.filter((e) => e.type === 'capability.usage').slice(25, 30).map((e) => ({ ...e, type: 'capability.noted' })),
    ];
    const ledger = data.ledger.slice(0, 50).map((l, i) => ({ ...l, amount: -l.amount, currency: i % 2 ? 'EUR' : l.currency, budget_id: BUDGETS[i % 3] }));
    // Sessions finish, change status and agent (re-projecting everything hanging off them).
    const sessions = data.sessions.slice(0, 20).map((s) => ({ ...s, status: 'completed', finished_at: new Date(Date.parse(s.created_at) + 1000).toISOString(), agent_id: newPublicId('agent') }));
    // Out of order: newest changes first, older ones after, then the newest again.
    await api.ingest('sessions', sessions);
    await api.ingest('events', [...changed].reverse());
    await api.project(97);
    await api.ingest('llm_generations', gens);
    await api.ingest('usage_ledger', ledger);
    await api.ingest('events', changed);
    await api.project(37);
    await expectNoDrift(a);
  });

  it('stay exact when a poison row fails (its batch rolls back) and when it is retried', async () => {
    const s = data.sessions[0];
    const bad = { id: newPublicId('event'), session_id: s.id, turn_id: newPublicId('turn'), type: 'tool.completed', created_at: new Date(START).toISOString() };
    await a.db.pool.query(`INSERT INTO events (org_id, id, session_id, turn_id, type, created_at, data) VALUES ($1, $2, $3, $4, 'tool.completed', $5, $6)`, [
      orgId, uuidOf(bad.id), uuidOf(s.id), uuidOf(bad.turn_id), bad.created_at, { tool_name: 'x', status: 'success', duration_ms: 'abc' },
    ]);
    await a.db.pool.query(`INSERT INTO reporting_outbox (org_id, source_type, source_id) VALUES ($1, 'event', $2)`, [orgId, uuidOf(bad.id)]);
    // Its neighbours in the same batches project; the rollups move with them only.
    await api.ingest('llm_generations', data.generations.slice(200, 260).map((g) => ({ ...g, output_tokens: g.output_tokens + 7 })));
    // Drained until nothing is due: the poison row fails twice (the retry limit here) and stops.
    for (let failed = 0; failed < 2; ) {
      failed += (await api.project()).failed;
      await new Promise((r) => setTimeout(r, 5));
    }
    const { rows } = await a.db.pool.query(`SELECT status FROM reporting_outbox WHERE org_id = $1 AND source_id = $2`, [orgId, uuidOf(bad.id)]);
    expect(rows).toEqual([{ status: 'failed' }]);
    await expectNoDrift(a);
    await a.db.pool.query(`UPDATE events SET data = '{"tool_name": "x", "status": "success", "duration_ms": 9}' WHERE org_id = $1 AND id = $2`, [orgId, uuidOf(bad.id)]);
    expect((await api.post('/v1/reports/admin/outbox/retry', {})).body).toEqual({ retried: 1 });
    expect(await api.project()).toEqual({ claimed: 1, completed: 1, failed: 0 });
    await expectNoDrift(a);
  });

  it('stay exact with two services projecting the same org at once', async () => {
    const owner = await a.key('rollups', 'owner');
    const apiB = client(b, owner.key);
    const more = Array.from({ length: 1500 }, (_, i) => {
      const [model, provider] = MODELS[i % MODELS.length];
      // Few hours and models: both services keep meeting on the same rollup rows.
      return { id: newPublicId('gen'), model, provider, input_tokens: i, output_tokens: 1, duration_ms: i % 7, created_at: new Date(START + (i % 3) * HOUR + i).toISOString() };
    });
    for (let i = 0; i < more.length; i += 500) await api.ingest('llm_generations', more.slice(i, i + 500));
    await api.ingest('llm_generations', more.slice(0, 500).map((g) => ({ ...g, model: 'gpt-5', provider: 'openai', input_tokens: 1 })));
    const drain = async (c: typeof api) => {
      for (;;) {
        const res = await c.post('/v1/reports/projector/run?limit=53');
        expect(res.body.failed).toBe(0);
        if (res.body.claimed === 0) return;
      }
    };
    await Promise.all([drain(api), drain(apiB), drain(api), drain(apiB)]);
    await expectNoDrift(a);
  });

  it('a random covered query gives the same result from the rollup as from the facts', async () => {
    const reports = a.app.get(ReportQueryService);
    let planned = 0;
    let withData = 0;
    for (const d of DATASETS) {
      await fc.assert(
        fc.asyncProperty(coveredQuery(d), async (wire) => {
          const query = reports.resolve(wire);
          expect(planReportQuery(query)).toBe('rollup');
          planned += 1;
          const fromRollup = await reports.run(orgId, query);
          const fromFacts = await reports.run(orgId, query, 'facts');
          expect(fromRollup.served_by).toBe('rollup');
          expect(fromFacts.served_by).toBe('facts');
          const strip = ({ as_of: _a, freshness_lag_ms: _f, served_by: _s, ...rest }: Record<string, unknown>) => rest;
          expect(strip({ ...fromRollup })).toEqual(strip({ ...fromFacts }));
          if (fromFacts.rows.some((row) => Object.values(row).some((v) => typeof v === 'number' && v !== 0))) withData += 1;
        }),
        { numRuns: 60, seed: 42 + d.name.length, endOnFailure: true },
      );
    }
    expect(planned).toBe(DATASETS.length * 60);
    // The comparison means something only if most queries find facts.
    expect(withData / planned).toBeGreaterThan(0.5);
    console.log(`rollup property: ${withData}/${planned} queries with data`);
  });

  it('a random covered query on any range (whole hours or not) gives, as planned, the same result as from the facts', async () => {
    const reports = a.app.get(ReportQueryService);
    const outcomes = { rollup: 0, 'rollup+facts': 0, facts: 0 };
    let withData = 0;
    let runs = 0;
    for (const d of DATASETS) {
      const coverage = { dimensions: rollupOf(d).dimensions.map((x) => x.name), measures: d.measures.filter((m) => rollupCovers(d, m.name)).map((m) => m.name) };
      await fc.assert(
        fc.asyncProperty(anyRangeQuery(d), async (wire) => {
          const query = reports.resolve(wire);
          const planned = await reports.run(orgId, query);
          const fromFacts = await reports.run(orgId, query, 'facts');
          expect(planned.served_by).toBe(servedBy(wire, coverage));
          outcomes[planned.served_by] += 1;
          runs += 1;
          const strip = ({ as_of: _a, freshness_lag_ms: _f, served_by: _s, ...rest }: Record<string, unknown>) => rest;
          expect(strip({ ...planned })).toEqual(strip({ ...fromFacts }));
          if (fromFacts.rows.some((row) => Object.values(row).some((v) => typeof v === 'number' && v !== 0))) withData += 1;
        }),
        { numRuns: 60, seed: 7 + d.name.length, endOnFailure: true },
      );
    }
    // Every outcome is exercised, mostly the hybrid one, and most queries find facts.
    expect(outcomes.rollup).toBeGreaterThan(0);
    expect(outcomes.facts).toBeGreaterThan(0);
    expect(outcomes['rollup+facts']).toBeGreaterThan(runs / 3);
    expect(withData / runs).toBeGreaterThan(0.5);
    console.log(`hybrid property: ${JSON.stringify(outcomes)}, ${withData}/${runs} queries with data`);
  });

  it('a rebuild from scratch reproduces the incrementally kept rollups exactly', async () => {
    const ds = a.app.get(DataSource);
    const snapshot = async () => {
      const out: Record<string, unknown[]> = {};
      for (const d of DATASETS) {
        const spec = rollupOf(d);
        const cols = ['hour', ...spec.dimensions.map((x) => x.column), ...spec.columns.map((c) => c.name), ...spec.sketches.flatMap((k) => [k.keys, k.counts])];
        const { rows } = await a.db.pool.query(`SELECT ${cols.join(', ')} FROM ${spec.table} WHERE org_id = $1 AND row_count <> 0 ORDER BY ${cols.join(', ')}`, [orgId]);
        out[d.name] = rows;
      }
      return out;
    };
    const before = await snapshot();
    for (const d of DATASETS) await rebuildRollup(ds, d, orgId);
    expect(await snapshot()).toEqual(before);
    expect(before.llm_generations.length).toBeGreaterThan(50);
  });
});

describe('the planner (SPEC §6)', () => {
  let t: TestApp;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    t = await startTestApp();
    api = client(t, (await t.key('planner', 'member')).key);
  });
  afterAll(() => t.close());

  const base = { dataset: 'llm_generations', time_range: { from: '2026-05-01T00:00:00Z', to: '2026-05-31T00:00:00Z' } };
  it.each([
    ['day × model, sums and an average', { ...base, dimensions: ['day', 'model'], measures: ['generation_count', 'total_tokens', 'avg_duration_ms'] }, 'rollup'],
    ['no dimensions, row_count only', { ...base }, 'rollup'],
    ['hour buckets in a whole-hour zone across DST', { ...base, dimensions: ['hour'], timezone: 'America/New_York' }, 'rollup'],
    ['a filter on a kept dimension', { ...base, measures: ['error_count'], filters: [{ field: 'finish_reason', op: 'is_null', value: true }] }, 'rollup'],
    ['a percentile (from the sketches, SPEC §15)', { ...base, dimensions: ['model'], measures: ['p95_duration_ms'] }, 'rollup'],
    ['a percentile with exact: true', { ...base, dimensions: ['model'], measures: ['p95_duration_ms'], exact: true }, 'facts'],
    ['exact: true without a percentile', { ...base, dimensions: ['model'], measures: ['generation_count'], exact: true }, 'facts'],
    ['exact: false', { ...base, dimensions: ['model'], measures: ['p50_duration_ms'], exact: false }, 'rollup'],
    ['a dimension the rollup does not keep (user)', { ...base, dimensions: ['user'], measures: ['generation_count'] }, 'facts'],
    ['a filter on an id', { ...base, filters: [{ field: 'agent', op: 'eq', value: newPublicId('agent') }] }, 'facts'],
    ['a numeric filter', { ...base, filters: [{ field: 'duration_ms', op: 'gt', value: 10 }] }, 'facts'],
    ['a range that does not start on the hour', { ...base, time_range: { from: '2026-05-01T00:30:00Z', to: '2026-05-31T00:00:00Z' } }, 'rollup+facts'],
    ['"last 7 days" at 14:37, day × model in Berlin', { ...base, time_range: { from: '2026-05-01T14:37:00Z', to: '2026-05-08T14:37:00Z' }, dimensions: ['day', 'model'], timezone: 'Europe/Berlin' }, 'rollup+facts'],
    ['a range within one hour', { ...base, time_range: { from: '2026-05-01T14:05:00Z', to: '2026-05-01T14:55:00Z' } }, 'facts'],
    ['an unaligned range, day buckets in a half-hour zone', { ...base, time_range: { from: '2026-05-01T14:37:00Z', to: '2026-05-08T14:37:00Z' }, dimensions: ['day'], timezone: 'Asia/Kolkata' }, 'facts'],
    ['day buckets in a half-hour zone', { ...base, dimensions: ['day'], timezone: 'Asia/Kolkata' }, 'facts'],
    ['no buckets in a half-hour zone (the zone does not matter)', { ...base, dimensions: ['model'], timezone: 'Asia/Kolkata' }, 'rollup'],
    ['capability usage: day × kind × tool, every measure', { ...base, dataset: 'capability_usage', dimensions: ['day', 'kind', 'tool'], measures: ['usage_count', 'duration_ms', 'avg_duration_ms'] }, 'rollup'],
    ['capability usage by agent (not kept)', { ...base, dataset: 'capability_usage', dimensions: ['agent'], measures: ['usage_count'] }, 'facts'],
  ])('%s → %s', async (_, query, servedBy) => {
    const res = await api.post('/v1/reports/query', query);
    expect(res.status).toBe(200);
    expect(res.body.served_by).toBe(servedBy);
  });

  it('the catalog says what each rollup covers', async () => {
    const res = await api.get('/v1/reports/catalog');
    expect(res.status).toBe(200);
    const rollups = Object.fromEntries(res.body.datasets.map((d: { name: string; rollup: unknown }) => [d.name, d.rollup]));
    expect(rollups.llm_generations).toEqual({
      granularity: 'hour',
      dimensions: ['model', 'provider', 'finish_reason'],
      measures: [
        'generation_count', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens', 'total_tokens', 'duration_ms',
        'avg_duration_ms', 'p50_duration_ms', 'p95_duration_ms', 'avg_time_to_first_token_ms', 'p95_time_to_first_token_ms', 'success_count', 'error_count', 'cost_usd', 'avg_cost_usd', 'unpriced_count',
      ],
      description: expect.stringContaining('answered from this hourly rollup when all its dimensions and filter fields are among these'),
    });
    expect(rollups.sessions).toMatchObject({ dimensions: ['status'], measures: ['session_count', 'duration_ms', 'avg_duration_ms', 'p95_duration_ms', 'turn_count', 'tool_call_count', 'input_tokens', 'output_tokens', 'total_tokens', 'cost_usd'] });
    expect(rollups.budget_postings).toMatchObject({ dimensions: ['budget', 'subject_type', 'currency', 'meter_source', 'ref_type'], measures: ['amount', 'debit_amount', 'credit_amount', 'debit_count', 'credit_count'] });
    expect(rollups.capability_usage).toMatchObject({ dimensions: ['capability', 'capability_name', 'kind', 'tool'], measures: ['usage_count', 'duration_ms', 'avg_duration_ms'] });
  });

  it('a range starting and ending within an hour: the rollup for its whole hours, the facts for its edges (rollup+facts)', async () => {
    const owner = client(t, (await t.key('planner-hybrid', 'owner')).key);
    const at = (created_at: string, model: string, input_tokens: number, duration_ms: number | null) =>
      generation({ created_at, model, provider: model === 'gpt-5' ? 'openai' : 'anthropic', input_tokens, output_tokens: 1, duration_ms });
    await owner.ingest('llm_generations', [
      at('2026-05-01T14:36:59.999Z', 'gpt-5', 1000, 1), // before the range
      at('2026-05-01T14:37:00.000Z', 'gpt-5', 1, 100), // first, partial hour
      at('2026-05-01T14:59:59.999Z', 'claude-4', 2, 200),
      at('2026-05-01T15:00:00.000Z', 'gpt-5', 3, null), // whole hours
      at('2026-05-02T10:20:00.000Z', 'gpt-5', 4, 400),
      at('2026-05-03T13:59:59.999Z', 'gpt-5', 5, 10),
      at('2026-05-03T14:00:00.000Z', 'claude-4', 6, 50), // last, partial hour
      at('2026-05-03T14:36:59.999Z', 'gpt-5', 7, 301),
      at('2026-05-03T14:37:00.000Z', 'gpt-5', 2000, 1), // after the range
    ]);
    await owner.project();
    const time_range = { from: '2026-05-01T14:37:00Z', to: '2026-05-03T14:37:00Z' };
    const res = await owner.post('/v1/reports/query', { dataset: 'llm_generations', time_range, dimensions: ['day', 'model'], measures: ['generation_count', 'input_tokens', 'avg_duration_ms'] });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: {
        as_of: expect.any(String),
        columns: [
          { name: 'day', kind: 'dimension' },
          { name: 'model', kind: 'dimension' },
          { name: 'generation_count', kind: 'measure' },
          { name: 'input_tokens', kind: 'measure' },
          { name: 'avg_duration_ms', kind: 'measure' },
        ],
        freshness_lag_ms: 0,
        rows: [
          { day: '2026-05-01T00:00:00Z', model: 'claude-4', generation_count: 1, input_tokens: 2, avg_duration_ms: 200 },
          { day: '2026-05-01T00:00:00Z', model: 'gpt-5', generation_count: 2, input_tokens: 4, avg_duration_ms: 100 },
          { day: '2026-05-02T00:00:00Z', model: 'gpt-5', generation_count: 1, input_tokens: 4, avg_duration_ms: 400 },
          { day: '2026-05-03T00:00:00Z', model: 'claude-4', generation_count: 1, input_tokens: 6, avg_duration_ms: 50 },
          { day: '2026-05-03T00:00:00Z', model: 'gpt-5', generation_count: 2, input_tokens: 12, avg_duration_ms: 155.5 },
        ],
        served_by: 'rollup+facts',
        time_range,
        truncated: false,
      },
    });
  });

  it('answers an empty org the same way down both paths', async () => {
    const res = await api.post('/v1/reports/query', { ...base, measures: ['generation_count', 'avg_duration_ms', 'total_tokens'] });
    expect(res.body).toEqual({
      as_of: expect.any(String),
      columns: [
        { name: 'generation_count', kind: 'measure' },
        { name: 'avg_duration_ms', kind: 'measure' },
        { name: 'total_tokens', kind: 'measure' },
      ],
      freshness_lag_ms: 0,
      rows: [{ generation_count: 0, avg_duration_ms: null, total_tokens: 0 }],
      served_by: 'rollup',
      time_range: base.time_range,
      truncated: false,
    });
  });
});
