import { OUTBOX_TYPES } from '#src/pipeline/pipeline.vocabulary.js';
import { orgProbeSql } from '#src/reporting/freshness/freshness.service.js';
import type { Bench, Figure } from '../support/context.js';
import { explain } from '../support/explain.js';
import { httpClient, type HttpClient } from '../support/http.js';
import { startService, type Service } from '../support/service.js';
import { repeat, round, summary, timed } from '../support/stats.js';

const DAY_MS = 86_400_000;
const METRICS = 'bench-metrics-token-0123456789';

/** The cached instance's hit and miss counters, so the figure shows the repeats were hits. */
async function lookups(service: Service): Promise<{ hit: number; miss: number }> {
  const text = await (await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } })).text();
  const value = (outcome: string) => Number(text.split('\n').find((l) => l.startsWith(`factline_report_cache_lookups_total{outcome="${outcome}"}`))?.split(' ').pop());
  return { hit: value('hit'), miss: value('miss') };
}

/** An authenticated request that reads nothing per call (the catalog): the floor under any cached answer. */
async function floor(client: HttpClient, key: string): Promise<void> {
  const res = await client.json('GET', '/v1/reports/catalog', key);
  if (res.status !== 200) throw new Error(`catalog → ${res.status}`);
}

/** The query through the lean client (support/http.ts). */
async function lean(client: HttpClient, key: string, query: object): Promise<{ rows: unknown[] }> {
  const res = await client.json('POST', '/v1/reports/query', key, query);
  if (res.status !== 200) throw new Error(`query → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { rows: unknown[] };
}

async function api(service: Service, key: string, query: object): Promise<{ rows: unknown[] }> {
  const res = await fetch(`${service.url}/v1/reports/query`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(query),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`query → ${res.status} ${JSON.stringify(body)}`);
  return body as { rows: unknown[] };
}

/**
 * SPEC §16 "cached repeat of a query: p95 ≤ 5 ms" (SPEC §15 result cache): the same 30-day
 * day × model query through the API of an instance with the cache on (every call after the first
 * a hit) and of the shared bench instance, which runs with it off (every call runs the query),
 * interleaved so both see the same machine; and the probe every call makes before its cache
 * lookup (freshness + watermarks of the org, read by the key's statement on the query route)
 * timed alone, against the query it saves. Then the bar's figure:
 * the same hit repeated back to back. The client is undici's `request` on a keep-alive pool
 * (support/http.ts); the interleaved hits through Node's fetch are reported beside it (fetch's
 * own cost is a sixth of the bar).
 */
export const cacheBench: Bench = {
  name: 'cache',
  async run(ctx, uncachedService): Promise<Figure[]> {
    const org = ctx.orgs.big;
    const query = {
      dataset: 'llm_generations',
      time_range: { from: new Date(ctx.end.getTime() - 30 * DAY_MS).toISOString(), to: ctx.end.toISOString() },
      dimensions: ['day', 'model'], measures: ['generation_count', 'total_tokens', 'avg_duration_ms'], limit: 10_000,
    };
    const cachedService = await startService({ DATABASE_URL: ctx.databaseUrl, REPORTING_PROJECTOR_ENABLED: 'false', REPORTING_DELIVERIES_ENABLED: 'false', REPORTING_QUERY_CACHE_MAX_ENTRIES: '1000', METRICS_TOKEN: METRICS });
    const cachedClient = httpClient(cachedService.url);
    const uncachedClient = httpClient(uncachedService.url);
    try {
      const first = await api(cachedService, org.key, query);
      const base = JSON.stringify((await api(uncachedService, org.key, query)).rows);
      if (JSON.stringify(first.rows) !== base) throw new Error('the cached instance answered differently');
      for (let i = 0; i < 3; i++) await Promise.all([api(cachedService, org.key, query), lean(cachedClient, org.key, query), lean(uncachedClient, org.key, query)]);
      const cachedMs: number[] = [];
      const fetchMs: number[] = [];
      const uncachedMs: number[] = [];
      const probeMs: number[] = [];
      const floorMs: number[] = [];
      const before = await lookups(cachedService);
      const probeSql = `SELECT * FROM (${orgProbeSql('$1::uuid', '$2::text[]')}) p`;
      const probeParams = [org.id, OUTBOX_TYPES];
      for (let i = 0; i < ctx.scale.samples; i++) {
        const hit = await timed(() => lean(cachedClient, org.key, query));
        if (JSON.stringify(hit.value.rows) !== base) throw new Error('a cached repeat answered differently');
        cachedMs.push(hit.ms);
        uncachedMs.push((await timed(() => lean(uncachedClient, org.key, query))).ms);
        probeMs.push((await timed(() => ctx.ds.query(probeSql, probeParams))).ms);
        floorMs.push((await timed(() => floor(cachedClient, org.key))).ms);
        fetchMs.push((await timed(() => api(cachedService, org.key, query))).ms);
      }
      const after = await lookups(cachedService);
      const hits = after.hit - before.hit;
      if (hits !== 2 * ctx.scale.samples || after.miss !== before.miss) throw new Error(`expected ${2 * ctx.scale.samples} hits and no miss, got ${hits} hits and ${after.miss - before.miss} misses`);
      // The same repeat back to back, nothing between the calls: what a dashboard reloading sees.
      // The interleaved loop above puts the uncached instance's 25 ms query (and its process's
      // garbage collection) beside every hit on a 2-core machine; both are reported.
      const burstMs = await repeat(5 * ctx.scale.samples, () => lean(cachedClient, org.key, query), 20);
      const end = await lookups(cachedService);
      if (end.hit - after.hit !== burstMs.length + 20 || end.miss !== after.miss) throw new Error(`expected ${burstMs.length + 20} hits and no miss in the burst, got ${end.hit - after.hit} and ${end.miss - after.miss}`);
      const burst = summary(burstMs);
      const cached = summary(cachedMs);
      const viaFetch = summary(fetchMs);
      const uncached = summary(uncachedMs);
      const probe = summary(probeMs);
      const catalog = summary(floorMs);
      const ms = (x: number) => `${round(x, 2)} ms`;
      return [{
        name: 'cached repeat (30-day day × model)',
        bar: 'cached repeat p95 ≤ 5 ms',
        figure: `API, cache on (hits, undici request), back to back: p50 ${ms(burst.p50)}, p95 ${ms(burst.p95)} (n=${burst.n}); interleaved with the uncached calls: p50 ${ms(cached.p50)}, p95 ${ms(cached.p95)} (n=${cached.n}), through Node's fetch: p50 ${ms(viaFetch.p50)}, p95 ${ms(viaFetch.p95)}; the org's freshness + watermark probe each call's key statement carries (SQL direct): p50 ${ms(probe.p50)}, p95 ${ms(probe.p95)}; GET /v1/reports/catalog (auth, rate limit, no query): p50 ${ms(catalog.p50)}, p95 ${ms(catalog.p95)}`,
        baseline: `the same query, cache off: p50 ${ms(uncached.p50)}, p95 ${ms(uncached.p95)}`,
        ratio: round(uncached.p95 / cached.p95, 1),
        ratioLabel: 'uncached p95 ÷ cached p95, interleaved (speed-up)',
        pass: burst.p95 <= 5,
        details: {
          burst_p50_ms: burst.p50, burst_p95_ms: burst.p95, burst_n: burst.n, cached_p50_ms: cached.p50, cached_p95_ms: cached.p95, fetch_p50_ms: viaFetch.p50, fetch_p95_ms: viaFetch.p95, uncached_p50_ms: uncached.p50, uncached_p95_ms: uncached.p95,
          probe_p50_ms: probe.p50, probe_p95_ms: probe.p95, catalog_p50_ms: catalog.p50, catalog_p95_ms: catalog.p95, hits, rows: first.rows.length,
        },
        plans: { "the org's freshness + watermark probe (read with the key on every query, hit or miss)": await explain(ctx.ds, probeSql, probeParams) },
      }];
    } finally {
      await Promise.all([cachedClient.close(), uncachedClient.close()]);
      await cachedService.stop();
    }
  },
};
