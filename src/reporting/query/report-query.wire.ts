import { FieldError, ProblemException } from '#src/common/problem-details/problem.js';
import { formatInZone } from './format-time.js';
import type { CompiledColumn } from './report-query.compile.js';

/** The wire shapes shared by every route that runs a report query: its 400 and its rows. */

export function invalidQuery(errors: FieldError[]): ProblemException {
  return new ProblemException('invalid_report_query', `The report query has ${errors.length} problem${errors.length === 1 ? '' : 's'}; see errors.`, {
    errors,
    allowedActions: [
      {
        rel: 'retry',
        hint: 'Fix every entry of errors[] and resend; GET /v1/reports/catalog lists the datasets, dimensions, measures and filter fields.',
        href: '/v1/reports/catalog',
        method: 'GET',
        operation_id: 'get_report_catalog',
      },
    ],
  });
}

/** Row values as the wire wants them: time buckets in the query's zone, numbers as numbers. */
export function formatRow(raw: Record<string, unknown>, columns: CompiledColumn[], timezone: string): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const c of columns) {
    const v = raw[c.name];
    row[c.name] = v instanceof Date ? formatInZone(v, timezone) : v === undefined ? null : v;
  }
  return row;
}
