import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiKeyService } from '#src/auth/api-key.service.js';
import { parsePublicId, uuidv7 } from '#src/common/ids/public-id.js';
import { queryRows } from '#src/database/query-rows.js';
import { loadConfig } from '#src/config/app-config.js';
import type { Bench, Figure } from '../support/context.js';
import { repeat, round, summary, timed } from '../support/stats.js';

/**
 * SPEC §16 alerts: 1,000 alerts evaluated per minute on one instance, and a delivery to a local
 * receiver p95 ≤ 2 s after its tick. The service instance runs with deliveries on and
 * WEBHOOK_ALLOW_PRIVATE (the receiver listens on 127.0.0.1), alone, on a small org of its own, so
 * `--only alerts` writes none of the other benches' data. Full mode: 1,000 alerts (the bar's
 * number), 20 schedules × 5 ticks; quick mode a tenth.
 * Baseline: the saved report the alerts watch, run the same number of times through the API one
 * after another — what evaluating costs without the bookkeeping.
 */
export const alertsBench: Bench = {
  name: 'alerts',
  async run(ctx, service) {
    const { alerts: alertCount, schedules: scheduleCount, ticks: tickRounds } = ctx.scale.alerts;
    const arrivals: { at: number; body: string }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        arrivals.push({ at: Date.now(), body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      const { key, orgId: org } = await new ApiKeyService(ctx.ds, loadConfig({ DATABASE_URL: ctx.databaseUrl })).createKey('bench-alerts', 'owner');
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${service.url}${path}`, {
          method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const parsed = res.status === 204 ? undefined : await res.json();
        if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(parsed)}`);
        return parsed as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      };
      const day = new Date(ctx.end.getTime() - 86_400_000).toISOString();
      const gens = Array.from({ length: 200 }, (_, i) => ({
        id: `gen_${uuidv7().replace(/-/g, '')}`, model: i % 2 ? 'gpt-5' : 'claude-sonnet-4', provider: 'openai', input_tokens: 100 + i, output_tokens: 10, created_at: day,
      }));
      await call('POST', '/v1/ingest/llm_generations', { records: gens });
      while ((await call('POST', '/v1/reports/projector/run?limit=5000')).claimed > 0);
      const report = await call('POST', '/v1/reports/saved', {
        name: 'bench alerts', query: { dataset: 'llm_generations', time_range: { last: '7d' }, measures: ['generation_count', 'total_tokens'], filters: [{ field: 'model', op: 'eq', value: 'gpt-5' }] },
      });
      const dest = await call('POST', '/v1/reports/destinations', { name: 'bench receiver', url: hook });

      // Throughput: 1,000 alerts (half of them fire), written set-based, then all due at the same instant.
      const created = await call('POST', '/v1/reports/alerts', { name: 'bench template', saved_report_id: report.id, measure: 'generation_count', op: 'gt', threshold: 0, every: '1h', destination_id: dest.id });
      await ctx.ds.query(`DELETE FROM report_alerts WHERE id = $1`, [parsePublicId('alert', created.id)]);
      await ctx.ds.query(
        `INSERT INTO report_alerts (id, org_id, name, saved_report_id, destination_id, measure, op, threshold, every, every_seconds, next_eval_at)
         SELECT gen_random_uuid(), $1, 'bench ' || i, $2, $3, 'generation_count', 'gt', CASE WHEN i % 2 = 1 THEN 0 ELSE 1e9 END, '1h', 3600, now() + interval '1 hour'
           FROM generate_series(1, $4) AS i`,
        [org, report.id, parsePublicId('dest', dest.id), alertCount],
      );
      const waitUntil = async (check: () => Promise<boolean>, limitMs: number) => {
        const end = Date.now() + limitMs;
        while (!(await check())) {
          if (Date.now() > end) throw new Error('alerts bench: timed out');
          await new Promise((r) => setTimeout(r, 25));
        }
      };
      arrivals.length = 0;
      const [{ t0 }] = await queryRows<{ t0: number }>(ctx.ds.manager,
        `UPDATE report_alerts SET next_eval_at = now() WHERE org_id = $1 RETURNING extract(epoch FROM now())::float8 * 1000 AS t0`, [org]);
      const evaluated = await timed(() => waitUntil(async () => (await ctx.ds.query(`SELECT count(*)::int AS n FROM report_alerts WHERE org_id = $1 AND last_evaluated_at IS NOT NULL`, [org]))[0].n === alertCount, 600_000));
      await waitUntil(async () => arrivals.length >= alertCount / 2, 120_000);
      const perMinute = (alertCount / evaluated.ms) * 60_000;
      const alertLatency = summary(arrivals.map((a) => a.at - t0));
      await ctx.ds.query(`DELETE FROM report_alerts WHERE org_id = $1`, [org]);

      // Latency: schedules whose tick comes due at a known instant, as at a cron minute.
      const schedules: string[] = [];
      for (let i = 0; i < scheduleCount; i++) schedules.push((await call('POST', `/v1/reports/saved/${report.id}/schedules`, { cron: '0 0 1 1 *', destination_id: dest.id, format: i % 2 ? 'csv' : 'json' })).id);
      const latencies: number[] = [];
      for (let r = 0; r < tickRounds; r++) {
        arrivals.length = 0;
        const tick = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000);
        await ctx.ds.query(`UPDATE report_schedules SET next_run_at = $2 WHERE org_id = $1`, [org, tick]);
        await waitUntil(async () => arrivals.length >= scheduleCount, 60_000);
        latencies.push(...arrivals.map((a) => a.at - tick.getTime()));
      }
      const tickLatency = summary(latencies);

      const baseline = summary(await repeat(ctx.scale.samples, () => call('POST', `/v1/reports/saved/${report.id}/run`)));
      const baselinePerMinute = 60_000 / baseline.p50;
      const ms = (x: number) => `${round(x, 0)} ms`;
      const figures: Figure[] = [
        {
          name: 'alerts evaluated per minute (one instance)',
          bar: '≥ 1,000 alerts evaluated per minute (stated for 1,000 alerts due at once)',
          figure: `${alertCount} alerts due at once evaluated in ${round(evaluated.ms / 1000, 1)} s: ${round(perMinute, 0)} per minute; their ${alertCount / 2} firing deliveries arrived p50 ${ms(alertLatency.p50)}, p95 ${ms(alertLatency.p95)} after they came due`,
          baseline: `the watched saved report run through the API one after another: p50 ${round(baseline.p50, 1)} ms (${round(baselinePerMinute, 0)} per minute)`,
          ratio: round(perMinute / 1000, 2),
          ratioLabel: 'alerts per minute ÷ 1,000 (the bar)',
          pass: perMinute >= 1000,
          details: { alerts: alertCount, evaluate_ms: round(evaluated.ms, 0), per_minute: round(perMinute, 0), alert_delivery_p95_ms: alertLatency.p95, baseline_run_p50_ms: baseline.p50, baseline_per_minute: round(baselinePerMinute, 0) },
        },
        {
          name: 'scheduled delivery after its tick',
          bar: 'a delivery to a local receiver p95 ≤ 2 s after its tick',
          figure: `${scheduleCount} schedules × ${tickRounds} ticks (json and csv): p50 ${ms(tickLatency.p50)}, p95 ${ms(tickLatency.p95)}, max ${ms(tickLatency.max)} (n=${tickLatency.n})`,
          baseline: `the report run alone through the API: p50 ${round(baseline.p50, 1)} ms; the worker's interval: 1000 ms`,
          ratio: round(tickLatency.p95 / 2000, 2),
          ratioLabel: 'p95 ÷ 2 s (the bar)',
          pass: tickLatency.p95 <= 2000,
          details: { samples: tickLatency.n, p50_ms: tickLatency.p50, p95_ms: tickLatency.p95, max_ms: tickLatency.max },
        },
      ];
      return figures;
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  },
};
