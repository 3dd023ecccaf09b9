import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { ProblemException } from '#src/common/problem-details/problem.js';
import type { ProblemFilter } from '#src/common/problem-details/problem.filter.js';
import { ApiKeyService, type AuthResult } from './api-key.service.js';
import { isNestHandler, isPublicHandler, probesOrg } from './auth.decorators.js';
import { INTERNAL_CALL_HEADER, type InternalCalls } from './internal-calls.js';
import { LocalRateLimiter } from './local-rate-limiter.js';

type FailReason = Extract<AuthResult, { ok: false }>['reason'] | 'duplicate';

const UNAUTHORIZED_DETAIL: Record<FailReason, string> = {
  missing: 'Send an API key as `Authorization: Bearer <key>`.',
  malformed: 'The Authorization header is not `Bearer <api key>` with a well-formed key.',
  unknown: 'The API key is not recognised.',
  duplicate: 'Send exactly one Authorization header.',
};

export function unauthorized(reason: FailReason): ProblemException {
  return new ProblemException('unauthorized', UNAUTHORIZED_DETAIL[reason], { headers: { 'www-authenticate': 'Bearer realm="factline"' } });
}

/** Node keeps only the first of repeated Authorization headers; the raw list shows them all. */
function authorizationHeaders(raw: IncomingMessage): number {
  let n = 0;
  for (let i = 0; i < raw.rawHeaders.length; i += 2) if (raw.rawHeaders[i].toLowerCase() === 'authorization') n++;
  return n;
}

/** `internal`: a call the service made for an already authenticated, already rate-limited caller (internal-calls.ts). */
export type AuthenticatedRequest = FastifyRequest & { auth?: AuthResult; internal?: boolean };

/**
 * Authenticates every non-public Nest route in Fastify's onRequest stage, before the body is
 * read: an anonymous or bad-key request gets its 401 without the server parsing (or answering
 * 400/413/415 about) a body it will not use. Failures are limited per client address, apart
 * from the per-key limiter in the guard (that one only ever sees valid keys). The guard then
 * takes the result from the request instead of looking the key up again. On a route marked
 * @ProbeOrgFreshness the same statement also reads the org's freshness and watermarks.
 */
export function registerEarlyAuth(
  fastify: FastifyInstance,
  keys: ApiKeyService,
  internalCalls: InternalCalls,
  failuresPerMinute: number,
  filter: () => ProblemFilter,
): void {
  const failures = new LocalRateLimiter(failuresPerMinute);
  const hookFor = (probeOrg: boolean): onRequestHookHandler => async (request: AuthenticatedRequest, reply: FastifyReply) => {
    const internal = internalCalls.redeem(request.headers[INTERNAL_CALL_HEADER]);
    if (internal) {
      request.auth = { ok: true, caller: internal };
      request.internal = true;
      return;
    }
    const result: AuthResult | { ok: false; reason: 'duplicate' } =
      authorizationHeaders(request.raw) > 1 ? { ok: false, reason: 'duplicate' } : await keys.authenticate(request.headers.authorization, { takeToken: true, probeOrg });
    if (result.ok) {
      request.auth = result;
      return;
    }
    const wait = failures.take(request.ip);
    const problem =
      wait > 0
        ? new ProblemException('rate_limited', `Too many failed authentications from this address; retry in ${wait} s.`, {
            retryAfterSeconds: wait,
            allowedActions: [{ rel: 'retry-later', hint: `Wait ${wait} s, then repeat the request with a valid API key.` }],
          })
        : unauthorized(result.reason);
    // The body was never read; closing the connection spares the client sending it (and the
    // server waiting for it) for nothing.
    if (request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined) reply.header('connection', 'close');
    filter().send(request, reply, problem);
    return reply;
  };
  const hooks = { plain: hookFor(false), probing: hookFor(true) };
  fastify.addHook('onRoute', (route) => {
    if (!isNestHandler(route.handler) || isPublicHandler(route.handler)) return;
    const existing = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : [];
    route.onRequest = [probesOrg(route.handler) ? hooks.probing : hooks.plain, ...existing];
  });
}

/**
 * Nest's FastifyAdapter hands Fastify the handler of a route with path parameters wrapped in a
 * function of its own (requireNonEmptyParams: an empty parameter is a 404), which carries none of
 * the handler's metadata: the hook above could not tell such a route is Nest's (or public), so
 * every route with a parameter was authenticated only later, by the guard, after its body was
 * read. Copies the metadata onto the wrapper. Call before the routes are registered (app.init).
 */
export function keepHandlerMetadata(adapter: object): void {
  type Wrap = (this: unknown, url: unknown, handler: object) => object;
  const target = adapter as { requireNonEmptyParams?: Wrap };
  const wrap = target.requireNonEmptyParams;
  if (typeof wrap !== 'function') return;
  target.requireNonEmptyParams = function (this: unknown, url: unknown, handler: object): object {
    const wrapped = wrap.call(this, url, handler);
    if (wrapped !== handler) for (const key of Reflect.getMetadataKeys(handler)) Reflect.defineMetadata(key, Reflect.getMetadata(key, handler), wrapped);
    return wrapped;
  };
}
