import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { client } from '../../support/api.js';
import { axeViolations, launchBrowser, screenshots, type Browser } from '../../support/browser.js';
import { startTestApp, type TestApp, type TestKey } from '../../support/test-app.js';

// The explorer's Keys page (SPEC §15a over §13) in a real browser, against the real app: what an
// owner and a member see, the secret shown once, and the API refusing a key the page revoked.

let t: TestApp;
let base: string;
let browser: Browser;
let owner: TestKey;
let member: TestKey;

beforeAll(async () => {
  t = await startTestApp();
  owner = await t.key('acme', 'owner');
  member = await t.key('acme', 'member');
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  browser = await launchBrowser();
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

afterEach(() => {
  expect(browser.cspViolations).toEqual([]);
});

const api = (key: string) => client(t, key);

async function signIn(key: string, path = '/'): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(base + path);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return page;
}

/** The keys table as a person reads it: one object per key (the name cell holds the name and the id). */
async function keyRows(page: Page): Promise<Record<string, string>[]> {
  return page.getByTestId('keys-table').evaluate((table) => {
    const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent!.trim());
    return [...table.querySelectorAll('tbody tr[data-id]')].map((tr) => {
      const cells = [...tr.querySelectorAll('td')];
      const row: Record<string, string> = Object.fromEntries(cells.slice(1).map((td, i) => [heads[i + 1], td.textContent!.trim()]));
      row.Name = cells[0].querySelector('.key-name')!.textContent!.trim();
      row.Id = cells[0].querySelector('.key-id')!.textContent!.trim();
      row.Status = cells[4].querySelector('.status')!.textContent!.trim();
      return row;
    });
  });
}

// The browser's globals as expressions: the test code is compiled without the DOM library.
/** Waits until the focused element is the one named (its text, or an attribute's value). */
const focusOn = (page: Page, expected: string, attribute?: string) =>
  page.waitForFunction(
    ([want, attr]) => {
      const el = (globalThis as unknown as { document: { activeElement: { textContent: string; getAttribute(n: string): string | null } | null } }).document.activeElement;
      return !!el && (attr ? el.getAttribute(attr) : el.textContent.trim()) === want;
    },
    [expected, attribute ?? null] as const,
    { timeout: 5_000 },
  );
const TO_THE_MINUTE = /^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$/;

