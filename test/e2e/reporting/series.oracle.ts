import { avg, bucket, percentileCont, sum } from '../../support/oracle.js';

/*
 * SPEC §11 compare, cumulative and top, computed in plain TypeScript from the facts a test
 * inserted (never by the code under test): llm_generations by an optional time bucket and an
 * optional model, with the expected previous range written out by the test.
 */

export type Gran = 'hour' | 'day' | 'week' | 'month';
export type Measure = 'generation_count' | 'total_tokens' | 'avg_duration_ms' | 'p95_duration_ms' | 'row_count';
export interface Fact {
  model: string;
  at: string;
  duration_ms: number | null;
  tokens: number;
}
export interface Range {
  from: string;
  to: string;
}
export interface SeriesQuery {
  range: Range;
  tz: string;
  time?: Gran;
  byModel: boolean;
  /** Empty: the row_count column. */
  measures: Measure[];
  fill?: boolean;
  /** The range compare should use (written out by the test). */
  previous?: Range;
  cumulative?: Measure[];
  top?: { n: number; by: Measure; other: boolean };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const VALUE: Record<Measure, (rows: Fact[]) => number | null> = {
  generation_count: (rows) => rows.length,
  row_count: (rows) => rows.length,
  total_tokens: (rows) => sum(rows.map((f) => f.tokens)),
  avg_duration_ms: (rows) => avg(rows.map((f) => f.duration_ms)),
  p95_duration_ms: (rows) => percentileCont(rows.map((f) => f.duration_ms), 0.95),
};
const ZERO_WHEN_EMPTY: Record<Measure, boolean> = { generation_count: true, row_count: true, total_tokens: true, avg_duration_ms: false, p95_duration_ms: false };

/** The bucket labels of [from, to) in the zone: from the one holding from, stepping to the next label. */
export function buckets(range: Range, g: Gran, tz: string): string[] {
  const out: string[] = [];
  let label = bucket(range.from, g, tz);
  const step = { hour: HOUR, day: 30 * HOUR, week: 8 * DAY, month: 32 * DAY }[g];
  while (Date.parse(label) < Date.parse(range.to)) {
    out.push(label);
    label = bucket(new Date(Date.parse(label) + step).toISOString(), g, tz);
  }
  return out;
}

const within = (facts: Fact[], r: Range) => facts.filter((f) => Date.parse(f.at) >= Date.parse(r.from) && Date.parse(f.at) < Date.parse(r.to));

/** Larger first, nulls last; ties to the smaller value (code-unit order). */
function topSet(facts: Fact[], n: number, by: Measure): Set<string> {
  const models = [...new Set(facts.map((f) => f.model))];
  const ranked = models.map((m) => ({ m, v: VALUE[by](facts.filter((f) => f.model === m)) }));
  ranked.sort((a, b) => (a.v === null ? (b.v === null ? 0 : 1) : b.v === null ? -1 : b.v - a.v) || (a.m < b.m ? -1 : a.m > b.m ? 1 : 0));
  return new Set(ranked.slice(0, n).map((r) => r.m));
}

export function expected(facts: Fact[], q: SeriesQuery): Record<string, unknown>[] {
  const measures: Measure[] = q.measures.length ? q.measures : ['row_count'];
  const current = within(facts, q.range);
  let label = (f: Fact) => f.model;
  let keep = (_f: Fact) => true;
  if (q.top) {
    const kept = topSet(current, q.top.n, q.top.by);
    label = (f) => (kept.has(f.model) ? f.model : '(other)');
    keep = (f) => q.top!.other || kept.has(f.model);
  }
  const key = (time: string | undefined, model: string | undefined) => JSON.stringify([time ?? null, model ?? null]);
  const aggregate = (rows: Fact[]) => {
    const groups = new Map<string, { time?: string; model?: string; rows: Fact[] }>();
    if (!q.time && !q.byModel) groups.set(key(undefined, undefined), { rows: [] });
    for (const f of rows.filter(keep)) {
      const time = q.time ? bucket(f.at, q.time, q.tz) : undefined;
      const model = q.byModel ? label(f) : undefined;
      const k = key(time, model);
      if (!groups.has(k)) groups.set(k, { time, model, rows: [] });
      groups.get(k)!.rows.push(f);
    }
    return groups;
  };
  const groups = aggregate(current);
  if (q.fill && q.time) {
    const models = q.byModel ? [...new Set([...groups.values()].map((g) => g.model))] : [undefined];
    for (const time of buckets(q.range, q.time, q.tz)) for (const model of models) if (!groups.has(key(time, model))) groups.set(key(time, model), { time, model, rows: [] });
  }
  const previous = q.previous ? aggregate(within(facts, q.previous)) : undefined;
  const rows = [...groups.values()].map((g) => {
    const row: Record<string, unknown> = {};
    if (q.time) row[q.time] = g.time;
    if (q.byModel) row.model = g.model;
    let before: Fact[] | undefined;
    if (previous) {
      const k = q.time ? buckets(q.range, q.time, q.tz).indexOf(g.time!) : -1;
      const prevTime = q.time ? buckets(q.previous!, q.time, q.tz)[k] : undefined;
      before = previous.get(key(prevTime, g.model))?.rows ?? [];
    }
    for (const m of measures) {
      const v = VALUE[m](g.rows);
      row[m] = g.rows.length === 0 && ZERO_WHEN_EMPTY[m] ? 0 : v;
      if (before) {
        const p = before.length === 0 ? (ZERO_WHEN_EMPTY[m] ? 0 : null) : VALUE[m](before);
        row[`${m}_previous`] = p;
        row[`${m}_change`] = p === null || p === 0 || row[m] === null ? null : ((row[m] as number) - p) / p;
      }
    }
    return row;
  });
  for (const m of q.cumulative ?? []) {
    const totals = new Map<string, number>();
    for (const row of [...rows].sort((a, b) => (String(a[q.time!]) < String(b[q.time!]) ? -1 : 1))) {
      const part = JSON.stringify(row.model ?? null);
      totals.set(part, (totals.get(part) ?? 0) + (row[m] as number));
      row[`${m}_cumulative`] = totals.get(part);
    }
  }
  return canonical(rows);
}

/** Rows in one order for comparing sets (collation-free): by time label (instants ascending), then model. */
export function canonical(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const k = (r: Record<string, unknown>) => {
    const t = ['hour', 'day', 'week', 'month'].find((g) => g in r);
    return [t ? Date.parse(r[t] as string) : 0, String(r.model ?? '')] as const;
  };
  return [...rows].sort((a, b) => k(a)[0] - k(b)[0] || (k(a)[1] < k(b)[1] ? -1 : k(a)[1] > k(b)[1] ? 1 : 0));
}
