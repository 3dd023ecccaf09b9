import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { JsonLogger } from '#src/common/logging/json-logger.js';
import { PROBLEM_CODES, type ProblemCode } from '#src/common/problem-details/problem-codes.js';

/**
 * Answers of the HTTP layer itself, written straight to the socket because no request object
 * exists yet (SPEC §3: these are problem+json too, with a request id like every other answer).
 */
export function rawProblem(code: ProblemCode, detail: string, publicBaseUrl?: string, retryAfterSeconds?: number): string {
  const { status, title } = PROBLEM_CODES[code];
  const requestId = randomUUID();
  const retry = retryAfterSeconds === undefined ? {} : { retry_after_seconds: retryAfterSeconds };
  const body = JSON.stringify({ type: `${publicBaseUrl ?? ''}/problems/${code}`, title, status, detail, code, ...retry });
  const lines = [
    `HTTP/1.1 ${status} ${title}`,
    'Content-Type: application/problem+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    `x-request-id: ${requestId}`,
    ...(retryAfterSeconds === undefined ? [] : [`Retry-After: ${retryAfterSeconds}`]),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Node's parser and timer errors (llhttp `HPE_*`, `ERR_HTTP_REQUEST_TIMEOUT`) → our code and a short detail. */
export function describeClientError(err: { code?: string }, requestTimeoutMs: number): { code: ProblemCode; detail: string } {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'request_timeout', detail: `The request did not arrive completely within ${requestTimeoutMs / 1000} s (headers within the headers timeout); the connection is closed.` };
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'request_header_fields_too_large', detail: 'The request headers exceed 16 KiB.' };
    case 'HPE_INVALID_METHOD':
      return { code: 'bad_request', detail: 'Unknown HTTP method.' };
    case 'HPE_INVALID_HEADER_TOKEN':
      return { code: 'bad_request', detail: 'A header name or value is malformed.' };
    case 'HPE_INVALID_CHUNK_SIZE':
      return { code: 'bad_request', detail: 'The chunked body has a malformed chunk size.' };
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return { code: 'bad_request', detail: 'Content-Length and Transfer-Encoding may not be combined; send one of them.' };
    default:
      return { code: 'bad_request', detail: `The request is not valid HTTP/1.1${err.code ? ` (${err.code})` : ''}.` };
  }
}

/**
 * Fastify's `clientErrorHandler`: errors Node raises before a request reaches Fastify (malformed
 * HTTP, oversized headers, the headers and request timeouts). Without it they leave as
 * `application/json {error, message, statusCode}` with no request id.
 */
export function clientErrorHandler(logger: JsonLogger, requestTimeoutMs: number, publicBaseUrl?: string) {
  return (err: Error & { code?: string }, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const response = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    const { code, detail } = describeClientError(err, requestTimeoutMs);
    logger.emit('info', 'client error', { error_code: err.code, status: PROBLEM_CODES[code].status });
    // A response already under way cannot be replaced by another; only cut it short.
    if (socket.writable && !response?.headersSent) socket.write(rawProblem(code, detail, publicBaseUrl));
    socket.destroy();
  };
}

/**
 * Bounds the connections one client address may hold open (slow-loris style exhaustion); the
 * connection over the bound gets a 429 problem and is closed before any request is read.
 */
export function limitConnectionsPerClient(server: Server, max: number, publicBaseUrl?: string): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const n = (open.get(address) ?? 0) + 1;
    open.set(address, n);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
    if (n > max) {
      socket.end(rawProblem('too_many_connections', `This address already holds ${max} open connections; close idle ones or reuse them.`, publicBaseUrl, 1));
      socket.destroySoon();
    }
  });
}
