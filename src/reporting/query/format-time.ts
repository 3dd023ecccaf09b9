const formatters = new Map<string, Intl.DateTimeFormat>();

/** An instant as RFC 3339 in an IANA zone, with that zone's offset at the instant ("Z" for UTC). */
export function formatInZone(date: Date, timezone: string): string {
  if (timezone === 'UTC' || timezone === 'Etc/UTC') return date.toISOString().replace('.000Z', 'Z');
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
      hourCycle: 'h23', timeZoneName: 'longOffset',
    });
    formatters.set(timezone, f);
  }
  const p = Object.fromEntries(f.formatToParts(date).map((x) => [x.type, x.value]));
  const offset = p.timeZoneName === 'GMT' ? '+00:00' : p.timeZoneName.replace('GMT', '');
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${offset}`;
}
