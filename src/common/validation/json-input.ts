/** Reading parsed, untrusted JSON: helpers that take any value and never throw. */

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A key as a JSON pointer segment (RFC 6901: ~ → ~0, / → ~1). */
export const pointerSegment = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** A value for a message: short, and never a deep stringify of arbitrary input (it could overflow the stack). */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === undefined) return 'nothing';
  return Array.isArray(v) ? 'an array' : 'an object';
}
