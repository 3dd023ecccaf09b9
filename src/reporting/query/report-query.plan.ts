import { rollupCovers, rollupOf } from '#src/reporting/catalog/rollup.js';
import type { ResolvedQuery } from './report-query.types.js';

export type ServedBy = 'facts' | 'rollup';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The query planner (SPEC §6 Rollups): a query is answered from the dataset's hourly rollup when
 * the rollup holds exactly what it asks for, and from the facts otherwise. The answer is the same
 * either way; only the work differs.
 *
 * The rollup can answer when every selected dimension and every filter field is a dimension it
 * keeps (time buckets aside), every measure is one it stores (not percentiles or distinct counts),
 * the time range starts and ends on whole UTC hours, and — when the query buckets time — every
 * bucket boundary in the query's time zone falls on a whole UTC hour (true for UTC and every zone
 * whose offset is a whole number of hours throughout the range; not for e.g. Asia/Kolkata). With
 * compare, the previous range must meet the same conditions. top, fill and cumulative change
 * nothing here: they wrap the same aggregation (top's ranking reads the same covered columns).
 */
export function planReportQuery(query: ResolvedQuery): ServedBy {
  const rollup = rollupOf(query.dataset);
  const kept = new Set(rollup.dimensions.map((d) => d.name));
  if (!query.dimensions.every((d) => d.type === 'time' || kept.has(d.name))) return 'facts';
  if (!query.filters.every((f) => kept.has(f.field.name))) return 'facts';
  if (!query.measures.every((m) => rollupCovers(query.dataset, m.name))) return 'facts';
  // SPEC §11 compare runs the same aggregation over the previous range: both must be servable.
  const ranges = [query, ...(query.compare ? [query.compare] : [])];
  for (const { from, to } of ranges) {
    if (from.getTime() % HOUR_MS !== 0 || to.getTime() % HOUR_MS !== 0) return 'facts';
    if (query.dimensions.some((d) => d.type === 'time') && !onWholeHours(query.timezone, from, to)) return 'facts';
  }
  return 'rollup';
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
