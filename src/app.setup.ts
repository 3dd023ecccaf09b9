import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { AppModule } from './app.module.js';
import { ApiKeyService } from './auth/api-key.service.js';
import { keepHandlerMetadata, registerEarlyAuth } from './auth/auth.hook.js';
import { InternalCalls } from './auth/internal-calls.js';
import { clientErrorHandler, limitConnectionsPerClient } from './common/http/client-errors.js';
import { inputContext } from './common/validation/input-validator.js';
import { StrictInputInterceptor } from './common/validation/strict-input.interceptor.js';
import { ProblemException } from './common/problem-details/problem.js';
import { ProblemFilter } from './common/problem-details/problem.filter.js';
import { RouteIndex } from './common/problem-details/route-index.js';
import { ProblemValidationPipe } from './common/problem-details/validation.pipe.js';
import { JsonLogger, requestContext } from './common/logging/json-logger.js';
import { EXPLORER_ASSETS_PREFIX, explorerDir } from './explorer/explorer.assets.js';
import type { AppConfig } from './config/app-config.js';
import { McpService } from './mcp/mcp.service.js';
import type { OpenApiDocument } from './mcp/openapi-tool-schema.js';
import { MetricsService } from './metrics/metrics.service.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;
export const MAX_JSON_DEPTH = 64;
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Nesting depth of JSON text (brackets outside strings), stopping once past `max`. JSON.parse
 * takes any depth, but the rest does not: validation, class-transformer and JSON.stringify
 * recurse and overflow the stack (a RangeError, a 500) long before the 1 MiB limit, so such a
 * body is refused at the door as a 400.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accept a caller's x-request-id when it is sane, else mint one. */
function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Builds the Nest application on Fastify and configures it exactly as `main.ts` serves it. */
export async function createApp(
  config: AppConfig,
  logger: JsonLogger,
  extra: { imports?: DynamicModule[] } = {},
): Promise<NestFastifyApplication> {
  let filter: ProblemFilter | undefined;
  const adapter = new FastifyAdapter({
    // The router answers a malformed URL (400) or an over-long path segment (414) before any
    // route, hook or Nest filter runs; send those through the problem filter too (SPEC §3).
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => (filter ? filter.send(request, reply, error) : void reply.send(error)),
    bodyLimit: BODY_LIMIT_BYTES,
    // A client that trickles its headers or body is cut off with a 408 problem (client-errors.ts)
    // instead of holding a connection open indefinitely. Node checks the timers every
    // connectionsCheckingInterval (30 s by default), hence the shorter interval.
    requestTimeout: config.http.requestTimeoutMs,
    http: { headersTimeout: config.http.headersTimeoutMs, requestTimeout: config.http.requestTimeoutMs, connectionsCheckingInterval: 500 },
    clientErrorHandler: clientErrorHandler(logger, config.http.requestTimeoutMs, config.publicBaseUrl),
    genReqId: requestId,
    requestIdHeader: false,
    logger: false,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  } as ConstructorParameters<typeof FastifyAdapter>[0]);
  keepHandlerMetadata(adapter);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger, extra.imports ?? []), adapter, {
    logger,
    bufferLogs: false,
    bodyParser: false,
    abortOnError: false,
  });
  filter = configureApp(app, config, logger);
  await app.init();
  return app;
}

