import type { FieldError } from '#src/common/problem-details/problem.js';
import { decodeCursor, type AppRunsCursor } from './app-runs.cursor.js';

/**
 * Query-string rules of GET /v1/apps/{app_id}/runs (SPEC §7), as pure functions so every way a
 * value can be wrong is unit-tested. Values arrive as Fastify parsed them: a string, an array of
 * strings when the parameter is repeated, or undefined.
 */

export const WINDOW_UNITS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export type WindowUnit = keyof typeof WINDOW_UNITS;
export const DEFAULT_WINDOW = '24h';
export const MAX_WINDOW_MS = 30 * WINDOW_UNITS.d;
export const GROUP_BY_VALUES = ['hour'] as const;
export const LIMIT_MIN = 1;
export const LIMIT_MAX = 1000;
export const LIMIT_DEFAULT = 100;
export const CURSOR_MAX_LENGTH = 1000;

export interface RunWindow {
  /** As the caller wrote it (or the default), for messages. */
  text: string;
  ms: number;
}

export interface AppRunsQuery {
  window: RunWindow;
  groupBy: 'hour' | null;
  limit: number;
  /** Decoded and checked against the app and the window of this request. */
  cursor: AppRunsCursor | null;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: FieldError };

const WINDOW_SHAPE = `a positive whole number followed by m (minutes), h (hours) or d (days), e.g. 60m, 24h or 7d`;
const quote = (v: string) => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);

function fail(name: string, message: string, allowed?: string[]): { ok: false; error: FieldError } {
  return { ok: false, error: { pointer: `/query/${name}`, message, ...(allowed ? { allowed } : {}) } };
}

/** A parameter given more than once arrives as an array; anything else non-string is refused too. */
function single(name: string, raw: unknown): Parsed<string | undefined> {
  if (raw === undefined) return { ok: true, value: undefined };
  if (Array.isArray(raw)) return fail(name, `${name} was given ${raw.length} times; give it once`);
  if (typeof raw !== 'string') return fail(name, `${name} must be a string`);
  return { ok: true, value: raw };
}

/** `window`: positive integer + m|h|d, at most 30d; default 24h. Exact (BigInt) so no input overflows. */
export function parseWindow(raw: unknown, name = 'window'): Parsed<RunWindow> {
  const given = single(name, raw);
  if (!given.ok) return given;
  const text = given.value ?? DEFAULT_WINDOW;
  if (text === '') return fail(name, `${name} is empty; give ${WINDOW_SHAPE}, or omit it for the default ${DEFAULT_WINDOW}`);
  const m = /^([+-]?)(\d+)([A-Za-z]*)$/.exec(text);
  if (!m) return fail(name, `${name} must be ${WINDOW_SHAPE}; got ${quote(text)}`);
  const [, sign, digits, unit] = m;
  if (unit === '') return fail(name, `${name} needs a unit: m (minutes), h (hours) or d (days), e.g. ${digits}h; got ${quote(text)}`);
  if (!Object.prototype.hasOwnProperty.call(WINDOW_UNITS, unit)) {
    return fail(name, `${name} unit ${quote(unit)} is not supported; use m (minutes), h (hours) or d (days); got ${quote(text)}`, Object.keys(WINDOW_UNITS));
  }
  const amount = BigInt(digits);
  if (sign === '-' || amount === 0n) return fail(name, `${name} must be positive; got ${quote(text)}`);
  if (sign === '+') return fail(name, `${name} must be ${WINDOW_SHAPE} without a sign; got ${quote(text)}`);
  const ms = amount * BigInt(WINDOW_UNITS[unit as WindowUnit]);
  if (ms > BigInt(MAX_WINDOW_MS)) return fail(name, `${name} may be at most 30d (720h, 43200m); got ${quote(text)}`);
  return { ok: true, value: { text, ms: Number(ms) } };
}

