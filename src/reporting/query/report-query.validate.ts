import { parsePublicId } from '../../common/ids/public-id.js';
import type { FieldError } from '../../common/problem-details/problem.js';
import { isRfc3339 } from '../../common/validation/validators.js';
import { DATASET_BY_NAME, DATASETS, FILTER_OPS, LIMITS, type FilterFieldDef } from '../catalog/catalog.js';
import type { ResolvedFilter, ResolvedQuery } from './report-query.types.js';

export interface ValidateOptions {
  /** Saved reports may store `{"last": "7d"}`; resolved against `now`. */
  allowRelative?: boolean;
  now?: Date;
  /** Exports allow more rows than an ad-hoc query. */
  maxLimit?: number;
  defaultLimit?: number;
  /**
   * The zone names the database accepts (pg_timezone_names). ICU knows names that PostgreSQL's
   * tzdata dropped (US/Pacific-New): such a zone must be a 400 here, not a failure at run time.
   */
  timezones?: ReadonlySet<string>;
}

export type ValidationResult = { ok: true; query: ResolvedQuery } | { ok: false; errors: FieldError[] };

const TOP_KEYS = ['dataset', 'time_range', 'dimensions', 'measures', 'filters', 'order_by', 'limit', 'timezone'];
const RELATIVE = /^([1-9]\d{0,5})([mhdw])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DAY_MS = 86_400_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_ERRORS = 100;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A value for a message: short, and never a deep stringify of arbitrary input (it could overflow the stack). */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === undefined) return 'nothing';
  return Array.isArray(v) ? 'an array' : 'an object';
}

/** A body key as a JSON pointer segment (RFC 6901: ~ → ~0, / → ~1). */
export const pointerSegment = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

// IANA names only (no bare offsets such as "+05:00", which PostgreSQL reads with the POSIX sign).
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-]*(\/[A-Za-z0-9_+\-]+){0,2}$/;
const knownZones = new Set<string>();

/**
 * An IANA time zone both ICU (labels) and PostgreSQL (buckets) know. Not
 * Intl.supportedValuesOf('timeZone'): it lists ICU's canonical ids only, so "Asia/Kolkata" or
 * "Europe/Kyiv" (canonical in IANA) would be refused.
 */
export function isTimezone(tz: string, databaseZones?: ReadonlySet<string>): boolean {
  if (databaseZones && !databaseZones.has(tz)) return false;
  if (knownZones.has(tz)) return true;
  if (tz.length > 64 || !ZONE_NAME.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    return false;
  }
  if (knownZones.size < 2000) knownZones.add(tz);
  return true;
}

/**
 * Validates a ReportQuery against the catalog and reports EVERY problem at once (SPEC §6), each
 * with a JSON pointer and, where the set is closed, the allowed names. Never throws on any input.
 */
