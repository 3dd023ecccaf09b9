import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module.js';
import { ProblemException } from './common/problem-details/problem.js';
import { ProblemFilter } from './common/problem-details/problem.filter.js';
import { RouteIndex } from './common/problem-details/route-index.js';
import { ProblemValidationPipe } from './common/problem-details/validation.pipe.js';
import { JsonLogger, requestContext } from './common/logging/json-logger.js';
import type { AppConfig } from './config/app-config.js';
import { MetricsService } from './metrics/metrics.service.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;
export const MAX_JSON_DEPTH = 64;

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
    genReqId: requestId,
    requestIdHeader: false,
    logger: false,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  });
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
    requestContext.run({ request_id: String(request.id) }, done);
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

  const filter = new ProblemFilter(logger, routes, config.publicBaseUrl);
  app.useGlobalPipes(new ProblemValidationPipe());
  app.useGlobalFilters(filter);

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Factline')
      .setDescription(
        'Reporting over projected, org-scoped fact tables. Authenticate with `Authorization: Bearer <api key>`. ' +
          'Every error is RFC 9457 problem+json; see each route for the statuses it can return.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
  return filter;
}
