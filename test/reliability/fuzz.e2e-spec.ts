import fc from 'fast-check';
import type supertest from 'supertest';
import { newPublicId } from '#src/common/ids/public-id.js';
import { client, uuidOf } from '../support/api.js';
import { generation, ledger, session, toolEvent } from '../support/factories.js';
import { startTestApp, type TestApp, type TestKey } from '../support/test-app.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const RANGE = { from: '2026-04-01T00:00:00Z', to: '2026-06-01T00:00:00Z' };

/** Strings aimed at SQL, templating, paths and encodings, placed in every identifier and value position. */
const HOSTILE = [
  "'; DROP TABLE fact_llm_generation; --", "' OR 1=1 --", '" OR 1=1 --', "') OR ('1'='1", '1; SELECT pg_sleep(5)', "')) UNION SELECT key_hash FROM api_keys --",
  '$1', '$2::text', '::uuid', 'org_id', 'f.org_id', '"org_id"', 'count(*)', '*', '--', '/*', '\\', "\\'", '%27', '%00',
  '\u0000', 'a\u0000b', '\ud800', '\udfff', '😀', 'ｓｅｓｓｉｏｎ', 'İ', '\u202e', '../../etc/passwd', '${7*7}', '{{7*7}}', '<script>x</script>',
  '', ' ', 'null', 'NaN', 'Infinity', '-0', '1e309', '9'.repeat(400), 'x'.repeat(5000), `session_${'0'.repeat(32)}' --`,
];
const HOSTILE_VALUES: unknown[] = [...HOSTILE, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, true, false, null, [], {}, [null], { a: 1 }, [HOSTILE[0]]];

/** JSON text nested `depth` levels deep (objects and arrays alternating), built as text: too deep for JSON.stringify. */
function nestedJson(depth: number): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    open += i % 2 ? '[' : '{"a":';
    close = (i % 2 ? ']' : '}') + close;
  }
  return `${open}1${close}`;
}

/** A body whose "__DEEP__" string is replaced by deeply nested JSON. */
const deepBody = (template: unknown, depth: number) => JSON.stringify(template).replace('"__DEEP__"', nestedJson(depth));

/** Percent-encoding that also carries what encodeURIComponent refuses (lone surrogates), as raw bytes. */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...Buffer.from(s, 'latin1')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('') + '%ED%A0%80';
  }
}

const hostileString = fc.constantFrom(...HOSTILE);
const hostileValue = fc.oneof(fc.constantFrom(...HOSTILE_VALUES), fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'binary', maxLength: 40 }));

/**
 * Well-typed-but-wrong variants of a valid template: each field kept, dropped, or replaced by a
 * hostile string or an arbitrary JSON value, recursively, sometimes with an extra hostile key.
 */
function mutate(template: unknown, depth = 0): fc.Arbitrary<unknown> {
  if (Array.isArray(template)) {
    return fc.oneof({ weight: 3, arbitrary: fc.tuple(...template.map((x) => mutate(x, depth + 1))) }, { weight: 1, arbitrary: hostileValue });
  }
  if (template && typeof template === 'object') {
    const entries = Object.entries(template as Record<string, unknown>);
    const fields = entries.map(([k, v]) => fc.oneof(
      { weight: 6, arbitrary: mutate(v, depth + 1).map((x) => [k, x] as const) },
      { weight: 1, arbitrary: fc.constant([k, undefined] as const) },
      { weight: 2, arbitrary: hostileValue.map((x) => [k, x] as const) },
    ));
    const extra = fc.option(fc.tuple(hostileString, hostileValue), { freq: 6 });
    return fc.tuple(fc.tuple(...fields), extra).map(([kv, more]) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of kv) if (v !== undefined) out[k] = v;
      if (more) out[more[0]] = more[1];
      return out;
    });
  }
  return fc.oneof({ weight: 4, arbitrary: fc.constant(template) }, { weight: 2, arbitrary: hostileValue });
}

// A key's last_used_at moves with the clock (once a minute while it is used, SPEC §15a): it is
// bookkeeping of the requests themselves, not data a hostile input could change.
const ROW = `(to_jsonb(x) - 'last_used_at')::text`;

