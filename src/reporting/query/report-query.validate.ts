import { isObject, pointerSegment, show } from '#src/common/validation/json-input.js';
import type { FieldError } from '#src/common/problem-details/problem.js';
import { isRfc3339 } from '#src/common/validation/validators.js';
import { DATASET_BY_NAME, DATASETS, type DatasetDef, LIMITS } from '#src/reporting/catalog/catalog.js';
import type { Report } from './query-input.js';
import { validateFilter } from './report-query.filter.js';
import { checkCompare, checkCumulative, checkTop, derivedColumns } from './report-query.options.js';
import type { ResolvedFilter, ResolvedQuery } from './report-query.types.js';
import { type AbsoluteRange, CALENDAR_RANGES, calendarRange, isCalendarRange, lastRange, lastSpanMs, previousRange } from './time-range.js';

export interface ValidateOptions {
  /** The instant relative ranges (`{"last"}`, `{"calendar"}`) end at or contain; default the time of the check. */
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

const TOP_KEYS = ['dataset', 'time_range', 'dimensions', 'measures', 'filters', 'order_by', 'limit', 'timezone', 'fill', 'compare', 'cumulative', 'top'];
const DAY_MS = 86_400_000;
const YEAR_ONE = new Date('0001-01-01T00:00:00Z').getTime();

const MAX_ERRORS = 100;

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
 * Each clause is checked by its own function below, in the order of the wire object, so the
 * problems are listed in that order.
 */
export function validateReportQuery(input: unknown, options: ValidateOptions = {}, base = ''): ValidationResult {
  const errors: FieldError[] = [];
  let dropped = 0;
  // Every problem, but a bounded list: a 1 MiB body of nonsense must not become a 30 MB answer.
  const err: Report = (pointer, message, allowed) => {
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

  const dataset = checkDataset(input.dataset, err);
  // A calendar range needs the zone; a bad one is reported (once) at /timezone, in wire order.
  const zone = typeof input.timezone === 'string' && isTimezone(input.timezone, options.timezones) ? input.timezone : 'UTC';
  const range = checkTimeRange(input.time_range, zone, options, err);
  const dimNames = checkNames(input.dimensions, 'dimensions', LIMITS.max_dimensions, dataset, err);
  const measureNames = checkNames(input.measures, 'measures', LIMITS.max_measures, dataset, err);
  const filters = checkFilters(input.filters, dataset, err);
  const orderBy = checkOrderBy(input.order_by, dimNames, measureNames, derivedColumns(input, measureNames), err);
  const limit = checkLimit(input.limit, options, err);
  const timezone = checkTimezone(input.timezone, options, err);
  const fill = checkFill(input.fill, dataset, dimNames, err);
  const compare = checkCompare(input.compare, dataset, dimNames, err);
  const cumulative = checkCumulative(input.cumulative, dataset, dimNames, measureNames, err);
  const top = checkTop(input.top, dataset, dimNames, measureNames, err);

  const previous = compare && range ? previousRange(range, compare, timezone) : undefined;
  if (previous && previous.from.getTime() < YEAR_ONE) err('/compare', 'the range compared with would start before the year 1');
  if (errors.length > 0 || !dataset || !range) return fail();
  return {
    ok: true,
    query: {
      dataset,
      from: range.from,
      to: range.to,
      ...(range.text ? { rangeText: range.text } : {}),
      dimensions: dimNames.map((n) => dataset.dimensions.find((d) => d.name === n)!),
      measures: measureNames.map((n) => dataset.measures.find((m) => m.name === n)!),
      rowCountOnly: measureNames.length === 0,
      filters,
      orderBy,
      limit,
      timezone,
      ...(fill ? { fill } : {}),
      ...(compare && previous ? { compare: { mode: compare, ...previous } } : {}),
      ...(cumulative ? { cumulative } : {}),
      ...(top ? { top } : {}),
    },
  };
}

function checkDataset(v: unknown, err: Report): DatasetDef | undefined {
  const dataset = typeof v === 'string' ? DATASET_BY_NAME.get(v) : undefined;
  const datasetNames = DATASETS.map((d) => d.name);
  if (v === undefined) err('/dataset', 'dataset is required', datasetNames);
  else if (!dataset) err('/dataset', `unknown dataset ${show(v)}`, datasetNames);
  return dataset;
}

const RANGE_SHAPES = 'an absolute {"from", "to"}, {"last": "7d"} or {"calendar": "this_month"}';

/** Absolute `{from, to}`, or relative (SPEC §11): `{last}` ending now, `{calendar}` in the query's zone. */
function checkTimeRange(tr: unknown, timezone: string, options: ValidateOptions, err: Report): (AbsoluteRange & { text?: { from: string; to: string } }) | undefined {
  if (tr === undefined) err('/time_range', `time_range is required: ${RANGE_SHAPES}`);
  else if (!isObject(tr)) err('/time_range', `time_range must be ${RANGE_SHAPES}`);
  else if ('last' in tr || 'calendar' in tr) return checkRelativeRange(tr, timezone, options, err);
  else return checkAbsoluteRange(tr, err);
  return undefined;
}

function checkRelativeRange(tr: Record<string, unknown>, timezone: string, options: ValidateOptions, err: Report): AbsoluteRange | undefined {
  const kind = 'last' in tr ? 'last' : 'calendar';
  for (const key of Object.keys(tr)) if (key !== kind) err(`/time_range/${pointerSegment(key)}`, `unknown field ${show(key)} (a relative range has only "${kind}")`, [kind]);
  const now = options.now ?? new Date();
  if (kind === 'calendar') {
    if (isCalendarRange(tr.calendar)) return calendarRange(tr.calendar, now, timezone);
    err('/time_range/calendar', `calendar must be one of ${CALENDAR_RANGES.join(', ')} (periods in the query's timezone; weeks start Monday), got ${show(tr.calendar)}`, [...CALENDAR_RANGES]);
    return undefined;
  }
  const span = lastSpanMs(tr.last);
  if (span === undefined) {
    err('/time_range/last', 'last must be a positive integer followed by m, h, d or w (e.g. "7d")');
    return undefined;
  }
  if (span > LIMITS.max_range_days * DAY_MS) {
    err('/time_range/last', `the range may span at most ${LIMITS.max_range_days} days`);
    return undefined;
  }
  return lastRange(span, now);
}

function checkAbsoluteRange(tr: Record<string, unknown>, err: Report): (AbsoluteRange & { text: { from: string; to: string } }) | undefined {
  for (const key of Object.keys(tr)) if (key !== 'from' && key !== 'to') err(`/time_range/${pointerSegment(key)}`, `unknown field ${show(key)}`, ['from', 'to', 'last', 'calendar']);
  for (const key of ['from', 'to'] as const) {
    if (tr[key] === undefined) err(`/time_range/${key}`, `${key} is required (RFC 3339)`);
    else if (!isRfc3339(tr[key])) err(`/time_range/${key}`, `${key} must be an RFC 3339 timestamp with a time zone, got ${show(tr[key])}`);
  }
  if (!isRfc3339(tr.from) || !isRfc3339(tr.to)) return undefined;
  const from = new Date(tr.from);
  const to = new Date(tr.to);
  // A range with a problem still resolves (the query fails on the error list, not on a missing range).
  if (from.getTime() >= to.getTime()) err('/time_range', 'from must be before to (from is inclusive, to exclusive)');
  else if (to.getTime() - from.getTime() > LIMITS.max_range_days * DAY_MS) err('/time_range', `the range may span at most ${LIMITS.max_range_days} days`);
  return { from, to, text: { from: tr.from as string, to: tr.to as string } };
}

/** The selected dimension or measure names, known to the dataset (when it is known) and distinct. */
function checkNames(v: unknown, key: 'dimensions' | 'measures', max: number, dataset: DatasetDef | undefined, err: Report): string[] {
  const what = key === 'dimensions' ? 'dimension' : 'measure';
  const known = dataset?.[key].map((d) => d.name);
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
}

function checkFilters(v: unknown, dataset: DatasetDef | undefined, err: Report): ResolvedFilter[] {
  const filters: ResolvedFilter[] = [];
  if (v === undefined || v === null) return filters;
  if (!Array.isArray(v)) {
    err('/filters', 'filters must be an array of {field, op, value}');
    return filters;
  }
  if (v.length > LIMITS.max_filters) err('/filters', `at most ${LIMITS.max_filters} filters`);
  v.forEach((f, i) => {
    const r = validateFilter(f, `/filters/${i}`, dataset?.filter_fields, err);
    if (r) filters.push(r);
  });
  return filters;
}

/** Each entry names exactly one selected dimension or measure (row_count when none is selected). */
function checkOrderBy(v: unknown, dimNames: string[], measureNames: string[], derived: string[], err: Report): ResolvedQuery['orderBy'] {
  const orderBy: ResolvedQuery['orderBy'] = [];
  if (v === undefined || v === null) return orderBy;
  if (!Array.isArray(v)) {
    err('/order_by', 'order_by must be an array of {dimension | measure, direction}');
    return orderBy;
  }
  v.forEach((o, i) => {
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
      const measures = [...(measureNames.length ? measureNames : ['row_count']), ...derived];
      if (typeof o.measure !== 'string' || !measures.includes(o.measure)) err(`${p}/measure`, `order_by may only name a selected measure, got ${show(o.measure)}`, measures);
      else if (hasDim !== hasMeasure) orderBy.push({ column: o.measure, kind: 'measure', direction: direction === 'desc' ? 'desc' : 'asc' });
    }
  });
  return orderBy;
}

function checkLimit(v: unknown, options: ValidateOptions, err: Report): number {
  const maxLimit = options.maxLimit ?? LIMITS.max_limit;
  const fallback = options.defaultLimit ?? LIMITS.default_limit;
  if (v === undefined || v === null) return fallback;
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > maxLimit) {
    err('/limit', `limit must be an integer from 1 to ${maxLimit}`);
    return fallback;
  }
  return v as number;
}

function checkTimezone(v: unknown, options: ValidateOptions, err: Report): string {
  if (v === undefined || v === null) return 'UTC';
  if (typeof v !== 'string' || !isTimezone(v, options.timezones)) {
    err('/timezone', `timezone must be an IANA time zone such as "Europe/Berlin", got ${show(v)}`);
    return 'UTC';
  }
  return v;
}

/** SPEC §11 fill: "zero" needs exactly one time bucket among the dimensions (the series it fills). */
function checkFill(v: unknown, dataset: DatasetDef | undefined, dimNames: string[], err: Report): 'zero' | undefined {
  if (v === undefined || v === null) return undefined;
  if (v !== 'zero') {
    err('/fill', `fill must be "zero", got ${show(v)}`, ['zero']);
    return undefined;
  }
  const buckets = dataset?.dimensions.filter((d) => d.type === 'time').map((d) => d.name) ?? [];
  const chosen = dimNames.filter((n) => buckets.includes(n));
  if (dataset && chosen.length !== 1) {
    err('/fill', `fill "zero" needs exactly one time bucket among the dimensions (${chosen.length === 0 ? 'none is selected' : `${chosen.join(' and ')} are`})`, buckets);
    return undefined;
  }
  return 'zero';
}
