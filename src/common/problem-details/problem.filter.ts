import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isConflict, isDatabaseUnavailable, isDataException, isStatementTimeout, isUniqueViolation } from '#src/common/pg/pg-errors.js';
import { JsonLogger } from '#src/common/logging/json-logger.js';
import { FieldError, ProblemBody, ProblemException } from './problem.js';
import { isProblemCode, PROBLEM_CODES, ProblemCode, STATUS_TO_CODE } from './problem-codes.js';
import { RouteIndex } from './route-index.js';

interface Mapped {
  code: ProblemCode;
  detail?: string;
  exception?: ProblemException;
  headers?: Record<string, string>;
  retryAfterSeconds?: number;
  log?: unknown;
}

/** errors[] lists at most this many entries, then one that counts the rest (a 1 MiB body must not become a 25 MB answer). */
export const MAX_LISTED_ERRORS = 100;

/** Where an error happened: the HTTP request, or a tool call made through one (MCP). */
export interface ProblemContext {
  requestId: string;
  method: string;
  /** The request path, without the query string. */
  path: string;
  /** Whether a route matched (a 404 without one is "no such route"). */
  routed: boolean;
  /** The problem's `instance` when it is not the path. */
  instance?: string;
  /** The MCP tool being called, for the log. */
  tool?: string;
}

function capErrors(errors: FieldError[]): FieldError[] {
  // A list the query validator already capped (100 and its own count) passes unchanged.
  if (errors.length <= MAX_LISTED_ERRORS + 1) return errors;
  const rest = errors.length - MAX_LISTED_ERRORS;
  return [...errors.slice(0, MAX_LISTED_ERRORS), { pointer: '', message: `${rest} more problems not listed; fix these first` }];
}

function mapFastifyError(err: { code?: string; statusCode?: number; message?: string }): Mapped | null {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'payload_too_large', detail: 'The request body exceeds the 1 MiB limit.' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'unsupported_media_type', detail: 'Send the body as application/json.' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: 'bad_request', detail: 'Content-Length does not match the body.' };
    case 'FST_ERR_BAD_URL':
      return { code: 'bad_request', detail: 'The URL is malformed (a bad percent-encoding?).' };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { code: 'uri_too_long', detail: 'A path segment is longer than 200 characters.' };
    default:
      break;
  }
  if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return { code: 'bad_request', detail: `Malformed JSON body: ${err.message ?? ''}`.trim() };
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return { code: STATUS_TO_CODE[err.statusCode] ?? 'bad_request', detail: err.message };
  }
  return null;
}

