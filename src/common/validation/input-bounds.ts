import { pointerSegment } from './json-input.js';
import { getMetadataStorage } from 'class-validator';
import type { FieldError } from '#src/common/problem-details/problem.js';
import { nestedTypeOf } from './fast-check.js';

/** Text PostgreSQL stores exactly as sent: no NUL (text and jsonb refuse it), no lone surrogate (it would come back as U+FFFD). */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}


/**
 * Pointers of every string (and object key) in a parsed JSON body that the database cannot store,
 * at most `max` of them. Iterative: bodies are depth-limited at the parser, but no recursion is
 * needed to walk them.
 */
export function unstorableStrings(body: unknown, max = 100): FieldError[] {
  const out: FieldError[] = [];
  const stack: [unknown, string][] = [[body, '']];
  while (stack.length > 0 && out.length < max) {
    const [value, pointer] = stack.pop()!;
    if (typeof value === 'string') {
      if (!isStorableText(value)) out.push({ pointer, message: 'must be valid Unicode text without NUL characters (U+0000) or unpaired surrogates' });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${pointer}/${i}`]);
    } else if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i];
        if (!isStorableText(key)) out.push({ pointer: `${pointer}/${pointerSegment(key)}`, message: 'field names must be valid Unicode text without NUL characters or unpaired surrogates' });
        stack.push([(value as Record<string, unknown>)[key], `${pointer}/${pointerSegment(key)}`]);
      }
    }
  }
  return out;
}

interface Bounds {
  /** property → its ArrayMaxSize */
  max: Map<string, number>;
  /** properties validated as nested objects (ValidateNested) */
  nested: string[];
}
const boundsCache = new Map<Function, Bounds>();

function boundsOf(type: Function): Bounds {
  let b = boundsCache.get(type);
  if (!b) {
    b = { max: new Map(), nested: [] };
    for (const m of getMetadataStorage().getTargetValidationMetadatas(type, '', true, false)) {
      if (m.name === 'arrayMaxSize' && typeof m.constraints?.[0] === 'number') b.max.set(m.propertyName, m.constraints[0]);
      if (m.type === 'nestedValidation' && !b.nested.includes(m.propertyName)) b.nested.push(m.propertyName);
    }
    boundsCache.set(type, b);
  }
  return b;
}

/**
 * Arrays longer than their DTO's ArrayMaxSize, found before any element is validated or
 * transformed: class-validator checks every element (and lists every error) before it applies
 * the size cap, so 100,000 empty records cost seconds of event loop and a response of
 * megabytes. Walks the parsed body down its ValidateNested properties (their @Type), so an
 * app's 60,000 channels are caught too.
 */
export function oversizedArrays(value: unknown, type: Function | undefined = (value as object | null)?.constructor, pointer = '', out: FieldError[] = []): FieldError[] {
  if (value === null || typeof value !== 'object' || !type || type === Object) return out;
  const bounds = boundsOf(type);
  const record = value as Record<string, unknown>;
  for (const [prop, max] of bounds.max) {
    const v = record[prop];
    if (Array.isArray(v) && v.length > max) {
      out.push({ pointer: `${pointer}/${pointerSegment(prop)}`, message: `${prop} has ${v.length} items; at most ${max} are allowed` });
    }
  }
  if (out.length > 0) return out;
  for (const prop of bounds.nested) {
    const v = record[prop];
    const nested = nestedTypeOf(type, prop);
    const items = Array.isArray(v) ? v : [v];
    for (let i = 0; i < items.length && out.length < 100; i++) {
      const item = items[i] as object | null;
      if (item !== null && typeof item === 'object') oversizedArrays(item, nested ?? item.constructor, Array.isArray(v) ? `${pointer}/${pointerSegment(prop)}/${i}` : `${pointer}/${pointerSegment(prop)}`, out);
    }
  }
  return out;
}
