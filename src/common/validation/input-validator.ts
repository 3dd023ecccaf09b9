import type { Type } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ProblemException } from '#src/common/problem-details/problem.js';

/**
 * What a validator reads besides the value: the request's headers (an export's `Accept` picks its
 * row cap) and path parameters (a cursor belongs to one app). Set around each request by
 * app.setup.ts; the pipe hands it to the validator, which never reaches for it itself.
 */
export interface InputContext {
  headers: IncomingHttpHeaders;
  params: Record<string, string | undefined>;
}

export const inputContext = new AsyncLocalStorage<InputContext>();

export type InputResult<T> = { ok: true; value: T } | { ok: false; problem: ProblemException };

/**
 * Checks for an input class-validator rules cannot state (a report query against the catalog,
 * every problem at once with its own problem code). A provider, so it may inject services;
 * the one global pipe resolves it from the application and runs it in place of class-validator.
 */
export interface InputValidator<T = unknown> {
  validate(value: unknown, context: InputContext): InputResult<T>;
}

const VALIDATED_BY = Symbol('factline:validated-by');

/**
 * Marks an input class as checked by `validator`: the pipe passes it the parsed body (or query
 * object) as sent — any JSON value — or, when the class has class-validator rules too, the
 * instance that passed them; and hands the handler what the validator returns, an instance of
 * this class.
 */
export function ValidatedBy(validator: Type<InputValidator>): ClassDecorator {
  return (target) => Reflect.defineMetadata(VALIDATED_BY, validator, target);
}

export function validatorOf(type: unknown): Type<InputValidator> | undefined {
  return typeof type === 'function' ? (Reflect.getMetadata(VALIDATED_BY, type) as Type<InputValidator> | undefined) : undefined;
}
