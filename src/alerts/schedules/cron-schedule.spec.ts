import { cronProblem, nextTick } from './cron-schedule.js';

function ticks(expression: string, timezone: string, from: string, n: number): string[] {
  const out: string[] = [];
  let at = new Date(from);
  for (let i = 0; i < n; i++) {
    at = nextTick(expression, timezone, at)!;
    out.push(at.toISOString());
  }
  return out;
}

describe('cron schedules with a time zone', () => {
  it('runs a 02:30 schedule once on a spring-forward day (Berlin, 2026-03-29: 02:00 → 03:00)', () => {
    expect(ticks('30 2 * * *', 'Europe/Berlin', '2026-03-27T12:00:00Z', 3)).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 02:30 does not exist: once, at 03:00 CEST
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it('runs a 02:30 schedule once on a fall-back day (Berlin, 2026-10-25: 02:00–03:00 happens twice)', () => {
    expect(ticks('30 2 * * *', 'Europe/Berlin', '2026-10-23T12:00:00Z', 3)).toEqual([
      '2026-10-24T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T00:30:00.000Z', // the first 02:30 (CEST) only
      '2026-10-26T01:30:00.000Z', // 02:30 CET
    ]);
  });

  it('runs a US schedule in the gap once (New York, 2026-03-08: 02:00 → 03:00)', () => {
    expect(ticks('30 2 * * *', 'America/New_York', '2026-03-07T12:00:00Z', 2)).toEqual([
      '2026-03-08T07:00:00.000Z', // 03:00 EDT
      '2026-03-09T06:30:00.000Z', // 02:30 EDT
    ]);
  });

  it('keeps local wall-clock time across a DST change (09:00 Berlin is 08:00Z in winter, 07:00Z in summer)', () => {
    expect(ticks('0 9 * * 1', 'Europe/Berlin', '2026-03-20T00:00:00Z', 2)).toEqual(['2026-03-23T08:00:00.000Z', '2026-03-30T07:00:00.000Z']);
  });

  it('is strictly after the given instant', () => {
    expect(nextTick('0 * * * *', 'UTC', new Date('2026-05-01T10:00:00Z'))!.toISOString()).toBe('2026-05-01T11:00:00.000Z');
  });

  it('accepts five fields or a nickname, and refuses seconds and garbage', () => {
    expect(cronProblem('*/15 * * * *')).toBeNull();
    expect(cronProblem('@daily')).toBeNull();
    expect(cronProblem('*/5 * * * * *')).toMatch(/five fields/);
    expect(cronProblem('61 * * * *')).toMatch(/does not parse/);
    expect(cronProblem('')).toMatch(/five fields/);
  });
});
