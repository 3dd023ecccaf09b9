import { createHash } from 'node:crypto';
import { startTestApp, type TestApp, type TestKey } from '../../support/test-app.js';
import { PROBLEM } from '../../support/problems.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const KEY_ID = /^key_[0-9a-f]{32}$/;
const TOKEN = /^fl_[A-Za-z0-9_-]{43}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const NAME_RULE = 'name must be a string of 1 to 100 characters, not blank, without control characters';
const ROLE_RULE = 'role must be one of the following values: owner, admin, member, ingest';
const hex = (publicId: string) => publicId.slice(4);
const uuid = (publicId: string) => hex(publicId).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

describe('keys over the API — list_api_keys, create_api_key, revoke_api_key (SPEC §15a)', () => {
  let t: TestApp;
  let owner: TestKey;
  const as = (key: string) => ({
    get: (path: string) => t.http().get(path).set('authorization', `Bearer ${key}`),
    post: (path: string, body?: unknown) => t.http().post(path).set('authorization', `Bearer ${key}`).send(body as object),
    delete: (path: string) => t.http().delete(path).set('authorization', `Bearer ${key}`),
  });
  const problem = (status: number, code: string, title: string, detail: string, instance: string, extra: object = {}) => ({
    type: `/problems/${code}`, title, status, detail, code, instance, ...extra,
  });

  beforeAll(async () => {
    t = await startTestApp();
    owner = await t.key('keyring', 'owner');
  });
  afterAll(() => t.close());

  it('POST /v1/keys → 201 with the secret once; the key works for its role, is stored hashed, and is listed without it', async () => {
    const res = await as(owner.key).post('/v1/keys', { name: 'Grafana dashboard', role: 'member' });
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({ status: 201, type: JSON_TYPE });
    expect(res.body).toEqual({
      id: expect.stringMatching(KEY_ID), name: 'Grafana dashboard', role: 'member',
      created_at: expect.stringMatching(ISO), last_used_at: null, revoked_at: null, key: expect.stringMatching(TOKEN),
    });
    const { rows } = await t.db.pool.query(`SELECT org_id, name, role, encode(key_hash, 'hex') AS hash FROM api_keys WHERE id = $1`, [uuid(res.body.id)]);
    expect(rows).toEqual([{ org_id: owner.orgId, name: 'Grafana dashboard', role: 'member', hash: createHash('sha256').update(res.body.key).digest('hex') }]);

    expect((await as(res.body.key).get('/v1/reports/catalog')).status).toBe(200);
    const forbidden = await as(res.body.key).get('/v1/keys');
    expect({ status: forbidden.status, type: forbidden.headers['content-type'], body: forbidden.body }).toEqual({
      status: 403, type: PROBLEM,
      body: problem(403, 'forbidden', 'Forbidden', 'This route needs the keys:manage permission, which the member role does not grant.', '/v1/keys'),
    });

    const list = await as(owner.key).get('/v1/keys');
    expect({ status: list.status, type: list.headers['content-type'] }).toEqual({ status: 200, type: JSON_TYPE });
    const listed = list.body.data.find((k: { id: string }) => k.id === res.body.id);
    const { key: secret, ...shown } = res.body;
    expect(listed).toEqual({ ...shown, last_used_at: expect.stringMatching(ISO) });
    expect(Date.parse(listed.last_used_at)).toBeGreaterThanOrEqual(Date.parse(listed.created_at));
    expect(JSON.stringify(list.body)).not.toContain(secret);
  });

  it("GET /v1/keys lists every key of the caller's org, revoked ones too, newest first — never another org's", async () => {
    const t0 = await t.key('keyring-list', 'owner');
    await t.key('keyring-list-other', 'owner');
    const api = as(t0.key);
    const a = (await api.post('/v1/keys', { name: 'ingest pipe', role: 'ingest' })).body;
    const b = (await api.post('/v1/keys', { name: 'ops', role: 'admin' })).body;
    expect((await api.delete(`/v1/keys/${a.id}`)).status).toBe(204);
    const list = await api.get('/v1/keys');
    const { rows } = await t.db.pool.query(`SELECT created_at, revoked_at FROM api_keys WHERE id = ANY($1::uuid[]) ORDER BY created_at DESC`, [[uuid(b.id), uuid(a.id)]]);
    expect(list.body).toEqual({
      data: [
        { id: b.id, name: 'ops', role: 'admin', created_at: b.created_at, last_used_at: null, revoked_at: null },
        { id: a.id, name: 'ingest pipe', role: 'ingest', created_at: a.created_at, last_used_at: null, revoked_at: rows[1].revoked_at.toISOString() },
        { id: `key_${t0.keyId.replace(/-/g, '')}`, name: 'owner key', role: 'owner', created_at: expect.stringMatching(ISO), last_used_at: expect.stringMatching(ISO), revoked_at: null },
      ],
    });
  });

  it('a revoked key is refused on its next request, also by another instance on the same database', async () => {
    const other = await startTestApp({ db: t.db });
    try {
      const created = (await as(owner.key).post('/v1/keys', { name: 'temp', role: 'member' })).body;
      const onOther = () => other.http().get('/v1/reports/catalog').set('authorization', `Bearer ${created.key}`);
      expect((await onOther()).status).toBe(200);
      expect((await as(created.key).get('/v1/reports/catalog')).status).toBe(200);

      const revoked = await as(owner.key).delete(`/v1/keys/${created.id}`);
      expect({ status: revoked.status, body: revoked.text }).toEqual({ status: 204, body: '' });
      for (const res of [await as(created.key).get('/v1/reports/catalog'), await onOther()]) {
        expect({ status: res.status, type: res.headers['content-type'], code: res.body.code }).toEqual({ status: 401, type: PROBLEM, code: 'unauthorized' });
      }
      // Revoking again changes nothing.
      const { rows: before } = await t.db.pool.query(`SELECT revoked_at FROM api_keys WHERE id = $1`, [uuid(created.id)]);
      expect((await as(owner.key).delete(`/v1/keys/${created.id}`)).status).toBe(204);
      const { rows: after } = await t.db.pool.query(`SELECT revoked_at FROM api_keys WHERE id = $1`, [uuid(created.id)]);
      expect(after).toEqual(before);
    } finally {
      await other.close();
    }
  });

  it('last_used_at is kept to the minute without a write per request', async () => {
    const k = (await as(owner.key).post('/v1/keys', { name: 'busy', role: 'member' })).body;
    const row = async () => (await t.db.pool.query(`SELECT xmin::text AS xmin, last_used_at FROM api_keys WHERE id = $1`, [uuid(k.id)])).rows[0];

    // A stamp of an earlier minute is moved to this request's time.
    await t.db.pool.query(`UPDATE api_keys SET last_used_at = '2020-01-01T00:00:00Z' WHERE id = $1`, [uuid(k.id)]);
    expect((await as(k.key).get('/v1/reports/catalog')).status).toBe(200);
    const { rows } = await t.db.pool.query(`SELECT last_used_at > '2020-01-01' AS moved, last_used_at <= now() AS past FROM api_keys WHERE id = $1`, [uuid(k.id)]);
    expect(rows).toEqual([{ moved: true, past: true }]);

    // A stored minute that is current (here: ahead of the clock, so the test cannot cross a
    // minute boundary) is not written again, however many requests come.
    await t.db.pool.query(`UPDATE api_keys SET last_used_at = date_trunc('minute', now()) + interval '10 minutes' WHERE id = $1`, [uuid(k.id)]);
    const before = await row();
    for (let i = 0; i < 5; i++) expect((await as(k.key).get('/v1/reports/catalog')).status).toBe(200);
    expect(await row()).toEqual(before);
  });

  it('an owner cannot revoke the last active owner key of its org → 409, but can once another exists', async () => {
    const solo = await t.key('keyring-solo', 'owner');
    const id = `key_${solo.keyId.replace(/-/g, '')}`;
    const res = await as(solo.key).delete(`/v1/keys/${id}`);
    expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
      status: 409, type: PROBLEM,
      body: problem(409, 'last_owner_key', 'Last owner key', `${id} is the org's last active owner key; create another owner key before revoking it.`, `/v1/keys/${id}`, {
        allowed_actions: [{ rel: 'retry', hint: 'Create an owner key first, then revoke this one.', href: '/v1/keys', method: 'POST', operation_id: 'create_api_key' }],
      }),
    });
    const second = (await as(solo.key).post('/v1/keys', { name: 'second owner', role: 'owner' })).body;
    expect((await as(second.key).delete(`/v1/keys/${id}`)).status).toBe(204);
    expect((await as(solo.key).get('/v1/keys')).status).toBe(401);
    const last = await as(second.key).delete(`/v1/keys/${second.id}`);
    expect(last.status).toBe(409);
  });

  it("another org's key is a 404 exactly like a missing one, and stays active", async () => {
    const stranger = await t.key('keyring-stranger', 'owner');
    const theirs = (await as(stranger.key).post('/v1/keys', { name: 'theirs', role: 'member' })).body;
    const missing = 'key_019a7f3c5e2b7d4e8f00112233445566';
    for (const id of [theirs.id, missing]) {
      const res = await as(owner.key).delete(`/v1/keys/${id}`);
      expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
        status: 404, type: PROBLEM, body: problem(404, 'api_key_not_found', 'API key not found', `No API key ${id} in your org.`, `/v1/keys/${id}`),
      });
    }
    expect((await as(theirs.key).get('/v1/reports/catalog')).status).toBe(200);
    expect((await as(owner.key).get('/v1/keys')).body.data.map((k: { id: string }) => k.id)).not.toContain(theirs.id);
  });

  it.each([
    ['an uppercase hex', 'key_019A7F3C5E2B7D4E8F00112233445566'],
    ['another prefix', 'app_019a7f3c5e2b7d4e8f00112233445566'],
    ['a plain uuid', '019a7f3c-5e2b-7d4e-8f00-112233445566'],
  ])('a malformed key id (%s) → 400 invalid_key_id', async (_, id) => {
    const res = await as(owner.key).delete(`/v1/keys/${id}`);
    expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
      status: 400, type: PROBLEM,
      body: problem(400, 'invalid_key_id', 'Invalid key id', `"${id}" is not a key id (key_ followed by 32 lowercase hex characters).`, `/v1/keys/${id}`),
    });
  });

  it.each([
    ['an empty body', {}, [
      { pointer: '/name', message: NAME_RULE },
      { pointer: '/role', message: ROLE_RULE, allowed: ['owner', 'admin', 'member', 'ingest'] },
    ]],
    ['a blank name and an unknown role', { name: '   ', role: 'root' }, [
      { pointer: '/name', message: NAME_RULE },
      { pointer: '/role', message: ROLE_RULE, allowed: ['owner', 'admin', 'member', 'ingest'] },
    ]],
    ['a name of 101 characters', { name: 'x'.repeat(101), role: 'member' }, [{ pointer: '/name', message: NAME_RULE }]],
    // NUL is refused by the body-wide check for text the database cannot store (issue 12).
    ['a NUL in the name', { name: 'a\u0000b', role: 'member' }, [{ pointer: '/name', message: 'must be valid Unicode text without NUL characters (U+0000) or unpaired surrogates' }]],
    ['a control character in the name', { name: 'a\u0007b', role: 'member' }, [{ pointer: '/name', message: NAME_RULE }]],
    ['a number as name and null as role', { name: 7, role: null }, [
      { pointer: '/name', message: NAME_RULE },
      { pointer: '/role', message: ROLE_RULE, allowed: ['owner', 'admin', 'member', 'ingest'] },
    ]],
    ['an unknown field', { name: 'x', role: 'member', org_id: 'org_019a7f3c5e2b7d4e8f00112233445566' }, [{ pointer: '/org_id', message: 'unknown field "org_id"' }]],
  ])('POST /v1/keys with %s → 400 listing every problem', async (_, body, errors) => {
    const res = await as(owner.key).post('/v1/keys', body);
    expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
      status: 400, type: PROBLEM,
      body: problem(400, 'validation_failed', 'Invalid request', `The request body has ${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${errors.map((e) => e.pointer).join(', ')}.`, '/v1/keys', { errors }),
    });
  });

  it('a name of exactly 100 characters is fine; nothing was created by the rejected requests', async () => {
    const org = await t.key('keyring-bounds', 'owner');
    const before = (await as(org.key).get('/v1/keys')).body.data.length;
    await as(org.key).post('/v1/keys', { name: '', role: 'member' });
    const res = await as(org.key).post('/v1/keys', { name: 'é'.repeat(100), role: 'ingest' });
    expect({ status: res.status, name: res.body.name }).toEqual({ status: 201, name: 'é'.repeat(100) });
    expect((await as(org.key).get('/v1/keys')).body.data.length).toBe(before + 1);
  });

  it.each(['admin', 'member', 'ingest'] as const)('a %s key gets 403 naming keys:manage on all three routes; no key gets 401', async (role) => {
    const { key } = await t.key('keyring', role);
    for (const res of [await as(key).get('/v1/keys'), await as(key).post('/v1/keys', { name: 'x', role: 'ingest' }), await as(key).delete(`/v1/keys/key_${owner.keyId.replace(/-/g, '')}`)]) {
      expect({ status: res.status, detail: res.body.detail }).toEqual({ status: 403, detail: `This route needs the keys:manage permission, which the ${role} role does not grant.` });
    }
    const anonymous = await t.http().get('/v1/keys');
    expect({ status: anonymous.status, code: anonymous.body.code }).toEqual({ status: 401, code: 'unauthorized' });
  });

  it('OpenAPI documents the three operations with their examples and problems', async () => {
    const doc = (await t.http().get('/openapi.json')).body;
    expect(doc.paths['/v1/keys'].get.operationId).toBe('list_api_keys');
    expect(doc.paths['/v1/keys'].post.operationId).toBe('create_api_key');
    expect(doc.paths['/v1/keys/{key_id}'].delete.operationId).toBe('revoke_api_key');
    expect(Object.keys(doc.paths['/v1/keys/{key_id}'].delete.responses).sort()).toEqual(['204', '400', '401', '403', '404', '409', '429', '500', '503']);
    const created = doc.paths['/v1/keys'].post.responses['201'].content['application/json'].example;
    expect(created.key).toMatch(TOKEN);
    expect(created.id).toMatch(KEY_ID);
    expect(doc.paths['/v1/keys'].post.requestBody.content['application/json'].examples.dashboard.value).toEqual({ name: 'Grafana dashboard', role: 'member' });
  });
});
