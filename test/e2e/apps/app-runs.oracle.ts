import { newPublicId } from '#src/common/ids/public-id.js';

/**
 * Plain-TS expectations for the app-run history tests: what the route should answer, computed
 * from the records the test ingested — never from the SQL under test. Times are handled in
 * microseconds (BigInt) because PostgreSQL keeps them and the route must too.
 */

export const HOUR_MS = 3_600_000;

export interface Run {
  id: string;
  app_id: string;
  channel_id: string;
  status: 'ok' | 'err' | 'running';
  created_at: string;
  completed_at?: string | null;
}

export interface Channel {
  id: string;
  type: string;
  name?: string | null;
}

export function appRecord(channels: Channel[], name = 'Support bot') {
  return { id: newPublicId('app'), name, channels };
}

export function channel(type: string, name?: string | null): Channel {
  return { id: newPublicId('appchan'), type, ...(name === undefined ? {} : { name }) };
}

export function run(app: { id: string }, ch: Channel, status: Run['status'], createdAt: string, completedAt?: string | null): Run {
  return {
    id: newPublicId('apprun'),
    app_id: app.id,
    channel_id: ch.id,
    status,
    created_at: createdAt,
    ...(completedAt === undefined ? {} : { completed_at: completedAt }),
  };
}

/** RFC 3339 with a Z offset and up to 6 fractional digits → microseconds since the epoch. */
export function micros(t: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/.exec(t);
  if (!m) throw new Error(`test times are UTC with at most 6 fractional digits: ${t}`);
  return BigInt(Date.parse(`${m[1]}Z`)) * 1000n + BigInt((m[2] ?? '').padEnd(6, '0'));
}

/** The instant as the route writes it: UTC, fraction without trailing zeros, none for whole seconds. */
export function wire(t: string): string {
  const us = micros(t);
  const fraction = (us % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${new Date(Number(us / 1_000_000n) * 1000).toISOString().slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
}

export const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** SPEC §7: a run is in the window when now − window ≤ created_at ≤ now. */
export function inWindow(r: Run, nowMs: number, windowMs: number): boolean {
  const t = micros(r.created_at);
  return t >= BigInt(nowMs - windowMs) * 1000n && t <= BigInt(nowMs) * 1000n;
}

/** Newest first; equal created_at broken by id, descending. */
export function newestFirst(runs: Run[]): Run[] {
  return [...runs].sort((a, b) => {
    const d = micros(b.created_at) - micros(a.created_at);
    if (d !== 0n) return d > 0n ? 1 : -1;
    return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  });
}

/** The run as the route returns it, given its channel as the app currently lists it (or gone). */
export function expectedRun(r: Run, ch: Channel | undefined) {
  return {
    id: r.id,
    app_id: r.app_id,
    channel_id: r.channel_id,
    channel_name: ch?.name ?? null,
    channel_type: ch?.type ?? null,
    status: r.status,
    created_at: wire(r.created_at),
    completed_at: r.completed_at ? wire(r.completed_at) : null,
  };
}

/** One bucket per UTC hour from the hour of now − window through the hour of now, zero-filled. */
export function expectedBuckets(runs: Run[], nowMs: number, windowMs: number) {
  const first = Math.floor((nowMs - windowMs) / HOUR_MS) * HOUR_MS;
  const last = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const buckets: { hour: string; ok: number; err: number; running: number }[] = [];
  for (let h = first; h <= last; h += HOUR_MS) buckets.push({ hour: iso(h), ok: 0, err: 0, running: 0 });
  for (const r of runs) {
    if (!inWindow(r, nowMs, windowMs)) continue;
    const hour = Math.floor(Number(micros(r.created_at) / 1000n) / HOUR_MS) * HOUR_MS;
    buckets[(hour - first) / HOUR_MS][r.status] += 1;
  }
  return buckets;
}
