import { AppRunsClock } from '#src/apps/app-runs.clock.js';
import { newPublicId } from '#src/common/ids/public-id.js';
import { client, uuidOf } from '../../support/api.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import {
  appRecord, channel, expectedBuckets, expectedRun, HOUR_MS, inWindow, iso, newestFirst, run, type Channel, type Run,
} from './app-runs.oracle.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM = 'application/problem+json; charset=utf-8';
const DAY_MS = 24 * HOUR_MS;
/** "now" for every request unless a test moves it: 10:30 UTC, half-way through an hour. */
const NOW = Date.UTC(2026, 4, 1, 10, 30, 0);

type Api = ReturnType<typeof client>;

describe('GET /v1/apps/{app_id}/runs — list_app_runs (SPEC §7)', () => {
  let t: TestApp;
  let now = NOW;
  let acme: Api;
  let reader: Api;
  let globex: Api;

  /** Ingests an app with its channels and its runs through the public ingest routes. */
  async function seed(api: Api, channels: Channel[], build: (app: { id: string }, ch: Channel[]) => Run[], app = appRecord(channels)) {
    await api.ingest('apps', [app]);
    const runs = build(app, channels);
    if (runs.length > 0) await api.ingest('app_runs', runs);
    return { app, runs, byChannel: new Map(channels.map((c) => [c.id, c])) };
  }

  const list = (api: Api, appId: string, query = '') => api.get(`/v1/apps/${appId}/runs${query}`);

  beforeAll(async () => {
    t = await startTestApp();
    t.app.get(AppRunsClock).now = () => new Date(now);
    acme = client(t, (await t.key('acme', 'owner')).key);
    reader = client(t, (await t.key('acme', 'member')).key);
    globex = client(t, (await t.key('globex', 'owner')).key);
  });
  beforeEach(() => {
    now = NOW;
  });
  afterAll(() => t.close());

  describe('window edges and hour buckets', () => {
    let fixture: Awaited<ReturnType<typeof seed>>;
    const expected = (windowMs: number) =>
      newestFirst(fixture.runs.filter((r) => inWindow(r, now, windowMs))).map((r) => expectedRun(r, fixture.byChannel.get(r.channel_id)));

    beforeAll(async () => {
      const slack = channel('slack', 'Support Slack');
      const hook = channel('webhook');
      fixture = await seed(acme, [slack, hook], (app) => [
        run(app, slack, 'ok', '2026-04-30T10:30:00Z', '2026-04-30T10:30:02Z'), // exactly now − 24h: inside
        run(app, slack, 'ok', '2026-04-30T10:29:59.999999Z', '2026-04-30T10:30:01Z'), // 1 µs before now − 24h: outside
        run(app, hook, 'err', '2026-04-30T10:59:59.999999Z', '2026-04-30T11:00:00Z'), // last µs of the first (partial) hour
        run(app, slack, 'ok', '2026-05-01T09:00:00Z', '2026-05-01T09:00:01.5Z'), // top of the hour: the 09:00 bucket
        run(app, hook, 'err', '2026-05-01T08:59:59.999Z', '2026-05-01T09:00:00.25Z'), // just before: the 08:00 bucket
        run(app, hook, 'ok', '2026-05-01T10:00:00.000001Z', '2026-05-01T10:00:03Z'),
        run(app, slack, 'running', '2026-05-01T10:15:00.25Z', null),
        run(app, hook, 'running', '2026-05-01T10:30:00Z'), // exactly now: inside
        run(app, slack, 'ok', '2026-05-01T10:30:00.000001Z', '2026-05-01T10:30:05Z'), // 1 µs after now: outside
        run(app, slack, 'err', '2026-04-27T12:00:00Z', '2026-04-27T12:00:09Z'), // only in longer windows
      ]);
      // Another app of the same org: its runs never show up in the first one's history.
      await seed(acme, [channel('a2a', 'Partner')], (app, [c]) => [run(app, c, 'ok', '2026-05-01T10:00:00Z', '2026-05-01T10:00:01Z')]);
    });

    it('default window (24h): runs in [now − 24h, now], newest first, every field, no buckets', async () => {
      const res = await list(reader, fixture.app.id);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(JSON_TYPE);
      expect(Object.keys(res.body)).toEqual(['data', 'next_cursor']);
      expect(res.body).toEqual({ data: expected(DAY_MS), next_cursor: null });
      expect(res.body.data.map((r: { created_at: string }) => r.created_at)).toEqual([
        '2026-05-01T10:30:00Z', '2026-05-01T10:15:00.25Z', '2026-05-01T10:00:00.000001Z', '2026-05-01T09:00:00Z',
        '2026-05-01T08:59:59.999Z', '2026-04-30T10:59:59.999999Z', '2026-04-30T10:30:00Z',
      ]);
      expect(res.body.data[0]).toEqual({
        id: fixture.runs[7].id,
        app_id: fixture.app.id,
        channel_id: fixture.runs[7].channel_id,
        channel_name: null,
        channel_type: 'webhook',
        status: 'running',
        created_at: '2026-05-01T10:30:00Z',
        completed_at: null,
      });
    });

    it('group_by=hour: one bucket per hour from the hour of now − 24h through the current hour (25), zero-filled, over the whole window', async () => {
      const res = await list(reader, fixture.app.id, '?group_by=hour');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(JSON_TYPE);
      expect(Object.keys(res.body)).toEqual(['data', 'buckets', 'next_cursor']);
      expect(res.body).toEqual({ data: expected(DAY_MS), buckets: expectedBuckets(fixture.runs, now, DAY_MS), next_cursor: null });
      const buckets = res.body.buckets as { hour: string; ok: number; err: number; running: number }[];
      expect(buckets).toHaveLength(25);
      expect(buckets[0]).toEqual({ hour: '2026-04-30T10:00:00Z', ok: 1, err: 1, running: 0 });
      expect(buckets.slice(-3)).toEqual([
        { hour: '2026-05-01T08:00:00Z', ok: 0, err: 1, running: 0 },
        { hour: '2026-05-01T09:00:00Z', ok: 1, err: 0, running: 0 },
        { hour: '2026-05-01T10:00:00Z', ok: 1, err: 0, running: 2 },
      ]);
      expect(buckets.slice(1, -3).every((b) => b.ok + b.err + b.running === 0)).toBe(true);
      expect(buckets.reduce((n, b) => n + b.ok + b.err + b.running, 0)).toBe(res.body.data.length);
    });

    it('groupBy is the same parameter as group_by; giving both with the same value is fine', async () => {
      const snake = await list(reader, fixture.app.id, '?group_by=hour');
      for (const q of ['?groupBy=hour', '?group_by=hour&groupBy=hour']) {
        const res = await list(reader, fixture.app.id, q);
        expect({ q, status: res.status, body: res.body }).toEqual({ q, status: 200, body: snake.body });
      }
    });

    it.each([
      ['7d', 7 * DAY_MS, 169],
      ['30d', 30 * DAY_MS, 721],
      ['90m', 90 * 60_000, 2], // from 09:00:00 exactly: the top-of-hour run is on the edge, inside
      ['1m', 60_000, 1],
      ['60m', HOUR_MS, 2],
    ])('window=%s: the list and the histogram (%d ms, %d hourly buckets) agree on the window', async (window, windowMs, hours) => {
      const res = await list(reader, fixture.app.id, `?window=${window}&group_by=hour`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: expected(windowMs), buckets: expectedBuckets(fixture.runs, now, windowMs), next_cursor: null });
      expect(res.body.buckets).toHaveLength(hours);
    });

    it('now exactly on the hour: the window starts on a bucket boundary and the current hour holds only runs at now', async () => {
      now = Date.UTC(2026, 4, 1, 10, 0, 0);
      const res = await list(reader, fixture.app.id, '?window=1h&group_by=hour');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: expected(HOUR_MS), buckets: expectedBuckets(fixture.runs, now, HOUR_MS), next_cursor: null });
      expect(res.body.buckets).toEqual([
        { hour: '2026-05-01T09:00:00Z', ok: 1, err: 0, running: 0 },
        { hour: '2026-05-01T10:00:00Z', ok: 0, err: 0, running: 0 },
      ]);
    });

    it('an app without runs: an empty page and 25 zero buckets', async () => {
      const { app } = await seed(acme, [channel('fcp')], () => []);
      const res = await list(reader, app.id, '?group_by=hour');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        data: [],
        buckets: Array.from({ length: 25 }, (_, i) => ({ hour: new Date(Date.UTC(2026, 3, 30, 10 + i)).toISOString().replace('.000Z', 'Z'), ok: 0, err: 0, running: 0 })),
        next_cursor: null,
      });
    });
  });

  it('channel name and type come from the app as it is now: renamed, unnamed, or removed (then null)', async () => {
    const slack = channel('slack', 'Old name');
    const hook = channel('webhook', 'Hooks');
    const { app, runs } = await seed(acme, [slack, hook], (a) => [
      run(a, slack, 'ok', '2026-05-01T10:01:00Z', '2026-05-01T10:01:01Z'),
      run(a, hook, 'err', '2026-05-01T10:02:00Z', '2026-05-01T10:02:01Z'),
    ]);
    const renamed = { ...slack, name: 'New name' };
    await acme.ingest('apps', [{ ...app, channels: [renamed] }]); // the webhook channel is dropped from the app
    const res = await list(reader, app.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [expectedRun(runs[1], undefined), expectedRun(runs[0], renamed)], next_cursor: null });
    expect(res.body.data[0]).toMatchObject({ channel_name: null, channel_type: null });
  });

  describe('hourly counts kept with the runs (app_run_hourly)', () => {
    const consistent = async () => {
      const { rows } = await t.db.pool.query(`
        WITH expected AS (
          SELECT org_id, app_id, date_bin(interval '1 hour', created_at, timestamptz '2000-01-01T00:00:00Z') AS hour,
                 count(*) FILTER (WHERE status = 'ok') AS ok, count(*) FILTER (WHERE status = 'err') AS err, count(*) FILTER (WHERE status = 'running') AS running
          FROM app_runs GROUP BY 1, 2, 3),
        stored AS (SELECT org_id, app_id, hour, ok, err, running FROM app_run_hourly WHERE ok <> 0 OR err <> 0 OR running <> 0)
        SELECT (SELECT count(*) FROM (SELECT * FROM expected EXCEPT ALL SELECT * FROM stored) x)::int AS missing,
               (SELECT count(*) FROM (SELECT * FROM stored EXCEPT ALL SELECT * FROM expected) y)::int AS extra`);
      expect(rows[0]).toEqual({ missing: 0, extra: 0 });
    };

    it('runs that change status, hour or app move their counts; the 7-day histogram stays exact', async () => {
      const a = channel('slack', 'A');
      const b = channel('webhook', 'B');
      const other = channel('api_endpoint', 'Other');
      const statuses = ['ok', 'err', 'running'] as const;
      const { app, runs } = await seed(acme, [a, b], (x) =>
        Array.from({ length: 240 }, (_, i) => run(x, i % 2 ? a : b, statuses[i % 3], iso(NOW - 6 * DAY_MS + i * 2_100_000 + (i % 7) * 1000))),
      );
      const { app: app2 } = await seed(acme, [other], () => []);
      const finished = runs.filter((r) => r.status === 'running').slice(0, 60).map((r, i) => ({ ...r, status: i % 2 ? 'ok' : 'err', completed_at: r.created_at }) as typeof r);
      const moved = runs.slice(100, 130).map((r, i) => ({ ...r, created_at: iso(NOW - (i + 1) * HOUR_MS - 60_000) }));
      const rehomed = runs.slice(200, 215).map((r) => ({ ...r, app_id: app2.id, channel_id: other.id }));
      await acme.ingest('app_runs', [...finished, ...moved, ...rehomed]);
      await acme.ingest('app_runs', [...finished, ...moved]); // a replay changes nothing
      const latest = new Map(runs.map((r) => [r.id, r]));
      for (const r of [...finished, ...moved, ...rehomed]) latest.set(r.id, r);
      const final = [...latest.values()];
      for (const [id, mine] of [[app.id, final.filter((r) => r.app_id === app.id)], [app2.id, final.filter((r) => r.app_id === app2.id)]] as const) {
        const res = await list(reader, id, '?window=7d&group_by=hour&limit=1');
        expect(res.status).toBe(200);
        expect(res.body.buckets).toEqual(expectedBuckets(mine, now, 7 * DAY_MS));
      }
      await consistent();
    });

    it('concurrent ingests of the same runs never double-count', async () => {
      const c = channel('slack', 'C');
      const { app, runs } = await seed(acme, [c], (x) => Array.from({ length: 150 }, (_, i) => run(x, c, 'running', iso(NOW - 3 * DAY_MS + i * 997_000))));
      const statuses = ['ok', 'err', 'running'] as const;
      // Six writers race on the same 150 runs, each with other statuses and some with other hours.
      await Promise.all(
        Array.from({ length: 6 }, (_, w) =>
          acme.ingest('app_runs', runs.map((r, i) => ({ ...r, status: statuses[(i + w) % 3], created_at: (i + w) % 4 ? r.created_at : iso(NOW - (w + 1) * HOUR_MS) }))),
        ),
      );
      await consistent();
      const { rows } = await t.db.pool.query(
        `SELECT 'apprun_' || replace(id::text, '-', '') AS id, status, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at
           FROM app_runs WHERE app_id = $1`,
        [uuidOf(app.id)],
      );
      expect(rows).toHaveLength(150);
      const res = await list(reader, app.id, '?window=7d&group_by=hour&limit=1');
      expect(res.body.buckets).toEqual(expectedBuckets(rows.map((r) => ({ ...r, app_id: app.id, channel_id: c.id })), now, 7 * DAY_MS));
    });
  });

  describe('keyset pagination', () => {
    let fixture: Awaited<ReturnType<typeof seed>>;
    beforeAll(async () => {
      const slack = channel('slack', 'Support Slack');
      const hook = channel('webhook', null);
      fixture = await seed(acme, [slack, hook], (app) => [
        // Ten runs at the very same instant: only the id orders them.
        ...Array.from({ length: 10 }, (_, i) => run(app, i % 2 ? slack : hook, i % 3 ? 'ok' : 'err', '2026-05-01T10:00:00Z', '2026-05-01T10:00:01Z')),
        // Ten runs one microsecond apart: a millisecond cursor would skip or repeat some.
        ...Array.from({ length: 10 }, (_, i) => run(app, slack, 'running', `2026-05-01T09:00:00.00000${i}Z`, null)),
        run(app, hook, 'ok', '2026-04-30T11:00:00Z', '2026-04-30T11:00:00.5Z'),
        run(app, hook, 'err', '2026-04-30T10:30:00Z', '2026-04-30T10:31:00Z'),
        run(app, slack, 'ok', '2026-05-01T10:29:59.999999Z', '2026-05-01T10:30:00Z'),
      ]);
    });

    it('walks every run exactly once, newest first, ties broken by id; every page carries the whole-window histogram', async () => {
      const want = newestFirst(fixture.runs).map((r) => expectedRun(r, fixture.byChannel.get(r.channel_id)));
      const buckets = expectedBuckets(fixture.runs, now, DAY_MS);
      const pages: unknown[][] = [];
      let cursor: string | null = null;
      do {
        const res = await list(reader, fixture.app.id, `?limit=4&group_by=hour${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(res.status).toBe(200);
        expect(res.body.buckets).toEqual(buckets);
        expect(res.body.data.length).toBe(res.body.next_cursor === null ? want.length % 4 || 4 : 4);
        pages.push(res.body.data);
        cursor = res.body.next_cursor;
      } while (cursor !== null && pages.length < 20);
      expect(pages).toHaveLength(Math.ceil(want.length / 4));
      expect(pages.flat()).toEqual(want);
    });

    it('next_cursor is null exactly when nothing follows', async () => {
      const total = fixture.runs.length;
      const all = await list(reader, fixture.app.id, `?limit=${total}`);
      expect({ n: all.body.data.length, next: all.body.next_cursor }).toEqual({ n: total, next: null });
      const first = await list(reader, fixture.app.id, `?limit=${total - 1}`);
      expect(first.body.next_cursor).toEqual(expect.any(String));
      const rest = await list(reader, fixture.app.id, `?limit=${total - 1}&cursor=${encodeURIComponent(first.body.next_cursor)}`);
      expect(rest.status).toBe(200);
      expect(rest.body).toEqual({ data: [all.body.data[total - 1]], next_cursor: null });
      const max = await list(reader, fixture.app.id, '?limit=1000');
      expect(max.body).toEqual(all.body);
    });

    it('later pages keep the first page\'s window even as time moves on', async () => {
      const first = await list(reader, fixture.app.id, '?limit=21&group_by=hour');
      expect(first.status).toBe(200);
      now = NOW + 2 * HOUR_MS; // the 24h window now starts after 2026-04-30T10:30 and 11:00
      const second = await list(reader, fixture.app.id, `?limit=21&group_by=hour&cursor=${encodeURIComponent(first.body.next_cursor)}`);
      expect(second.status).toBe(200);
      expect(second.body).toEqual({
        data: newestFirst(fixture.runs).slice(21).map((r) => expectedRun(r, fixture.byChannel.get(r.channel_id))),
        buckets: first.body.buckets,
        next_cursor: null,
      });
      expect(second.body.data).toHaveLength(2);
      const fresh = await list(reader, fixture.app.id, '?group_by=hour');
      expect(fresh.body.data).toHaveLength(fixture.runs.length - 2);
      expect(fresh.body.buckets).toEqual(expectedBuckets(fixture.runs, now, DAY_MS));
    });
  });

  describe('tenancy and permissions (SPEC §2)', () => {
    let fixture: Awaited<ReturnType<typeof seed>>;
    beforeAll(async () => {
      const slack = channel('slack', 'Acme Slack');
      fixture = await seed(acme, [slack], (app) => [run(app, slack, 'ok', '2026-05-01T10:00:00Z', '2026-05-01T10:00:01Z')]);
    });

    it('another org\'s app is a 404 app_not_found, the same as a missing one', async () => {
      for (const [api, id] of [[globex, fixture.app.id], [reader, newPublicId('app')]] as const) {
        const res = await list(api, id, '?group_by=hour');
        expect(res.status).toBe(404);
        expect(res.headers['content-type']).toBe(PROBLEM);
        expect(res.body).toEqual({
          type: '/problems/app_not_found',
          title: 'App not found',
          status: 404,
          detail: `App ${id} was not found.`,
          code: 'app_not_found',
          instance: `/v1/apps/${id}/runs`,
        });
      }
    });

    it('the same public ids in two orgs stay two histories: every statement is scoped by org', async () => {
      const slackOfAcme = fixture.byChannel.values().next().value!;
      const theirs = { ...slackOfAcme, name: 'Globex Slack', type: 'webhook' };
      const [theirRun] = (await seed(globex, [theirs], (app) => [run(app, theirs, 'err', '2026-05-01T10:10:00Z', '2026-05-01T10:10:01Z')], { ...fixture.app, name: 'Globex copy', channels: [theirs] })).runs;
      const ours = await list(reader, fixture.app.id, '?group_by=hour');
      expect(ours.body).toEqual({
        data: fixture.runs.map((r) => expectedRun(r, slackOfAcme)),
        buckets: expectedBuckets(fixture.runs, now, DAY_MS),
        next_cursor: null,
      });
      const their = await list(globex, fixture.app.id, '?group_by=hour');
      expect(their.body).toEqual({ data: [expectedRun(theirRun, theirs)], buckets: expectedBuckets([theirRun], now, DAY_MS), next_cursor: null });
    });

    it('a member reads it; an ingest-only key gets 403 naming apps:view; no key is 401', async () => {
      expect((await list(reader, fixture.app.id)).status).toBe(200);
      const ingestOnly = client(t, (await t.key('acme', 'ingest')).key);
      const denied = await list(ingestOnly, fixture.app.id);
      expect(denied.status).toBe(403);
      expect(denied.headers['content-type']).toBe(PROBLEM);
      expect(denied.body).toEqual({
        type: '/problems/forbidden',
        title: 'Forbidden',
        status: 403,
        detail: 'This route needs the apps:view permission, which the ingest role does not grant.',
        code: 'forbidden',
        instance: `/v1/apps/${fixture.app.id}/runs`,
      });
      const anonymous = await t.http().get(`/v1/apps/${fixture.app.id}/runs`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['content-type']).toBe(PROBLEM);
      expect(anonymous.body).toEqual({
        type: '/problems/unauthorized',
        title: 'Unauthorized',
        status: 401,
        detail: 'Send an API key as `Authorization: Bearer <key>`.',
        code: 'unauthorized',
        instance: `/v1/apps/${fixture.app.id}/runs`,
      });
    });
  });

  it('OpenAPI: operationId, the query parameters, the response schema with an example, and every problem status', async () => {
    const doc = (await t.http().get('/openapi.json')).body;
    const op = doc.paths['/v1/apps/{app_id}/runs'].get;
    expect(op.operationId).toBe('list_app_runs');
    expect(op.parameters.map((p: { in: string; name: string }) => `${p.in}:${p.name}`).sort()).toEqual(
      ['path:app_id', 'query:cursor', 'query:groupBy', 'query:group_by', 'query:limit', 'query:window'],
    );
    expect(op.responses['200'].content['application/json']).toEqual({
      schema: { $ref: '#/components/schemas/AppRunListDto' },
      example: expect.objectContaining({ data: expect.any(Array), buckets: expect.any(Array), next_cursor: null }),
    });
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '404', '414', '429', '500', '503']);
    expect(op.responses['404'].content).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } });
    expect(doc.components.schemas.AppRunDto.required).toEqual(['id', 'app_id', 'channel_id', 'channel_name', 'channel_type', 'status', 'created_at', 'completed_at']);
  });
});
