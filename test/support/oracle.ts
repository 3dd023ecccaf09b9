/**
 * Expected report numbers computed in plain TypeScript from the records a test ingested (STYLE
 * habit 10): never from the SQL under test. Nulls mean "unknown", as in the catalog's docs.
 */

export type Value = string | number | boolean | null;
export type Row = Record<string, unknown>;

export const sum = (values: (number | null | undefined)[]): number => values.reduce<number>((a, v) => a + (v ?? 0), 0);

/** Exact decimal sum (amounts are numeric(24, 8) in the database): in units of 1e-8, then back. */
export const decimalSum = (values: number[]): number => values.reduce((a, v) => a + Math.round(v * 1e8), 0) / 1e8;

export const known = <T>(values: (T | null | undefined)[]): T[] => values.filter((v): v is T => v !== null && v !== undefined);

/** Mean of the known values; null when none is known. */
export function avg(values: (number | null | undefined)[]): number | null {
  const k = known(values);
  return k.length === 0 ? null : sum(k) / k.length;
}

/** PostgreSQL's percentile_cont: linear interpolation between the closest ranks, nulls ignored. */
export function percentileCont(values: (number | null | undefined)[], p: number): number | null {
  const k = known(values).sort((a, b) => a - b);
  if (k.length === 0) return null;
  const pos = p * (k.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const first = k[lo];
  const second = k[hi];
  return lo === hi ? first : first + (pos - lo) * (second - first);
}

export const countDistinct = (values: unknown[]): number => new Set(known(values)).size;

export const count = <T>(rows: T[], pred: (r: T) => boolean = () => true): number => rows.filter(pred).length;

/** Groups rows by the values of `key`, keeping first-seen order. */
export function groupBy<T>(rows: T[], key: (r: T) => Value[]): { key: Value[]; rows: T[] }[] {
  const groups = new Map<string, { key: Value[]; rows: T[] }>();
  for (const r of rows) {
    const k = key(r);
    const id = JSON.stringify(k);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key: k, rows: [] }));
    g.rows.push(r);
  }
  return [...groups.values()];
}

/** SPEC §6 filter semantics, null included: eq/in never match null; neq/not_in keep null. */
export function matches(v: Value, op: string, value: unknown): boolean {
  const cmp = (x: Value, y: unknown) => (typeof x === 'string' && typeof y === 'string' && /^\d{4}-/.test(y) ? Date.parse(x) - Date.parse(y) : (x as number) - (y as number));
  switch (op) {
    case 'eq': return v !== null && v === value;
    case 'neq': return v === null || v !== value;
    case 'gt': return v !== null && cmp(v, value) > 0;
    case 'gte': return v !== null && cmp(v, value) >= 0;
    case 'lt': return v !== null && cmp(v, value) < 0;
    case 'lte': return v !== null && cmp(v, value) <= 0;
    case 'in': return v !== null && (value as Value[]).includes(v);
    case 'not_in': return v === null || !(value as Value[]).includes(v);
    case 'is_null': return (v === null) === value;
    default: throw new Error(`oracle: unknown op ${op}`);
  }
}

// ---- time buckets in an IANA zone ---------------------------------------------------------

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock fields of an instant in a zone. */
function wall(ms: number, tz: string) {
  let f = partsFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    partsFormatters.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]));
  return { y: p.year, mo: p.month, d: p.day, h: p.hour, mi: p.minute, s: p.second };
}

/** The zone's UTC offset at an instant, in ms (whole seconds). */
export function offsetAt(ms: number, tz: string): number {
  const w = wall(ms, tz);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(ms / 1000) * 1000;
}

/** The instant a wall-clock time names in a zone (the times used here are never in a DST gap or overlap). */
function fromWall(y: number, mo: number, d: number, h: number, tz: string): number {
  const asUtc = Date.UTC(y, mo - 1, d, h);
  let guess = asUtc - offsetAt(asUtc, tz);
  guess = asUtc - offsetAt(guess, tz);
  return guess;
}

