import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EXPLORER_CSP } from '#src/explorer/explorer.assets.js';
import { ROOT } from '../../support/processes.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

// SPEC §13 serving rules, over HTTP: the shell at / and every client route (no-cache, strict CSP,
// no inline script, nothing from elsewhere), hashed assets cached for a year, problems for the rest.

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const ASSETS = path.join(ROOT, 'dist', 'web', 'ui', 'assets');
const built = readdirSync(ASSETS);
const js = built.find((f) => /^app-[A-Z0-9]+\.js$/.test(f))!;
const css = built.find((f) => /^app-[A-Z0-9]+\.css$/.test(f))!;

describe('explorer serving', () => {
  test.each(['/', '/ui/', '/ui', '/explore?q=eyJkYXRhc2V0Ijoic2Vzc2lvbnMifQ', '/saved', '/apps?app=x', '/operator', '/keys'])('GET %s → the HTML shell, no-cache, strict CSP', async (url) => {
    const res = await t.http().get(url);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toBe(EXPLORER_CSP);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.text).toContain(`<script type="module" src="/ui/assets/${js}"></script>`);
    expect(res.text).toContain(`<link rel="stylesheet" href="/ui/assets/${css}" />`);
  });

  test('the shell has no inline script and names nothing outside the service', async () => {
    const html = (await t.http().get('/')).text;
    expect(html.match(/<script\b[^>]*>/g)).toEqual([`<script type="module" src="/ui/assets/${js}">`]);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(EXPLORER_CSP).toContain("script-src 'self'");
    expect(EXPLORER_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
  });

  test('hashed assets: a year of immutable cache, gzip when asked', async () => {
    const plain = await t.http().get(`/ui/assets/${js}`).set('accept-encoding', 'identity');
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.text).toBe(readFileSync(path.join(ASSETS, js), 'utf8'));
    const gz = await t.http().get(`/ui/assets/${css}`).set('accept-encoding', 'gzip');
    expect(gz.status).toBe(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(gz.text).toBe(readFileSync(path.join(ASSETS, css), 'utf8'));
  });

  test('an unknown asset is a problem+json 404', async () => {
    const res = await t.http().get('/ui/assets/app-NOPE.js');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.body).toEqual({ type: '/problems/not_found', title: 'Not Found', status: 404, detail: 'No route for GET /ui/assets/app-NOPE.js.', code: 'not_found', instance: '/ui/assets/app-NOPE.js' });
  });

  test('the explorer routes stay out of the OpenAPI document', async () => {
    const doc = (await t.http().get('/openapi.json')).body;
    expect(Object.keys(doc.paths).filter((p) => p === '/' || p.startsWith('/ui') || ['/explore', '/saved', '/apps', '/operator', '/keys'].includes(p))).toEqual([]);
  });
});