/**
 * Every table of the database, as a digest per table: what "data intact" is checked against. The
 * rate-limit buckets are left out: every authenticated request takes a token, reads included —
 * that is request accounting, not data.
 */
async function digestAll(t: TestApp): Promise<Record<string, string>> {
  const { rows: tables } = await t.db.pool.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'rate_limit_buckets' ORDER BY tablename`);
  const out: Record<string, string> = {};
  for (const { tablename } of tables) {
    const { rows } = await t.db.pool.query(`SELECT count(*)::int AS n, md5(coalesce(string_agg(${ROW}, '|' ORDER BY ${ROW}), '')) AS h FROM ${tablename} x`);
    out[tablename] = `${rows[0].n}:${rows[0].h}`;
  }
  return out;
}

/** Only the victim org's rows (for the families whose valid requests write the fuzzing org's data). */
async function digestOrg(t: TestApp, orgId: string): Promise<Record<string, string>> {
  const { rows: tables } = await t.db.pool.query(`SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'org_id' ORDER BY table_name`);
  const out: Record<string, string> = {};
  for (const { table_name: table } of tables) {
    const { rows } = await t.db.pool.query(`SELECT count(*)::int AS n, md5(coalesce(string_agg(${ROW}, '|' ORDER BY ${ROW}), '')) AS h FROM ${table} x WHERE org_id = $1`, [orgId]);
    out[table] = `${rows[0].n}:${rows[0].h}`;
  }
  return out;
}

/**
 * SPEC §3 "No input of any shape may produce a 500", every error problem+json, and STYLE's "SQL
 * identifiers only from the catalog; values always bound parameters": property-based fuzzing of
 * every JSON body, path parameter and query parameter, plus a fixed corpus of SQL-injection and
 * encoding strings in every identifier and value position. Then: the database is unchanged
 * (read routes), or changed only in the fuzzing org (write routes), and a hostile string that a
 * valid request stored comes back verbatim.
 */
describe('hostile input: fuzzing every body, path and query parameter (SPEC §3)', () => {
  let t: TestApp;
  let f: TestKey; // the fuzzing org
  let v: TestKey; // a victim org whose key is never used while fuzzing
  let reportId: string;
  const app = { id: newPublicId('app'), name: 'Fuzz bot', channels: [{ id: newPublicId('appchan'), type: 'slack', name: '#f' }] };
  const sessionOfF = session();
  const tally = { requests: 0, byStatus: {} as Record<string, number> };

  beforeAll(async () => {
    t = await startTestApp();
    f = await t.key('fuzz', 'owner');
    v = await t.key('victim', 'owner');
    for (const k of [f, v]) {
      const api = client(t, k.key);
      const s = k === f ? sessionOfF : session();
      await api.ingest('sessions', [s]);
      await api.ingest('events', [toolEvent(s.id, { turn_id: newPublicId('turn') })]);
      await api.ingest('llm_generations', [generation({ session_id: s.id }), generation()]);
      await api.ingest('usage_ledger', [ledger({ session_id: s.id })]);
      await api.ingest('apps', [k === f ? app : { ...app, id: newPublicId('app') }]);
      await api.project();
    }
    reportId = (await client(t, f.key).post('/v1/reports/saved', { name: 'fuzz', query: { dataset: 'sessions', time_range: { last: '7d' }, measures: ['session_count'] } })).body.id;
  });
  afterAll(async () => {
    console.log(`fuzz: ${tally.requests} requests (seed ${SEED}, ${RUNS} runs per property); statuses ${JSON.stringify(tally.byStatus)}`);
    await t.close();
  });

  /** The per-response promise: below 500, and every error a well-formed problem. */
  function checkResponse(res: supertest.Response, what: unknown) {
    tally.requests++;
    tally.byStatus[res.status] = (tally.byStatus[res.status] ?? 0) + 1;
    const ok = res.status >= 200 && res.status < 300;
    const shape = ok
      ? { status5xx: res.status >= 500 }
      : { status5xx: res.status >= 500, type: res.headers['content-type'], mirrored: res.body?.status === res.status, code: typeof res.body?.code, title: typeof res.body?.title };
    const expected = ok ? { status5xx: false } : { status5xx: false, type: PROBLEM, mirrored: true, code: 'string', title: 'string' };
    if (JSON.stringify(shape) !== JSON.stringify(expected)) {
      throw new Error(`bad response ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)} for ${JSON.stringify(what)?.slice(0, 500)}`);
    }
  }

  const send = (method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: unknown, headers: Record<string, string> = {}) => {
    let req = t.http()[method](path).set('authorization', `Bearer ${f.key}`);
    for (const [k, val] of Object.entries(headers)) req = req.set(k, val);
    if (body === undefined) return req;
    return req.set('content-type', 'application/json').send(typeof body === 'string' ? body : JSON.stringify(body));
  };

  const validQuery = {
    dataset: 'llm_generations', time_range: RANGE, dimensions: ['day', 'model', 'session'], measures: ['generation_count', 'total_tokens'],
    filters: [{ field: 'model', op: 'in', value: ['gpt-5'] }, { field: 'input_tokens', op: 'gte', value: 1 }], order_by: [{ measure: 'total_tokens', direction: 'desc' }], limit: 10, timezone: 'Europe/Berlin',
  };
  /** Report queries with hostile strings in each identifier position and each value position. */
  const injectedQuery = fc.tuple(hostileString, fc.integer({ min: 0, max: 9 }), hostileValue).map(([s, where, val]) => {
    const q = JSON.parse(JSON.stringify(validQuery)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    switch (where) {
      case 0: q.dataset = s; break;
      case 1: q.dimensions = ['day', s]; break;
      case 2: q.measures = [s]; break;
      case 3: q.filters = [{ field: s, op: 'eq', value: 'x' }]; break;
      case 4: q.filters = [{ field: 'model', op: s, value: 'x' }]; break;
      case 5: q.order_by = [{ dimension: s }, { measure: s, direction: s }]; break;
      case 6: q.timezone = s; break;
      case 7: q.filters = [{ field: 'model', op: 'eq', value: val }, { field: 'session', op: 'in', value: [val, s] }, { field: 'created_at', op: 'gt', value: val }]; break;
      case 8: q.time_range = { from: val, to: s }; break;
      default: q[s] = val;
    }
    return q;
  });
  const anyQuery = fc.oneof(mutate(validQuery), injectedQuery, fc.jsonValue({ maxDepth: 4 }));

  it('report queries and exports (ad hoc, envelope and stream): no 5xx, problems only, database unchanged', async () => {
    const before = await digestAll(t);
    await fc.assert(
      fc.asyncProperty(anyQuery, fc.constantFrom('query', 'export', 'stream', 'saved'), async (query, route) => {
        const res = route === 'query' ? await send('post', '/v1/reports/query', query)
          : route === 'export' ? await send('post', '/v1/reports/query/export', { format: 'csv', query })
          : route === 'stream' ? await send('post', '/v1/reports/query/export', { query }, { accept: 'text/csv' })
          : await send('post', '/v1/reports/saved', { name: 'q', query });
        checkResponse(res, { route, query });
        if (route === 'saved' && res.status === 201) expect((await send('delete', `/v1/reports/saved/${res.body.id}`)).status).toBe(204);
      }),
      { seed: SEED, numRuns: RUNS * 4 },
    );
    expect(await digestAll(t)).toEqual(before);
  });

  it('path and query parameters of every route: no 5xx, problems only, database unchanged', async () => {
    const before = await digestAll(t);
    const param = fc.oneof(hostileString, fc.string({ maxLength: 30 }), fc.constantFrom(reportId, reportId.toUpperCase(), app.id, newPublicId('app'), '1', '100', '5000', '5001', '0', '-1', '30d', '31d', 'hour', 'day'));
    await fc.assert(
      fc.asyncProperty(param, param, fc.integer({ min: 0, max: 13 }), async (a, b, which) => {
        const [method, path, body] = ([
          ['get', `/v1/reports/saved/${enc(a)}`],
          ['post', `/v1/reports/saved/${enc(a)}/run`],
          ['post', `/v1/reports/saved/${enc(a)}/export`, { format: b }],
          ['get', `/v1/apps/${enc(a)}/runs?window=${enc(b)}`],
          ['get', `/v1/apps/${app.id}/runs?window=${enc(a)}&group_by=${enc(b)}&limit=${enc(b)}`],
          ['get', `/v1/apps/${app.id}/runs?cursor=${enc(a)}&groupBy=${enc(b)}`],
          ['get', `/v1/apps/${app.id}/runs?${enc(a)}=${enc(b)}`],
          ['get', `/v1/reports/saved?limit=${enc(a)}&cursor=${enc(b)}`],
          ['get', `/v1/reports/saved?${enc(a)}=${enc(b)}&limit=1&limit=2`],
          ['get', `/v1/reports/catalog?${enc(a)}=${enc(b)}`],
          ['get', `/v1/reports/admin/diagnostics?${enc(a)}=1`],
          ['get', `/v1/${enc(a)}/${enc(b)}`],
          ['delete', `/v1/reports/saved/${enc(a)}x`],
          ['get', `/v1/apps/${enc(a)}`],
        ] as const)[which];
        checkResponse(await send(method, path, body), { method, path, body });
      }),
      { seed: SEED, numRuns: RUNS * 4 },
    );
    expect(await digestAll(t)).toEqual(before);
  });

  it('ingest bodies of every source, saved-report writes, operator bodies and parameters: no 5xx, problems only, the victim org unchanged', async () => {
    const before = await digestOrg(t, v.orgId);
    const templates: Record<string, unknown> = {
      sessions: { records: [session({ agent_name: 'x', harness_id: newPublicId('harness'), blueprint_id: 'bp', principal_id: newPublicId('principal') })] },
      events: { records: [toolEvent(sessionOfF.id, { turn_id: newPublicId('turn') }, { tool_display_name: 'T', capability_id: 'c' })] },
      llm_generations: { records: [generation({ finish_reason: 'stop', cache_read_tokens: 1, error: false })] },
      usage_ledger: { records: [ledger({ budget_id: newPublicId('budget'), subject_type: 'agent', subject_id: 's', meter_source: 'm', ref_type: 'r' })] },
      apps: { records: [{ ...app, channels: [...app.channels, { id: newPublicId('appchan'), type: 'webhook' }] }] },
      app_runs: { records: [{ id: newPublicId('apprun'), app_id: app.id, channel_id: app.channels[0].id, status: 'ok', created_at: '2026-05-01T00:00:00Z', completed_at: null }] },
    };
    const sources = Object.keys(templates);
    const ingestBody = fc.constantFrom(...sources).chain((source) => fc.tuple(fc.constant(source), fc.oneof({ weight: 5, arbitrary: mutate(templates[source]) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) })));
    await fc.assert(
      fc.asyncProperty(ingestBody, async ([source, body]) => checkResponse(await send('post', `/v1/ingest/${source}`, body), { source, body })),
      { seed: SEED, numRuns: RUNS * 6 },
    );
    const writes = fc.tuple(fc.integer({ min: 0, max: 4 }), mutate({ name: 'n', description: 'd', query: { dataset: 'sessions', time_range: { last: '7d' } } }), hostileValue);
    await fc.assert(
      fc.asyncProperty(writes, async ([which, body, val]) => {
        const [method, path, payload] = ([
          ['patch', `/v1/reports/saved/${reportId}`, body],
          ['post', '/v1/reports/admin/backfill', { limit: val }],
          ['post', '/v1/reports/admin/outbox/retry', { ids: val }],
          ['post', `/v1/reports/projector/run?limit=${enc(typeof val === 'string' ? val : JSON.stringify(val) ?? '')}`, undefined],
          ['post', '/v1/reports/admin/backfill', body],
        ] as const)[which];
        checkResponse(await send(method, path, payload), { method, path, payload });
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
    expect(await digestOrg(t, v.orgId)).toEqual(before);
  });

  it('fixed cases: deep nesting, huge and binary bodies, wrong content types, every hostile string stored verbatim where it is a valid value', async () => {
    const before = await digestOrg(t, v.orgId);
    const D = '__DEEP__';
    const deep: ['post' | 'patch', string, unknown, number][] = [
      ['post', '/v1/reports/query', D, 100_000],
      ['post', '/v1/reports/query', { ...validQuery, filters: [{ field: 'model', op: 'eq', value: D }] }, 20_000],
      ['post', '/v1/reports/query', { ...validQuery, order_by: [{ dimension: 'day', direction: D }] }, 20_000],
      ['post', '/v1/reports/query/export', { query: { ...validQuery, dataset: D } }, 20_000],
      ['post', '/v1/reports/saved', { name: 'deep', query: { ...validQuery, timezone: D } }, 20_000],
      ['post', '/v1/ingest/events', { records: [{ ...toolEvent(sessionOfF.id), type: 'note', data: D }] }, 20_000],
      ['post', '/v1/ingest/events', { records: [{ ...toolEvent(sessionOfF.id), type: 'note', data: { x: D } }] }, 3000],
      ['post', '/v1/ingest/events', { records: [{ ...toolEvent(sessionOfF.id), type: 'note', data: { x: D } }] }, 200],
      ['post', '/v1/ingest/sessions', { records: [{ ...session(), agent_name: D }] }, 20_000],
      ['post', '/v1/reports/admin/backfill', { limit: D }, 20_000],
      ['patch', `/v1/reports/saved/${reportId}`, { description: D }, 20_000],
      ['post', '/v1/ingest/llm_generations', { records: Array.from({ length: 5001 }, () => generation()) }, 0],
    ];
    for (const [method, path, body, depth] of deep) checkResponse(await send(method, path, deepBody(body, depth)), { path, depth });
    for (const raw of ['', '{', '[]', 'null', '"x"', '1e999', '\u0000', '{"a":1,"a":2}', '\ufeff{}', 'x'.repeat(2_000_000)]) {
      for (const path of ['/v1/reports/query', '/v1/ingest/sessions', '/v1/reports/admin/backfill', `/v1/reports/saved/${reportId}/export`]) {
        checkResponse(await send('post', path, raw), { path, raw: raw.slice(0, 20) });
      }
    }
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/problem+json']) {
      checkResponse(await t.http().post('/v1/reports/query').set('authorization', `Bearer ${f.key}`).set('content-type', type).send('{"dataset":"sessions"}'), { type });
    }

    // A hostile string in a free-text field of a valid record is data: stored and reported verbatim.
    const api = client(t, f.key);
    const storable = HOSTILE.filter((s) => s.length >= 1 && s.length <= 200 && !s.includes('\u0000') && !/[\ud800-\udfff]/.test(s.replace(/\ud83d\ude00/g, '')));
    const gens = storable.map((s) => generation({ model: s, provider: s, finish_reason: s.slice(0, 100) }));
    const res = await send('post', '/v1/ingest/llm_generations', { records: gens });
    expect(res.status).toBe(200);
    await api.project();
    const { rows } = await t.db.pool.query(`SELECT id::text, model, provider FROM llm_generations WHERE org_id = $1 AND id = ANY($2::uuid[])`, [f.orgId, gens.map((g) => uuidOf(g.id))]);
    expect(new Map(rows.map((r) => [r.id, [r.model, r.provider]]))).toEqual(new Map(gens.map((g) => [uuidOf(g.id), [g.model, g.provider]])));
    const byModel = await api.post('/v1/reports/query', { dataset: 'llm_generations', time_range: { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }, dimensions: ['model'], filters: [{ field: 'model', op: 'in', value: storable }], limit: 1000 });
    expect(byModel.status).toBe(200);
    expect(byModel.body.rows.map((r: { model: string }) => r.model).sort()).toEqual([...storable].sort());
    // Unstorable text (NUL, lone surrogates) is a 400 problem, never a 500 and never stored.
    for (const s of HOSTILE.filter((x) => !storable.includes(x) && x.length > 0 && x.length <= 200)) {
      checkResponse(await send('post', '/v1/ingest/llm_generations', { records: [generation({ model: s })] }), { model: s });
    }
    const tables = await t.db.pool.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`);
    expect(tables.rows[0].n).toBeGreaterThan(15);
    expect(await digestOrg(t, v.orgId)).toEqual(before);
  });
});
