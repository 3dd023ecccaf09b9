import { ArgumentMetadata, Injectable, type Type, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage, type ValidatorOptions } from 'class-validator';
import { failingElements, fastChecker } from '#src/common/validation/fast-check.js';
import { oversizedArrays, unstorableStrings } from '#src/common/validation/input-bounds.js';
import { type InputContext, inputContext, validatorOf } from '#src/common/validation/input-validator.js';
import { pointerSegment } from '#src/common/validation/json-input.js';
import { FieldError, ProblemException } from './problem.js';

/** Failing records worded in errors[] (the rest are counted): 20 records give the 100 listed errors and more. */
const EXPLAINED_RECORDS = 20;

class ValidationErrors extends Error {
  constructor(readonly errors: ValidationError[]) {
    super('validation failed');
  }
}

/** Flattens class-validator's error tree into SPEC §3 `errors[]` entries with JSON pointers. */
export function flattenValidationErrors(errors: ValidationError[], base = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const pointer = `${base}/${pointerSegment(e.property)}`;
    for (const [name, message] of Object.entries(e.constraints ?? {})) {
      if (name === 'whitelistValidation') {
        out.push({ pointer, message: `unknown field "${e.property}"` });
        continue;
      }
      const allowed = (e.contexts?.[name] as { allowed?: string[] } | undefined)?.allowed;
      out.push({ pointer, message, ...(allowed ? { allowed } : {}) });
    }
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, pointer));
  }
  return out;
}

/** `/a, /b and 12 more`: a detail stays one short line however many fields are bad (errors[] has them). */
export function pointerList(errors: FieldError[]): string {
  const pointers = [...new Set(errors.map((x) => x.pointer || '/'))];
  const shown = pointers.slice(0, 5).join(', ');
  return pointers.length > 5 ? `${shown} and ${pointers.length - 5} more` : shown;
}

/** The 400 validation_failed of a body's checks beyond its DTO rules (a validator's): every problem, a short detail. */
export function invalidBodyFields(errors: FieldError[]): ProblemException {
  return new ProblemException('validation_failed', `The body has ${errors.length} invalid field${errors.length === 1 ? '' : 's'}.`, { errors });
}

/** The 400 validation_failed of a body, query string or path: every problem, the first pointers in the detail. */
export function validationFailed(where: 'request body' | 'query string' | 'path', errors: FieldError[], count = errors.length): ProblemException {
  return new ProblemException('validation_failed', `The ${where} has ${count} invalid field${count === 1 ? '' : 's'}: ${pointerList(errors)}.`, { errors });
}

/**
 * A DTO's defaults are its property initializers (README: Validation). An optional field sent as
 * null (IsOptional lets it through) takes the default too, as an absent one does.
 */
function withDefaults(dto: object): object {
  const defaults = new (dto.constructor as new () => Record<string, unknown>)();
  const fields = dto as Record<string, unknown>;
  for (const [key, value] of Object.entries(defaults)) if (value !== undefined && fields[key] === null) fields[key] = value;
  return dto;
}

const hasRules = (type: Function) => getMetadataStorage().getTargetValidationMetadatas(type, '', true, false).length > 0;

/** How the pipe reaches a validator provider (in the app: `app.get(type, { strict: false })`). */
export type ValidatorResolver = <T>(type: Type<T>) => T;

const noValidators: ValidatorResolver = (type) => {
  throw new Error(`no validator resolver: ${type.name} cannot be run`);
};

/**
 * The one global pipe (STYLE §7), the only way a body or a query string is validated (README:
 * "Validation"). A class marked @ValidatedBy is checked by its validator, which returns the handler's
 * input or a problem (the report query's deep checks): it sees the value as sent, or, when the
 * class has class-validator rules too, the instance that passed them. Any other class by its
 * class-validator rules: whitelist, forbid unknown fields, transform (defaults are
 * the class's property initializers), every failure at once as a 400 validation_failed. Body
 * pointers are `/field`; query parameters `/query/name`.
 */
@Injectable()
export class ProblemValidationPipe extends ValidationPipe {
  constructor(private readonly resolveValidator: ValidatorResolver = noValidators) {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new ValidationErrors(errors),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const validator = metadata.type === 'body' || metadata.type === 'query' ? validatorOf(metadata.metatype) : undefined;
    if (!validator) return this.transformByRules(value, metadata);
    // A class with class-validator rules of its own passes them first; its validator then sees the instance.
    const input = hasRules(metadata.metatype!) ? await this.transformByRules(value, metadata) : value;
    const result = this.resolveValidator(validator).validate(input, inputContext.getStore() ?? { headers: {}, params: {} });
    if (!result.ok) throw result.problem;
    return result.value;
  }

