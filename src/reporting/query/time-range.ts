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
