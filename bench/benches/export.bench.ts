import QueryStream from 'pg-query-stream';
import pg from 'pg';
import { compileReportQuery } from '#src/reporting/query/report-query.compile.js';
import { planReportQuery } from '#src/reporting/query/report-query.plan.js';
import { validateReportQuery } from '#src/reporting/query/report-query.validate.js';
import type { Bench } from '../support/context.js';
import { round, timed } from '../support/stats.js';

const DAY_MS = 86_400_000;
const MB = 1024 * 1024;

/**
 * SPEC §9 export: a 1M-row streaming CSV (Accept: text/csv) with the service's peak RSS growth
 * under 150 MB. One row per generation (each has its own turn). Baseline: the same compiled SQL
 * read through a cursor by a plain pg client, rows discarded — the database's share of the time.
 */
export const exportBench: Bench = {
  name: 'export',
  async run(ctx, service) {
    const org = ctx.orgs.big;
    const query = {
      dataset: 'llm_generations',
      time_range: { from: new Date(ctx.end.getTime() - 31 * DAY_MS).toISOString(), to: ctx.end.toISOString() },
      dimensions: ['turn', 'model'],
      measures: ['total_tokens'],
      limit: 1_000_000,
    };
    global.gc?.();
    const before = service.rss();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, service.rss())), 10);
    let bytes = 0;
    let lines = 0;
    const streamed = await timed(async () => {
      const res = await fetch(`${service.url}/v1/reports/query/export`, {
        method: 'POST',
        headers: { authorization: `Bearer ${org.key}`, 'content-type': 'application/json', accept: 'text/csv' },
        body: JSON.stringify({ format: 'csv', query }),
      });
      if (res.status !== 200) throw new Error(`export → ${res.status} ${await res.text()}`);
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines += 1;
      }
    });
    clearInterval(sampler);
    const growth = peak - before;

    const v = validateReportQuery(query, { maxLimit: 1_000_000 });
    if (!v.ok) throw new Error('bench export query invalid');
    const sql = compileReportQuery(v.query, org.id, v.query.limit, planReportQuery(v.query));
    const client = new pg.Client({ connectionString: ctx.databaseUrl });
    await client.connect();
    let direct = 0;
    const cursor = await timed(
      () =>
        new Promise<void>((resolve, reject) => {
          const stream = client.query(new QueryStream(sql.sql, sql.params, { batchSize: 2000 }));
          stream.on('data', () => (direct += 1));
          stream.on('end', resolve);
          stream.on('error', reject);
        }),
    );
    await client.end();
    const rows = lines - 1;
    return [{
      name: 'streaming CSV export',
      bar: '1M rows with peak RSS growth < 150 MB',
      figure: `${rows} rows, ${round(bytes / MB, 1)} MB in ${round(streamed.ms / 1000, 2)} s; service RSS ${round(before / MB)} → peak ${round(peak / MB)} MB (+${round(growth / MB, 1)} MB)`,
      baseline: `same SQL through a pg cursor, rows discarded: ${direct} rows in ${round(cursor.ms / 1000, 2)} s`,
      ratio: round(streamed.ms / cursor.ms, 2),
      ratioLabel: 'export time ÷ cursor time',
      pass: growth < 150 * MB && rows === direct,
      details: { rows, bytes, seconds: streamed.ms / 1000, rss_before_mb: before / MB, rss_peak_mb: peak / MB, rss_growth_mb: growth / MB, cursor_seconds: cursor.ms / 1000 },
    }];
  },
};
