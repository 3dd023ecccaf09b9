/**
 * Deterministic randomness for the seeder's small, TypeScript-side choices (org ids, entity ids,
 * names, daily noise). Same seed and label → same sequence on every machine and Node version:
 * plain 32-bit integer arithmetic (Math.imul), no Math.random, no crypto.
 */
export class Prng {
  private state: number;

  constructor(seed: number, label: string) {
    this.state = hash32(`${seed}:${label}`);
  }

  /** mulberry32: uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  hex(digits: number): string {
    let out = '';
    while (out.length < digits) out += Math.floor(this.next() * 65536).toString(16).padStart(4, '0');
    return out.slice(0, digits);
  }

  /** RFC 9562 UUIDv7 layout (48-bit ms timestamp, version 7, variant 10) with seeded random bits. */
  uuidv7(ms: number): string {
    const h = ms.toString(16).padStart(12, '0') + '7' + this.hex(3) + ((this.int(0, 3) | 8).toString(16)) + this.hex(15);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

/** FNV-1a over UTF-16 code units, 32 bits: only a seed mixer, never a security hash. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Cumulative thresholds for PostgreSQL's width_bucket(u, thresholds): [0, w1, w1+w2, …], normalised. */
export function thresholds(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0) || weights.some((w) => !(w >= 0))) throw new Error('weights must be non-negative with a positive sum');
  const out: number[] = [];
  let acc = 0;
  for (const w of weights) {
    out.push(acc / total);
    acc += w;
  }
  return out;
}
