import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { client } from '../../support/api.js';
import { axeViolations, launchBrowser, screenshots, type Browser } from '../../support/browser.js';
import { CLI_JS, spawnNode } from '../../support/processes.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

// SPEC §13 in a real browser: Debian's Chromium driven by playwright-core against the real app
// (listening on a port) on its own database, filled by the demo seed.

const HOUR = 3_600_000;
const b64url = (q: unknown) => Buffer.from(JSON.stringify(q)).toString('base64url');
const fromB64url = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));

let t: TestApp;
let base: string;
let browser: Browser;
let owner: string;
let member: string;
let range: { from: string; to: string };

beforeAll(async () => {
  t = await startTestApp();
  const seed = spawnNode(CLI_JS, ['seed', '--size', 'demo', '--seed', '7'], { DATABASE_URL: t.db.url });
  const { code } = await seed.exited;
  if (code !== 0) throw new Error(`seed failed: ${seed.stderr()}`);
  owner = JSON.parse(seed.stdout()).orgs[0].owner_api_key;
  member = (await t.key('acme', 'member')).key;
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  const end = Math.ceil(Date.now() / HOUR) * HOUR;
  range = { from: new Date(end - 15 * 24 * HOUR).toISOString(), to: new Date(end).toISOString() };
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

afterEach(() => {
  // The app runs entirely under its CSP: nothing inline, nothing from elsewhere.
  expect(browser.cspViolations).toEqual([]);
});

async function signIn(key: string, path = '/'): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(base + path);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return page;
}

const api = (key: string) => client(t, key);

/** Rows of the result table as the DOM holds them (raw values in data-value), keyed by header. */
async function tableRows(page: Page, testId: string): Promise<Record<string, string>[]> {
  return page.getByTestId(testId).evaluate((table) => {
    const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent!.trim());
    return [...table.querySelectorAll('tbody tr')].map((tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td, i) => [heads[i], td.getAttribute('data-value') ?? td.textContent!.trim()])));
  });
}

async function chartSeries(page: Page): Promise<{ x: string[]; series: { label: string; values: (number | null)[] }[] }> {
  return JSON.parse((await page.locator('figure.chart').getAttribute('data-series'))!);
}

const asStrings = (rows: Record<string, unknown>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? '' : String(v)])));

