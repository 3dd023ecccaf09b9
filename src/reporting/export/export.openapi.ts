import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, getSchemaPath } from '@nestjs/swagger';
import { ExportEnvelopeDto } from '#src/reporting/query/report-query.dto.js';

/** The 200 of both export routes: the seed's JSON envelope, or the CSV file itself (SPEC §6 Export). */
export function ApiExportOkResponse() {
  return applyDecorators(
    ApiExtraModels(ExportEnvelopeDto),
    ApiOkResponse({
      description:
        'The JSON envelope by default. With `Accept: text/csv` the CSV file itself, streamed from a database cursor ' +
        '(`Content-Disposition: attachment`; freshness in `X-As-Of` and `X-Freshness-Lag-Ms`, the absolute range in `X-Time-Range-From` and `X-Time-Range-To`).',
      headers: {
        'X-As-Of': { description: 'Streamed CSV only: as_of of the data (RFC 3339).', schema: { type: 'string', format: 'date-time' } },
        'X-Freshness-Lag-Ms': { description: 'Streamed CSV only: freshness_lag_ms (empty when unknown).', schema: { type: 'string' } },
        'X-Time-Range-From': { description: 'Streamed CSV only: time_range.from, the inclusive start the export ran over (a relative range resolved).', schema: { type: 'string', format: 'date-time' } },
        'X-Time-Range-To': { description: 'Streamed CSV only: time_range.to, the exclusive end.', schema: { type: 'string', format: 'date-time' } },
        'Content-Disposition': { description: 'Streamed CSV only: attachment; filename="…".', schema: { type: 'string' } },
      },
      content: {
        'application/json': { schema: { $ref: getSchemaPath(ExportEnvelopeDto) } },
        'text/csv': { schema: { type: 'string', format: 'binary' } },
      },
    }),
  );
}
