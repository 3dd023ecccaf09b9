// Shapes of the wire, from the served /openapi.json (`npm run web:types` regenerates openapi.d.ts).
import type { components } from './openapi.js';

type S = components['schemas'];
export type Catalog = S['CatalogDto'];
export type Dataset = S['CatalogDatasetDto'];
export type FilterField = S['CatalogFilterFieldDto'];
export type Measure = S['CatalogMeasureDto'];
export type Problem = S['ProblemDto'];
export type FieldError = S['FieldErrorDto'];
export type ReportResult = S['ReportResultDto'];
export type SavedReport = S['SavedReportDto'];
export type SavedReportList = S['SavedReportListDto'];
export type AppRunList = S['AppRunListDto'];
export type AppRunBucket = S['AppRunBucketDto'];
export type Diagnostics = S['DiagnosticsDto'];
export type ProjectorRunResult = S['ProjectorRunResultDto'];
export type BackfillResult = S['BackfillResultDto'];
export type OutboxRetryResult = S['OutboxRetryResultDto'];
export type FilterOp = S['ReportFilterDto']['op'];
export type Filter = S['ReportFilterDto'];

/**
 * The query as the explorer holds it (and puts in the URL): the wire's ReportQuery with the
 * server-side defaults optional, plus SPEC §11's compare / top, sent only when the catalog offers them.
 */
export type ReportQuery = Omit<S['ReportQueryDto'], 'limit' | 'timezone' | 'dataset' | 'order_by'> & {
  dataset: string;
  limit?: number;
  timezone?: string;
  order_by?: { dimension?: string; measure?: string; direction?: 'asc' | 'desc' }[];
  compare?: string;
  top?: { dimension: string; n: number; by: string; other?: boolean };
};
