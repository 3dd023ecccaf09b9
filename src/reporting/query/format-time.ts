const formatters = new Map<string, Intl.DateTimeFormat>();

function offsetFormatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' });
    formatters.set(timezone, f);
  }
  return f;
}

const OFFSET = /^GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * An instant as RFC 3339 in an IANA zone, with that zone's offset at the instant ("Z" for UTC).
 * Only the offset comes from ICU; the wall time is the instant shifted by it, so years before
 * 1000 keep four digits (Intl's year part would print "1", and no era).
 */
export function formatInZone(date: Date, timezone: string): string {
  if (timezone === 'UTC' || timezone === 'Etc/UTC') return date.toISOString().replace('.000Z', 'Z');
  const name = offsetFormatter(timezone).formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = OFFSET.exec(name);
  if (!m?.[1]) return `${date.toISOString().slice(0, 19)}+00:00`;
  const seconds = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0));
  const local = new Date(date.getTime() + seconds * 1000).toISOString();
  // Pre-1900 local mean times have second offsets (Berlin was +00:53:28); PostgreSQL prints them alike.
  // Milliseconds only when there are some (a `{"last"}` range ends at now; buckets never have them).
  const wall = local.endsWith('.000Z') ? local.slice(0, 19) : local.slice(0, 23);
  return `${wall}${m[1]}${m[2]}:${m[3]}${m[4] ? `:${m[4]}` : ''}`;
}

/** The zone's offset from UTC at an instant, in ms (east positive), as ICU reports it. */
export function zoneOffsetMs(timezone: string, at: Date): number {
  if (timezone === 'UTC' || timezone === 'Etc/UTC') return 0;
  const name = offsetFormatter(timezone).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = OFFSET.exec(name);
  if (!m?.[1]) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0)) * 1000;
}
