import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequirePermission } from '#src/auth/auth.decorators.js';
import type { Caller } from '#src/auth/permissions.js';
import { ApiAuthedBodyProblems, ApiAuthedProblems } from '#src/common/problem-details/api-problems.decorator.js';
import { CreateScheduleDto, SCHEDULE_ID_EXAMPLE, ScheduleDto, ScheduleListDto } from './schedule.dto.js';
import { SchedulesService } from './schedules.service.js';

const REPORT_ID = { name: 'report_id', description: 'Saved report id (a UUID, any case).', example: '0190b5a0-0000-7000-8000-000000000301' };

@ApiTags('alerts and deliveries')
@Controller('v1/reports/saved/:report_id/schedules')
export class SchedulesController {
  constructor(private readonly schedules: SchedulesService) {}

  @Post()
  @RequirePermission('reports:manage')
  @ApiOperation({ operationId: 'create_schedule', summary: 'Schedule a saved report', description: 'At each tick the report runs and its result (the ReportResult, or the CSV export envelope) is delivered, signed, to the destination.' })
  @ApiParam(REPORT_ID)
  @ApiBody({ type: CreateScheduleDto, examples: { weekly: { summary: 'Mondays 09:00 Berlin time, as JSON', value: { cron: '0 9 * * 1', timezone: 'Europe/Berlin', destination_id: 'dest_0190b5a0000070008000000000000d01', format: 'json' } } } })
  @ApiCreatedResponse({ type: ScheduleDto, description: 'The new schedule and its next tick.' })
  @ApiAuthedBodyProblems(404)
  create(@CurrentCaller() caller: Caller, @Param('report_id') reportId: string, @Body() body: CreateScheduleDto): Promise<ScheduleDto> {
    return this.schedules.create(caller.orgId, reportId, body);
  }

  @Get()
  @RequirePermission('reports:view')
  @ApiOperation({ operationId: 'list_schedules', summary: "List a saved report's schedules", description: 'The schedules of one saved report of your org, newest first, with their next and last ticks. 404 saved_report_not_found when the report is missing or another org\'s.' })
  @ApiParam(REPORT_ID)
  @ApiOkResponse({ type: ScheduleListDto, description: "The report's schedules, newest first." })
  @ApiAuthedProblems(404)
  list(@CurrentCaller() caller: Caller, @Param('report_id') reportId: string): Promise<ScheduleListDto> {
    return this.schedules.list(caller.orgId, reportId);
  }

  @Delete(':schedule_id')
  @HttpCode(204)
  @RequirePermission('reports:manage')
  @ApiOperation({ operationId: 'delete_schedule', summary: 'Delete a schedule', description: 'No further ticks run; deliveries it already produced stay in the log (their schedule_id becomes null). 404 schedule_not_found when it is not a schedule of this report.' })
  @ApiParam(REPORT_ID)
  @ApiParam({ name: 'schedule_id', description: 'Schedule id (sched_…).', example: SCHEDULE_ID_EXAMPLE })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiAuthedProblems(404)
  async remove(@CurrentCaller() caller: Caller, @Param('report_id') reportId: string, @Param('schedule_id') id: string): Promise<void> {
    await this.schedules.remove(caller.orgId, reportId, id);
  }
}
