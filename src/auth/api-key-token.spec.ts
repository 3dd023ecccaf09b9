import { jest } from '@jest/globals';
import { API_KEY_PATTERN, generateApiKey, hashApiKey, keyHint, sameHash } from './api-key-token.js';

describe('API key tokens (SPEC §2)', () => {
  it('are 256 random bits in base64url, fl_-prefixed, never the same twice', () => {
    const keys = Array.from({ length: 1000 }, generateApiKey);
    expect(new Set(keys).size).toBe(1000);
    for (const k of keys) {
      expect(k).toMatch(API_KEY_PATTERN);
      expect(Buffer.from(k.slice(3), 'base64url')).toHaveLength(32);
    }
  });

  it('are stored as a SHA-256 digest; the hint keeps 4 of the 43 secret characters', () => {
    const k = generateApiKey();
    expect(hashApiKey(k)).toHaveLength(32);
    expect(hashApiKey(k).equals(hashApiKey(k))).toBe(true);
    expect(keyHint(k)).toBe(`${k.slice(0, 7)}…`);
  });

  it('sameHash: equal digests match; a difference in any byte or in length does not, and never throws', () => {
    const a = hashApiKey(generateApiKey());
    expect(sameHash(a, Buffer.from(a))).toBe(true);
    for (const i of [0, 15, 31]) {
      const b = Buffer.from(a);
      b[i] ^= 1;
      expect(sameHash(a, b)).toBe(false);
    }
    expect(sameHash(a, a.subarray(0, 31))).toBe(false);
    expect(sameHash(a, Buffer.alloc(0))).toBe(false);
  });

  it('sameHash compares with crypto.timingSafeEqual (constant time), not byte by byte', async () => {
    const crypto = await import('node:crypto');
    const spy = jest.fn(crypto.timingSafeEqual);
    jest.unstable_mockModule('node:crypto', () => ({ ...crypto, default: crypto, timingSafeEqual: spy }));
    // A fresh instance of the module, linked against the mocked node:crypto.
    const mocked = await import(`./api-key-token.js?timing=${Date.now()}`);
    const a = mocked.hashApiKey('fl_x');
    expect(mocked.sameHash(a, Buffer.from(a))).toBe(true);
    expect(spy).toHaveBeenCalledWith(a, Buffer.from(a));
  });
});
