import { isObject, pointerSegment, show } from '#src/common/validation/json-input.js';
import { Injectable } from '@nestjs/common';
import type { FieldError } from '#src/common/problem-details/problem.js';
import { ProblemException } from '#src/common/problem-details/problem.js';
import { type InputContext, type InputResult, type InputValidator, ValidatedBy } from '#src/common/validation/input-validator.js';
import { ReportQueryService } from '#src/reporting/query/report-query.service.js';
import type { ResolvedQuery } from '#src/reporting/query/report-query.types.js';
import { invalidQuery } from '#src/reporting/query/report-query.wire.js';
import { ENVELOPE_OPTIONS, STREAM_OPTIONS } from './export.service.js';

/** SPEC §6: an export asked with `Accept: text/csv` (anywhere in the list) streams the file; anything else gets the JSON envelope. */
export const wantsCsvStream = (accept: string | undefined) => /(^|,)\s*text\/csv\b/i.test(accept ?? '');

/** The fields of an export body other than `format` must be `keys`; `format`, when given, is "csv". Both export routes. */
function checkExportFields(body: Record<string, unknown>, keys: string[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const key of Object.keys(body)) if (!keys.includes(key)) errors.push({ pointer: `/${pointerSegment(key)}`, message: `unknown field ${show(key)}`, allowed: keys });
  if (body.format !== undefined && body.format !== null && body.format !== 'csv') errors.push({ pointer: '/format', message: 'format must be "csv"', allowed: ['csv'] });
  return errors;
}

/** export_query's body `{format?, query}`: the query resolved with the row cap of the answer the Accept header asks for; every problem at once. */
@Injectable()
export class ExportQueryValidator implements InputValidator<ExportQueryInput> {
  constructor(private readonly reports: ReportQueryService) {}

  validate(body: unknown, context: InputContext): InputResult<ExportQueryInput> {
    if (!isObject(body)) return { ok: false, problem: invalidQuery([{ pointer: '', message: 'the body must be {"format": "csv", "query": {...}}' }]) };
    const stream = wantsCsvStream(context.headers.accept);
    const errors = checkExportFields(body, ['format', 'query']);
    if (body.query === undefined) errors.push({ pointer: '/query', message: 'query is required (a ReportQuery)' });
    else {
      const result = this.reports.check(body.query, stream ? STREAM_OPTIONS : ENVELOPE_OPTIONS, '/query');
      if (!result.ok) errors.push(...result.errors);
      else if (errors.length === 0) return { ok: true, value: new ExportQueryInput(result.query, stream) };
    }
    return { ok: false, problem: invalidQuery(errors) };
  }
}

/** export_query's body as its handler gets it (ExportRequestDto documents the wire). */
@ValidatedBy(ExportQueryValidator)
export class ExportQueryInput {
  constructor(
    readonly query: ResolvedQuery,
    /** `Accept: text/csv`: stream the file rather than answer the envelope. */
    readonly stream: boolean,
  ) {}
}

/** export_saved_report's body: none, or `{"format": "csv"}`. */
@Injectable()
export class SavedReportExportValidator implements InputValidator<SavedReportExportInput> {
  validate(body: unknown, context: InputContext): InputResult<SavedReportExportInput> {
    const errors = body === undefined || body === null ? [] : isObject(body) ? checkExportFields(body, ['format']) : [{ pointer: '', message: 'the body must be empty or {"format": "csv"}' }];
    if (errors.length > 0) return { ok: false, problem: new ProblemException('validation_failed', 'The export request is invalid.', { errors }) };
    return { ok: true, value: new SavedReportExportInput(wantsCsvStream(context.headers.accept)) };
  }
}

/** export_saved_report's body as its handler gets it (SavedReportExportRequestDto documents the wire). */
@ValidatedBy(SavedReportExportValidator)
export class SavedReportExportInput {
  constructor(readonly stream: boolean) {}
}
