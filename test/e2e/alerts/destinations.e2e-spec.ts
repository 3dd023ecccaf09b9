import { client } from '../../support/api.js';
import { PROBLEM } from '../../support/problems.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

type Api = ReturnType<typeof client>;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DEST = /^dest_[0-9a-f]{32}$/;
const PATH = '/v1/reports/destinations';

const refused = (message: string) => ({
  type: '/problems/destination_not_allowed', title: 'Destination not allowed', status: 400, code: 'destination_not_allowed', instance: PATH,
  detail: `The destination URL is refused: ${message}.`, errors: [{ pointer: '/url', message }],
});

describe('webhook destinations (SPEC §14)', () => {
  let t: TestApp; // WEBHOOK_ALLOW_PRIVATE=true, as tests and local use run it
  let strict: TestApp; // the default: public https only
  let owner: Api;
  let member: Api;
  let stranger: Api;
  let strictOwner: Api;

  beforeAll(async () => {
    t = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    strict = await startTestApp({ db: t.db });
    owner = client(t, (await t.key('dest', 'owner')).key);
    member = client(t, (await t.key('dest', 'member')).key);
    stranger = client(t, (await t.key('dest-elsewhere', 'owner')).key);
    strictOwner = client(strict, (await strict.key('dest', 'owner')).key);
  });
  afterAll(async () => {
    await strict.close();
    await t.close();
  });

  it('create shows the signing secret once; list never shows it again; delete', async () => {
    const res = await owner.post(PATH, { name: 'Local receiver', url: 'http://127.0.0.1:9/hook' });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      id: expect.stringMatching(DEST), name: 'Local receiver', url: 'http://127.0.0.1:9/hook', created_at: expect.stringMatching(ISO),
      signing_secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    const { signing_secret: _, ...shown } = res.body;
    const list = await member.get(PATH);
    expect({ status: list.status, body: list.body }).toEqual({ status: 200, body: { data: [shown] } });
    expect(JSON.stringify(list.body)).not.toContain('whsec_');

    const del = await owner.delete(`${PATH}/${res.body.id}`);
    expect({ status: del.status, body: del.body }).toEqual({ status: 204, body: {} });
    expect((await member.get(PATH)).body).toEqual({ data: [] });
    const again = await owner.delete(`${PATH}/${res.body.id}`);
    expect({ status: again.status, type: again.headers['content-type'], body: again.body }).toEqual({
      status: 404, type: PROBLEM,
      body: { type: '/problems/destination_not_found', title: 'Destination not found', status: 404, code: 'destination_not_found', detail: `Destination ${res.body.id} was not found.`, instance: `${PATH}/${res.body.id}` },
    });
  });

  it("another org's destination is invisible and cannot be deleted (404)", async () => {
    const mine = (await owner.post(PATH, { name: 'Mine', url: 'http://127.0.0.1:9/mine' })).body;
    expect((await stranger.get(PATH)).body).toEqual({ data: [] });
    const res = await stranger.delete(`${PATH}/${mine.id}`);
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 404, code: 'destination_not_found' });
    expect((await owner.get(PATH)).body.data.map((d: { id: string }) => d.id)).toContain(mine.id);
  });

  it('a malformed id is a 400', async () => {
    const res = await owner.delete(`${PATH}/dest_nope`);
    expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
      status: 400, type: PROBLEM,
      body: { type: '/problems/invalid_destination_id', title: 'Invalid destination id', status: 400, code: 'invalid_destination_id', detail: '"dest_nope" is not a destination id (dest_ followed by 32 lowercase hex characters).', instance: `${PATH}/dest_nope` },
    });
  });

  it('permissions: reports:manage to create and delete, reports:view to list', async () => {
    const create = await member.post(PATH, { name: 'x', url: 'http://127.0.0.1:9/x' });
    expect({ status: create.status, code: create.body.code, detail: create.body.detail }).toEqual({ status: 403, code: 'forbidden', detail: expect.stringContaining('reports:manage') });
    const del = await member.delete(`${PATH}/dest_0190b5a0000070008000000000000d01`);
    expect({ status: del.status, code: del.body.code }).toEqual({ status: 403, code: 'forbidden' });
    const anonymous = await t.http().get(PATH);
    expect({ status: anonymous.status, code: anonymous.body.code }).toEqual({ status: 401, code: 'unauthorized' });
  });

  it('the body is validated: every bad field, unknown fields named', async () => {
    const res = await owner.post(PATH, { name: '', url: 42, secret: 'mine' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      type: '/problems/validation_failed', title: 'Invalid request', status: 400, code: 'validation_failed', instance: PATH,
      detail: 'The request body has 4 invalid fields: /secret, /name, /url.',
      errors: [
        { pointer: '/secret', message: 'unknown field "secret"' },
        { pointer: '/name', message: 'name must be longer than or equal to 1 characters' },
        { pointer: '/url', message: 'url must be shorter than or equal to 2000 characters' },
        { pointer: '/url', message: 'url must be a string' },
      ],
    });
  });

  describe('SSRF: addresses are checked after DNS resolution', () => {
    it('the metadata address is refused even with WEBHOOK_ALLOW_PRIVATE', async () => {
      const res = await owner.post(PATH, { name: 'metadata', url: 'http://169.254.169.254/latest/meta-data/' });
      expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
        status: 400, type: PROBLEM, body: refused('169.254.169.254 resolves to 169.254.169.254, a link-local, metadata or reserved address'),
      });
    });

    it('without the flag: http is refused', async () => {
      const res = await strictOwner.post(PATH, { name: 'loopback', url: 'http://127.0.0.1/' });
      expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: refused('the URL must use https') });
    });

    it('without the flag: loopback and private addresses are refused over https too', async () => {
      for (const [url, host, address] of [['https://127.0.0.1/', '127.0.0.1', '127.0.0.1'], ['https://10.0.0.8/hook', '10.0.0.8', '10.0.0.8'], ['https://[::1]/hook', '::1', '::1']]) {
        const res = await strictOwner.post(PATH, { name: 'private', url });
        expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: refused(`${host} resolves to ${address}, a loopback or private address`) });
      }
    });

    it('without the flag: a hostname that resolves to a private address (localhost) is refused', async () => {
      const res = await strictOwner.post(PATH, { name: 'sneaky', url: 'https://localhost/hook' });
      // localhost resolves to 127.0.0.1 and/or ::1 depending on the resolver's order.
      const address = res.body.errors?.[0]?.message?.includes('::1') ? '::1' : '127.0.0.1';
      expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: refused(`localhost resolves to ${address}, a loopback or private address`) });
    });

    it('IPv4-mapped IPv6 cannot smuggle loopback past the check', async () => {
      const res = await owner.post(PATH, { name: 'mapped', url: 'http://[::ffff:127.0.0.1]/hook' });
      expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: refused('::ffff:7f00:1 resolves to ::ffff:7f00:1, a link-local, metadata or reserved address') });
    });

    it('credentials in the URL and other schemes are refused', async () => {
      const creds = await owner.post(PATH, { name: 'creds', url: 'https://user:pw@127.0.0.1/hook' });
      expect({ status: creds.status, body: creds.body }).toEqual({ status: 400, body: refused('the URL must not carry credentials') });
      const ftp = await owner.post(PATH, { name: 'ftp', url: 'ftp://127.0.0.1/hook' });
      expect({ status: ftp.status, body: ftp.body }).toEqual({ status: 400, body: refused('the URL must use https or http') });
      const junk = await owner.post(PATH, { name: 'junk', url: 'not a url' });
      expect({ status: junk.status, body: junk.body }).toEqual({ status: 400, body: refused('not an absolute URL') });
    });
  });
});
