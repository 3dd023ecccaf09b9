import { isObject, pointerSegment, show } from '#src/common/validation/json-input.js';
import { type Aggregation, type DatasetDef, isAdditive, TOP_N } from '#src/reporting/catalog/catalog.js';
import type { Report } from './query-input.js';
import type { ResolvedTop } from './report-query.types.js';
import { COMPARE_MODES, type CompareMode } from './time-range.js';

/*
 * The SPEC §11 query options compare, cumulative and top, checked against the selected
 * dimensions and measures (report-query.validate.ts calls these in wire order). Every problem is
 * reported with its JSON pointer; a clean option is returned resolved.
 */

const TOP_OPTION_KEYS = ['dimension', 'n', 'by', 'other'];

/** The measure columns or row_count a query option may name (row_count when no measure is selected). */
const measureColumns = (measureNames: string[]) => (measureNames.length ? measureNames : ['row_count']);

/**
 * The columns compare and cumulative add, which order_by may name too. Read from the raw options
 * without reporting (their own checks, later in wire order, report their problems): a column is
 * only derived from a valid option.
 */
export function derivedColumns(input: Record<string, unknown>, measureNames: string[]): string[] {
  const out: string[] = [];
  if (input.cumulative !== null && Array.isArray(input.cumulative)) {
    for (const name of input.cumulative) if (typeof name === 'string' && measureColumns(measureNames).includes(name)) out.push(`${name}_cumulative`);
  }
  if ((COMPARE_MODES as readonly unknown[]).includes(input.compare)) for (const name of measureColumns(measureNames)) out.push(`${name}_previous`, `${name}_change`);
  return out;
}

const timeBuckets = (dataset: DatasetDef | undefined) => dataset?.dimensions.filter((d) => d.type === 'time').map((d) => d.name) ?? [];

/** SPEC §11 compare: rows pair up by the position of their time bucket, so at most one bucket. */
export function checkCompare(v: unknown, dataset: DatasetDef | undefined, dimNames: string[], err: Report): CompareMode | undefined {
  if (v === undefined || v === null) return undefined;
  if (!(COMPARE_MODES as readonly unknown[]).includes(v)) {
    err('/compare', `compare must be one of ${COMPARE_MODES.join(', ')}, got ${show(v)}`, [...COMPARE_MODES]);
    return undefined;
  }
  const chosen = dimNames.filter((n) => timeBuckets(dataset).includes(n));
  if (chosen.length > 1) {
    err('/compare', `compare pairs time buckets by position, so it takes at most one time bucket among the dimensions (${chosen.join(' and ')} are)`, timeBuckets(dataset));
    return undefined;
  }
  return v as CompareMode;
}

/** SPEC §11 cumulative: running totals of additive measures, in the order of exactly one time bucket. */
export function checkCumulative(v: unknown, dataset: DatasetDef | undefined, dimNames: string[], measureNames: string[], err: Report): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) {
    err('/cumulative', 'cumulative must be an array of selected measure names', measureColumns(measureNames));
    return undefined;
  }
  const columns = measureColumns(measureNames);
  const defOf = (name: string) => dataset?.measures.find((m) => m.name === name);
  const additive = columns.filter((n) => n === 'row_count' || (defOf(n) && isAdditive(defOf(n)!)));
  const seen = new Set<string>();
  // Any problem fails the whole query (the error list), so only a clean list is returned.
  v.forEach((name, i) => {
    if (typeof name !== 'string' || !columns.includes(name)) return err(`/cumulative/${i}`, `cumulative may only name a selected measure${measureNames.length ? '' : ' (row_count when none is selected)'}, got ${show(name)}`, additive);
    if (seen.has(name)) return err(`/cumulative/${i}`, `duplicate measure ${show(name)}`);
    seen.add(name);
    const def = defOf(name);
    if (def && !isAdditive(def)) return err(`/cumulative/${i}`, `a running total needs a sum or a count; ${show(name)} is ${KIND_OF[def.aggregation] ?? 'not additive'} (aggregation ${def.aggregation})`, additive);
  });
  const chosen = dimNames.filter((n) => timeBuckets(dataset).includes(n));
  if (dataset && chosen.length !== 1) {
    err('/cumulative', `cumulative needs exactly one time bucket among the dimensions (${chosen.length === 0 ? 'none is selected' : `${chosen.join(' and ')} are`})`, timeBuckets(dataset));
    return undefined;
  }
  return seen.size === v.length && v.length > 0 ? (v as string[]) : undefined;
}

const KIND_OF: Partial<Record<Aggregation, string>> = { avg: 'an average', p50: 'a percentile', p95: 'a percentile', count_distinct: 'a distinct count' };

/** SPEC §11 top: the n values of one selected non-time dimension with the largest `by` over the range. */
export function checkTop(v: unknown, dataset: DatasetDef | undefined, dimNames: string[], measureNames: string[], err: Report): ResolvedTop | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) {
    err('/top', 'top must be an object {dimension, n, by, other}');
    return undefined;
  }
  for (const key of Object.keys(v)) if (!TOP_OPTION_KEYS.includes(key)) err(`/top/${pointerSegment(key)}`, `unknown field ${show(key)}`, TOP_OPTION_KEYS);
  const eligible = dimNames.filter((n) => !timeBuckets(dataset).includes(n));
  const dimension = typeof v.dimension === 'string' && eligible.includes(v.dimension) ? dataset?.dimensions.find((d) => d.name === v.dimension) : undefined;
  if (v.dimension === undefined || v.dimension === null) err('/top/dimension', 'dimension is required: a selected dimension other than a time bucket', eligible);
  else if (!dimension) {
    const why = typeof v.dimension === 'string' && timeBuckets(dataset).includes(v.dimension) ? ' (a time bucket cannot be ranked)' : '';
    err('/top/dimension', `top.dimension must be a selected dimension other than a time bucket, got ${show(v.dimension)}${why}`, eligible);
  }
  const n = v.n;
  const nOk = Number.isInteger(n) && (n as number) >= TOP_N.min && (n as number) <= TOP_N.max;
  if (!nOk) err('/top/n', `n must be an integer from ${TOP_N.min} to ${TOP_N.max}${n === undefined ? ' (required)' : `, got ${show(n)}`}`);
  const byOk = typeof v.by === 'string' && measureColumns(measureNames).includes(v.by);
  if (!byOk) err('/top/by', `top.by must be a selected measure${measureNames.length ? '' : ' (row_count when none is selected)'}${v.by === undefined ? ' (required)' : `, got ${show(v.by)}`}`, measureColumns(measureNames));
  const other = v.other ?? false;
  if (typeof other !== 'boolean') err('/top/other', `other must be true or false, got ${show(v.other)}`);
  if (!dimension || !nOk || !byOk || typeof other !== 'boolean') return undefined;
  return { dimension, n: n as number, by: v.by as string, other };
}
