import type { CompareMode } from './time-range.js';
import type { DatasetDef, DimensionDef, FilterFieldDef, FilterOp, MeasureDef } from '#src/reporting/catalog/catalog.js';

/** A validated query, resolved against the catalog: everything the compiler needs, nothing from the wire. */
export interface ResolvedQuery {
  dataset: DatasetDef;
  from: Date;
  to: Date;
  /** An absolute range as the client wrote it (the echo's fallback where the zone cannot print an instant in RFC 3339). */
  rangeText?: { from: string; to: string };
  dimensions: DimensionDef[];
  measures: MeasureDef[];
  /** No measures asked: a single `row_count` column (SPEC §6). */
  rowCountOnly: boolean;
  filters: ResolvedFilter[];
  orderBy: { column: string; kind: 'dimension' | 'measure'; direction: 'asc' | 'desc' }[];
  limit: number;
  timezone: string;
  /** SPEC §11: every bucket of the range, empty ones as zeros (validation: exactly one time bucket). */
  fill?: 'zero';
  /** SPEC §15: answer from the facts (exact percentiles), whatever the rollup covers. */
  exact?: boolean;
  /** SPEC §11 compare: the mode and the range it resolved to (time-range.ts previousRange). */
  compare?: { mode: CompareMode; from: Date; to: Date };
  /** SPEC §11 cumulative: names of selected additive measures (`row_count` when none is selected); validation: exactly one time bucket. */
  cumulative?: string[];
  /** SPEC §11 top: the n values of a selected non-time dimension with the largest `by` (a selected measure, or row_count) over the range. */
  top?: ResolvedTop;
}

export interface ResolvedTop {
  dimension: DimensionDef;
  n: number;
  by: string;
  /** The other values merged into one row per combination of the other dimensions, labelled `"(other)"`. */
  other: boolean;
}

export interface ResolvedFilter {
  field: FilterFieldDef;
  op: FilterOp;
  /** Scalar, array (in/not_in) or boolean (is_null); ids already decoded to UUIDs. */
  value: unknown;
}

/** The wire shape (SPEC §6 ReportQuery), as stored in saved reports. */
export interface ReportQueryWire {
  dataset: string;
  time_range: { from: string; to: string } | { last: string } | { calendar: string };
  dimensions?: string[];
  measures?: string[];
  filters?: { field: string; op: string; value?: unknown }[];
  order_by?: { dimension?: string; measure?: string; direction?: 'asc' | 'desc' }[];
  limit?: number;
  timezone?: string;
  fill?: 'zero';
  exact?: boolean;
  compare?: CompareMode;
  cumulative?: string[];
  top?: { dimension: string; n: number; by: string; other?: boolean };
}
