import { isObject, pointerSegment, show } from '#src/common/validation/json-input.js';
import { parsePublicId } from '#src/common/ids/public-id.js';
import { isStorableText } from '#src/common/validation/input-bounds.js';
import { isRfc3339 } from '#src/common/validation/validators.js';
import { FILTER_OPS, LIMITS, type FilterFieldDef } from '#src/reporting/catalog/catalog.js';
import type { Report } from './query-input.js';
import type { ResolvedFilter } from './report-query.types.js';

/**
 * Type-checks one filter. Null semantics (documented in the catalog): `neq`/`not_in` keep rows
 * whose value is null; `eq`/`in` never match null — use `is_null`.
 */
export function validateFilter(
  f: unknown,
  p: string,
  fields: FilterFieldDef[] | undefined,
  err: Report,
): ResolvedFilter | null {
  if (!isObject(f)) {
    err(p, 'must be an object {field, op, value}');
    return null;
  }
  for (const key of Object.keys(f)) if (!['field', 'op', 'value'].includes(key)) err(`${p}/${pointerSegment(key)}`, `unknown field ${show(key)}`, ['field', 'op', 'value']);
  const names = fields?.map((x) => x.name);
  const field = typeof f.field === 'string' ? fields?.find((x) => x.name === f.field) : undefined;
  if (fields && !field) {
    const hint = f.field === 'org_id' ? ' (results are always scoped to your org)' : '';
    err(`${p}/field`, f.field === undefined ? 'field is required' : `unknown filter field ${show(f.field)}${hint}`, names);
  }
  const op = typeof f.op === 'string' && (FILTER_OPS as string[]).includes(f.op) ? (f.op as ResolvedFilter['op']) : undefined;
  if (!op) err(`${p}/op`, f.op === undefined ? 'op is required' : `unknown op ${show(f.op)}`, field?.ops ?? FILTER_OPS);
  if (!field || !op) return null;
  if (!field.ops.includes(op)) {
    err(`${p}/op`, `op "${op}" does not apply to ${field.type} field "${field.name}"`, field.ops);
    return null;
  }
  const v = f.value;
  if (op === 'is_null') {
    if (typeof v !== 'boolean') {
      err(`${p}/value`, 'is_null takes true or false');
      return null;
    }
    return { field, op, value: v };
  }
  if (op === 'in' || op === 'not_in') {
    if (!Array.isArray(v) || v.length < 1 || v.length > LIMITS.max_in_values) {
      err(`${p}/value`, `${op} takes an array of 1 to ${LIMITS.max_in_values} values`);
      return null;
    }
    const out: unknown[] = [];
    let ok = true;
    v.forEach((item, i) => {
      const c = coerce(field, item);
      if (c === undefined) {
        ok = false;
        err(`${p}/value/${i}`, expected(field, item));
      } else out.push(c);
    });
    return ok ? { field, op, value: out } : null;
  }
  if (v === null || v === undefined) {
    err(`${p}/value`, `${op} needs a value; to match missing values use {"op": "is_null", "value": true}`);
    return null;
  }
  const c = coerce(field, v);
  if (c === undefined) {
    err(`${p}/value`, expected(field, v));
    return null;
  }
  return { field, op, value: c };
}

function coerce(field: FilterFieldDef, v: unknown): unknown {
  switch (field.type) {
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < 1e15 ? v : undefined;
    case 'boolean':
      return typeof v === 'boolean' ? v : undefined;
    case 'time':
      return isRfc3339(v) ? new Date(v) : undefined;
    case 'id':
      return parsePublicId(field.idPrefix!, v) ?? undefined;
    case 'string':
      // PostgreSQL cannot hold NUL, and jsonb (a saved report's query) refuses a lone surrogate:
      // refused here rather than failing in the database.
      return typeof v === 'string' && v.length <= 1000 && isStorableText(v) ? v : undefined;
  }
}

function expected(field: FilterFieldDef, v: unknown): string {
  const what = {
    number: 'a finite number',
    boolean: 'true or false',
    time: 'an RFC 3339 timestamp',
    id: `a ${field.idPrefix}_ id (${field.idPrefix}_ + 32 lowercase hex)`,
    string: 'a string of at most 1000 characters (valid Unicode, without NUL)',
  }[field.type];
  const hint = v === null ? ' (null never matches; to select missing values use {"op": "is_null", "value": true})' : '';
  return `"${field.name}" takes ${what}, got ${show(v)}${hint}`;
}