describe('Keys page', () => {
  test('an owner creates a key, sees its secret once and copies it; the key works; revoked, it is refused on the next request', async () => {
    const page = await signIn(owner.key, '/keys');
    expect(await page.getByRole('navigation', { name: 'Pages' }).getByRole('link').allTextContents()).toEqual(['Explore', 'Saved reports', 'App runs', 'Operator', 'Keys']);
    await page.getByTestId('keys-table').waitFor();
    expect(await page.title()).toBe('Keys · Factline');
    const before = (await api(owner.key).get('/v1/keys')).body.data as { id: string; name: string; role: string }[];
    expect((await keyRows(page)).map((r) => [r.Name, r.Role, r.Status, r.Id])).toEqual(before.map((k) => [k.name, k.role, 'Active', k.id]));

    // A blank name: the API's message at the Name field, nothing created.
    const blank = await api(owner.key).post('/v1/keys', { name: ' ', role: 'member' });
    expect(blank.status).toBe(400);
    await page.getByLabel('Name').fill(' ');
    await page.getByRole('button', { name: 'Create key' }).click();
    await expect(page.locator('#err-key-name').textContent()).resolves.toBe(blank.body.errors[0].message);
    expect(await page.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Name').fill('Grafana dashboard');
    await page.getByLabel('Role').selectOption('member');
    await expect(page.locator('#role-grants').textContent()).resolves.toBe('A member key reads reports and app runs (Explore, Saved reports, App runs).');
    await page.getByRole('button', { name: 'Create key' }).click();
    const panel = page.getByTestId('new-secret');
    await panel.waitFor();
    expect(await page.locator('#err-key-name').count()).toBe(0);
    await expect(panel.getByRole('heading').textContent()).resolves.toBe('Key “Grafana dashboard” created (member)');
    await expect(panel.locator('strong').first().textContent()).resolves.toBe('Copy the secret now: you will not see it again.');
    await focusOn(page, 'new-secret', 'data-testid');
    const secret = await page.getByLabel('Secret of “Grafana dashboard”').inputValue();
    expect(secret).toMatch(/^fl_[A-Za-z0-9_-]{43}$/);
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await panel.getByRole('status').getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(secret);

    // The new key is listed (newest first), never used yet; and it works against the API.
    const created = (await api(owner.key).get('/v1/keys')).body.data[0] as { id: string; name: string; role: string; last_used_at: string | null };
    expect(created).toMatchObject({ name: 'Grafana dashboard', role: 'member', last_used_at: null });
    await page.locator(`tr[data-id="${created.id}"]`).waitFor();
    expect((await keyRows(page))[0]).toMatchObject({ Name: 'Grafana dashboard', Role: 'member', 'Last used (UTC)': 'Never', Status: 'Active', Id: created.id });
    await screenshots(page, 'keys-created');
    expect(await axeViolations(page)).toEqual([]);
    expect((await api(secret).get('/v1/reports/catalog')).status).toBe(200);

    // "Done" forgets the secret; it is nowhere on the page afterwards, nor after a reload.
    await page.getByRole('button', { name: 'Done, I have stored it' }).click();
    await panel.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await page.getByTestId('keys-table').waitFor();
    expect(await page.content()).not.toContain(secret);
    const used = (await api(owner.key).get('/v1/keys')).body.data[0] as { last_used_at: string };
    const row = page.locator(`tr[data-id="${created.id}"]`);
    expect(await row.locator('td').nth(3).locator('time').getAttribute('datetime')).toBe(used.last_used_at);
    expect((await keyRows(page))[0]['Last used (UTC)']).toMatch(TO_THE_MINUTE);

    // Revoke, with a confirmation; the API refuses the key on its next request.
    await page.getByRole('button', { name: `Revoke Grafana dashboard (${created.id})` }).click();
    const confirm = page.getByRole('group', { name: 'Revoke Grafana dashboard?' });
    await expect(confirm.textContent()).resolves.toContain('Every request with it is refused from the next one');
    await focusOn(page, 'Keep it');
    await screenshots(page, 'keys-confirm');
    expect(await axeViolations(page)).toEqual([]);
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByRole('status').getByText(`Revoked “Grafana dashboard” (${created.id}): the service refuses it from its next request.`).waitFor();
    await row.locator('.status.err').waitFor();
    const revoked = (await api(owner.key).get('/v1/keys')).body.data[0] as { id: string; revoked_at: string };
    expect(revoked.id).toBe(created.id);
    expect(revoked.revoked_at).not.toBeNull();
    expect((await keyRows(page))[0].Status).toMatch(/^Revoked \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$/);
    expect(await row.getByRole('button').count()).toBe(0);
    const refused = await api(secret).get('/v1/reports/catalog');
    expect(refused.status).toBe(401);
    await screenshots(page, 'keys-revoked');
    await page.close();
  });

  test('a member key is not offered Keys, and /keys says it needs an owner key instead of an error', async () => {
    const page = await signIn(member.key);
    expect(await page.getByRole('navigation', { name: 'Pages' }).getByRole('link').allTextContents()).toEqual(['Explore', 'Saved reports', 'App runs']);
    const denied = await api(member.key).get('/v1/keys');
    expect(denied.status).toBe(403);
    await page.goto(`${base}/keys`);
    const state = page.getByTestId('needs-owner');
    await state.waitFor();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('API keys');
    await expect(state.locator('strong').textContent()).resolves.toBe('Managing keys needs an owner key.');
    await expect(state.locator('.meta').textContent()).resolves.toBe(`The API answered 403 ${denied.body.title}: ${denied.body.detail}`);
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await page.getByTestId('keys-table').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Create key' }).count()).toBe(0);
    await screenshots(page, 'keys-member');
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });

  test("the org's last owner key cannot be revoked (409, shown readably); with a second owner key it can, and the tab that used it is signed out", async () => {
    const solo = await t.key('solo', 'owner');
    const page = await signIn(solo.key, '/keys');
    await page.getByTestId('keys-table').waitFor();
    const id = (await api(solo.key).get('/v1/keys')).body.data[0].id as string;
    expect((await keyRows(page)).map((r) => [r.Name, r.Role, r.Status, r.Id])).toEqual([['owner key', 'owner', 'Active', id]]);
    const conflict = await api(solo.key).delete(`/v1/keys/${id}`);
    expect(conflict.status).toBe(409);

    // By keyboard: Enter on Revoke, focus on "Keep it", Shift+Tab to "Revoke key", Enter.
    await page.getByRole('button', { name: /^Revoke owner key/ }).focus();
    await page.keyboard.press('Enter');
    await focusOn(page, 'Keep it');
    await page.keyboard.press('Shift+Tab');
    await focusOn(page, 'Revoke key');
    await page.keyboard.press('Enter');
    const problem = page.locator('tr.problem-row .problem');
    await problem.waitFor();
    await expect(problem.textContent()).resolves.toBe(`409 ${conflict.body.title}${conflict.body.detail}`);
    await expect(page.locator('tr.problem-row .hint').textContent()).resolves.toBe(conflict.body.allowed_actions[0].hint);
    await screenshots(page, 'keys-last-owner');
    expect(await axeViolations(page)).toEqual([]);
    expect((await api(solo.key).get('/v1/reports/catalog')).status).toBe(200);

    // The way out the problem offers: another owner key, then the first can go.
    await page.getByRole('button', { name: 'Create an owner key' }).click();
    expect(await page.getByLabel('Role').inputValue()).toBe('owner');
    await expect(page.locator('#role-grants').textContent()).resolves.toBe('An owner key may do everything, including the Operator page and managing keys.');
    await focusOn(page, 'What it is for, e.g. Grafana dashboard', 'placeholder');
    await page.keyboard.type('second owner');
    await page.keyboard.press('Enter');
    await page.getByTestId('new-secret').waitFor();
    const second = await page.getByLabel('Secret of “second owner”').inputValue();
    await page.getByRole('button', { name: 'Done, I have stored it' }).click();
    await page.getByRole('button', { name: `Revoke owner key (${id})` }).click();
    await page.getByRole('button', { name: 'Revoke key' }).click();
    // The list is reloaded with the key just revoked: the app signs out and says why.
    const out = page.getByTestId('signed-out');
    await out.waitFor();
    await expect(out.textContent()).resolves.toMatch(/^You were signed out: the service no longer accepts the key this tab used \(was it revoked\?\)\. It answered 401 Unauthorized/);
    expect(await page.evaluate("sessionStorage.getItem('factline.apiKey')")).toBeNull();
    expect(await page.title()).toBe('Sign in · Factline');
    expect((await api(solo.key).get('/v1/reports/catalog')).status).toBe(401);
    expect((await api(second).get('/v1/keys')).body.data.map((k: { name: string; revoked_at: string | null }) => [k.name, k.revoked_at === null])).toEqual([
      ['second owner', true],
      ['owner key', false],
    ]);
    await screenshots(page, 'keys-signed-out');
    await page.close();
  });
});
