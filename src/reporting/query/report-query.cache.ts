import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Counter, Gauge } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '#src/config/app-config.js';
import { MetricsService } from '#src/metrics/metrics.service.js';
import type { ServedBy } from './report-query.plan.js';
import type { ResolvedQuery } from './report-query.types.js';

/** What a cached answer keeps: everything of a result but its freshness, which is read on every call. */
export interface CachedAnswer {
  columns: { name: string; kind: 'dimension' | 'measure' }[];
  rows: Record<string, unknown>[];
  served_by: ServedBy;
  truncated: boolean;
}

/**
 * The normalized query: everything the answer depends on, by catalog name, with the resolved
 * absolute range and the defaults applied by validation. Filters are ANDed, so their order (and
 * that of an `in` list) does not change the answer and is sorted out of the key.
 */
export function normalizedQuery(query: ResolvedQuery, servedBy: ServedBy): string {
  const filters = query.filters
    .map((f) => JSON.stringify([f.field.name, f.op, Array.isArray(f.value) ? [...f.value].map((v) => JSON.stringify(v)).sort() : f.value ?? null]))
    .sort();
  // One entry per field of ResolvedQuery, so a field added there fails to compile until it is
  // either part of the key or said here not to change the answer.
  const parts: { [K in keyof Required<ResolvedQuery>]: unknown } = {
    dataset: query.dataset.name,
    from: query.from.toISOString(),
    to: query.to.toISOString(),
    rangeText: null, // only the echo of time_range, which is not cached
    dimensions: query.dimensions.map((d) => d.name),
    measures: query.measures.map((m) => m.name),
    rowCountOnly: query.rowCountOnly,
    filters,
    orderBy: query.orderBy.map((o) => [o.kind, o.column, o.direction]),
    limit: query.limit,
    timezone: query.timezone,
    fill: query.fill ?? null,
    exact: query.exact ?? false,
    compare: query.compare ? [query.compare.mode, query.compare.from.toISOString(), query.compare.to.toISOString()] : null,
    cumulative: query.cumulative ?? null,
    top: query.top ? [query.top.dimension.name, query.top.n, query.top.by, query.top.other] : null,
  };
  return JSON.stringify([parts.dataset, parts.from, parts.to, parts.dimensions, parts.measures, parts.rowCountOnly, parts.filters, parts.orderBy, parts.limit, parts.timezone, parts.fill, parts.exact, parts.compare, parts.cumulative, parts.top, servedBy]);
}

/**
 * SPEC §15 result cache, in process: keyed by (org, the dataset's projection watermark, the
 * normalized query). A projected change moves the watermark, so the next identical query misses;
 * the org is in the key, so an answer is never served to another org. Each instance keeps its own
 * cache; all key by the same watermark in PostgreSQL, so none serves an answer older than the
 * facts another instance's projector wrote. Bounded by entries and by approximate bytes (LRU).
 */
@Injectable()
export class ReportQueryCache {
  private readonly lru?: LRUCache<string, CachedAnswer>;
  private readonly lookups: Counter<'outcome'>;
  private readonly evictions: Counter;

  constructor(@Inject(APP_CONFIG) config: AppConfig, metrics: MetricsService) {
    const registers = [metrics.registry];
    this.lookups = new Counter({ name: 'factline_report_cache_lookups_total', help: 'Report query result cache lookups by outcome (hit, miss)', labelNames: ['outcome'], registers });
    this.evictions = new Counter({ name: 'factline_report_cache_evictions_total', help: 'Report query results evicted from the cache to stay within its entry and byte bounds', registers });
    for (const outcome of ['hit', 'miss']) this.lookups.inc({ outcome }, 0);
    const { cacheMaxEntries: max, cacheMaxBytes: maxSize } = config.query;
    if (max > 0) {
      this.lru = new LRUCache<string, CachedAnswer>({
        max, maxSize,
        // The JSON length of the answer plus its key: a close, cheap estimate of what it holds.
        sizeCalculation: (value, key) => Math.max(1, key.length + JSON.stringify(value.rows).length + 64 * value.columns.length),
        dispose: (_value, _key, reason) => {
          if (reason === 'evict') this.evictions.inc();
        },
      });
    }
    const lru = this.lru;
    new Gauge({ name: 'factline_report_cache_entries', help: 'Report query results held in the cache', registers, collect() { this.set(lru?.size ?? 0); } });
    new Gauge({ name: 'factline_report_cache_bytes', help: 'Approximate size of the cached report query results, in bytes', registers, collect() { this.set(lru?.calculatedSize ?? 0); } });
  }

  get enabled(): boolean {
    return this.lru !== undefined;
  }

  key(orgId: string, watermark: string, normalized: string): string {
    return `${orgId}\n${watermark}\n${normalized}`;
  }

  get(key: string): CachedAnswer | undefined {
    if (!this.lru) return undefined;
    const hit = this.lru.get(key);
    this.lookups.inc({ outcome: hit ? 'hit' : 'miss' });
    return hit;
  }

  set(key: string, answer: CachedAnswer): void {
    if (!this.lru) return;
    // Shared by every later hit: frozen, so a caller that changed a row would fail loudly, not corrupt them.
    for (const row of answer.rows) Object.freeze(row);
    Object.freeze(answer.rows);
    this.lru.set(key, Object.freeze(answer)); // an answer larger than the byte bound is not kept
  }
}
