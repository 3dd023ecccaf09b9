import { Injectable } from '@nestjs/common';
import { CursorSigner } from '#src/common/cursor-signing/cursor-signer.service.js';
import { parsePublicId } from '#src/common/ids/public-id.js';
import { type FieldError, ProblemException } from '#src/common/problem-details/problem.js';
import { validationFailed } from '#src/common/problem-details/validation.pipe.js';
import { pointerSegment } from '#src/common/validation/json-input.js';
import { type InputContext, type InputResult, type InputValidator, ValidatedBy } from '#src/common/validation/input-validator.js';
import { ListAppRunsQueryDto } from './app-runs.dto.js';
import { type AppRunsQuery, parseAppRunsQuery } from './app-runs.params.js';

const PARAMETERS = ['window', 'group_by', 'groupBy', 'limit', 'cursor'];

/** list_app_runs' 400 for a bad parameter value: every problem, and the detail says which and why. */
export function invalidQueryParameters(errors: FieldError[]): ProblemException {
  return new ProblemException('invalid_query', `${errors.map((e) => e.message).join('; ')}.`, { errors });
}

/**
 * list_app_runs' query string, in the order a caller's mistakes are reported: an unknown
 * parameter (400 validation_failed, as on every route), a malformed app id in the path (400
 * invalid_app_id), then every bad value at once (400 invalid_query, app-runs.params.ts). The
 * path's app is read here because a cursor belongs to one app.
 */
@Injectable()
export class AppRunsQueryValidator implements InputValidator<AppRunsQueryInput> {
  constructor(private readonly signer: CursorSigner) {}

  validate(value: unknown, context: InputContext): InputResult<AppRunsQueryInput> {
    const raw = (value ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(raw).filter((name) => !PARAMETERS.includes(name));
    if (unknown.length > 0) return { ok: false, problem: validationFailed('query string', unknown.map((name) => ({ pointer: `/query/${pointerSegment(name)}`, message: `unknown field "${name}"` }))) };
    const rawAppId = context.params.app_id ?? '';
    const appId = parsePublicId('app', rawAppId);
    if (!appId) {
      return { ok: false, problem: new ProblemException('invalid_app_id', `${JSON.stringify(rawAppId.slice(0, 80))} is not an app id: expected app_ followed by 32 lowercase hex characters.`) };
    }
    const parsed = parseAppRunsQuery(raw, appId, this.signer.keyFor('list_app_runs'));
    if (!parsed.ok) return { ok: false, problem: invalidQueryParameters(parsed.errors) };
    return { ok: true, value: Object.assign(new AppRunsQueryInput(), { appId, query: parsed.value }) };
  }
}

/** list_app_runs' query string as its handler gets it (ListAppRunsQueryDto, its parent, documents the parameters). */
@ValidatedBy(AppRunsQueryValidator)
export class AppRunsQueryInput extends ListAppRunsQueryDto {
  /** The path's app, as a uuid. */
  appId: string;
  query: AppRunsQuery;
}
