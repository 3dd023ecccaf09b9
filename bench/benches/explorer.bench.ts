import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import type { Figure, Scale } from '../support/context.js';
import { ROOT, type Service } from '../support/service.js';
import { round, summary, timed } from '../support/stats.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const JS_BAR_BYTES = 250 * 1024;
const FIRST_CHART_BAR_MS = 1500;

export interface ExplorerBenchEnv {
  databaseUrl: string;
  scale: Scale;
  log(message: string): void;
}

/** The demo data (`npm run seed`), written by the CLI into the bench database; returns an owner key. */
export async function seedDemo(databaseUrl: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'dist/src/cli/main.js'), 'seed', '--size', 'demo'], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    maxBuffer: 16 * 1024 * 1024,
  });
  return (JSON.parse(stdout) as { orgs: { owner_api_key: string }[] }).orgs[0].owner_api_key;
}

/**
 * SPEC §16 explorer: the JavaScript the page loads, as sent (gzip), ≤ 250 KB; and the time from
 * pressing "Sign in" to the first chart drawn on the demo data in headless Chromium, ≤ 1.5 s.
 * Baseline: the API requests the page makes before that chart (its permission probes, the catalog
 * and the default query), timed from Node in the same run.
 */
export const explorerBench = {
  name: 'explorer',
  async run(env: ExplorerBenchEnv, service: Service, key: string): Promise<Figure[]> {
    const html = await (await fetch(`${service.url}/`)).text();
    const scripts = [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1]);
    const styles = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]);
    const sent = async (url: string) => (await (await fetch(`${service.url}${url}`, { headers: { 'accept-encoding': 'gzip' } })).arrayBuffer()).byteLength;
    // fetch decodes gzip, so ask for the raw length from the header instead.
    const gzBytes = async (url: string) => Number((await fetch(`${service.url}${url}`, { headers: { 'accept-encoding': 'gzip' } })).headers.get('content-length') ?? (await sent(url)));
    const jsBytes = (await Promise.all(scripts.map(gzBytes))).reduce((a, b) => a + b, 0);
    const cssBytes = (await Promise.all(styles.map(gzBytes))).reduce((a, b) => a + b, 0);

    const samples = env.scale.name === 'full' ? 20 : 5;
    const profile = mkdtempSync(path.join(os.tmpdir(), 'factline-bench-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    const firstChart: number[] = [];
    try {
      for (let i = 0; i < samples + 1; i++) {
        const page = await context.newPage();
        await page.goto(`${service.url}/`);
        await page.getByLabel('API key').fill(key);
        const t = await timed(async () => {
          await page.getByRole('button', { name: 'Sign in' }).click();
          await page.locator('figure.chart canvas').waitFor();
        });
        if (i > 0) firstChart.push(t.ms); // the first load warms the service and the browser cache
        await page.close();
      }
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }

    const auth = { authorization: `Bearer ${key}` };
    const probe = async () => {
      const catalog = fetch(`${service.url}/v1/reports/catalog`, { headers: auth }).then((r) => r.json());
      await Promise.all([
        catalog,
        fetch(`${service.url}/v1/reports/saved`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' }).then((r) => r.text()),
        fetch(`${service.url}/v1/apps/app_00000000000070008000000000000000/runs?window=1h`, { headers: auth }).then((r) => r.text()),
        fetch(`${service.url}/v1/reports/admin/diagnostics`, { headers: auth }).then((r) => r.text()),
      ]);
      const to = Math.ceil(Date.now() / 3_600_000) * 3_600_000;
      const query = { dataset: 'llm_generations', time_range: { from: new Date(to - 7 * 86_400_000).toISOString(), to: new Date(to).toISOString() }, timezone: 'UTC', dimensions: ['day'], measures: ['generation_count'], filters: [], limit: 1000 };
      await fetch(`${service.url}/v1/reports/query`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(query) }).then((r) => r.json());
    };
    const api: number[] = [];
    for (let i = 0; i < samples + 1; i++) {
      const t = await timed(probe);
      if (i > 0) api.push(t.ms);
    }

    const chart = summary(firstChart);
    const calls = summary(api);
    const ms = (x: number) => `${round(x, 0)} ms`;
    return [
      {
        name: 'explorer JavaScript shipped',
        bar: 'JavaScript ≤ 250 KB gzipped',
        figure: `${round(jsBytes / 1024, 1)} KB gzipped (${scripts.length} file)`,
        baseline: `the bar, 250 KB (CSS besides: ${round(cssBytes / 1024, 1)} KB gzipped)`,
        ratio: round(jsBytes / JS_BAR_BYTES, 3),
        ratioLabel: 'shipped ÷ bar',
        pass: jsBytes <= JS_BAR_BYTES,
        details: { js_gzip_bytes: jsBytes, css_gzip_bytes: cssBytes },
      },
      {
        name: 'explorer first chart after sign-in',
        bar: 'first chart drawn ≤ 1.5 s after sign-in (demo data, headless Chromium)',
        figure: `p50 ${ms(chart.p50)}, p95 ${ms(chart.p95)}, max ${ms(chart.max)} over ${chart.n} sign-ins`,
        baseline: `the same API requests from Node: p50 ${ms(calls.p50)}, p95 ${ms(calls.p95)}`,
        ratio: round(chart.p95 / calls.p95, 2),
        ratioLabel: 'browser p95 ÷ API p95',
        pass: chart.p95 <= FIRST_CHART_BAR_MS,
        details: { first_chart_p50_ms: round(chart.p50, 1), first_chart_p95_ms: round(chart.p95, 1), api_p95_ms: round(calls.p95, 1) },
      },
    ];
  },
};