/** Body limit, JSON parsing, request ids, access log, the pipe, the filter and Swagger (STYLE: app.setup.ts). */
export function configureApp(app: NestFastifyApplication, config: AppConfig, logger: JsonLogger): ProblemFilter {
  const fastify = app.getHttpAdapter().getInstance();
  const routes = new RouteIndex();
  fastify.addHook('onRoute', (route) => routes.add(route.method, route.url));
  limitConnectionsPerClient(app.getHttpServer(), config.http.maxConnectionsPerClient, config.publicBaseUrl);
  // The filter is built below; the hook sends its 401/429 through it.
  let problemFilter: ProblemFilter | undefined;
  registerEarlyAuth(fastify, app.get(ApiKeyService), app.get(InternalCalls), config.authFailuresPerMinute, () => problemFilter!);

  // JSON is the only body type (anything else is a 415). An empty body is "no body" (SPEC: backfill accepts one); bad JSON is a 400.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      return done(new ProblemException('bad_request', `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels.`), undefined);
    }
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      // The filter words it: "Malformed JSON body: <parser message>".
      done(Object.assign(new SyntaxError((e as Error).message), { statusCode: 400 }), undefined);
    }
  });

  const metrics = app.get(MetricsService);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // Everything that runs for this request — hooks, guard, handler, filter — logs its id.
    // The validators the pipe runs read its headers and path parameters (input-validator.ts).
    requestContext.run({ request_id: String(request.id) }, () =>
      inputContext.run({ headers: request.headers, params: (request.params ?? {}) as Record<string, string | undefined> }, done),
    );
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, seconds);
    logger.emit('info', 'request', {
      request_id: request.id,
      method: request.method,
      path: request.url.split('?')[0],
      route,
      status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime * 100) / 100,
    });
  });

  // SPEC §13: the explorer's assets carry a content hash in their names, so they never change
  // under a URL: cache them for a year. Pre-compressed .gz files are written by the build.
  const assets = path.join(explorerDir(), 'ui', 'assets');
  if (existsSync(assets)) {
    app.useStaticAssets({ root: assets, prefix: EXPLORER_ASSETS_PREFIX, immutable: true, maxAge: '365d', preCompressed: true, index: false, decorateReply: false });
  }

  const filter = new ProblemFilter(logger, routes, config.publicBaseUrl);
  problemFilter = filter;
  app.useGlobalPipes(new ProblemValidationPipe((type) => app.get(type, { strict: false })));
  app.useGlobalInterceptors(new StrictInputInterceptor());
  app.useGlobalFilters(filter);

  // Swagger UI: its HTML has only external scripts (and one inline <style>), so this CSP lets it
  // work while nothing can be loaded or run from elsewhere; nosniff stops a served file from
  // being read as another type.
  fastify.addHook('onSend', async (request, reply) => {
    if (request.url === '/docs' || request.url.startsWith('/docs/') || request.url.startsWith('/docs?')) {
      reply.header('x-content-type-options', 'nosniff');
      reply.header('content-security-policy', DOCS_CSP);
    }
  });

  const document = buildOpenApiDocument(app, config);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
    // The document is embedded in swagger-ui-init.js; a `?url=` (or a config URL) must not make
    // the page load and render another one, and no external validator badge is fetched.
    swaggerOptions: { url: '/openapi.json', queryConfigEnabled: false, configUrl: null, validatorUrl: null, persistAuthorization: true, displayOperationId: true, filter: true },
  });
  // SPEC §12: MCP tools take their schemas from this very document, and word errors as this filter does.
  app.get(McpService).attach(document as unknown as OpenApiDocument, filter, fastify);
  return filter;
}

/** The OpenAPI document as /openapi.json serves it (also what `npm run sdk` generates the client from). */
export function buildOpenApiDocument(app: INestApplication, config: Pick<AppConfig, 'publicBaseUrl'>): OpenAPIObject {
  return publicOperationsOpen(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Factline')
        .setDescription(
          'Reporting over projected, org-scoped fact tables. Authenticate with `Authorization: Bearer <api key>`. ' +
            'Every error is RFC 9457 problem+json; see each route for the statuses it can return.',
        )
        .setVersion('1')
        .addServer(config.publicBaseUrl ?? '/', config.publicBaseUrl ? 'This service' : 'The server that serves this document')
        // Keys are opaque random tokens (fl_…), not JWTs.
        .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque API key (fl_…)', description: 'An API key: `Authorization: Bearer fl_…`.' })
        .build(),
    ),
  );
}

const TAG_DESCRIPTIONS: Record<string, string> = {
  health: 'Liveness, readiness and Prometheus metrics (no API key).',
  ingest: 'Upserts of canonical records; each batch is written with its outbox rows in one transaction.',
  reports: 'The semantic catalog, ad-hoc queries and CSV export.',
  'saved reports': 'Stored semantic queries: create, list, update, run, export.',
  apps: 'App invocation history.',
  operator: 'Projection and backfill controls and diagnostics (reports:admin).',
  prices: 'The price table that costs LLM generations (SPEC §10): built-in prices shipped with the service and your org\'s own; creating or deleting one re-prices what it affects.',
  keys: "The org's API keys: list, create (the secret is shown once), revoke (keys:manage, owner only).",
  'alerts and deliveries':
    'Webhook destinations, schedules of saved reports, threshold alerts on single-row saved reports, and the log of signed deliveries (Standard Webhooks) with retry.',
};

/**
 * Operations without a security requirement are the public ones (health, metrics): say so with
 * `security: []` rather than leaving it unstated. Every tag an operation uses is declared, with
 * a description where one is known, so a new route's tag cannot go undocumented.
 */
function publicOperationsOpen(document: OpenAPIObject): OpenAPIObject {
  const used = new Set<string>();
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const) {
      const op = item[method];
      if (!op) continue;
      op.security ??= [];
      for (const tag of op.tags ?? []) used.add(tag);
    }
  }
  document.tags = [...used].map((name) => (TAG_DESCRIPTIONS[name] ? { name, description: TAG_DESCRIPTIONS[name] } : { name }));
  return document;
}