/**
 * The one catch-all (STYLE §6): every error from every layer leaves as RFC 9457 problem+json.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(
    private readonly logger: JsonLogger,
    private readonly routes: RouteIndex,
    private readonly publicBaseUrl?: string,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    this.send(ctx.getRequest<FastifyRequest>(), ctx.getResponse<FastifyReply>(), exception);
  }

  send(request: FastifyRequest, reply: FastifyReply, exception: unknown): void {
    const path = request.url.split('?')[0];
    const { body, headers } = this.describe(exception, { requestId: String(request.id), method: request.method, path, routed: Boolean(request.routeOptions?.url) });
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    reply.removeHeader('content-disposition');
    reply.status(body.status).headers(headers).type('application/problem+json').send(JSON.stringify(body));
  }

  /**
   * The problem details of an error, logged as the HTTP path logs it. Also used where an error
   * travels inside a 200 (an MCP tool result), so both transports word every error the same way.
   */
  describe(exception: unknown, where: ProblemContext): { body: ProblemBody; headers: Record<string, string> } {
    const mapped = this.map(where, exception);
    const { status, title } = PROBLEM_CODES[mapped.code];
    if (mapped.log !== undefined) {
      const err = mapped.log as { message?: string; stack?: string; code?: string };
      this.logger.emit(status >= 500 ? 'error' : 'warn', 'request failed', {
        request_id: where.requestId,
        method: where.method,
        path: where.path,
        ...(where.tool ? { tool: where.tool } : {}),
        status,
        error: err?.message ?? String(err),
        error_code: err?.code,
        stack: err?.stack,
      });
    }
    const ex = mapped.exception;
    const retryAfter = ex?.options.retryAfterSeconds ?? mapped.retryAfterSeconds;
    const body: ProblemBody = {
      type: this.typeUri(mapped.code),
      title,
      status,
      ...(mapped.detail !== undefined ? { detail: mapped.detail } : {}),
      code: mapped.code,
      instance: where.instance ?? where.path,
      ...(retryAfter !== undefined ? { retry_after_seconds: retryAfter } : {}),
      ...(ex?.options.allowedActions ? { allowed_actions: ex.options.allowedActions } : {}),
      ...(ex?.options.errors ? { errors: capErrors(ex.options.errors) } : {}),
    };
    const headers: Record<string, string> = { ...(mapped.headers ?? {}), ...(ex?.options.headers ?? {}) };
    if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
    return { body, headers };
  }

  typeUri(code: ProblemCode): string {
    return `${this.publicBaseUrl ?? ''}/problems/${code}`;
  }

  private map(where: ProblemContext, exception: unknown): Mapped {
    if (exception instanceof ProblemException) {
      return { code: exception.code, detail: exception.detail, exception };
    }
    if (exception instanceof HttpException) {
      const cause = (exception as { cause?: unknown }).cause as { code?: string; statusCode?: number; message?: string } | undefined;
      if (cause && typeof cause === 'object' && typeof cause.code === 'string' && cause.code.startsWith('FST_')) {
        const m = mapFastifyError(cause);
        if (m) return m;
      }
      const status = exception.getStatus();
      if (status === 404 && !where.routed) return this.routeMiss(where);
      const response = exception.getResponse();
      const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
      const detail = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : undefined;
      if (status >= 500) return { code: 'internal_error', detail: 'An unexpected error occurred.', log: exception };
      return { code: STATUS_TO_CODE[status] ?? (status >= 400 && status < 500 ? 'bad_request' : 'internal_error'), detail };
    }
    const err = exception as { code?: string; statusCode?: number; message?: string; driverError?: { code?: string } } | null;
    if (err && typeof err === 'object' && typeof err.code === 'string' && err.code.startsWith('FST_')) {
      const m = mapFastifyError(err);
      if (m) return m;
    }
    if (exception instanceof SyntaxError && (exception as { statusCode?: number }).statusCode === 400) {
      return { code: 'bad_request', detail: `Malformed JSON body: ${exception.message}` };
    }
    if (isStatementTimeout(exception)) {
      return { code: 'query_timeout', detail: 'The query was cancelled by the statement timeout.', retryAfterSeconds: 5, log: exception };
    }
    if (isConflict(exception)) {
      // A deadlock or serialization failure: the database picked this request as the victim of
      // a conflict with a concurrent one. Nothing of it was committed; the same request can be
      // repeated (ingest is idempotent). Transient, so a 503 with a short retry, never a 500.
      return { code: 'service_unavailable', detail: 'The request collided with a concurrent one and was rolled back; repeat it.', retryAfterSeconds: 1, log: exception };
    }
    if (isDatabaseUnavailable(exception)) {
      return { code: 'service_unavailable', detail: 'The database is unreachable; retry shortly.', retryAfterSeconds: 5, log: exception };
    }
    if (isUniqueViolation(exception)) return { code: 'conflict', detail: 'A resource with the same unique value already exists.', log: exception };
    if (isDataException(exception)) {
      return { code: 'bad_request', detail: 'A value is out of range or malformed for its field.', log: exception };
    }
    return { code: 'internal_error', detail: 'An unexpected error occurred.', log: exception };
  }

  private routeMiss({ method, path }: ProblemContext): Mapped {
    const allowed = this.routes.methodsFor(path);
    // A wildcard route of this method that found nothing (Swagger UI's static files under /docs/, the explorer's assets)
    // is a plain 404, not "GET is not supported; use GET".
    if (allowed.length > 0 && !allowed.includes(method === 'HEAD' ? 'GET' : method)) {
      return {
        code: 'method_not_allowed',
        detail: `${method} is not supported on ${path}; use ${allowed.join(', ')}.`,
        headers: { allow: allowed.join(', ') },
      };
    }
    return { code: 'not_found', detail: `No route for ${method} ${path}.` };
  }
}

export function problemPage(code: string): string | null {
  if (!isProblemCode(code)) return null;
  const p = PROBLEM_CODES[code];
  return `${p.title} (${code}, HTTP ${p.status})\n\n${p.about}\n`;
}
