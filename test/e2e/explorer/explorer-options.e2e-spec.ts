import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { client } from '../../support/api.js';
import { axeViolations, launchBrowser, screenshots, type Browser } from '../../support/browser.js';
import { CLI_JS, spawnNode } from '../../support/processes.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

// SPEC §11 options in the explorer (SPEC §13): compare, top-N with "(other)" and running totals,
// driven from their controls in Debian's Chromium against the real app on the demo seed (14 days).

const HOUR = 3_600_000;
const b64url = (q: unknown) => Buffer.from(JSON.stringify(q)).toString('base64url');
const fromB64url = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));

let t: TestApp;
let base: string;
let browser: Browser;
let owner: string;
/** The last 7 days: the 7 before are seeded too, so the previous period has data. */
let range: { from: string; to: string };

beforeAll(async () => {
  t = await startTestApp();
  const seed = spawnNode(CLI_JS, ['seed', '--size', 'demo', '--seed', '11'], { DATABASE_URL: t.db.url });
  const { code } = await seed.exited;
  if (code !== 0) throw new Error(`seed failed: ${seed.stderr()}`);
  owner = JSON.parse(seed.stdout()).orgs[0].owner_api_key;
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  const end = Math.ceil(Date.now() / HOUR) * HOUR;
  range = { from: new Date(end - 7 * 24 * HOUR).toISOString(), to: new Date(end).toISOString() };
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

afterEach(() => {
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

const api = () => client(t, owner);

async function tableRows(page: Page): Promise<Record<string, string>[]> {
  return page.getByTestId('result-table').evaluate((table) => {
    const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent!.trim());
    return [...table.querySelectorAll('tbody tr')].map((tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td, i) => [heads[i], td.getAttribute('data-value') ?? td.textContent!.trim()])));
  });
}

/** A column's cells as shown (formatted), row by row. */
async function shownColumn(page: Page, column: string): Promise<string[]> {
  return page.getByTestId('result-table').evaluate((table, name) => {
    const i = [...table.querySelectorAll('thead th')].findIndex((th) => th.textContent!.trim() === name);
    return [...table.querySelectorAll('tbody tr')].map((tr) => tr.querySelectorAll('td')[i].textContent!.trim());
  }, column);
}

async function chartSeries(page: Page): Promise<{ x: string[]; series: { label: string; values: (number | null)[]; previous?: true; other?: true }[] }> {
  return JSON.parse((await page.locator('figure.chart').getAttribute('data-series'))!);
}

const asStrings = (rows: Record<string, unknown>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? '' : String(v)])));
const urlQuery = (page: Page) => fromB64url(new URL(page.url()).searchParams.get('q')!);

type Row = Record<string, unknown> & { day: string; model: string };

