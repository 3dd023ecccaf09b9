import { Controller, Get, Header, Param, UseGuards } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '#src/auth/auth.decorators.js';
import { ApiProblems } from '#src/common/problem-details/api-problems.decorator.js';
import { ProblemException } from '#src/common/problem-details/problem.js';
import { problemPage } from '#src/common/problem-details/problem.filter.js';
import { MetricsService } from '#src/metrics/metrics.service.js';
import { HealthService } from './health.service.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly metrics: MetricsService,
  ) {}

  @Get('healthz')
  @ApiOperation({ operationId: 'get_healthz', summary: 'Liveness: the process is up', description: 'Answers without touching the database; no API key needed.' })
  @ApiOkResponse({
    description: 'The process is up.',
    schema: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } }, example: { status: 'ok' } },
  })
  @ApiProblems(400, 500)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({ operationId: 'get_readyz', summary: 'Readiness: database reachable and migrations applied', description: 'A 503 problem while the database is unreachable or a migration is pending; no API key needed.' })
  @ApiOkResponse({
    description: 'Ready to serve.',
    schema: {
      type: 'object',
      required: ['status', 'database', 'migrations'],
      properties: { status: { type: 'string', enum: ['ready'] }, database: { type: 'string', enum: ['up'] }, migrations: { type: 'string', enum: ['applied'] } },
      example: { status: 'ready', database: 'up', migrations: 'applied' },
    },
  })
  @ApiProblems(400, 500, 503)
  readyz() {
    return this.health.readiness();
  }

  @Get('metrics')
  @UseGuards(MetricsTokenGuard)
  @ApiOperation({
    operationId: 'get_metrics',
    summary: 'Prometheus metrics (text exposition format)',
    description: 'Needs `Authorization: Bearer <METRICS_TOKEN>` (not an API key): 401 without it. When the service runs without METRICS_TOKEN, metrics are off and this is a 404.',
  })
  @ApiOkResponse({
    description: 'Prometheus text exposition format 0.0.4.',
    content: { 'text/plain': { schema: { type: 'string' }, example: '# TYPE factline_http_requests_total counter\nfactline_http_requests_total{method="GET",route="/healthz",status="200"} 1\n' } },
  })
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiProblems(400, 401, 404, 500)
  async metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }

  @Get('problems/:code')
  @ApiExcludeEndpoint()
  @Header('content-type', 'text/plain; charset=utf-8')
  problem(@Param('code') code: string): string {
    const page = problemPage(code);
    if (page === null) throw new ProblemException('not_found', `No problem type named ${code}.`);
    return page;
  }
}
