import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, ProblemException } from './problem.js';

class ValidationErrors extends Error {
  constructor(readonly errors: ValidationError[]) {
    super('validation failed');
  }
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Flattens class-validator's error tree into SPEC §3 `errors[]` entries with JSON pointers. */
export function flattenValidationErrors(errors: ValidationError[], base = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const pointer = `${base}/${escapePointer(e.property)}`;
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

/**
 * The one global pipe (STYLE §7): whitelist, forbid unknown fields, transform, and report every
 * failure at once as a 400 problem. Body pointers are `/field`; query parameters `/query/name`.
 */
@Injectable()
export class ProblemValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new ValidationErrors(errors),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const isDto = typeof metadata.metatype === 'function' && ![String, Boolean, Number, Array, Object].includes(metadata.metatype as never);
    if (metadata.type === 'body' && isDto) {
      if (value === undefined || value === null || value === '') value = {};
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw new ProblemException('validation_failed', 'The request body must be a JSON object.', {
          errors: [{ pointer: '', message: 'must be a JSON object' }],
        });
      }
    }
    try {
      return await super.transform(value, metadata);
    } catch (e) {
      if (e instanceof ValidationErrors) {
        const base = metadata.type === 'query' ? '/query' : metadata.type === 'param' ? '/path' : '';
        const errors = flattenValidationErrors(e.errors, base);
        const where = metadata.type === 'query' ? 'query string' : metadata.type === 'param' ? 'path' : 'request body';
        throw new ProblemException('validation_failed', `The ${where} has ${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${errors.map((x) => x.pointer || '/').join(', ')}.`, { errors });
      }
      throw e;
    }
  }
}