/** `group_by` and its alias `groupBy`: only `hour`; both may be given only with the same value. */
export function parseGroupBy(snake: unknown, camel: unknown): Parsed<'hour' | null> {
  const a = single('group_by', snake);
  if (!a.ok) return a;
  const b = single('groupBy', camel);
  if (!b.ok) return b;
  if (a.value !== undefined && b.value !== undefined && a.value !== b.value) {
    return fail('groupBy', `group_by and groupBy are two spellings of one parameter and were given different values (${quote(a.value)} and ${quote(b.value)}); give one of them`, [...GROUP_BY_VALUES]);
  }
  const [name, value] = a.value !== undefined ? ['group_by', a.value] : ['groupBy', b.value];
  if (value === undefined) return { ok: true, value: null };
  if (value === '') return fail(name, `${name} is empty; the only supported grouping is "hour" (or omit ${name} for no histogram)`, [...GROUP_BY_VALUES]);
  if (value !== 'hour') return fail(name, `${name} must be "hour", the only supported grouping; got ${quote(value)}`, [...GROUP_BY_VALUES]);
  return { ok: true, value: 'hour' };
}

/** `limit`: a whole number 1–1000 (digits only), default 100. */
export function parseLimit(raw: unknown): Parsed<number> {
  const given = single('limit', raw);
  if (!given.ok) return given;
  if (given.value === undefined) return { ok: true, value: LIMIT_DEFAULT };
  const text = given.value;
  const range = `a whole number from ${LIMIT_MIN} to ${LIMIT_MAX}`;
  if (text === '') return fail('limit', `limit is empty; give ${range}, or omit it for the default ${LIMIT_DEFAULT}`);
  if (!/^\d+$/.test(text)) return fail('limit', `limit must be ${range}; got ${quote(text)}`);
  const n = BigInt(text);
  if (n < BigInt(LIMIT_MIN) || n > BigInt(LIMIT_MAX)) return fail('limit', `limit must be ${range}; got ${quote(text)}`);
  return { ok: true, value: Number(n) };
}

export const CURSOR_NOT_OURS = 'cursor was not issued by this API or was altered; pass next_cursor from the previous page unchanged, or omit cursor to start from the first page';

/**
 * `cursor`: one this route issued, unaltered, for this app, continuing a listing with the same
 * window as this request (compared as a duration: 1440m continues 24h). `window` is null when the
 * request's own window is invalid (that is reported on its own).
 */
export function parseCursor(raw: unknown, appId: string, window: RunWindow | null, key: Buffer): Parsed<AppRunsCursor | null> {
  const given = single('cursor', raw);
  if (!given.ok) return given;
  if (given.value === undefined) return { ok: true, value: null };
  if (given.value === '') return fail('cursor', 'cursor is empty; pass next_cursor from the previous page, or omit cursor for the first page');
  const cursor = given.value.length > CURSOR_MAX_LENGTH ? null : decodeCursor(given.value, key);
  if (!cursor) return fail('cursor', CURSOR_NOT_OURS);
  if (cursor.appId !== appId) return fail('cursor', 'cursor belongs to the run history of another app; omit cursor to start from the first page of this one');
  if (window && cursor.windowMs !== window.ms) {
    return fail('cursor', `cursor continues a listing with window=${cursor.windowText}, but this request asks for window=${window.text}; repeat the first page's window, or omit cursor to start over`);
  }
  return { ok: true, value: cursor };
}

/** Every parameter at once (appId: the path's app, as a uuid; key: the cursor key): either the parsed query or every problem found. */
export function parseAppRunsQuery(raw: Record<string, unknown>, appId: string, key: Buffer): { ok: true; value: AppRunsQuery } | { ok: false; errors: FieldError[] } {
  const window = parseWindow(raw.window);
  const groupBy = parseGroupBy(raw.group_by, raw.groupBy);
  const limit = parseLimit(raw.limit);
  const cursor = parseCursor(raw.cursor, appId, window.ok ? window.value : null, key);
  const errors = [window, groupBy, limit, cursor].flatMap((p) => (p.ok ? [] : [p.error]));
  if (!window.ok || !groupBy.ok || !limit.ok || !cursor.ok) return { ok: false, errors };
  return { ok: true, value: { window: window.value, groupBy: groupBy.value, limit: limit.value, cursor: cursor.value } };
}
