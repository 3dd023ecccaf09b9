import { Controller, Get, Header, Param, UseGuards } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators.js';
import { ApiProblems } from '../common/problem-details/api-problems.decorator.js';
import { ProblemException } from '../common/problem-details/problem.js';
import { problemPage } from '../common/problem-details/problem.filter.js';
import { MetricsService } from '../metrics/metrics.service.js';
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
  @ApiOperation({ operationId: 'get_healthz', summary: 'Liveness: the process is up' })
  @ApiOkResponse({ schema: { type: 'object', properties: { status: { type: 'string', example: 'ok' } } } })
  @ApiProblems(500)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({ operationId: 'get_readyz', summary: 'Readiness: database reachable and migrations applied' })
  @ApiOkResponse({ schema: { type: 'object', properties: { status: { type: 'string', example: 'ready' }, database: { type: 'string' }, migrations: { type: 'string' } } } })
  @ApiProblems(500, 503)
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
  @ApiProduces('text/plain')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiProblems(401, 404, 500)
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
