import { FieldError, ProblemException } from '#src/common/problem-details/problem.js';
import { formatInZone } from './format-time.js';
import type { CompiledColumn } from './report-query.compile.js';
import type { ResolvedQuery } from './report-query.types.js';

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

// The echo must itself be RFC 3339: a four-digit year and an offset in whole minutes. Berlin's
// pre-1900 local mean time (+00:53:28) or an instant past 9999 in UTC is neither; such an edge can
// only come from an absolute range, which is then echoed as the client wrote it.
const RFC3339_ECHO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?(Z|[+-]\d{2}:\d{2})$/;

/** SPEC §11: the range a result was computed over, absolute, RFC 3339 with the query zone's offsets. */
export function absoluteRange(query: Pick<ResolvedQuery, 'from' | 'to' | 'timezone' | 'rangeText'>): { from: string; to: string } {
  const at = (d: Date, given: string | undefined) => {
    const text = formatInZone(d, query.timezone);
    if (RFC3339_ECHO.test(text)) return text;
    // A computed edge (compare's previous range) has no client text: UTC is always RFC 3339 here
    // (validation keeps it within years 1–9999).
    return given ?? d.toISOString();
  };
  return { from: at(query.from, query.rangeText?.from), to: at(query.to, query.rangeText?.to) };
}
