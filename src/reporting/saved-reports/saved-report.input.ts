import { isObject, pointerSegment, show } from '#src/common/validation/json-input.js';
import { Injectable } from '@nestjs/common';
import { type FieldError, ProblemException } from '#src/common/problem-details/problem.js';
import { invalidBodyFields } from '#src/common/problem-details/validation.pipe.js';
import { isStorableText } from '#src/common/validation/input-bounds.js';
import { type InputResult, type InputValidator, ValidatedBy } from '#src/common/validation/input-validator.js';
import { ReportQueryService } from '#src/reporting/query/report-query.service.js';
import { invalidQuery } from '#src/reporting/query/report-query.wire.js';
import { SAVED_REPORT_DESCRIPTION_MAX, SAVED_REPORT_NAME_MAX } from './saved-report.dto.js';

const FIELDS = ['name', 'description', 'query'];
/** Length in characters (code points), as the database's char_length counts it. */
const chars = (s: string) => [...s].length;

/**
 * Every problem of a create (`partial` false) or update body at once; when every problem is in
 * the query it is an invalid_report_query (with its catalog link), else a validation_failed that
 * still lists every problem. Text is refused here rather than by a failing INSERT (NUL) or
 * silently altered (lone surrogates).
 */
function checkSavedReport(reports: ReportQueryService, body: unknown, partial: boolean): InputResult<SavedReportInput> {
  if (!isObject(body)) return { ok: false, problem: new ProblemException('validation_failed', 'The body must be a JSON object.', { errors: [{ pointer: '', message: 'must be a JSON object' }] }) };
  const errors: FieldError[] = [];
  let queryInvalid = false;
  for (const key of Object.keys(body)) if (!FIELDS.includes(key)) errors.push({ pointer: `/${pointerSegment(key)}`, message: `unknown field ${show(key)}`, allowed: FIELDS });
  const out = new SavedReportInput();
  if (body.name !== undefined || !partial) {
    if (typeof body.name !== 'string' || body.name.trim().length < 1 || chars(body.name) > SAVED_REPORT_NAME_MAX) errors.push({ pointer: '/name', message: `name must be a string of 1 to ${SAVED_REPORT_NAME_MAX} characters` });
    else if (!isStorableText(body.name)) errors.push({ pointer: '/name', message: 'name must be valid Unicode without NUL characters' });
    else out.name = body.name;
  }
  if (body.description !== undefined) {
    if (body.description !== null && (typeof body.description !== 'string' || chars(body.description) > SAVED_REPORT_DESCRIPTION_MAX)) {
      errors.push({ pointer: '/description', message: `description must be a string of at most ${SAVED_REPORT_DESCRIPTION_MAX} characters, or null` });
    } else if (typeof body.description === 'string' && !isStorableText(body.description)) errors.push({ pointer: '/description', message: 'description must be valid Unicode without NUL characters' });
    else out.description = body.description as string | null;
  }
  if (body.query !== undefined || !partial) {
    const result = reports.check(body.query, {}, '/query');
    if (!result.ok) {
      queryInvalid = true;
      errors.push(...result.errors);
    } else {
      // A top-level null is "absent" to the validator (default dimensions, limit, zone…); stored
      // as absent, so the saved query reads back in the documented shape (arrays, never null).
      out.query = Object.fromEntries(Object.entries(body.query as Record<string, unknown>).filter(([, v]) => v !== null));
    }
  }
  if (errors.length === 0) return { ok: true, value: out };
  if (queryInvalid && errors.every((e) => e.pointer === '/query' || e.pointer.startsWith('/query/'))) return { ok: false, problem: invalidQuery(errors) };
  return { ok: false, problem: invalidBodyFields(errors) };
}

/** create_saved_report's body: name and query required. */
@Injectable()
export class CreateSavedReportValidator implements InputValidator<SavedReportInput> {
  constructor(private readonly reports: ReportQueryService) {}
  validate(body: unknown): InputResult<SavedReportInput> {
    return checkSavedReport(this.reports, body, false);
  }
}

/** update_saved_report's body: absent = unchanged. */
@Injectable()
export class UpdateSavedReportValidator implements InputValidator<SavedReportInput> {
  constructor(private readonly reports: ReportQueryService) {}
  validate(body: unknown): InputResult<SavedReportInput> {
    return checkSavedReport(this.reports, body, true);
  }
}

/** A saved report's fields as sent and checked (CreateSavedReportDto / UpdateSavedReportDto document the wire); absent = not given. */
export class SavedReportInput {
  name?: string;
  /** null clears it (update). */
  description?: string | null;
  /** The wire query as sent (stored as is; it is validated again on every run). */
  query?: Record<string, unknown>;
}

@ValidatedBy(CreateSavedReportValidator)
export class CreateSavedReportInput extends SavedReportInput {}

@ValidatedBy(UpdateSavedReportValidator)
export class UpdateSavedReportInput extends SavedReportInput {}
