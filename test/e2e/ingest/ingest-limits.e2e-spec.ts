import { startTestApp, type TestApp } from '../../support/test-app.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const SOURCES = ['sessions', 'events', 'llm_generations', 'usage_ledger', 'apps', 'app_runs'];
const APP_ID = 'app_0190b5a0000070008000000000000001';

const invalid = (instance: string, detail: string, errors: unknown[]) => ({
  type: '/problems/validation_failed', title: 'Invalid request', status: 400, detail, code: 'validation_failed', instance, errors,
});

describe('ingest bounds: oversized batches, capped errors, unstorable text (issue 12)', () => {
  let t: TestApp;
  let auth: string;
  const post = (path: string, body: string) => t.http().post(path).set('authorization', auth).set('content-type', 'application/json').send(body);

  beforeAll(async () => {
    t = await startTestApp();
    auth = `Bearer ${(await t.key('acme', 'ingest')).key}`;
  });
  afterAll(() => t.close());

  it('100,000 empty records → 400 naming the limit, on every ingest route, before any record is validated', async () => {
    const body = JSON.stringify({ records: Array(100_000).fill({}) });
    for (const source of SOURCES) {
      const path = `/v1/ingest/${source}`;
      const res = await post(path, body);
      expect({ source, status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
        source, status: 400, type: PROBLEM,
        body: invalid(path, 'The request body has 1 invalid field: /records.', [{ pointer: '/records', message: 'records has 100000 items; at most 5000 are allowed' }]),
      });
    }
  });

  it('5,000 bad records → the first 20 are itemised, the rest counted; detail is one short line', async () => {
    const res = await post('/v1/ingest/sessions', JSON.stringify({ records: Array(5000).fill({}) }));
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveLength(61);
    expect(res.body.errors.slice(0, 3)).toEqual([
      { pointer: '/records/0/id', message: 'id must be a session_ id (session_ followed by 32 lowercase hex characters)' },
      { pointer: '/records/0/status', message: 'status must be one of the following values: running, completed, failed, cancelled', allowed: ['running', 'completed', 'failed', 'cancelled'] },
      { pointer: '/records/0/created_at', message: 'created_at must be an RFC 3339 timestamp with a time zone (e.g. 2026-05-01T12:00:00Z)' },
    ]);
    expect(res.body.errors.slice(57)).toEqual([
      { pointer: '/records/19/id', message: 'id must be a session_ id (session_ followed by 32 lowercase hex characters)' },
      { pointer: '/records/19/status', message: 'status must be one of the following values: running, completed, failed, cancelled', allowed: ['running', 'completed', 'failed', 'cancelled'] },
      { pointer: '/records/19/created_at', message: 'created_at must be an RFC 3339 timestamp with a time zone (e.g. 2026-05-01T12:00:00Z)' },
      { pointer: '/records', message: '4980 more of the 5000 invalid records are not itemised; fix these first' },
    ]);
    expect(res.body.detail).toBe('The request body has 5000 invalid records; errors[] itemises the first 20 (60 problems): /records/0/id, /records/0/status, /records/0/created_at, /records/1/id, /records/1/status and 55 more.');
    expect(res.text.length).toBeLessThan(20_000);
  });

  it('bad records far apart keep their real indices; valid records between them are not listed', async () => {
    const good = (i: number) => ({ id: `session_0190b5a000007000800000000000${String(i).padStart(4, '0')}`, status: 'running', created_at: '2026-05-01T12:00:00Z' });
    const records: unknown[] = Array.from({ length: 5000 }, (_, i) => good(i));
    records[7] = { ...good(7), status: 'paused' };
    records[4999] = { ...good(4999), extra: 1 };
    const res = await post('/v1/ingest/sessions', JSON.stringify({ records }));
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: invalid('/v1/ingest/sessions', 'The request body has 2 invalid fields: /records/7/status, /records/4999/extra.', [
        { pointer: '/records/7/status', message: 'status must be one of the following values: running, completed, failed, cancelled', allowed: ['running', 'completed', 'failed', 'cancelled'] },
        { pointer: '/records/4999/extra', message: 'unknown field "extra"' },
      ]),
    });
  });

  it('errors[] is capped at 100 entries plus one counting the rest, wherever they come from', async () => {
    const res = await t.http().post('/v1/reports/saved').set('authorization', `Bearer ${(await t.key('acme', 'owner')).key}`)
      .send(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`x${i}`, 1]))); // 300 unknown fields, name and query missing
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveLength(101);
    expect(res.body.errors[100]).toEqual({ pointer: '', message: '202 more problems not listed; fix these first' });
  });

  it('an app with 60,000 channels → 400 naming the channel limit, without validating each channel', async () => {
    const res = await post('/v1/ingest/apps', JSON.stringify({ records: [{ id: APP_ID, name: 'a', channels: Array(60_000).fill({}) }] }));
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: invalid('/v1/ingest/apps', 'The request body has 1 invalid field: /records/0/channels.', [{ pointer: '/records/0/channels', message: 'channels has 60000 items; at most 100 are allowed' }]),
    });
  });

  it('NUL and lone surrogates anywhere in ingest strings (values, event data, keys) → 400 pointing at each', async () => {
    const message = 'must be valid Unicode text without NUL characters (U+0000) or unpaired surrogates';
    const session = { id: 'session_0190b5a0000070008000000000000001', status: 'running', created_at: '2026-05-01T12:00:00Z' };
    const sessions = await post('/v1/ingest/sessions', JSON.stringify({ records: [{ ...session, agent_name: 'a\u0000b' }, { ...session, harness_name: 'x\ud800' }] }));
    expect({ status: sessions.status, body: sessions.body }).toEqual({
      status: 400,
      body: invalid('/v1/ingest/sessions', 'The request body has 2 invalid fields: /records/0/agent_name, /records/1/harness_name.', [
        { pointer: '/records/0/agent_name', message },
        { pointer: '/records/1/harness_name', message },
      ]),
    });
    const event = { id: 'event_0190b5a0000070008000000000000001', session_id: session.id, type: 'tool.completed', created_at: '2026-05-01T12:00:00Z' };
    const events = await post('/v1/ingest/events', JSON.stringify({ records: [{ ...event, data: { tool_name: '\udc00', status: 'success', 'k\u0000': 1 } }] }));
    expect({ status: events.status, body: events.body }).toEqual({
      status: 400,
      body: invalid('/v1/ingest/events', 'The request body has 2 invalid fields: /records/0/data/k\u0000, /records/0/data/tool_name.', [
        { pointer: '/records/0/data/k\u0000', message: 'field names must be valid Unicode text without NUL characters or unpaired surrogates' },
        { pointer: '/records/0/data/tool_name', message },
      ]),
    });
    // A well-formed pair (an emoji) is stored and accepted.
    const ok = await post('/v1/ingest/sessions', JSON.stringify({ records: [{ ...session, agent_name: 'bot \ud83e\udd16' }] }));
    expect({ status: ok.status, body: ok.body }).toEqual({ status: 200, body: { accepted: 1, enqueued: 1 } });
  });
});
