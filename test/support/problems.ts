/** Problem bodies the reporting routes answer with (SPEC §3, §6). */

export const PROBLEM = 'application/problem+json; charset=utf-8';

export type FieldError = { pointer: string; message: string; allowed?: string[] };

/** The whole problem body of an invalid query (SPEC §3 and §6). */
export const invalidQueryProblem = (errors: FieldError[], instance = '/v1/reports/query') => ({
  type: '/problems/invalid_report_query',
  title: 'Invalid semantic query',
  status: 400,
  detail: `The report query has ${errors.length} problem${errors.length === 1 ? '' : 's'}; see errors.`,
  code: 'invalid_report_query',
  instance,
  allowed_actions: [
    {
      rel: 'retry',
      hint: 'Fix every entry of errors[] and resend; GET /v1/reports/catalog lists the datasets, dimensions, measures and filter fields.',
      href: '/v1/reports/catalog',
      method: 'GET',
      operation_id: 'get_report_catalog',
    },
  ],
  errors,
});