export function validateReportQuery(input: unknown, options: ValidateOptions = {}, base = ''): ValidationResult {
  const errors: FieldError[] = [];
  let dropped = 0;
  // Every problem, but a bounded list: a 1 MiB body of nonsense must not become a 30 MB answer.
  const err = (pointer: string, message: string, allowed?: string[]) => {
    if (errors.length < MAX_ERRORS) errors.push({ pointer: `${base}${pointer}`, message, ...(allowed ? { allowed } : {}) });
    else dropped++;
  };
  const fail = (): ValidationResult => {
    if (dropped > 0) errors.push({ pointer: base, message: `${dropped} more problem${dropped === 1 ? '' : 's'} not listed; fix these first` });
    return { ok: false, errors };
  };
  if (!isObject(input)) {
    err('', 'the query must be a JSON object');
    return fail();
  }
  for (const key of Object.keys(input)) if (!TOP_KEYS.includes(key)) err(`/${pointerSegment(key)}`, `unknown field ${show(key)}`, TOP_KEYS);

  // dataset
  const dataset = typeof input.dataset === 'string' ? DATASET_BY_NAME.get(input.dataset) : undefined;
  const datasetNames = DATASETS.map((d) => d.name);
  if (input.dataset === undefined) err('/dataset', 'dataset is required', datasetNames);
  else if (!dataset) err('/dataset', `unknown dataset ${show(input.dataset)}`, datasetNames);

  // time_range
  let from: Date | undefined;
  let to: Date | undefined;
  const tr = input.time_range;
  if (tr === undefined) err('/time_range', 'time_range is required: {"from": RFC 3339, "to": RFC 3339}');
  else if (!isObject(tr)) err('/time_range', 'time_range must be an object {"from", "to"}');
  else if (options.allowRelative && 'last' in tr) {
    for (const key of Object.keys(tr)) if (key !== 'last') err(`/time_range/${pointerSegment(key)}`, `unknown field ${show(key)} (a relative range has only "last")`);
    const m = typeof tr.last === 'string' ? RELATIVE.exec(tr.last) : null;
    if (!m) err('/time_range/last', 'last must be a positive integer followed by m, h, d or w (e.g. "7d")');
    else {
      const span = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
      if (span > LIMITS.max_range_days * DAY_MS) err('/time_range/last', `the range may span at most ${LIMITS.max_range_days} days`);
      else {
        to = options.now ?? new Date();
        from = new Date(to.getTime() - span);
      }
    }
  } else {
    for (const key of Object.keys(tr)) {
      if (key === 'from' || key === 'to') continue;
      const hint = key === 'last' ? ' (a relative range is for saved reports; give from and to here)' : '';
      err(`/time_range/${pointerSegment(key)}`, `unknown field ${show(key)}${hint}`, options.allowRelative ? ['from', 'to', 'last'] : ['from', 'to']);
    }
    for (const key of ['from', 'to'] as const) {
      if (tr[key] === undefined) err(`/time_range/${key}`, `${key} is required (RFC 3339)`);
      else if (!isRfc3339(tr[key])) err(`/time_range/${key}`, `${key} must be an RFC 3339 timestamp with a time zone, got ${show(tr[key])}`);
    }
    if (isRfc3339(tr.from) && isRfc3339(tr.to)) {
      from = new Date(tr.from);
      to = new Date(tr.to);
      if (from.getTime() >= to.getTime()) err('/time_range', 'from must be before to (from is inclusive, to exclusive)');
      else if (to.getTime() - from.getTime() > LIMITS.max_range_days * DAY_MS) err('/time_range', `the range may span at most ${LIMITS.max_range_days} days`);
    }
  }

  // dimensions / measures
  const names = (key: 'dimensions' | 'measures', max: number, known: string[] | undefined, what: string): string[] => {
    const v = input[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      err(`/${key}`, `${key} must be an array of ${what} names`, known);
      return [];
    }
    if (v.length > max) err(`/${key}`, `at most ${max} ${key}`);
    const seen = new Set<string>();
    const out: string[] = [];
    v.forEach((name, i) => {
      if (typeof name !== 'string') return err(`/${key}/${i}`, `must be a ${what} name`, known);
      if (seen.has(name)) return err(`/${key}/${i}`, `duplicate ${what} ${show(name)}`);
      seen.add(name);
      if (known && !known.includes(name)) {
        const hint = name === 'org_id' || name === 'org' ? ' (results are always scoped to your org; org_id cannot be named in a query)' : '';
        return err(`/${key}/${i}`, `unknown ${what} ${show(name)} for dataset ${dataset!.name}${hint}`, known);
      }
      out.push(name);
    });
    return out;
  };
  const dimNames = names('dimensions', LIMITS.max_dimensions, dataset?.dimensions.map((d) => d.name), 'dimension');
  const measureNames = names('measures', LIMITS.max_measures, dataset?.measures.map((m) => m.name), 'measure');

  // filters
  const filters: ResolvedFilter[] = [];
  if (input.filters !== undefined && input.filters !== null) {
    if (!Array.isArray(input.filters)) err('/filters', 'filters must be an array of {field, op, value}');
    else {
      if (input.filters.length > LIMITS.max_filters) err('/filters', `at most ${LIMITS.max_filters} filters`);
      input.filters.forEach((f, i) => {
        const r = validateFilter(f, `/filters/${i}`, dataset?.filter_fields, err);
        if (r) filters.push(r);
      });
    }
  }

  // order_by
  const orderBy: ResolvedQuery['orderBy'] = [];
  if (input.order_by !== undefined && input.order_by !== null) {
    if (!Array.isArray(input.order_by)) err('/order_by', 'order_by must be an array of {dimension | measure, direction}');
    else {
      input.order_by.forEach((o, i) => {
        const p = `/order_by/${i}`;
        if (!isObject(o)) return err(p, 'must be an object {dimension | measure, direction}');
        for (const key of Object.keys(o)) if (!['dimension', 'measure', 'direction'].includes(key)) err(`${p}/${pointerSegment(key)}`, `unknown field ${show(key)}`, ['dimension', 'measure', 'direction']);
        const hasDim = o.dimension !== undefined && o.dimension !== null;
        const hasMeasure = o.measure !== undefined && o.measure !== null;
        if (hasDim === hasMeasure) err(p, 'name exactly one of "dimension" or "measure"');
        const direction = o.direction ?? 'asc';
        if (direction !== 'asc' && direction !== 'desc') err(`${p}/direction`, `direction must be asc or desc, got ${show(o.direction)}`, ['asc', 'desc']);
        if (hasDim) {
          if (typeof o.dimension !== 'string' || !dimNames.includes(o.dimension)) {
            const why = o.dimension === 'org_id' ? ' (results are always scoped to your org; org_id is not a dimension)' : '';
            err(`${p}/dimension`, `order_by may only name a selected dimension, got ${show(o.dimension)}${why}`, dimNames);
          } else if (hasDim !== hasMeasure) orderBy.push({ column: o.dimension, kind: 'dimension', direction: direction === 'desc' ? 'desc' : 'asc' });
        }
        if (hasMeasure) {
          const measures = measureNames.length ? measureNames : ['row_count'];
          if (typeof o.measure !== 'string' || !measures.includes(o.measure)) err(`${p}/measure`, `order_by may only name a selected measure, got ${show(o.measure)}`, measures);
          else if (hasDim !== hasMeasure) orderBy.push({ column: o.measure, kind: 'measure', direction: direction === 'desc' ? 'desc' : 'asc' });
        }
      });
    }
  }

  // limit
  const maxLimit = options.maxLimit ?? LIMITS.max_limit;
  let limit = options.defaultLimit ?? LIMITS.default_limit;
  if (input.limit !== undefined && input.limit !== null) {
    if (!Number.isInteger(input.limit) || (input.limit as number) < 1 || (input.limit as number) > maxLimit) err('/limit', `limit must be an integer from 1 to ${maxLimit}`);
    else limit = input.limit as number;
  }

  // timezone
  let timezone = 'UTC';
  if (input.timezone !== undefined && input.timezone !== null) {
    if (typeof input.timezone !== 'string' || !isTimezone(input.timezone, options.timezones)) err('/timezone', `timezone must be an IANA time zone such as "Europe/Berlin", got ${show(input.timezone)}`);
    else timezone = input.timezone;
  }

  if (errors.length > 0 || !dataset || !from || !to) return fail();
  return {
    ok: true,
    query: {
      dataset,
      from,
      to,
      dimensions: dimNames.map((n) => dataset.dimensions.find((d) => d.name === n)!),
      measures: measureNames.map((n) => dataset.measures.find((m) => m.name === n)!),
      rowCountOnly: measureNames.length === 0,
      filters,
      orderBy,
      limit,
      timezone,
    },
  };
}

/**
 * Type-checks one filter. Null semantics (documented in the catalog): `neq`/`not_in` keep rows
 * whose value is null; `eq`/`in` never match null — use `is_null`.
 */
function validateFilter(
  f: unknown,
  p: string,
  fields: FilterFieldDef[] | undefined,
  err: (pointer: string, message: string, allowed?: string[]) => void,
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
      return typeof v === 'string' && v.length <= 1000 && !v.includes('\u0000') && !LONE_SURROGATE.test(v) ? v : undefined;
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
