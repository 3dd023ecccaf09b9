import { rollupApproximates, rollupCovers, rollupOf, SKETCH_RELATIVE_ERROR } from '#src/reporting/catalog/rollup.js';
import type { ResolvedQuery } from './report-query.types.js';

/** Which store answers a query: the rollup, the rollup for its whole hours and the facts for its edge hours, or the facts. */
export type ServedBy = 'facts' | 'rollup' | 'rollup+facts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The query planner (SPEC §6 Rollups, §15): a query is answered from the dataset's hourly rollup
 * when the rollup holds what it asks for, and from the facts otherwise. The answer is the same
 * either way; only the work differs.
 *
 * The rollup can answer when every selected dimension and every filter field is a dimension it
 * keeps (time buckets aside), every measure is one it stores (not distinct counts; percentiles
 * approximately, from sketches — SPEC §15 — unless the query asks `exact: true`),
 * and — when the query buckets time — every bucket boundary in the query's time zone falls on a
 * whole UTC hour (true for UTC and every zone whose offset is a whole number of hours throughout
 * the range; not for e.g. Asia/Kolkata), so that bucketing a fact's hour is bucketing the fact.
 * A range on whole UTC hours is then answered from the rollup alone; one that starts or ends
 * within an hour (a dashboard's "last 7 days" at 14:37) from the rollup for its whole hours and
 * from the facts for its partial first and last hours, in one statement (`rollup+facts`) — unless
 * it holds no whole hour, when the facts answer it all. With compare, the previous range must meet
 * the same conditions (and either range with partial hours makes the plan rollup+facts). top,
 * fill and cumulative change nothing here: they wrap the same aggregation.
 */
export function planReportQuery(query: ResolvedQuery): ServedBy {
  if (query.exact) return 'facts';
  const rollup = rollupOf(query.dataset);
  const kept = new Set(rollup.dimensions.map((d) => d.name));
  if (!query.dimensions.every((d) => d.type === 'time' || kept.has(d.name))) return 'facts';
  if (!query.filters.every((f) => kept.has(f.field.name))) return 'facts';
  if (!query.measures.every((m) => rollupCovers(query.dataset, m.name))) return 'facts';
  // SPEC §11 compare runs the same aggregation over the previous range: both must be servable.
  let partial = false;
  for (const { from, to } of [query, ...(query.compare ? [query.compare] : [])]) {
    if (query.dimensions.some((d) => d.type === 'time') && !onWholeHours(query.timezone, from, to)) return 'facts';
    const { wholeFrom, wholeTo } = wholeHours(from, to);
    if (wholeFrom.getTime() >= wholeTo.getTime()) return 'facts';
    if (wholeFrom.getTime() !== from.getTime() || wholeTo.getTime() !== to.getTime()) partial = true;
  }
  return partial ? 'rollup+facts' : 'rollup';
}

/** The whole UTC hours of [from, to): from the first hour that starts at or after `from` to the last that ends at or before `to` (empty when wholeFrom ≥ wholeTo). */
export function wholeHours(from: Date, to: Date): { wholeFrom: Date; wholeTo: Date } {
  return { wholeFrom: new Date(Math.ceil(from.getTime() / HOUR_MS) * HOUR_MS), wholeTo: new Date(Math.floor(to.getTime() / HOUR_MS) * HOUR_MS) };
}

/** SPEC §15: a measure answered approximately, and its bound relative to the exact value. */
export interface Approximation {
  measure: string;
  relative_error: number;
}

/** The query's measures that the chosen path answers approximately (percentiles from the rollup's sketches). */
export function approximations(query: ResolvedQuery, servedBy: ServedBy): Approximation[] {
  if (servedBy === 'facts') return [];
  return query.measures.filter((m) => rollupApproximates(query.dataset, m.name)).map((m) => ({ measure: m.name, relative_error: SKETCH_RELATIVE_ERROR }));
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** The zone's UTC offset at an instant, in minutes. */
function offsetMinutes(timezone: string, at: Date): number {
  let f = offsetFormats.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' });
    offsetFormats.set(timezone, f);
  }
  const name = f.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):(\d{2})(?::(\d{2}))?/.exec(name);
  if (!m) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3]) + Number(m[4] ?? 0) / 60;
  return m[1] === '-' ? -minutes : minutes;
}

/**
 * Is the zone's offset a whole number of hours at every instant of [from, to]? Offsets change a
 * few times a year at most, so sampling the ends and every day between finds any part-hour
 * stretch (they last months).
 */
export function onWholeHours(timezone: string, from: Date, to: Date): boolean {
  if (timezone === 'UTC' || timezone === 'Etc/UTC') return true;
  for (let t = from.getTime(); ; t += DAY_MS) {
    const at = Math.min(t, to.getTime());
    if (offsetMinutes(timezone, new Date(at)) % 60 !== 0) return false;
    if (at === to.getTime()) return true;
  }
}
