import { createHmac, timingSafeEqual } from 'node:crypto';
import { isRfc3339 } from '#src/common/validation/validators.js';

/**
 * The opaque keyset cursor of GET /v1/apps/{app_id}/runs.
 *
 * It carries the position (created_at with its full microsecond precision, and id) and pins the
 * listing it belongs to: the app, the window, and the instant "now" the first page was computed
 * at, so every later page reads the same window (a run near the window's old edge cannot slip out
 * between pages, and the histogram of every page is the first page's).
 *
 * It is signed with a server key (HMAC-SHA256, CursorSigner): an altered, hand-made or foreign
 * cursor is a clean 400 instead of a silently different page. An unkeyed digest would let a
 * client forge one that moves the pinned "now" and so the window anywhere in time (past the
 * 30-day limit). Every query is still scoped by the caller's org and the path's app in the SQL.
 */
export interface AppRunsCursor {
  appId: string;
  windowMs: number;
  windowText: string;
  /** RFC 3339 instant the first page was computed at. */
  now: string;
  /** The last row of the previous page: its created_at (lossless RFC 3339) and id (uuid). */
  createdAt: string;
  id: string;
}

const DOMAIN = 'factline:list_app_runs:cursor:v1\n';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function digest(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(DOMAIN).update(payload).digest().subarray(0, 16);
}

export function encodeCursor(c: AppRunsCursor, key: Buffer): string {
  const payload = JSON.stringify({ v: 1, a: c.appId, w: c.windowMs, wt: c.windowText, n: c.now, t: c.createdAt, i: c.id });
  return `${Buffer.from(payload).toString('base64url')}.${digest(key, payload).toString('base64url')}`;
}

/** The cursor, or null when it is not one encodeCursor made with this key (malformed, altered, foreign). */
export function decodeCursor(text: string, key: Buffer): AppRunsCursor | null {
  const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{22})$/.exec(text);
  if (!m) return null;
  const payload = Buffer.from(m[1], 'base64url').toString('utf8');
  const given = Buffer.from(m[2], 'base64url');
  if (given.length !== 16 || !timingSafeEqual(given, digest(key, payload))) return null;
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof p !== 'object' || p === null || p.v !== 1) return null;
  const { a, w, wt, n, t, i } = p;
  if (typeof a !== 'string' || !UUID.test(a) || typeof i !== 'string' || !UUID.test(i)) return null;
  if (typeof w !== 'number' || !Number.isSafeInteger(w) || w <= 0 || typeof wt !== 'string') return null;
  if (!isRfc3339(n) || !isRfc3339(t)) return null;
  return { appId: a, windowMs: w, windowText: wt, now: n, createdAt: t, id: i };
}
