import { toPublicId } from '#src/common/ids/public-id.js';
import { builtinPriceId } from '#src/reporting/prices/builtin-prices.load.js';
import { BUILTIN_PRICES } from '#src/reporting/prices/builtin-prices.js';
import { MODELS } from '#src/cli/seed/vocabulary.js';
import { client } from '../../support/api.js';
import { PROBLEM } from '../../support/problems.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { applicable, BUILTIN } from './cost.oracle.js';

/** The price routes (SPEC §10): list_prices, create_price, delete_price — bodies, permissions, every error. */
describe('prices: routes (SPEC §10)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const valid = { provider: 'acme-ai', model: 'acme-1', match: 'exact', input_per_mtok: '0.5', output_per_mtok: 2, effective_from: '2026-03-01T00:00:00Z' };

  it('lists the built-in prices (each saying where and when it was read) and the org\'s own', async () => {
    const member = client(t, (await t.key('prices-list', 'member')).key);
    const res = await member.get('/v1/reports/prices');
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({ status: 200, type: 'application/json; charset=utf-8' });
    expect(res.body.data).toHaveLength(BUILTIN_PRICES.length);
    const gpt5 = BUILTIN_PRICES.find((p) => p.provider === 'openai' && p.model === 'gpt-5')!;
    expect(res.body.data.find((p: { model: string }) => p.model === 'gpt-5')).toEqual({
      id: toPublicId('price', builtinPriceId(gpt5)), provider: 'openai', model: 'gpt-5', match: 'prefix', currency: 'USD',
      input_per_mtok: '1.25', output_per_mtok: '10', cache_read_per_mtok: '0.125', cache_write_per_mtok: '1.25',
      effective_from: '2025-08-07T00:00:00.000Z', source: 'builtin', note: 'Read 2025 from https://openai.com/api/pricing/',
    });
    for (const p of res.body.data) expect(p.note).toMatch(/Read 2025 from https:\/\//);
    const anthropic = await member.get('/v1/reports/prices?provider=anthropic');
    expect(anthropic.body.data.map((p: { model: string }) => p.model).sort()).toEqual(BUILTIN_PRICES.filter((p) => p.provider === 'anthropic').map((p) => p.model).sort());
    const unknown = await member.get('/v1/reports/prices?vendor=x');
    expect({ status: unknown.status, type: unknown.headers['content-type'], code: unknown.body.code, errors: unknown.body.errors }).toEqual({
      status: 400, type: PROBLEM, code: 'validation_failed', errors: [{ pointer: '/query/vendor', message: 'unknown field "vendor"' }],
    });
  });

  it('every model the demo data uses has a built-in price', () => {
    const unpriced = MODELS.filter((m) => !applicable(BUILTIN, { id: 'x', provider: m.provider, model: m.model, input_tokens: 1, output_tokens: 1, created_at: new Date().toISOString() }));
    expect(unpriced.map((m) => m.model)).toEqual([]);
  });

  it('creates an org price (201, source org, amounts exact), which then lists first on a tie', async () => {
    const api = client(t, (await t.key('prices-create', 'admin')).key);
    const res = await api.post('/v1/reports/prices', { ...valid, input_per_mtok: '0.123456789', cache_write_per_mtok: 3.5, currency: 'USD', note: 'contract 7' });
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({ status: 201, type: 'application/json; charset=utf-8' });
    expect(res.body).toEqual({
      id: expect.stringMatching(/^price_[0-9a-f]{32}$/), provider: 'acme-ai', model: 'acme-1', match: 'exact', currency: 'USD',
      input_per_mtok: '0.123456789', output_per_mtok: '2', cache_read_per_mtok: '0.123456789', cache_write_per_mtok: '3.5',
      effective_from: '2026-03-01T00:00:00.000Z', source: 'org', note: 'contract 7',
    });
    const listed = (await api.get('/v1/reports/prices?provider=acme-ai')).body.data;
    expect(listed).toEqual([res.body]);
  });

  it('rejects every invalid field at once (400 with pointers)', async () => {
    const api = client(t, (await t.key('prices-invalid', 'owner')).key);
    const empty = await api.post('/v1/reports/prices', {});
    expect({ status: empty.status, type: empty.headers['content-type'], code: empty.body.code }).toEqual({ status: 400, type: PROBLEM, code: 'validation_failed' });
    expect([...new Set(empty.body.errors.map((e: { pointer: string }) => e.pointer))].sort()).toEqual(
      ['/effective_from', '/input_per_mtok', '/match', '/model', '/output_per_mtok', '/provider']);
    const bad = await api.post('/v1/reports/prices', {
      provider: '', model: 'x'.repeat(201), match: 'fuzzy', currency: 'EUR', input_per_mtok: -1, output_per_mtok: '1.0000000001',
      cache_read_per_mtok: 'abc', cache_write_per_mtok: 1e-10, effective_from: '2026-03-01', note: 5, extra: true,
    });
    expect(bad.status).toBe(400);
    const byPointer = Object.fromEntries(bad.body.errors.map((e: { pointer: string; message: string; allowed?: string[] }) => [e.pointer, e.allowed ?? e.message]));
    expect(Object.keys(byPointer).sort()).toEqual([
      '/cache_read_per_mtok', '/cache_write_per_mtok', '/currency', '/effective_from', '/extra', '/input_per_mtok', '/match', '/model', '/note', '/output_per_mtok', '/provider',
    ]);
    expect(byPointer['/match']).toEqual(['exact', 'prefix']);
    expect(byPointer['/currency']).toEqual(['USD']);
    expect(byPointer['/extra']).toBe('unknown field "extra"');
    expect(byPointer['/input_per_mtok']).toContain('at most 9 decimal places');
    const notJson = await api.post('/v1/reports/prices', [valid]);
    expect({ status: notJson.status, code: notJson.body.code }).toEqual({ status: 400, code: 'validation_failed' });
  });

  it('409 price_exists for the same provider, model, match and effective_from', async () => {
    const api = client(t, (await t.key('prices-dup', 'owner')).key);
    expect((await api.post('/v1/reports/prices', valid)).status).toBe(201);
    const again = await api.post('/v1/reports/prices', { ...valid, effective_from: '2026-03-01T01:00:00+01:00', input_per_mtok: '9' });
    expect({ status: again.status, type: again.headers['content-type'], code: again.body.code, title: again.body.title }).toEqual({
      status: 409, type: PROBLEM, code: 'price_exists', title: 'Price already exists',
    });
    expect(again.body.allowed_actions.map((a: { rel: string }) => a.rel)).toEqual(['get-existing', 'delete']);
    // Another effective_from is another price (a new version from that instant).
    expect((await api.post('/v1/reports/prices', { ...valid, effective_from: '2026-04-01T00:00:00Z' })).status).toBe(201);
  });

  it('deletes an org price (204); built-in → 409 builtin_price; malformed → 400; missing or another org\'s → 404', async () => {
    const api = client(t, (await t.key('prices-del', 'owner')).key);
    const other = client(t, (await t.key('prices-del-other', 'owner')).key);
    const mine = (await api.post('/v1/reports/prices', valid)).body;
    const theirs = (await other.post('/v1/reports/prices', valid)).body;
    const builtin = toPublicId('price', builtinPriceId(BUILTIN_PRICES[0]));

    const b = await api.delete(`/v1/reports/prices/${builtin}`);
    expect({ status: b.status, type: b.headers['content-type'], code: b.body.code, instance: b.body.instance }).toEqual({
      status: 409, type: PROBLEM, code: 'builtin_price', instance: `/v1/reports/prices/${builtin}`,
    });
    expect(b.body.allowed_actions).toEqual([expect.objectContaining({ rel: 'update', operation_id: 'create_price', method: 'POST' })]);
    for (const bad of ['nope', 'price_XYZ', `gen_${'0'.repeat(32)}`, `price_${'0'.repeat(31)}`]) {
      const r = await api.delete(`/v1/reports/prices/${bad}`);
      expect({ status: r.status, code: r.body.code }).toEqual({ status: 400, code: 'invalid_price_id' });
    }
    for (const missing of [theirs.id, `price_${'0'.repeat(32)}`]) {
      const r = await api.delete(`/v1/reports/prices/${missing}`);
      expect({ status: r.status, type: r.headers['content-type'], code: r.body.code }).toEqual({ status: 404, type: PROBLEM, code: 'price_not_found' });
    }
    const ok = await api.delete(`/v1/reports/prices/${mine.id}`);
    expect({ status: ok.status, body: ok.text }).toEqual({ status: 204, body: '' });
    expect((await api.delete(`/v1/reports/prices/${mine.id}`)).status).toBe(404);
    expect((await other.get('/v1/reports/prices?provider=acme-ai')).body.data).toEqual([theirs]);
  });

  it('permissions: list needs reports:view, create and delete reports:manage; no key → 401', async () => {
    const member = client(t, (await t.key('prices-perm', 'member')).key);
    const ingest = client(t, (await t.key('prices-perm', 'ingest')).key);
    for (const res of [await member.post('/v1/reports/prices', valid), await member.delete(`/v1/reports/prices/price_${'0'.repeat(32)}`)]) {
      expect({ status: res.status, type: res.headers['content-type'], code: res.body.code, detail: res.body.detail }).toEqual({
        status: 403, type: PROBLEM, code: 'forbidden', detail: expect.stringContaining('reports:manage'),
      });
    }
    const list = await ingest.get('/v1/reports/prices');
    expect({ status: list.status, code: list.body.code, detail: list.body.detail }).toEqual({ status: 403, code: 'forbidden', detail: expect.stringContaining('reports:view') });
    const anon = await t.http().get('/v1/reports/prices');
    expect({ status: anon.status, type: anon.headers['content-type'], code: anon.body.code }).toEqual({ status: 401, type: PROBLEM, code: 'unauthorized' });
  });
  it('edge inputs are a 201 or a 400 naming the field, never a 500', async () => {
    const api = client(t, (await t.key('prices-edge', 'owner')).key);
    const cases: [Record<string, unknown>, number, string?][] = [
      [{ ...valid, model: 'e1', effective_from: '0000-01-01T00:00:00Z' }, 400, '/effective_from'],
      [{ ...valid, model: 'e2', effective_from: '9999-12-31T23:59:59.999999Z' }, 201],
      [{ ...valid, model: 'e3', effective_from: '2026-03-01T00:00:00+14:00' }, 201],
      [{ ...valid, model: 'e4', effective_from: '2026-02-30T00:00:00Z' }, 400, '/effective_from'],
      [{ ...valid, model: 'e5', input_per_mtok: '99999999999.999999999' }, 201],
      [{ ...valid, model: 'e6', input_per_mtok: '100000000000' }, 400, '/input_per_mtok'],
      [{ ...valid, model: 'e7', input_per_mtok: 1e300 }, 400, '/input_per_mtok'],
      [{ ...valid, model: 'e8', input_per_mtok: '1e3' }, 400, '/input_per_mtok'],
      [{ ...valid, model: 'e9', input_per_mtok: true }, 400, '/input_per_mtok'],
      [{ ...valid, model: 'e10', input_per_mtok: null }, 400, '/input_per_mtok'],
      [{ ...valid, model: 'e11', provider: 'a\u0000b' }, 400, '/provider'],
      [{ ...valid, model: '\ud800' }, 400, '/model'],
      [{ ...valid, model: 'e13', match: null }, 400, '/match'],
    ];
    for (const [body, status, pointer] of cases) {
      const res = await api.post('/v1/reports/prices', body);
      expect({ model: body.model, status: res.status, pointers: pointer ? res.body.errors?.map((e: { pointer: string }) => e.pointer) : undefined })
        .toEqual({ model: body.model, status, pointers: pointer ? [pointer] : undefined });
    }
    for (const query of ['provider=', `provider=${'x'.repeat(201)}`, 'provider=a&provider=b']) {
      const res = await api.get(`/v1/reports/prices?${query}`);
      expect({ query, status: res.status, code: res.body.code }).toEqual({ query, status: 400, code: 'validation_failed' });
    }
  });
});
