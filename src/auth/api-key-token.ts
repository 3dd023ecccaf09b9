import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `fl_` + 32 random bytes in base64url (256 bits, SPEC §2). */
export const API_KEY_PATTERN = /^fl_[A-Za-z0-9_-]{43}$/;

export function generateApiKey(): string {
  return `fl_${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time comparison of two key hashes. */
export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What may be shown of a key after creation: enough to tell keys apart, useless to an attacker. */
export function keyHint(token: string): string {
  return `${token.slice(0, 7)}…`;
}
