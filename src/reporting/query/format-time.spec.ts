import { formatInZone } from './format-time.js';

describe('formatInZone', () => {
  const at = (iso: string, tz: string) => formatInZone(new Date(iso), tz);

  it('UTC is Z', () => {
    expect(at('2026-05-01T00:00:00Z', 'UTC')).toBe('2026-05-01T00:00:00Z');
    expect(at('2026-05-01T00:00:00.250Z', 'Etc/UTC')).toBe('2026-05-01T00:00:00.250Z');
  });

  it('the offset in force at the instant, across DST changes', () => {
    expect(at('2026-10-25T00:30:00Z', 'Europe/Berlin')).toBe('2026-10-25T02:30:00+02:00');
    expect(at('2026-10-25T01:30:00Z', 'Europe/Berlin')).toBe('2026-10-25T02:30:00+01:00');
    expect(at('2026-03-29T01:00:00Z', 'Europe/Berlin')).toBe('2026-03-29T03:00:00+02:00');
    expect(at('2026-11-01T06:00:00Z', 'America/New_York')).toBe('2026-11-01T01:00:00-05:00');
  });

  it('half- and quarter-hour zones, and zones at a zero offset', () => {
    expect(at('2026-05-01T00:00:00Z', 'Asia/Kolkata')).toBe('2026-05-01T05:30:00+05:30');
    expect(at('2026-05-01T00:00:00Z', 'Pacific/Chatham')).toBe('2026-05-01T12:45:00+12:45');
    expect(at('2026-05-01T00:00:00Z', 'America/St_Johns')).toBe('2026-04-30T21:30:00-02:30');
    expect(at('2026-01-01T00:00:00Z', 'Europe/London')).toBe('2026-01-01T00:00:00+00:00');
  });

  it('years before 1000 keep four digits; local mean time keeps its seconds', () => {
    expect(at('0001-01-01T00:00:00Z', 'UTC')).toBe('0001-01-01T00:00:00Z');
    expect(at('0001-01-01T00:00:00Z', 'Europe/Berlin')).toBe('0001-01-01T00:53:28+00:53:28');
    expect(at('0999-06-01T12:00:00Z', 'America/New_York')).toBe('0999-06-01T07:03:58-04:56:02');
  });
});