describe('explorer in a browser', () => {
  test('sign in keeps the key in sessionStorage only; every page of an owner is offered; sign out forgets it', async () => {
    const page = await signIn(owner);
    expect(await page.evaluate("sessionStorage.getItem('factline.apiKey')")).toBe(owner);
    expect(await page.evaluate('({ local: localStorage.length, cookies: document.cookie })')).toEqual({ local: 0, cookies: '' });
    expect(page.url()).not.toContain(owner);
    expect(await page.getByRole('navigation', { name: 'Pages' }).getByRole('link').allTextContents()).toEqual(['Explore', 'Saved reports', 'App runs', 'Operator', 'Keys']);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('factline.apiKey')")).toBeNull();
    await page.close();
  });

  test('an unknown key is refused at the key field with the API problem', async () => {
    const page = await browser.context.newPage();
    await page.goto(base + '/');
    await page.getByLabel('API key').fill('fl_' + 'x'.repeat(43));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.locator('#err-key').textContent()).resolves.toBe('Unauthorized: The API key is not recognised.');
    expect(await page.evaluate("sessionStorage.getItem('factline.apiKey')")).toBeNull();
    await page.close();
  });

  test('a query: the chart series and the table equal the API rows; freshness and served_by shown', async () => {
    const query = { dataset: 'llm_generations', time_range: range, timezone: 'Europe/Berlin', dimensions: ['day', 'model'], measures: ['generation_count', 'total_tokens'], limit: 1000 };
    const expected = await api(owner).post('/v1/reports/query', query);
    expect(expected.status).toBe(200);
    expect(expected.body.rows.length).toBeGreaterThan(10);

    const page = await signIn(owner, `/explore?q=${b64url(query)}`);
    await page.getByTestId('result-table').waitFor();
    expect(await tableRows(page, 'result-table')).toEqual(asStrings(expected.body.rows));

    const days = [...new Set<string>(expected.body.rows.map((r: { day: string }) => r.day))].sort((a, b) => Date.parse(a) - Date.parse(b));
    const models = [...new Set<string>(expected.body.rows.map((r: { model: string }) => r.model))];
    const chart = await chartSeries(page);
    expect(chart.x).toEqual(days);
    expect(chart.series.map((s) => s.label).sort()).toEqual([...models].sort());
    // A day without a row for a model had no generations: a count of 0 on the chart.
    for (const s of chart.series) {
      expect(s.values).toEqual(days.map((d) => expected.body.rows.find((r: { day: string; model: string }) => r.day === d && r.model === s.label)?.generation_count ?? 0));
    }
    expect(await page.locator('figure.chart canvas').count()).toBe(1);
    await expect(page.getByTestId('served-by').textContent()).resolves.toBe(expected.body.served_by);
    await expect(page.getByTestId('freshness').textContent()).resolves.toContain('up to date');
    await screenshots(page, 'explore');
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });

  test('the whole query lives in the URL: a change updates ?q=, a reload shows the same view', async () => {
    const query = { dataset: 'sessions', time_range: range, timezone: 'UTC', dimensions: ['day'], measures: ['session_count'], filters: [], limit: 1000 };
    const page = await signIn(owner, `/explore?q=${b64url(query)}`);
    await page.getByTestId('result-table').waitFor();
    await page.getByRole('checkbox', { name: 'status' }).check();
    await page.getByRole('checkbox', { name: 'avg_duration_ms' }).check();
    await page.getByRole('button', { name: 'Run query' }).click();
    await page.waitForURL((u) => fromB64url(u.searchParams.get('q')!).dimensions.includes('status'));
    const inUrl = fromB64url(new URL(page.url()).searchParams.get('q')!);
    expect(inUrl).toEqual({ ...query, dimensions: ['day', 'status'], measures: ['session_count', 'avg_duration_ms'] });
    const expected = await api(owner).post('/v1/reports/query', inUrl);
    await page.locator('th', { hasText: 'status' }).waitFor();
    const before = await tableRows(page, 'result-table');
    expect(before).toEqual(asStrings(expected.body.rows));

    await page.reload();
    await page.getByTestId('result-table').waitFor();
    expect(await page.getByRole('checkbox', { name: 'status' }).isChecked()).toBe(true);
    expect(await tableRows(page, 'result-table')).toEqual(before);
    await page.close();
  });

  test('Download CSV saves the streaming export of the current query', async () => {
    const query = { dataset: 'tool_calls', time_range: range, timezone: 'UTC', dimensions: ['tool', 'status'], measures: ['call_count', 'avg_duration_ms'], limit: 1000 };
    const expected = await api(owner).post('/v1/reports/query/export').set('accept', 'text/csv').send({ format: 'csv', query });
    expect(expected.status).toBe(200);
    const page = await signIn(owner, `/explore?q=${b64url(query)}`);
    await page.getByTestId('result-table').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('report.csv');
    expect(readFileSync((await download.path())!, 'utf8')).toBe(expected.text);
    await page.close();
  });

  test('capability usage (SPEC §11) is offered from the catalog and shows the seeded data: table equals the API rows', async () => {
    const query = { dataset: 'capability_usage', time_range: range, timezone: 'UTC', dimensions: ['kind', 'tool'], measures: ['usage_count', 'avg_duration_ms'], limit: 1000 };
    const expected = await api(owner).post('/v1/reports/query', query);
    expect(expected.status).toBe(200);
    expect([...new Set(expected.body.rows.map((r: { kind: string }) => r.kind))].sort()).toEqual(['configured', 'effect_ran', 'exposed', 'invoked', 'resolved']);
    const page = await signIn(owner, `/explore?q=${b64url(query)}`);
    await page.getByTestId('result-table').waitFor();
    expect(await tableRows(page, 'result-table')).toEqual(asStrings(expected.body.rows));
    await expect(page.getByTestId('served-by').textContent()).resolves.toBe('rollup');
    expect(await page.getByLabel('Dataset').inputValue()).toBe('capability_usage');
    await page.close();
  });

  test('a bad filter value shows the problem message at the filter', async () => {
    const query = { dataset: 'llm_generations', time_range: range, timezone: 'UTC', dimensions: ['model'], measures: ['generation_count'], filters: [{ field: 'input_tokens', op: 'gt', value: 'lots' }], limit: 100 };
    const problem = await api(owner).post('/v1/reports/query', query);
    expect(problem.status).toBe(400);
    const message = problem.body.errors.find((e: { pointer: string }) => e.pointer === '/filters/0/value').message;

    const page = await signIn(owner, '/explore');
    await page.getByTestId('result-table').waitFor();
    await page.getByLabel('Dataset').selectOption('llm_generations');
    await page.getByRole('button', { name: 'Add filter' }).click();
    const row = page.getByTestId('filter-0');
    await row.getByLabel('Field').selectOption('input_tokens');
    await row.getByLabel('Operator').selectOption('gt');
    await row.getByLabel('Value').fill('lots');
    await page.getByRole('button', { name: 'Run query' }).click();
    await expect(row.locator('.field-errors').textContent()).resolves.toBe(message);
    expect(await row.getByLabel('Value').getAttribute('aria-invalid')).toBe('true');
    await expect(page.locator('.problem strong').first().textContent()).resolves.toBe('400 Invalid semantic query');
    await screenshots(page, 'explore-problem');
    await page.close();
  });

  test('save the current query, then rename and delete it from Saved reports', async () => {
    const query = { dataset: 'sessions', time_range: range, timezone: 'UTC', dimensions: ['status'], measures: ['session_count'], limit: 100 };
    const page = await signIn(owner, `/explore?q=${b64url(query)}`);
    await page.getByTestId('result-table').waitFor();
    await page.getByLabel('Save as').fill('Sessions by status');
    await page.getByRole('button', { name: 'Save report' }).click();
    await page.getByRole('link', { name: 'See saved reports' }).click();
    await page.getByTestId('saved-list').waitFor();
    const listed = await api(owner).get('/v1/reports/saved');
    expect(listed.body.data.map((r: { name: string; query: unknown }) => [r.name, r.query])).toEqual([['Sessions by status', query]]);
    await screenshots(page, 'saved');
    expect(await axeViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByTestId('result-table').waitFor();
    const run = await api(owner).post(`/v1/reports/saved/${listed.body.data[0].id}/run`);
    expect(await tableRows(page, 'result-table')).toEqual(asStrings(run.body.rows));

    await page.getByRole('button', { name: 'Rename Sessions by status' }).click();
    await page.getByLabel('New name').fill('Session outcomes');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.locator('.report-name', { hasText: 'Session outcomes' }).waitFor();
    expect((await api(owner).get('/v1/reports/saved')).body.data.map((r: { name: string }) => r.name)).toEqual(['Session outcomes']);

    await page.getByRole('button', { name: 'Delete Session outcomes' }).click();
    await page.getByRole('button', { name: 'Confirm delete' }).click();
    await page.getByTestId('empty').waitFor();
    expect((await api(owner).get('/v1/reports/saved')).body.data).toEqual([]);
    await page.close();
  });

  test('a member sees no Operator page, and reaching it anyway shows the 403', async () => {
    const page = await signIn(member);
    expect(await page.getByRole('navigation', { name: 'Pages' }).getByRole('link').allTextContents()).toEqual(['Explore', 'Saved reports', 'App runs']);
    await page.getByTestId('result-table').waitFor();
    expect(await page.getByRole('button', { name: 'Save report' }).count()).toBe(0);
    const denied = await api(member).get('/v1/reports/admin/diagnostics');
    await page.goto(`${base}/operator`);
    await page.locator('.problem.forbidden').waitFor();
    await expect(page.locator('.problem.forbidden').textContent()).resolves.toBe(`403 ${denied.body.title}${denied.body.detail}`);
    await screenshots(page, 'operator-forbidden');
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });

  test('app runs: the stacked histogram equals the API buckets and the table pages through the runs', async () => {
    // Runs through the ingest route, which keeps the hourly counts the histogram reads.
    const app = 'app_01941f2983d07cbd8d7e567ebcc30001';
    const channel = 'appchan_01941f2983d07cbd8d7e567ebcc30001';
    await api(owner).ingest('apps', [{ id: app, name: 'Histogram app', channels: [{ id: channel, type: 'slack', name: '#ops' }] }]);
    const now = Date.now();
    const statuses = ['ok', 'ok', 'err', 'running', 'ok'] as const;
    await api(owner).ingest('app_runs', Array.from({ length: 80 }, (_, i) => {
      const started = now - (i * 37 + 5) * 60_000;
      const status = statuses[i % statuses.length];
      const hex = (0x1000 + i).toString(16).padStart(12, '0');
      return { id: `apprun_01941f2983d07cbd8d7e${hex}`, app_id: app, channel_id: channel, status, created_at: new Date(started).toISOString(), completed_at: status === 'running' ? null : new Date(started + 4_000 + i * 100).toISOString() };
    }));

    const page = await signIn(owner, '/apps');
    await page.getByTestId('empty').waitFor();
    await page.getByLabel('App id').fill(app);
    await page.getByLabel('Window').selectOption('7d');
    await page.waitForURL(/window=7d/);
    await page.getByRole('button', { name: 'Show runs' }).click();
    await page.getByTestId('runs-table').waitFor();
    const chart = await chartSeries(page);
    // The window ends now: the API's answer taken right after the page's (same hour but at a boundary).
    const res = await api(owner).get(`/v1/apps/${app}/runs?window=7d&group_by=hour&limit=50`);
    const buckets = res.body.buckets as { hour: string; ok: number; err: number; running: number }[];
    expect(buckets.reduce((n, b) => n + b.ok + b.err + b.running, 0)).toBe(80);
    expect(chart).toEqual({
      x: buckets.map((b) => b.hour),
      series: (['ok', 'err', 'running'] as const).map((s) => ({ label: s, values: buckets.map((b) => b[s]) })),
    });
    expect((await tableRows(page, 'runs-table')).map((r) => r.Run)).toEqual(res.body.data.map((r: { id: string }) => r.id));
    expect(res.body.next_cursor).not.toBeNull();
    await page.getByRole('button', { name: 'Older' }).click();
    await page.getByText('Page 2').waitFor();
    const second = await api(owner).get(`/v1/apps/${app}/runs?window=7d&group_by=hour&limit=50&cursor=${encodeURIComponent(res.body.next_cursor)}`);
    await page.locator('[data-testid=runs-table] code', { hasText: second.body.data[0].id }).waitFor();
    expect((await tableRows(page, 'runs-table')).map((r) => r.Run)).toEqual(second.body.data.map((r: { id: string }) => r.id));
    await page.getByRole('button', { name: 'Newer' }).click();
    await page.getByText('Page 1').waitFor();
    await screenshots(page, 'apps');
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });

  test('operator: diagnostics, a failed row retried, run the projector, backfill, a limit problem at its field', async () => {
    // A row that exhausted its retries, as the projector leaves one (what failed is beside the point here).
    const { rows: [gen] } = await t.db.pool.query(`SELECT g.org_id, g.id FROM llm_generations g JOIN orgs o ON o.id = g.org_id WHERE o.slug = 'acme' LIMIT 1`);
    const { rows: [failed] } = await t.db.pool.query(
      `INSERT INTO reporting_outbox (org_id, source_type, source_id, status, attempts, last_error) VALUES ($1, 'llm_generation', $2, 'failed', 8, 'boom: poison row') RETURNING id::text`,
      [gen.org_id, gen.id],
    );
    const page = await signIn(owner, '/operator');
    await page.getByTestId('freshness-table').waitFor();
    const diag = await api(owner).get('/v1/reports/admin/diagnostics');
    expect((await tableRows(page, 'freshness-table')).map((r) => r.Dataset)).toEqual(diag.body.datasets.map((d: { dataset: string }) => d.dataset));
    expect((await tableRows(page, 'failed-table')).map((r) => [r['Last error'], r.Attempts])).toEqual([['boom: poison row', '8']]);
    await screenshots(page, 'operator');
    expect(await axeViolations(page)).toEqual([]);

    await page.getByRole('button', { name: /^Retry gen_/ }).click();
    await expect(page.getByRole('status').textContent()).resolves.toBe('Moved 1 failed rows back to pending.');
    expect((await t.db.pool.query(`SELECT status FROM reporting_outbox WHERE id = $1`, [failed.id])).rows).toEqual([{ status: 'pending' }]);
    await page.getByText('No failed rows.').waitFor();

    await page.getByRole('button', { name: 'Run projector' }).click();
    await page.getByText(/^Projector: claimed \d+, completed \d+, failed 0\.$/).waitFor();
    expect((await t.db.pool.query(`SELECT status FROM reporting_outbox WHERE id = $1`, [failed.id])).rows).toEqual([{ status: 'completed' }]);
    await page.getByRole('button', { name: 'Backfill' }).click();
    await page.getByText(/^Backfill enqueued \d+ rows\.$/).waitFor();
    await page.getByLabel('Rows to claim').fill('0');
    await page.getByRole('button', { name: 'Run projector' }).click();
    const problem = await api(owner).post('/v1/reports/projector/run?limit=0');
    await expect(page.locator('#err-project').textContent()).resolves.toBe(problem.body.errors[0].message);
    await page.close();
  });

  test('sign-in page has no serious accessibility violation', async () => {
    const page = await browser.context.newPage();
    await page.goto(base + '/');
    await page.getByLabel('API key').waitFor();
    await screenshots(page, 'sign-in');
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });
});
