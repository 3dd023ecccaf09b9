import { Injectable } from '@nestjs/common';
import { COMPARE_MODES } from '#src/reporting/query/time-range.js';
import { ADDITIVE_AGGREGATIONS, DATASETS, GRANULARITIES, isAdditive, LIMITS, TOP_N, TOP_OTHER_LABEL } from './catalog.js';
import type { CatalogDto } from './catalog.dto.js';
import { rollupApproximates, rollupCovers, SKETCH_RELATIVE_ERROR } from './rollup.js';

export const ROLLUP_PLANNING =
  'A query is answered from this hourly rollup when all its dimensions and filter fields are among these, all its measures are, ' +
  'and its time buckets (if any) start on whole UTC hours in its timezone (UTC and zones with whole-hour offsets): ' +
  'from the rollup alone (served_by "rollup") when its time range starts and ends on whole UTC hours, else from the rollup for ' +
  'its whole hours and the facts for its partial first and last hours ("rollup+facts"; a range holding no whole hour goes to the facts). ' +
  'Otherwise it is answered from the facts; the result is the same either way, but for percentiles: ' +
  'from the rollup they come from log-bucket sketches, within their relative_error of the exact value (the result lists them in approximate); ' +
  'a query with exact: true is answered from the facts.';

export const NULL_SEMANTICS = 'eq/in never match null; neq/not_in keep rows whose value is null; use is_null to select or exclude them.';

/** SPEC §11 query options, their limits and how they combine (README "Queries, in short" says the same). */
export const QUERY_OPTIONS: CatalogDto['query_options'] = {
  fill: {
    values: ['zero'],
    needs_time_bucket: true,
    description: 'Every bucket of the range for each combination of the other dimensions in the result; sums and counts of an empty bucket are 0, averages and percentiles null.',
  },
  compare: {
    values: [...COMPARE_MODES],
    columns: ['{m}_previous', '{m}_change'],
    max_time_buckets: 1,
    description:
      'The same query over the previous range: previous_year = both edges one calendar year earlier in the query timezone; previous_period = the range of equal length just before, ' +
      'counted in whole calendar months when both edges are month starts (last_month → the month before it), else in whole days when both are midnights, else in milliseconds. ' +
      '{m}_change = ({m} − {m}_previous) / {m}_previous, null when {m}_previous is 0 or null. Rows are the current range\'s; they pair on the other dimensions and by time-bucket position.',
  },
  cumulative: {
    aggregations: [...ADDITIVE_AGGREGATIONS],
    columns: ['{m}_cumulative'],
    needs_time_bucket: true,
    description: 'The running total of an additive measure (or row_count) in time-bucket order, per combination of the other dimensions, over the current range.',
  },
  top: {
    n_min: TOP_N.min,
    n_max: TOP_N.max,
    other_label: TOP_OTHER_LABEL,
    description:
      'Keeps the n values of a selected non-time dimension with the largest `by` (a selected measure, or row_count) over the whole range; ties go to the smaller value, nulls rank last. ' +
      `other: true merges the rest into one row per combination of the other dimensions, labelled "${TOP_OTHER_LABEL}", its measures computed over their facts.`,
  },
  combinations: [
    'fill, compare, cumulative and top combine freely, all on the rollup path where the plain query is rollup-servable for both ranges.',
    'top is chosen on the current range; with compare the previous range keeps the same values (and its own "(other)" row).',
    'fill fills the current range; compare then pairs each filled bucket with the previous bucket in the same position.',
    'cumulative is over the current range only (no {m}_previous_cumulative); with fill it carries across empty buckets; with top it runs per kept value and for "(other)".',
    'Column order: dimensions, then for each measure m: m, {m}_cumulative, {m}_previous, {m}_change. order_by may name the added columns.',
    'Not supported: compare with two or more time buckets; cumulative or fill without exactly one time bucket; top on a time bucket.',
  ],
};

/** The public view of the catalog: names, types and docs, never a column or SQL fragment. */
@Injectable()
export class CatalogService {
  private readonly view: CatalogDto = {
    datasets: DATASETS.map((d) => ({
      name: d.name,
      description: d.description,
      time_column: d.time_column,
      dimensions: d.dimensions.map(({ name, type, description }) => ({ name, type, description })),
      measures: d.measures.map((m) => ({
        name: m.name, aggregation: m.aggregation, type: m.type, ...(m.unit ? { unit: m.unit } : {}), additive: isAdditive(m), description: m.description,
        ...(rollupApproximates(d, m.name) ? { approximate: true, relative_error: SKETCH_RELATIVE_ERROR } : {}),
      })),
      filter_fields: d.filter_fields.map(({ name, type, ops }) => ({ name, type, ops })),
      granularities: [...GRANULARITIES],
      limits: { ...LIMITS },
      rollup: {
        granularity: 'hour',
        dimensions: [...d.rollup.dimensions],
        measures: d.measures.filter((m) => rollupCovers(d, m.name)).map((m) => m.name),
        description: [ROLLUP_PLANNING, d.rollup.sizeNote].filter(Boolean).join(' '),
      },
    })),
    query_options: QUERY_OPTIONS,
    null_semantics: NULL_SEMANTICS,
  };

  catalog(): CatalogDto {
    return this.view;
  }
}
