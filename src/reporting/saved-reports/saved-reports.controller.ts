import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentCaller, RequirePermission } from '#src/auth/auth.decorators.js';
import type { Caller } from '#src/auth/permissions.js';
import { ApiAuthedBodyProblems, ApiAuthedProblems } from '#src/common/problem-details/api-problems.decorator.js';
import { ApiExportOkResponse } from '#src/reporting/export/export.openapi.js';
import { SavedReportExportInput } from '#src/reporting/export/export.input.js';
import { REPORT_QUERY_EXAMPLE, ReportResultDto, SavedReportExportRequestDto } from '#src/reporting/query/report-query.dto.js';
import type { ReportResult } from '#src/reporting/query/report-query.service.js';
import { CreateSavedReportDto, ListSavedReportsQuery, SavedReportDto, SavedReportListDto, UpdateSavedReportDto } from './saved-report.dto.js';
import { CreateSavedReportInput, UpdateSavedReportInput } from './saved-report.input.js';
import { SavedReportsService } from './saved-reports.service.js';

const REPORT_ID = { name: 'report_id', description: 'Saved report id (a UUID, any case).', example: '2489E9AD-2EE2-8E00-8EC9-32D5F69181C0' };

@ApiTags('saved reports')
@Controller('v1/reports/saved')
export class SavedReportsController {
  constructor(private readonly saved: SavedReportsService) {}

  @Get()
  @RequirePermission('reports:view')
  @ApiOperation({ operationId: 'list_saved_reports', summary: 'List saved reports, newest first', description: 'Cursor-paged: pass next_cursor back as ?cursor= until it is null.' })
  @ApiOkResponse({ type: SavedReportListDto, description: 'A page of saved reports, newest first.' })
  @ApiAuthedProblems()
  list(@CurrentCaller() caller: Caller, @Query() q: ListSavedReportsQuery): Promise<SavedReportListDto> {
    return this.saved.list(caller.orgId, q.limit, q.cursor);
  }

  @Post()
  @RequirePermission('reports:manage')
  @ApiOperation({ operationId: 'create_saved_report', summary: 'Save a semantic query (validated now, re-validated on every run)', description: 'The query is validated like run_report_query (400 invalid_report_query), and may use a relative range ({"last": "7d"}, {"calendar": "last_week"}), resolved on every run. Other bad fields are a 400 validation_failed.' })
  @ApiBody({
    type: CreateSavedReportDto,
    examples: {
      last_7_days: {
        summary: 'Sessions by status over the last 7 days',
        value: { name: 'Sessions by status, last 7 days', description: 'Weekly review.', query: { ...REPORT_QUERY_EXAMPLE, time_range: { last: '7d' } } },
      },
    },
  })
  @ApiCreatedResponse({ type: SavedReportDto, description: 'The saved report.' })
  @ApiAuthedBodyProblems()
  create(@CurrentCaller() caller: Caller, @Body() body: CreateSavedReportInput): Promise<SavedReportDto> {
    return this.saved.create(caller.orgId, body);
  }

  @Get(':report_id')
  @RequirePermission('reports:view')
  @ApiOperation({ operationId: 'get_saved_report', summary: 'Get a saved report', description: 'A report of another org is a 404, as a missing one.' })
  @ApiParam(REPORT_ID)
  @ApiOkResponse({ type: SavedReportDto, description: 'The saved report.' })
  @ApiAuthedProblems(404, 414)
  get(@CurrentCaller() caller: Caller, @Param('report_id') id: string): Promise<SavedReportDto> {
    return this.saved.get(caller.orgId, id);
  }

  @Patch(':report_id')
  @RequirePermission('reports:manage')
  @ApiOperation({ operationId: 'update_saved_report', summary: 'Update a saved report (absent = unchanged, null clears description)', description: 'Only the fields present change; name and query may not be null. A new query is validated like on create.' })
  @ApiParam(REPORT_ID)
  @ApiBody({
    type: UpdateSavedReportDto,
    examples: {
      rename: { summary: 'Rename and describe', value: { name: 'Sessions by status (weekly)', description: 'Reviewed every Monday.' } },
      clear_description: { summary: 'Clear the description', value: { description: null } },
    },
  })
  @ApiOkResponse({ type: SavedReportDto, description: 'The updated report.' })
  @ApiAuthedBodyProblems(404, 414)
  update(@CurrentCaller() caller: Caller, @Param('report_id') id: string, @Body() body: UpdateSavedReportInput): Promise<SavedReportDto> {
    return this.saved.update(caller.orgId, id, body);
  }

  @Delete(':report_id')
  @HttpCode(204)
  @RequirePermission('reports:manage')
  @ApiOperation({ operationId: 'delete_saved_report', summary: 'Delete a saved report', description: 'Gone for good; a second delete is a 404.' })
  @ApiParam(REPORT_ID)
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiAuthedProblems(404, 414)
  async remove(@CurrentCaller() caller: Caller, @Param('report_id') id: string): Promise<void> {
    await this.saved.remove(caller.orgId, id);
  }

  @Post(':report_id/run')
  @HttpCode(200)
  @RequirePermission('reports:view')
  @ApiOperation({ operationId: 'run_saved_report', summary: 'Run a saved report', description: 'Empty body. The stored query is re-validated; relative ranges resolve against now.' })
  @ApiParam(REPORT_ID)
  @ApiOkResponse({ type: ReportResultDto, description: 'The result of the stored query, run now.' })
  @ApiAuthedProblems(404, 414)
  run(@CurrentCaller() caller: Caller, @Param('report_id') id: string): Promise<ReportResult> {
    return this.saved.run(caller.orgId, id);
  }

  @Post(':report_id/export')
  @HttpCode(200)
  @RequirePermission('reports:view')
  @ApiOperation({ operationId: 'export_saved_report', summary: 'Export a saved report as CSV', description: 'Like export_query: JSON envelope by default, the streamed file with Accept: text/csv. Body empty or {"format": "csv"}.' })
  @ApiParam(REPORT_ID)
  @ApiBody({ type: SavedReportExportRequestDto, required: false, examples: { csv: { summary: 'CSV (the default)', value: { format: 'csv' } } } })
  @ApiExportOkResponse()
  @ApiAuthedBodyProblems(404, 414)
  exportReport(
    @CurrentCaller() caller: Caller,
    @Param('report_id') id: string,
    @Body() body: SavedReportExportInput,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.saved.export(caller.orgId, id, body.stream, reply);
  }
}
