import { randomBytes } from 'node:crypto';

/** SPEC §2: public ids are `{prefix}_{32 lowercase hex}`, the hex being a UUID without dashes. */
export const ID_PREFIXES = [
  'org', 'session', 'event', 'gen', 'ledger', 'agent', 'user', 'harness', 'app', 'appchan', 'apprun',
  'turn', 'principal', 'budget', 'key', 'price',
  // Re-pricing work, as an outbox row names it in diagnostics (SPEC §10).
  'reprice',
  // Alerts and scheduled deliveries (SPEC §14).
  'dest', 'sched', 'alert', 'delivery',
] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number];

const HEX32 = /^[0-9a-f]{32}$/;

/** `app_0190…` → `0190…-…` (a canonical UUID string), or null when malformed or of another prefix. */
export function parsePublicId(prefix: IdPrefix, value: unknown): string | null {
  if (typeof value !== 'string' || value.length !== prefix.length + 33) return null;
  if (!value.startsWith(`${prefix}_`)) return null;
  const hex = value.slice(prefix.length + 1);
  if (!HEX32.test(hex)) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function isPublicId(prefix: IdPrefix, value: unknown): boolean {
  return parsePublicId(prefix, value) !== null;
}

export function toPublicId(prefix: IdPrefix, uuid: string): string {
  return `${prefix}_${uuid.replace(/-/g, '').toLowerCase()}`;
}

/** toPublicId in SQL: the uuid column `column` rendered as a public id (prefix from code constants only). */
export const publicIdSql = (prefix: IdPrefix, column: string) => `'${prefix}_' || replace(${column}::text, '-', '')`;

/** RFC 9562 UUIDv7: 48-bit unix ms timestamp, version 7, variant 10, random rest. */
export function uuidv7(now: number = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function newPublicId(prefix: IdPrefix, now?: number): string {
  return toPublicId(prefix, uuidv7(now));
}

const UUID_ANY_CASE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Saved reports use plain UUIDs in paths, in any case (SPEC §2); returns the lowercase form. */
export function parseUuid(value: unknown): string | null {
  return typeof value === 'string' && UUID_ANY_CASE.test(value) ? value.toLowerCase() : null;
}