  /**
   * What a handler taking `type` would get for `value`, outside an HTTP request (an MCP tool
   * calling a route's service): `context` stands for the request's headers and path parameters.
   */
  validateAs<T>(type: Type<T>, where: 'body' | 'query', value: unknown, context: Partial<InputContext> = {}): Promise<T> {
    return inputContext.run({ headers: {}, params: {}, ...context }, () => this.transform(value, { type: where, metatype: type })) as Promise<T>;
  }

  private async transformByRules(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const isDto = typeof metadata.metatype === 'function' && ![String, Boolean, Number, Array, Object].includes(metadata.metatype as never);
    if (metadata.type === 'body' && isDto) {
      if (value === undefined || value === null || value === '') value = {};
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw new ProblemException('validation_failed', 'The request body must be a JSON object.', {
          errors: [{ pointer: '', message: 'must be a JSON object' }],
        });
      }
      // Cheap checks first, so an oversized or unstorable body never reaches element-wise validation.
      const oversized = oversizedArrays(value, metadata.metatype);
      if (oversized.length > 0) throw validationFailed('request body', oversized);
      const unstorable = unstorableStrings(value);
      if (unstorable.length > 0) throw validationFailed('request body', unstorable);
      const check = fastChecker(metadata.metatype!);
      if (check) {
        // Valid by the same rules: taken as parsed (nested records stay plain objects; the DTOs are
        // data only), on an instance of the class so that its defaults apply.
        if (check(value)) return withDefaults(Object.assign(new (metadata.metatype as new () => object)(), value));
        await this.explainFailures(value as Record<string, unknown>, metadata);
      }
    }
    try {
      const out = await super.transform(value, metadata);
      return isDto && (metadata.type === 'body' || metadata.type === 'query') ? withDefaults(out as object) : out;
    } catch (e) {
      if (e instanceof ValidationErrors) {
        const base = metadata.type === 'query' ? '/query' : metadata.type === 'param' ? '/path' : '';
        const errors = flattenValidationErrors(e.errors, base);
        const where = metadata.type === 'query' ? 'query string' : metadata.type === 'param' ? 'path' : 'request body';
        throw validationFailed(where, errors);
      }
      throw e;
    }
  }

  /**
   * class-validator words the errors, but only for the first failing records: it costs about
   * 0.1 ms per record, too much to run over 5,000 bad ones. Pointers keep the records' real
   * indices; the records not worded are counted. Falls through (to validating the whole body)
   * only if class-validator finds nothing wrong in the cut-down body.
   */
  private async explainFailures(body: Record<string, unknown>, metadata: ArgumentMetadata): Promise<void> {
    const { reduced, indices, failing } = failingElements(body, metadata.metatype!, EXPLAINED_RECORDS);
    try {
      await super.transform(reduced, metadata);
    } catch (e) {
      if (!(e instanceof ValidationErrors)) throw e;
      for (const top of e.errors) {
        const map = indices.get(top.property);
        if (map) for (const child of top.children ?? []) child.property = String(map[Number(child.property)] ?? child.property);
      }
      const errors = flattenValidationErrors(e.errors);
      const partly = [...failing].filter(([property, n]) => n > (indices.get(property)?.length ?? 0));
      if (partly.length === 0) throw validationFailed('request body', errors);
      const worded = errors.length;
      const counts = partly.map(([property, n]) => `${n} invalid ${property}`).join(' and ');
      for (const [property, n] of partly) {
        errors.push({ pointer: `/${property}`, message: `${n - indices.get(property)!.length} more of the ${n} invalid ${property} are not itemised; fix these first` });
      }
      throw new ProblemException('validation_failed', `The request body has ${counts}; errors[] itemises the first ${EXPLAINED_RECORDS} (${worded} problems): ${pointerList(errors.slice(0, worded))}.`, { errors });
    }
  }

  /** Nested arrays (an app's channels) are bounded before their elements are validated, too. */
  protected override async validate(object: object, validatorOptions?: ValidatorOptions): Promise<ValidationError[]> {
    const oversized = oversizedArrays(object);
    if (oversized.length > 0) throw validationFailed('request body', oversized);
    return super.validate(object, validatorOptions);
  }
}
