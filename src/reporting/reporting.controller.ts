import { Body, Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthOrgProbe, CurrentCaller, ProbeOrgFreshness, RequirePermission } from '#src/auth/auth.decorators.js';
import type { Caller } from '#src/auth/permissions.js';
import { ApiAuthedBodyProblems, ApiAuthedProblems } from '#src/common/problem-details/api-problems.decorator.js';
import { CatalogDto } from './catalog/catalog.dto.js';
import { CatalogService } from './catalog/catalog.service.js';
import { ApiExportOkResponse } from './export/export.openapi.js';
import { ExportQueryInput } from './export/export.input.js';
import { ExportService } from './export/export.service.js';
import { ExportEnvelopeDto, ExportRequestDto, REPORT_QUERY_EXAMPLE, ReportQueryDto, ReportResultDto } from './query/report-query.dto.js';
import { ReportQueryInput } from './query/report-query.input.js';
import type { OrgProbe } from './freshness/freshness.service.js';
import { ReportQueryService, type ReportResult } from './query/report-query.service.js';

@ApiTags('reports')
@Controller('v1/reports')
@RequirePermission('reports:view')
export class ReportingController {
  constructor(
    private readonly catalog: CatalogService,
    private readonly reports: ReportQueryService,
    private readonly exports: ExportService,
  ) {}

  @Get('catalog')
  @ApiOperation({ operationId: 'get_report_catalog', summary: 'Datasets, dimensions, measures, filter fields and limits', description: 'The semantic catalog: the only names a report query may use. Validation, the SQL compiler and these docs all read it.' })
  @ApiOkResponse({ type: CatalogDto, description: 'Every dataset with its dimensions, measures, filter fields, granularities, limits and rollup.' })
  @ApiAuthedProblems()
  getCatalog(): CatalogDto {
    return this.catalog.catalog();
  }

  @Post('query')
  @HttpCode(200)
  @ApiOperation({ operationId: 'run_report_query', summary: 'Run an ad-hoc semantic query', description: 'Invalid queries are a 400 invalid_report_query listing every problem with the allowed names.' })
  @ApiBody({
    type: ReportQueryDto,
    examples: {
      sessions_by_status: { summary: 'Sessions by status', value: REPORT_QUERY_EXAMPLE },
      this_week_by_day: { summary: 'This week (Monday on) by day, in Berlin', value: { ...REPORT_QUERY_EXAMPLE, time_range: { calendar: 'this_week' }, dimensions: ['day'], order_by: undefined, filters: undefined, timezone: 'Europe/Berlin' } },
    },
  })
  @ApiOkResponse({ type: ReportResultDto, description: 'The result: columns, rows, freshness, the store that served it and the absolute time range used.' })
  @ApiAuthedBodyProblems()
  @ProbeOrgFreshness()
  runQuery(@CurrentCaller() caller: Caller, @Body() body: ReportQueryInput, @AuthOrgProbe() orgProbe?: OrgProbe): Promise<ReportResult> {
    return this.reports.run(caller.orgId, body.query, undefined, orgProbe);
  }

  @Post('query/export')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'export_query',
    summary: 'Export an ad-hoc query as CSV',
    description: 'JSON envelope by default. With `Accept: text/csv` the CSV file itself is streamed (Content-Disposition: attachment; freshness in X-As-Of / X-Freshness-Lag-Ms, the absolute range in X-Time-Range-From / X-Time-Range-To).',
  })
  @ApiBody({ type: ExportRequestDto, examples: { sessions_by_status: { summary: 'Sessions by status as CSV', value: { format: 'csv', query: REPORT_QUERY_EXAMPLE } } } })
  @ApiExportOkResponse()
  @ApiAuthedBodyProblems()
  async exportQuery(
    @CurrentCaller() caller: Caller,
    @Body() body: ExportQueryInput,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ExportEnvelopeDto | void> {
    return body.stream ? this.exports.stream(caller.orgId, body.query, 'report.csv', reply) : this.exports.envelope(caller.orgId, body.query, 'report.csv');
  }
}
