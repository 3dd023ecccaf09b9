import { calendarRange, CALENDAR_RANGES, type CalendarRange, lastRange, lastSpanMs, previousRange } from './time-range.js';

/*
 * The oracle: instants written out by hand from the zones' published rules, not computed.
 * Europe/Berlin: CET +01:00, CEST +02:00 from 2026-03-29 02:00 local (a 23-hour day) to
 * 2026-10-25 03:00 local (a 25-hour day). America/New_York: EST −05:00, EDT −04:00 from
 * 2026-03-08 02:00 local (23 hours) to 2026-11-01 02:00 local (25 hours).
 */
const range = (name: CalendarRange, now: string, tz: string) => {
  const r = calendarRange(name, new Date(now), tz);
  return { from: r.from.toISOString(), to: r.to.toISOString() };
};
const iso = (from: string, to: string) => ({ from: new Date(from).toISOString(), to: new Date(to).toISOString() });

describe('calendar ranges (SPEC §11)', () => {
  it('UTC: every name around a Wednesday', () => {
    const now = '2026-05-13T10:00:00Z';
    expect(Object.fromEntries(CALENDAR_RANGES.map((n) => [n, range(n, now, 'UTC')]))).toEqual({
      today: iso('2026-05-13T00:00:00Z', '2026-05-14T00:00:00Z'),
      yesterday: iso('2026-05-12T00:00:00Z', '2026-05-13T00:00:00Z'),
      this_week: iso('2026-05-11T00:00:00Z', '2026-05-18T00:00:00Z'),
      last_week: iso('2026-05-04T00:00:00Z', '2026-05-11T00:00:00Z'),
      this_month: iso('2026-05-01T00:00:00Z', '2026-06-01T00:00:00Z'),
      last_month: iso('2026-04-01T00:00:00Z', '2026-05-01T00:00:00Z'),
      this_year: iso('2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'),
      last_year: iso('2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    });
  });

  it('weeks start Monday: a Sunday belongs to the week before, a Monday starts one', () => {
    expect(range('this_week', '2026-05-17T23:59:59Z', 'UTC')).toEqual(iso('2026-05-11T00:00:00Z', '2026-05-18T00:00:00Z'));
    expect(range('this_week', '2026-05-18T00:00:00Z', 'UTC')).toEqual(iso('2026-05-18T00:00:00Z', '2026-05-25T00:00:00Z'));
  });

  it('the zone decides the day: 23:30 UTC is already tomorrow in Berlin and still today in New York', () => {
    expect(range('today', '2026-05-13T23:30:00Z', 'Europe/Berlin')).toEqual(iso('2026-05-14T00:00:00+02:00', '2026-05-15T00:00:00+02:00'));
    expect(range('today', '2026-05-14T02:30:00Z', 'America/New_York')).toEqual(iso('2026-05-13T00:00:00-04:00', '2026-05-14T00:00:00-04:00'));
  });

  it('Berlin: the 23-hour and the 25-hour day, and weeks and months across them', () => {
    const spring = range('today', '2026-03-29T12:00:00Z', 'Europe/Berlin');
    expect(spring).toEqual(iso('2026-03-29T00:00:00+01:00', '2026-03-30T00:00:00+02:00'));
    expect(Date.parse(spring.to) - Date.parse(spring.from)).toBe(23 * 3_600_000);
    const autumn = range('yesterday', '2026-10-26T09:00:00Z', 'Europe/Berlin');
    expect(autumn).toEqual(iso('2026-10-25T00:00:00+02:00', '2026-10-26T00:00:00+01:00'));
    expect(Date.parse(autumn.to) - Date.parse(autumn.from)).toBe(25 * 3_600_000);
    expect(range('this_week', '2026-03-29T12:00:00Z', 'Europe/Berlin')).toEqual(iso('2026-03-23T00:00:00+01:00', '2026-03-30T00:00:00+02:00'));
    expect(range('last_month', '2026-04-02T00:00:00Z', 'Europe/Berlin')).toEqual(iso('2026-03-01T00:00:00+01:00', '2026-04-01T00:00:00+02:00'));
    expect(range('this_month', '2026-10-31T23:30:00Z', 'Europe/Berlin')).toEqual(iso('2026-11-01T00:00:00+01:00', '2026-12-01T00:00:00+01:00'));
  });

  it('New York: the 23-hour and the 25-hour day, and a year', () => {
    const spring = range('today', '2026-03-08T18:00:00Z', 'America/New_York');
    expect(spring).toEqual(iso('2026-03-08T00:00:00-05:00', '2026-03-09T00:00:00-04:00'));
    expect(Date.parse(spring.to) - Date.parse(spring.from)).toBe(23 * 3_600_000);
    const autumn = range('today', '2026-11-01T12:00:00Z', 'America/New_York');
    expect(autumn).toEqual(iso('2026-11-01T00:00:00-04:00', '2026-11-02T00:00:00-05:00'));
    expect(Date.parse(autumn.to) - Date.parse(autumn.from)).toBe(25 * 3_600_000);
    // 03:00 UTC on New Year's Day is still 2025 in New York: last year is 2024 there.
    expect(range('last_year', '2026-01-01T03:00:00Z', 'America/New_York')).toEqual(iso('2024-01-01T00:00:00-05:00', '2025-01-01T00:00:00-05:00'));
  });

  it('a midnight that does not exist (Santiago springs forward at 00:00) starts the day at 01:00', () => {
    expect(range('today', '2026-09-06T15:00:00Z', 'America/Santiago')).toEqual(iso('2026-09-06T01:00:00-03:00', '2026-09-07T00:00:00-03:00'));
  });
});

describe('last ranges', () => {
  it('end at now; units m, h, d, w; anything else is not one', () => {
    const now = new Date('2026-05-10T12:00:00Z');
    expect(lastRange(lastSpanMs('90m')!, now)).toEqual({ from: new Date('2026-05-10T10:30:00Z'), to: now });
    expect(lastRange(lastSpanMs('1w')!, now)).toEqual({ from: new Date('2026-05-03T12:00:00Z'), to: now });
    expect(['7', '0d', '07d', '1y', ' 7d', 7, null].map(lastSpanMs)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('previousRange (SPEC §11 compare)', () => {
  const r = (from: string, to: string) => ({ from: new Date(from), to: new Date(to) });
  const iso = (x: { from: Date; to: Date }) => ({ from: x.from.toISOString(), to: x.to.toISOString() });
  it.each([
    // [zone, mode, from, to, previous from, previous to] — all instants in UTC
    ['Europe/Berlin', 'previous_period', '2026-03-31T22:00:00.000Z', '2026-04-30T22:00:00.000Z', '2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z'], // April → March (31 days, over the 23-hour day)
    ['Europe/Berlin', 'previous_period', '2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z', '2026-01-31T23:00:00.000Z', '2026-02-28T23:00:00.000Z'], // March → February (28 days)
    ['UTC', 'previous_period', '2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z', '2025-10-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'], // a quarter → the quarter before
    ['Europe/Berlin', 'previous_period', '2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z', '2026-03-27T23:00:00.000Z', '2026-03-28T23:00:00.000Z'], // the 23-hour day → the 24-hour day before
    ['Europe/Berlin', 'previous_period', '2026-10-25T23:00:00.000Z', '2026-11-01T23:00:00.000Z', '2026-10-18T22:00:00.000Z', '2026-10-25T23:00:00.000Z'], // a week → the week before (169 hours)
    ['Europe/Berlin', 'previous_period', '2026-03-29T10:30:00.000Z', '2026-03-29T12:30:00.000Z', '2026-03-29T08:30:00.000Z', '2026-03-29T10:30:00.000Z'], // unaligned → same duration
    ['Europe/Berlin', 'previous_year', '2026-10-19T22:00:00.000Z', '2026-10-29T23:00:00.000Z', '2025-10-19T22:00:00.000Z', '2025-10-29T23:00:00.000Z'], // same local dates a year before
    ['UTC', 'previous_year', '0001-03-01T00:00:00.000Z', '0001-04-01T00:00:00.000Z', '0000-03-01T00:00:00.000Z', '0000-04-01T00:00:00.000Z'], // years 0–99 stay themselves
    ['UTC', 'previous_period', '0001-03-01T00:00:00.000Z', '0001-04-01T00:00:00.000Z', '0001-02-01T00:00:00.000Z', '0001-03-01T00:00:00.000Z'],
    ['UTC', 'previous_year', '2028-02-29T00:00:00.000Z', '2028-03-01T00:00:00.000Z', '2027-02-28T00:00:00.000Z', '2027-03-01T00:00:00.000Z'], // 29 February → 28 February
    ['America/New_York', 'previous_period', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z', '2026-10-31T04:00:00.000Z', '2026-11-01T04:00:00.000Z'], // the 25-hour day → the day before
  ] as const)('%s %s [%s, %s) → [%s, %s)', (tz, mode, from, to, pFrom, pTo) => {
    expect(iso(previousRange(r(from, to), mode, tz))).toEqual({ from: pFrom, to: pTo });
  });
});
