import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequirePermission } from '#src/auth/auth.decorators.js';
import type { Caller } from '#src/auth/permissions.js';
import { ApiAuthedProblems } from '#src/common/problem-details/api-problems.decorator.js';
import { DELIVERY_ID_EXAMPLE, DELIVERY_STATUSES, DeliveryDto, DeliveryListDto, ListDeliveriesQuery } from './delivery.dto.js';
import { DeliveriesService } from './deliveries.service.js';

@ApiTags('alerts and deliveries')
@Controller('v1/reports/deliveries')
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get()
  @RequirePermission('reports:view')
  @ApiOperation({
    operationId: 'list_deliveries', summary: 'The delivery log: status, attempts, last response, times',
    description: 'Deliveries of schedules and alerts of your org, newest first, optionally of one status; paginated with next_cursor.',
  })
  @ApiQuery({ name: 'status', required: false, schema: { type: 'string', enum: DELIVERY_STATUSES } })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 100, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, schema: { type: 'string' }, description: 'next_cursor of the previous page.' })
  @ApiOkResponse({ type: DeliveryListDto, description: 'One page of the delivery log, newest first.' })
  @ApiAuthedProblems()
  list(@CurrentCaller() caller: Caller, @Query() q: ListDeliveriesQuery): Promise<DeliveryListDto> {
    return this.deliveries.list(caller.orgId, q.status, q.limit, q.cursor);
  }

  @Post(':delivery_id/retry')
  @HttpCode(200)
  @RequirePermission('reports:manage')
  @ApiOperation({ operationId: 'retry_delivery', summary: 'Send a delivery again', description: 'Due now, with a fresh budget of attempts; the same webhook-id and body. 409 delivery_in_progress while an attempt is running.' })
  @ApiParam({ name: 'delivery_id', description: 'Delivery id (delivery_…).', example: DELIVERY_ID_EXAMPLE })
  @ApiOkResponse({ type: DeliveryDto, description: 'The delivery, pending again and due now.' })
  @ApiAuthedProblems(404, 409)
  retry(@CurrentCaller() caller: Caller, @Param('delivery_id') id: string): Promise<DeliveryDto> {
    return this.deliveries.retry(caller.orgId, id);
  }
}
