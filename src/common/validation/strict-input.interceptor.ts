import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { FieldError, ProblemException } from '#src/common/problem-details/problem.js';
import { pointerList } from '#src/common/problem-details/validation.pipe.js';
import { pointerSegment } from './json-input.js';

interface Declared {
  /** The handler takes the whole query string (a DTO the pipe whitelists) — or only these names. */
  wholeQuery: boolean;
  queryNames: string[];
  body: boolean;
}

/**
 * SPEC §8 on every route: unknown query parameters and body fields are a 400 naming them. A DTO
 * taken with @Query()/@Body() is whitelisted by the global pipe; this covers what no DTO
 * declares — a route without @Query() takes no query parameters (`?org_id=` is refused, not
 * ignored), and a route without @Body() takes an empty body or `{}` only. Runs after the guards,
 * so an anonymous caller still gets its 401 first.
 */
@Injectable()
export class StrictInputInterceptor implements NestInterceptor {
  private readonly cache = new Map<Function, Declared>();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const declared = this.declared(context);
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const errors: FieldError[] = [];
    if (!declared.wholeQuery) {
      for (const name of Object.keys((request.query as Record<string, unknown> | undefined) ?? {})) {
        if (!declared.queryNames.includes(name)) errors.push({ pointer: `/query/${pointerSegment(name)}`, message: `unknown query parameter "${name.slice(0, 100)}"` });
      }
    }
    const body = request.body as unknown;
    if (!declared.body && body !== undefined) {
      if (body === null || typeof body !== 'object' || Array.isArray(body)) errors.push({ pointer: '', message: 'this route takes no body (send none, or {})' });
      else for (const key of Object.keys(body)) errors.push({ pointer: `/${pointerSegment(key)}`, message: `unknown field "${key.slice(0, 100)}"; this route takes no body` });
    }
    if (errors.length > 0) {
      throw new ProblemException('validation_failed', `The request has ${errors.length} unknown input${errors.length === 1 ? '' : 's'}: ${pointerList(errors)}.`, { errors });
    }
    return next.handle();
  }

  private declared(context: ExecutionContext): Declared {
    const handler = context.getHandler();
    let d = this.cache.get(handler);
    if (!d) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {}) as Record<string, { data?: unknown }>;
      d = { wholeQuery: false, queryNames: [], body: false };
      for (const [key, arg] of Object.entries(args)) {
        const type = Number(key.split(':')[0]);
        if (type === RouteParamtypes.QUERY) {
          if (typeof arg.data === 'string') d.queryNames.push(arg.data);
          else d.wholeQuery = true;
        }
        if (type === RouteParamtypes.BODY || type === RouteParamtypes.RAW_BODY) d.body = true;
      }
      this.cache.set(handler, d);
    }
    return d;
  }
}
