import type { Dataset, QueryOptions, ReportQuery } from '../api/types.js';

// SPEC §11 query options in the explorer: what the catalog's query_options allow for the current
// selection, how the form keeps them consistent, and how the result's added columns read.

export const GRAINS = ['hour', 'day', 'week', 'month'];

/** The measure columns an option may name: the selected measures, or row_count when none is. */
export const measureColumns = (q: Pick<ReportQuery, 'measures'>): string[] => (q.measures?.length ? q.measures : ['row_count']);

export const timeBuckets = (q: Pick<ReportQuery, 'dimensions'>): string[] => (q.dimensions ?? []).filter((d) => GRAINS.includes(d));
export const rankable = (q: Pick<ReportQuery, 'dimensions'>): string[] => (q.dimensions ?? []).filter((d) => !GRAINS.includes(d));

export interface Availability {
  compare: { values: string[]; why: string | null };
  cumulative: { candidates: string[]; why: string | null };
  top: { dimensions: string[]; by: string[]; nMin: number; nMax: number; otherLabel: string; why: string | null };
}

/** Each option's choices for this selection, and why it is unavailable (null when it is available). */
export function availability(options: QueryOptions, dataset: Dataset | undefined, q: ReportQuery): Availability {
  const buckets = timeBuckets(q).length;
  const columns = measureColumns(q);
  const additive = (name: string) => name === 'row_count' || (dataset?.measures.find((m) => m.name === name)?.additive ?? false);
  const candidates = columns.filter(additive);
  const cumulativeWhy =
    options.cumulative.needs_time_bucket && buckets !== 1
      ? 'Needs exactly one time bucket.'
      : candidates.length === 0
        ? 'Needs a sum or a count among the measures.'
        : null;
  return {
    compare: {
      values: options.compare.values,
      why: buckets > options.compare.max_time_buckets ? `Takes at most ${options.compare.max_time_buckets} time bucket.` : null,
    },
    cumulative: { candidates, why: cumulativeWhy },
    top: {
      dimensions: rankable(q),
      by: columns,
      nMin: options.top.n_min,
      nMax: options.top.n_max,
      otherLabel: options.top.other_label,
      why: rankable(q).length === 0 ? 'Needs a dimension other than the time bucket.' : null,
    },
  };
}

/**
 * After the dimensions or measures change, the options follow: a running total of a measure no
 * longer selected goes, top moves to a selected dimension and measure (or goes). What the user
 * typed (n, a mode) is kept as is: the API says what is wrong with it, at its field.
 */
export function followSelection(q: ReportQuery, dataset: Dataset | undefined, options: QueryOptions | undefined): ReportQuery {
  const out: ReportQuery = { ...q };
  if (!options) return out;
  const a = availability(options, dataset, q);
  if (out.cumulative) {
    const kept = a.cumulative.why ? [] : out.cumulative.filter((m) => a.cumulative.candidates.includes(m));
    if (kept.length) out.cumulative = kept;
    else delete out.cumulative;
  }
  if (out.top) {
    if (a.top.why) delete out.top;
    else {
      out.top = {
        ...out.top,
        dimension: a.top.dimensions.includes(out.top.dimension) ? out.top.dimension : a.top.dimensions[0],
        by: a.top.by.includes(out.top.by) ? out.top.by : a.top.by[0],
      };
    }
  }
  if (out.compare && a.compare.why) delete out.compare;
  return out;
}

export type ColumnRole = 'value' | 'cumulative' | 'previous' | 'change';
const SUFFIXES: [ColumnRole, string][] = [['cumulative', '_cumulative'], ['previous', '_previous'], ['change', '_change']];

/**
 * What a result's measure column is: a measure's own value, or a column compare / cumulative added
 * after it (`m_cumulative`, `m_previous`, `m_change`) — told apart by the measure columns present,
 * so a measure whose own name ends in `_change` stays a value.
 */
export function columnRoles(measureColumnNames: string[]): Map<string, { base: string; role: ColumnRole }> {
  const names = new Set(measureColumnNames);
  const roles = new Map<string, { base: string; role: ColumnRole }>();
  for (const name of measureColumnNames) roles.set(name, { base: name, role: 'value' });
  for (const name of measureColumnNames) {
    for (const [role, suffix] of SUFFIXES) {
      const base = name.slice(0, -suffix.length);
      if (name.endsWith(suffix) && names.has(base) && roles.get(base)?.role === 'value') roles.set(name, { base, role });
    }
  }
  return roles;
}

/** The SPEC §11 options of a query in a few words (a saved report's line), '' when it has none. */
export function describeOptions(q: Pick<ReportQuery, 'compare' | 'cumulative' | 'top'>): string {
  const parts: string[] = [];
  if (q.compare) parts.push(`vs ${q.compare.replace('_', ' ')}`);
  if (q.top) parts.push(`top ${q.top.n} ${q.top.dimension} by ${q.top.by}${q.top.other ? ' + (other)' : ''}`);
  if (q.cumulative?.length) parts.push(`running total of ${q.cumulative.join(', ')}`);
  return parts.join(' · ');
}
