// Range presets and zone arithmetic in one module (cf. plausible's dashboard-time-periods): the
// URL keeps the absolute range a preset produced, so a link reproduces the exact view.

export type Preset = 'last_24h' | 'last_7d' | 'last_30d' | 'this_month';
export const PRESETS: { id: Preset; label: string }[] = [
  { id: 'last_24h', label: 'Last 24 hours' },
  { id: 'last_7d', label: 'Last 7 days' },
  { id: 'last_30d', label: 'Last 30 days' },
  { id: 'this_month', label: 'This month' },
];

const HOUR = 3_600_000;

/** Offset of `zone` from UTC at instant `t`, in ms (wall clock − UTC). */
const partFormats = new Map<string, Intl.DateTimeFormat>();

export function zoneOffset(t: number, zone: string): number {
  let f = partFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    partFormats.set(zone, f);
  }
  const parts = f.formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(t / 1000) * 1000;
}

/**
 * The UTC instant of a wall-clock time in `zone`. Two guesses settle any offset change; when the
 * wall time does not exist (a DST gap, e.g. Santiago's midnight on its spring-forward day), the
 * first instant after the gap.
 */
function wallToInstant(wall: number, zone: string): number {
  const t1 = wall - zoneOffset(wall, zone);
  if (t1 + zoneOffset(t1, zone) === wall) return t1;
  const t2 = wall - zoneOffset(t1, zone);
  if (t2 + zoneOffset(t2, zone) === wall) return t2;
  return Math.max(t1, t2);
}

export const zonedInstant = (y: number, m: number, d: number, zone: string): number => wallToInstant(Date.UTC(y, m, d), zone);

export function isValidZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * `last_*` end at the next whole hour so a range starts on an hour (the rollup can answer it);
 * `this_month` starts at local midnight of the 1st in the query's zone.
 */
export function presetRange(preset: Preset, zone: string, now = Date.now()): { from: string; to: string } {
  const to = Math.ceil(now / HOUR) * HOUR;
  const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
  switch (preset) {
    case 'last_24h':
      return { from: iso(to - 24 * HOUR), to: iso(to) };
    case 'last_7d':
      return { from: iso(to - 7 * 24 * HOUR), to: iso(to) };
    case 'last_30d':
      return { from: iso(to - 30 * 24 * HOUR), to: iso(to) };
    case 'this_month': {
      const local = new Date(now + zoneOffset(now, zone));
      return { from: iso(zonedInstant(local.getUTCFullYear(), local.getUTCMonth(), 1, zone)), to: iso(to) };
    }
  }
}

/** Which preset (if any) produced this range, so the picker shows it after a reload. */
export function presetOf(range: { from: string; to: string }, zone: string, now = Date.now()): Preset | 'custom' {
  for (const p of PRESETS) {
    const r = presetRange(p.id, zone, now);
    if (r.from === range.from && r.to === range.to) return p.id;
  }
  return 'custom';
}

/** `<input type="datetime-local">` value of an instant, in the zone, and back. */
export function toLocalInput(iso: string, zone: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  return new Date(t + zoneOffset(t, zone)).toISOString().slice(0, 16);
}

export function fromLocalInput(value: string, zone: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  return new Date(wallToInstant(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]), zone)).toISOString().replace('.000Z', 'Z');
}
