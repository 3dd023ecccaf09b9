import { Injectable } from '@nestjs/common';
import { DATASETS, GRANULARITIES, LIMITS } from './catalog.js';
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

/** The public view of the catalog: names, types and docs, never a column or SQL fragment. */
@Injectable()
export class CatalogService {
  private readonly view: CatalogDto = {
    datasets: DATASETS.map((d) => ({
      name: d.name,
      description: d.description,
      time_column: d.time_column,
      dimensions: d.dimensions.map(({ name, type, description }) => ({ name, type, description })),
      measures: d.measures.map(({ name, aggregation, type, unit, description }) => ({
        name, aggregation, type, ...(unit ? { unit } : {}), description,
        ...(rollupApproximates(d, name) ? { approximate: true, relative_error: SKETCH_RELATIVE_ERROR } : {}),
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
    null_semantics: NULL_SEMANTICS,
  };

  catalog(): CatalogDto {
    return this.view;
  }
}