describe('SPEC §11 options in the explorer', () => {
  test('compare with the previous period: the table has the *_previous and *_change columns of the API, the chart a dashed previous series per model', async () => {
    const query = { dataset: 'llm_generations', time_range: range, timezone: 'Europe/Berlin', dimensions: ['day', 'model'], measures: ['generation_count', 'total_tokens'], filters: [], limit: 1000 };
    const page = await signIn(owner, `/explore?q=${b64url(query)}`);
    await page.getByTestId('result-table').waitFor();
    await page.getByLabel('Compare with').selectOption({ label: 'Previous period' });
    await page.getByRole('button', { name: 'Run query' }).click();
    await page.waitForURL((u) => fromB64url(u.searchParams.get('q')!).compare === 'previous_period');
    expect(urlQuery(page)).toEqual({ ...query, compare: 'previous_period' });
    await page.locator('th', { hasText: 'total_tokens_change' }).waitFor();

    const expected = await api().post('/v1/reports/query', { ...query, compare: 'previous_period' });
    expect(expected.status).toBe(200);
    const rows = expected.body.rows as Row[];
    expect(expected.body.columns.map((c: { name: string }) => c.name)).toEqual(['day', 'model', 'generation_count', 'generation_count_previous', 'generation_count_change', 'total_tokens', 'total_tokens_previous', 'total_tokens_change']);
    expect(rows.some((r) => typeof r.total_tokens_previous === 'number' && r.total_tokens_previous > 0)).toBe(true);
    expect(await tableRows(page)).toEqual(asStrings(rows));
    // The change reads as a signed percentage with one decimal (oracle: its own arithmetic).
    const signed = (v: unknown) => (v === null ? '—' : (v as number) === 0 ? '0.0%' : `${(v as number) > 0 ? '+' : '−'}${(Math.abs(v as number) * 100).toFixed(1)}%`);
    const shown = await shownColumn(page, 'total_tokens_change');
    rows.forEach((r, i) => {
      if (r.total_tokens_change === null || Math.abs(r.total_tokens_change as number) >= 0.001) expect(shown[i].replace(/,/g, '')).toBe(signed(r.total_tokens_change));
    });
    // total_tokens_previous reads like total_tokens (tokens with thousands separators).
    const previousShown = await shownColumn(page, 'total_tokens_previous');
    rows.forEach((r, i) => expect(previousShown[i]).toBe(r.total_tokens_previous === null ? '—' : (r.total_tokens_previous as number).toLocaleString('en-US')));
    await expect(page.getByTestId('previous-range').locator('time').first().getAttribute('datetime')).resolves.toBe(expected.body.previous_time_range.from);

    // The chart: per model the current counts (0 where a day has no row) and, dashed, the previous
    // range's, paired by bucket position (null where the current range has no row to pair with).
    const days = [...new Set(rows.map((r) => r.day))].sort((a, b) => Date.parse(a) - Date.parse(b));
    const models = [...new Set(rows.map((r) => r.model))];
    const at = (d: string, m: string) => rows.find((r) => r.day === d && r.model === m);
    const chart = await chartSeries(page);
    expect(chart.x).toEqual(days);
    expect(models.length).toBeLessThanOrEqual(8);
    expect([...chart.series].sort((a, b) => a.label.localeCompare(b.label))).toEqual(
      models.flatMap((m) => [
        { label: m, values: days.map((d) => (at(d, m)?.generation_count as number | undefined) ?? 0) },
        { label: `${m} (previous)`, values: days.map((d) => (at(d, m)?.generation_count_previous as number | null | undefined) ?? null), previous: true },
      ]).sort((a, b) => a.label.localeCompare(b.label)),
    );
    await screenshots(page, 'explore-compare');
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });

  test('top 2 models by total tokens, the rest as "(other)": the table equals the API rows, "(other)" included and marked', async () => {
    const query = { dataset: 'llm_generations', time_range: range, timezone: 'UTC', dimensions: ['day', 'model'], measures: ['total_tokens', 'avg_duration_ms'], filters: [], limit: 1000 };
    const page = await signIn(owner, `/explore?q=${b64url(query)}`);
    await page.getByTestId('result-table').waitFor();
    const options = page.getByTestId('query-options');
    await options.getByRole('checkbox', { name: 'Only the top values' }).check();
    await options.getByLabel('Top N count', { exact: true }).fill('2');
    await options.getByLabel('Top N by', { exact: true }).selectOption('total_tokens');
    expect(await options.getByRole('checkbox', { name: 'Group the rest as “(other)”' }).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Run query' }).click();
    await page.waitForURL((u) => fromB64url(u.searchParams.get('q')!).top !== undefined);
    const top = { dimension: 'model', n: 2, by: 'total_tokens', other: true };
    expect(urlQuery(page)).toEqual({ ...query, top });
    await page.locator('tr.other-row').first().waitFor();

    const expected = await api().post('/v1/reports/query', { ...query, top });
    const rows = expected.body.rows as Row[];
    const models = [...new Set(rows.map((r) => r.model))];
    expect(models).toHaveLength(3);
    expect(models).toContain('(other)');
    expect(await tableRows(page)).toEqual(asStrings(rows));
    expect(await page.locator('tr.other-row').count()).toBe(rows.filter((r) => r.model === '(other)').length);
    const chart = await chartSeries(page);
    // The kept models in the order the rows bring them, then "(other)" (grey, drawn last).
    expect(chart.series.map((s) => s.label)).toEqual([...models.filter((m) => m !== '(other)'), '(other)']);
    expect(chart.series.find((s) => s.label === '(other)')).toMatchObject({ other: true });
    await screenshots(page, 'explore-top');
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });

  test('compare, top and a running total set from the controls: in ?q=, sent, and a reload (and a saved report) gives the same controls and rows', async () => {
    const query = { dataset: 'llm_generations', time_range: range, timezone: 'UTC', dimensions: ['day', 'model'], measures: ['generation_count', 'total_tokens', 'avg_duration_ms'], filters: [], limit: 1000 };
    const page = await signIn(owner, `/explore?q=${b64url(query)}`);
    await page.getByTestId('result-table').waitFor();
    const options = page.getByTestId('query-options');
    // A running total is offered for sums and counts only.
    expect(await options.getByRole('checkbox', { name: 'avg_duration_ms' }).count()).toBe(0);
    await options.getByRole('checkbox', { name: 'total_tokens' }).check();
    await page.getByLabel('Compare with').selectOption('previous_period');
    await options.getByRole('checkbox', { name: 'Only the top values' }).check();
    await options.getByLabel('Top N count', { exact: true }).fill('3');
    await page.getByRole('button', { name: 'Run query' }).click();
    const want = { ...query, cumulative: ['total_tokens'], compare: 'previous_period', top: { dimension: 'model', n: 3, by: 'generation_count', other: true } };
    await page.waitForURL((u) => fromB64url(u.searchParams.get('q')!).top !== undefined);
    expect(urlQuery(page)).toEqual(want);
    await page.locator('th', { hasText: 'total_tokens_cumulative' }).waitFor();
    const expected = await api().post('/v1/reports/query', want);
    expect(expected.status).toBe(200);
    const before = await tableRows(page);
    expect(before).toEqual(asStrings(expected.body.rows));

    const controls = async () => ({
      compare: await page.getByLabel('Compare with').inputValue(),
      cumulative: await options.getByRole('checkbox', { name: 'total_tokens' }).isChecked(),
      top: await options.getByRole('checkbox', { name: 'Only the top values' }).isChecked(),
      of: await options.getByLabel('Top N of', { exact: true }).inputValue(),
      n: await options.getByLabel('Top N count', { exact: true }).inputValue(),
      by: await options.getByLabel('Top N by', { exact: true }).inputValue(),
      other: await options.getByRole('checkbox', { name: 'Group the rest as “(other)”' }).isChecked(),
    });
    const shown = { compare: 'previous_period', cumulative: true, top: true, of: 'model', n: '3', by: 'generation_count', other: true };
    expect(await controls()).toEqual(shown);

    await page.reload();
    await page.locator('th', { hasText: 'total_tokens_cumulative' }).waitFor();
    expect(await controls()).toEqual(shown);
    expect(await tableRows(page)).toEqual(before);

    // Saved reports keep the options, and "Open in Explore" brings them back.
    await page.getByLabel('Save as').fill('Top models, compared');
    await page.getByRole('button', { name: 'Save report' }).click();
    await page.getByRole('link', { name: 'See saved reports' }).click();
    await page.getByTestId('saved-list').waitFor();
    const saved = await api().get('/v1/reports/saved');
    expect(saved.body.data.map((r: { name: string; query: unknown }) => [r.name, r.query])).toEqual([['Top models, compared', want]]);
    await expect(page.locator('.report .meta').first().textContent()).resolves.toContain('vs previous period · top 3 model by generation_count + (other) · running total of total_tokens');
    await page.getByRole('link', { name: 'Open in Explore' }).click();
    await page.locator('th', { hasText: 'total_tokens_cumulative' }).waitFor();
    expect(await controls()).toEqual(shown);
    expect(await tableRows(page)).toEqual(before);
    await page.close();
  });

  test('a bad top n (0 typed) shows the API problem message at the N field', async () => {
    const query = { dataset: 'llm_generations', time_range: range, timezone: 'UTC', dimensions: ['model'], measures: ['generation_count'], filters: [], limit: 100 };
    const problem = await api().post('/v1/reports/query', { ...query, top: { dimension: 'model', n: 0, by: 'generation_count', other: true } });
    expect(problem.status).toBe(400);
    expect(problem.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/top/n']);

    const page = await signIn(owner, `/explore?q=${b64url(query)}`);
    await page.getByTestId('result-table').waitFor();
    const options = page.getByTestId('query-options');
    await options.getByRole('checkbox', { name: 'Only the top values' }).check();
    await options.getByLabel('Top N count', { exact: true }).fill('0');
    await page.getByRole('button', { name: 'Run query' }).click();
    await expect(page.locator('#err-top-n').textContent()).resolves.toBe(problem.body.errors[0].message);
    expect(await options.getByLabel('Top N count', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await options.getByLabel('Top N count', { exact: true }).getAttribute('aria-describedby')).toBe('err-top-n');
    // Claimed by its field: the page's problem box has the title, not the error again.
    await expect(page.locator('.problem').first().textContent()).resolves.not.toContain('/top/n');
    expect(await axeViolations(page)).toEqual([]);
    await screenshots(page, 'explore-top-problem');
    await page.close();
  });

  test('options the selection does not allow are disabled, with the reason; compare by category draws paired bars', async () => {
    // No time bucket: no running total; no dimension besides the bucket: no top.
    const query = { dataset: 'llm_generations', time_range: range, timezone: 'UTC', dimensions: ['model'], measures: ['total_tokens'], filters: [], limit: 100, compare: 'previous_year' };
    const page = await signIn(owner, `/explore?q=${b64url(query)}`);
    await page.getByTestId('result-table').waitFor();
    const expected = await api().post('/v1/reports/query', query);
    const rows = expected.body.rows as Row[];
    // A year ago there was nothing: the previous bars are empty, the change is unknown.
    expect(rows.every((r) => !r.total_tokens_previous && r.total_tokens_change === null)).toBe(true);
    expect(await tableRows(page)).toEqual(asStrings(rows));
    expect(await chartSeries(page)).toEqual({
      x: rows.map((r) => r.model),
      series: [{ label: 'total_tokens', values: rows.map((r) => r.total_tokens) }, { label: 'total_tokens (previous)', values: rows.map((r) => r.total_tokens_previous), previous: true }],
    });
    await screenshots(page, 'explore-compare-bars');
    const options = page.getByTestId('query-options');
    expect(await options.getByRole('checkbox', { name: 'total_tokens' }).isDisabled()).toBe(true);
    await options.getByText('Needs exactly one time bucket.').waitFor();
    await page.getByRole('checkbox', { name: 'model' }).uncheck();
    await page.getByLabel('Bucket').selectOption('day');
    expect(await options.getByRole('checkbox', { name: 'Only the top values' }).isDisabled()).toBe(true);
    await options.getByText('Needs a dimension other than the time bucket.').waitFor();
    expect(await options.getByRole('checkbox', { name: 'total_tokens' }).isDisabled()).toBe(false);
    await page.close();
  });
});
