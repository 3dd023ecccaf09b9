import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequirePermission } from '#src/auth/auth.decorators.js';
import type { Caller } from '#src/auth/permissions.js';
import { ApiAuthedBodyProblems, ApiAuthedProblems } from '#src/common/problem-details/api-problems.decorator.js';
import { ALERT_ID_EXAMPLE, AlertDto, AlertListDto, CreateAlertDto } from './alert.dto.js';
import { AlertsService } from './alerts.service.js';

const ALERT_ID = { name: 'alert_id', description: 'Alert id (alert_…).', example: ALERT_ID_EXAMPLE };

@ApiTags('alerts and deliveries')
@Controller('v1/reports/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Post()
  @RequirePermission('reports:manage')
  @ApiOperation({
    operationId: 'create_alert', summary: 'Create a threshold alert on a saved report',
    description: "Evaluates the saved report's single-row value of `measure` every `every`; notifies the destination only when the state changes (ok → firing, firing → ok), with the value, the threshold and the result's as_of. 400 alert_report_not_single_row when the report has dimensions.",
  })
  @ApiBody({ type: CreateAlertDto, examples: { errors: { summary: 'Fire when errors exceed 50', value: { name: 'LLM errors over 50 in the last hour', saved_report_id: '0190b5a0-0000-7000-8000-000000000301', measure: 'error_count', op: 'gt', threshold: 50, every: '5m', destination_id: 'dest_0190b5a0000070008000000000000d01' } } } })
  @ApiCreatedResponse({ type: AlertDto, description: 'The new alert, in state ok; it is first evaluated at the next worker pass.' })
  @ApiAuthedBodyProblems(404)
  create(@CurrentCaller() caller: Caller, @Body() body: CreateAlertDto): Promise<AlertDto> {
    return this.alerts.create(caller.orgId, body);
  }

  @Get()
  @RequirePermission('reports:view')
  @ApiOperation({ operationId: 'list_alerts', summary: 'List alerts and their states', description: "Every alert of the caller's org, newest first, with its state and last evaluation." })
  @ApiOkResponse({ type: AlertListDto, description: "The org's alerts, newest first." })
  @ApiAuthedProblems()
  list(@CurrentCaller() caller: Caller): Promise<AlertListDto> {
    return this.alerts.list(caller.orgId);
  }

  @Get(':alert_id')
  @RequirePermission('reports:view')
  @ApiOperation({ operationId: 'get_alert', summary: 'Get an alert and its state', description: 'The alert, its state (ok or firing), the last value evaluated and when the next evaluation is due. 404 alert_not_found when missing or another org\'s.' })
  @ApiParam(ALERT_ID)
  @ApiOkResponse({ type: AlertDto, description: 'The alert and its state.' })
  @ApiAuthedProblems(404)
  get(@CurrentCaller() caller: Caller, @Param('alert_id') id: string): Promise<AlertDto> {
    return this.alerts.get(caller.orgId, id);
  }

  @Delete(':alert_id')
  @HttpCode(204)
  @RequirePermission('reports:manage')
  @ApiOperation({ operationId: 'delete_alert', summary: 'Delete an alert', description: 'No further evaluations run; deliveries it already produced stay in the log. 404 alert_not_found when missing or another org\'s.' })
  @ApiParam(ALERT_ID)
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiAuthedProblems(404)
  async remove(@CurrentCaller() caller: Caller, @Param('alert_id') id: string): Promise<void> {
    await this.alerts.remove(caller.orgId, id);
  }
}
