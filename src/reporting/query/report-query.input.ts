import { Injectable } from '@nestjs/common';
import { type InputResult, type InputValidator, ValidatedBy } from '#src/common/validation/input-validator.js';
import { ReportQueryService } from './report-query.service.js';
import type { ResolvedQuery } from './report-query.types.js';
import { invalidQuery } from './report-query.wire.js';

/** The catalog checks of a ReportQuery body (report-query.validate.ts), run by the global pipe. */
@Injectable()
export class ReportQueryValidator implements InputValidator<ReportQueryInput> {
  constructor(private readonly reports: ReportQueryService) {}

  validate(value: unknown): InputResult<ReportQueryInput> {
    const result = this.reports.check(value);
    return result.ok ? { ok: true, value: new ReportQueryInput(result.query) } : { ok: false, problem: invalidQuery(result.errors) };
  }
}

/** run_report_query's body as its handler gets it: resolved against the catalog (ReportQueryDto documents the wire). */
@ValidatedBy(ReportQueryValidator)
export class ReportQueryInput {
  constructor(readonly query: ResolvedQuery) {}
}