/** RFC 3339 with the zone's offset at that instant; "Z" for UTC. */
export function rfc3339InZone(ms: number, tz: string): string {
  if (tz === 'UTC') return new Date(ms).toISOString().replace('.000Z', 'Z');
  const off = offsetAt(ms, tz);
  // Milliseconds only when there are some (buckets never have them; a {"last"} range ends at now).
  const local = new Date(ms + off).toISOString().slice(0, ms % 1000 === 0 ? 19 : 23);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off) / 60_000;
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * Start of the hour/day/week (ISO, Monday)/month an instant falls in, in the zone, as the API
 * labels it. An hour keeps the offset the instant had, so the repeated hour of a DST fall-back
 * is two buckets (as PostgreSQL's date_trunc(field, ts, zone) does).
 */
export function bucket(iso: string, granularity: 'hour' | 'day' | 'week' | 'month', tz: string): string {
  const ms = Date.parse(iso);
  if (granularity === 'hour') {
    const off = offsetAt(ms, tz);
    const local = ms + off;
    return rfc3339InZone(local - (((local % 3_600_000) + 3_600_000) % 3_600_000) - off, tz);
  }
  const w = wall(ms, tz);
  if (granularity === 'day') return rfc3339InZone(fromWall(w.y, w.mo, w.d, 0, tz), tz);
  if (granularity === 'month') return rfc3339InZone(fromWall(w.y, w.mo, 1, 0, tz), tz);
  const weekday = (new Date(Date.UTC(w.y, w.mo - 1, w.d)).getUTCDay() + 6) % 7; // Monday = 0
  const monday = new Date(Date.UTC(w.y, w.mo - 1, w.d - weekday));
  return rfc3339InZone(fromWall(monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate(), 0, tz), tz);
}

/**
 * SPEC §11 calendar ranges, built from the bucket labels above (never from the code under test):
 * a period starts at the bucket containing now and ends at the next bucket's start; the one
 * before ends where this one starts. Years are walked month by month.
 */
export function calendarOracle(name: string, nowMs: number, tz: string): { from: string; to: string } {
  const H = 3_600_000;
  const start = (g: 'day' | 'week' | 'month', ms: number) => bucket(new Date(ms).toISOString(), g, tz);
  const next = (g: 'day' | 'week' | 'month', label: string) => start(g, Date.parse(label) + (g === 'day' ? 30 * H : g === 'week' ? 8 * 24 * H : 32 * 24 * H));
  const prev = (g: 'day' | 'week' | 'month', label: string) => start(g, Date.parse(label) - H);
  const localMonth = (label: string) => Number(label.slice(5, 7));
  const yearStart = (label: string) => {
    while (localMonth(label) !== 1) label = prev('month', label);
    return label;
  };
  const yearAfter = (label: string) => {
    for (let i = 0; i < 12; i++) label = next('month', label);
    return label;
  };
  const g = name.endsWith('day') ? 'day' : name.endsWith('week') ? 'week' : 'month';
  if (name === 'today' || name === 'this_week' || name === 'this_month') {
    const from = start(g, nowMs);
    return { from, to: next(g, from) };
  }
  if (name === 'yesterday' || name === 'last_week' || name === 'last_month') {
    const to = start(g, nowMs);
    return { from: prev(g, to), to };
  }
  const thisYear = yearStart(start('month', nowMs));
  if (name === 'this_year') return { from: thisYear, to: yearAfter(thisYear) };
  if (name === 'last_year') return { from: yearStart(prev('month', thisYear)), to: thisYear };
  throw new Error(`no calendar range ${name}`);
}

// ---- ordering as SPEC §6 describes it --------------------------------------------------

/** Compares two cells: nulls last ascending (first descending), like the API's order. */
export function compareCells(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  // Time labels of one query share a zone but may differ in offset: compare instants.
  if (typeof a === 'string' && typeof b === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(a) && /^\d{4}-\d{2}-\d{2}T/.test(b)) return Date.parse(a) - Date.parse(b);
  return String(a) < String(b) ? -1 : 1;
}

/** Sorts rows by (column, direction) keys in turn. */
export function sortRows<T extends Row>(rows: T[], keys: [string, 'asc' | 'desc'][]): T[] {
  return [...rows].sort((x, y) => {
    for (const [k, dir] of keys) {
      // Nulls last when ascending, first when descending (PostgreSQL's default).
      const c = compareCells(x[k], y[k]);
      if (c !== 0) return dir === 'asc' ? c : -c;
    }
    return 0;
  });
}

/** What a dataset's hourly rollup covers, as GET /v1/reports/catalog publishes it. */
export interface RollupCoverage {
  dimensions: string[];
  measures: string[];
}

const HOUR = 3_600_000;
const TIME_BUCKETS = ['hour', 'day', 'week', 'month'];

/**
 * SPEC §6 Rollups and §15, restated: the rollup takes part when every dimension (time buckets
 * aside), filter field and measure is one it covers and time buckets start on whole UTC hours in
 * the zone (its offset a whole number of hours all through the range). Then a range on whole UTC
 * hours is the rollup's alone; one that starts or ends within an hour but holds at least one
 * whole hour is `rollup+facts`. The facts answer anything else.
 */
export function servedBy(
  q: { time_range: { from: string; to: string }; dimensions?: string[]; measures?: string[]; filters?: { field: string }[]; timezone?: string },
  coverage: RollupCoverage,
): 'rollup' | 'rollup+facts' | 'facts' {
  const from = Date.parse(q.time_range.from);
  const to = Date.parse(q.time_range.to);
  const dims = (q.dimensions ?? []).filter((d) => !TIME_BUCKETS.includes(d));
  const covered = dims.every((d) => coverage.dimensions.includes(d))
    && (q.filters ?? []).every((f) => coverage.dimensions.includes(f.field))
    && (q.measures ?? []).every((m) => coverage.measures.includes(m));
  if (!covered) return 'facts';
  if ((q.dimensions ?? []).some((d) => TIME_BUCKETS.includes(d))) {
    for (let t = from; t <= to; t += HOUR) if (offsetAt(t, q.timezone ?? 'UTC') % HOUR !== 0) return 'facts';
    if (offsetAt(to, q.timezone ?? 'UTC') % HOUR !== 0) return 'facts';
  }
  const firstWhole = from % HOUR === 0 ? from : from - (((from % HOUR) + HOUR) % HOUR) + HOUR;
  const lastWhole = to - (((to % HOUR) + HOUR) % HOUR);
  if (firstWhole >= lastWhole) return 'facts';
  return from === firstWhole && to === lastWhole ? 'rollup' : 'rollup+facts';
}
