import { zoneOffsetMs } from './format-time.js';

/*
 * Relative time ranges (SPEC §11), resolved to the absolute {from, to} a query runs over:
 * `{"last": "7d"}` ends at `now`; `{"calendar": "this_month"}` is the whole calendar period that
 * contains `now` in the query's zone (weeks start Monday), so its edges are the same instants
 * as the zone's day/week/month buckets, on 23- and 25-hour days too.
 */

export const LAST_PATTERN = /^([1-9]\d{0,5})([mhdw])$/;
export const LAST_UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
export const CALENDAR_RANGES = ['today', 'yesterday', 'this_week', 'last_week', 'this_month', 'last_month', 'this_year', 'last_year'] as const;
export type CalendarRange = (typeof CALENDAR_RANGES)[number];

export interface AbsoluteRange {
  from: Date;
  to: Date;
}

/** `{"last": "<n><unit>"}`: the span in ms, or undefined when the text is not one. */
export function lastSpanMs(last: unknown): number | undefined {
  const m = typeof last === 'string' ? LAST_PATTERN.exec(last) : null;
  return m ? Number(m[1]) * LAST_UNIT_MS[m[2] as keyof typeof LAST_UNIT_MS] : undefined;
}

export function lastRange(spanMs: number, now: Date): AbsoluteRange {
  return { from: new Date(now.getTime() - spanMs), to: now };
}

export const isCalendarRange = (v: unknown): v is CalendarRange => typeof v === 'string' && (CALENDAR_RANGES as readonly string[]).includes(v);

/** The calendar period named, in `timezone`, around `now`: from its first instant to the next period's. */
export function calendarRange(name: CalendarRange, now: Date, timezone: string): AbsoluteRange {
  // The wall clock in the zone, as a UTC date whose fields read as local time.
  const local = new Date(now.getTime() + zoneOffsetMs(timezone, now));
  const y = local.getUTCFullYear();
  const mo = local.getUTCMonth();
  const d = local.getUTCDate();
  const sinceMonday = (local.getUTCDay() + 6) % 7;
  // Date.UTC normalises overflow (day 0, month 12), so the arithmetic is on calendar dates.
  const at = (year: number, month: number, day: number) => wallToInstant(Date.UTC(year, month, day), timezone);
  switch (name) {
    case 'today':
      return { from: at(y, mo, d), to: at(y, mo, d + 1) };
    case 'yesterday':
      return { from: at(y, mo, d - 1), to: at(y, mo, d) };
    case 'this_week':
      return { from: at(y, mo, d - sinceMonday), to: at(y, mo, d - sinceMonday + 7) };
    case 'last_week':
      return { from: at(y, mo, d - sinceMonday - 7), to: at(y, mo, d - sinceMonday) };
    case 'this_month':
      return { from: at(y, mo, 1), to: at(y, mo + 1, 1) };
    case 'last_month':
      return { from: at(y, mo - 1, 1), to: at(y, mo, 1) };
    case 'this_year':
      return { from: at(y, 0, 1), to: at(y + 1, 0, 1) };
    case 'last_year':
      return { from: at(y - 1, 0, 1), to: at(y, 0, 1) };
  }
}

/**
 * The instant a wall-clock time (given as ms of a UTC date with the local fields) has in the
 * zone. Like PostgreSQL: a wall time skipped by a spring-forward is read with the offset before
 * the change (so it lands just after the gap), an ambiguous one as the later instant.
 */
export function wallToInstant(wallMs: number, timezone: string): Date {
  const before = zoneOffsetMs(timezone, new Date(wallMs - 86_400_000));
  const after = zoneOffsetMs(timezone, new Date(wallMs + 86_400_000));
  const valid = [wallMs - before, wallMs - after].filter((t) => wallMs - zoneOffsetMs(timezone, new Date(t)) === t);
  if (valid.length === 0) return new Date(wallMs - before);
  return new Date(Math.max(...valid));
}

export const COMPARE_MODES = ['previous_period', 'previous_year'] as const;
export type CompareMode = (typeof COMPARE_MODES)[number];

/** The zone's wall clock at an instant, as the fields of a UTC date. */
const wallOf = (at: Date, timezone: string) => new Date(at.getTime() + zoneOffsetMs(timezone, at));
const isLocalMidnight = (wall: Date) => wall.getTime() % 86_400_000 === 0;
/** Date.UTC without its reading of years 0–99 as 1900–1999 (a range may start in year 1). */
function utc(year: number, month: number, day: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  d.setUTCHours(h, mi, s, ms);
  return d.getTime();
}
const daysInMonth = (year: number, month: number) => new Date(utc(year, month + 1, 0)).getUTCDate();

/**
 * SPEC §11 compare: the range the current one is compared with, in the query's zone.
 *
 * - `previous_year`: both edges one calendar year earlier on the zone's wall clock (29 February
 *   becomes 28 February), so a DST-crossing range compares with the same local dates.
 * - `previous_period`: the range of equal length just before, the length counted in the unit the
 *   range is whole in: whole calendar months (both edges at the start of a month in the zone:
 *   `{"calendar": "last_month"}`) → the same number of calendar months before, so April (30 days)
 *   compares with March (31 days); else whole local days (both edges at midnight in the zone, a
 *   week, a 23- or 25-hour day) → the same number of calendar days before; else the same
 *   duration in milliseconds before (`{"last": "24h"}`, an unaligned absolute range).
 * Time buckets pair by position, so a 31-day month's last day has nothing to pair with in a
 * 30-day one (and a shorter current range leaves the previous one's last buckets unused).
 */
export function previousRange(range: AbsoluteRange, mode: CompareMode, timezone: string): AbsoluteRange {
  const from = wallOf(range.from, timezone);
  const to = wallOf(range.to, timezone);
  const at = (wall: Date, years: number, months: number, days: number) => {
    const y = wall.getUTCFullYear() + years;
    const m = wall.getUTCMonth() + months;
    const target = new Date(utc(y, m, 1));
    const d = Math.min(wall.getUTCDate(), daysInMonth(target.getUTCFullYear(), target.getUTCMonth())) + days;
    return wallToInstant(utc(y, m, d, wall.getUTCHours(), wall.getUTCMinutes(), wall.getUTCSeconds(), wall.getUTCMilliseconds()), timezone);
  };
  if (mode === 'previous_year') return { from: at(from, -1, 0, 0), to: at(to, -1, 0, 0) };
  if (isLocalMidnight(from) && isLocalMidnight(to)) {
    if (from.getUTCDate() === 1 && to.getUTCDate() === 1) {
      const months = (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + to.getUTCMonth() - from.getUTCMonth();
      return { from: at(from, 0, -months, 0), to: range.from };
    }
    const days = Math.round((to.getTime() - from.getTime()) / 86_400_000);
    return { from: at(from, 0, 0, -days), to: range.from };
  }
  return { from: new Date(range.from.getTime() - (range.to.getTime() - range.from.getTime())), to: range.from };
}
