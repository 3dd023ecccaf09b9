import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ProblemException } from '#src/common/problem-details/problem.js';
import { APP_CONFIG, type AppConfig } from '#src/config/app-config.js';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * /metrics shows every org's outbox counts and per-route traffic, so it is never public: it
 * needs `Authorization: Bearer <METRICS_TOKEN>`, and without METRICS_TOKEN it does not exist
 * (404) — the safe default for a service that may listen on a shared address.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly expected: Buffer | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.expected = config.metricsToken ? digest(config.metricsToken) : null;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) throw new ProblemException('not_found', 'Metrics are off: set METRICS_TOKEN to serve them (then send it as a Bearer token).');
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const m = /^Bearer ([\x21-\x7e]+)$/i.exec(header.trim());
    if (!m || !timingSafeEqual(digest(m[1]), this.expected)) {
      throw new ProblemException('unauthorized', 'GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`.', { headers: { 'www-authenticate': 'Bearer realm="factline-metrics"' } });
    }
    return true;
  }
}
