import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequirePermission } from '#src/auth/auth.decorators.js';
import type { Caller } from '#src/auth/permissions.js';
import { ApiAuthedBodyProblems, ApiAuthedProblems } from '#src/common/problem-details/api-problems.decorator.js';
import { CreateDestinationDto, CreatedDestinationDto, DESTINATION_ID_PARAM, DestinationListDto } from './destination.dto.js';
import { DestinationsService } from './destinations.service.js';

@ApiTags('alerts and deliveries')
@Controller('v1/reports/destinations')
export class DestinationsController {
  constructor(private readonly destinations: DestinationsService) {}

  @Post()
  @RequirePermission('reports:manage')
  @ApiOperation({
    operationId: 'create_destination', summary: 'Create a webhook destination',
    description: 'The response carries the signing secret (whsec_…), once. 400 destination_not_allowed when the URL is not https or resolves to a non-public address.',
  })
  @ApiBody({ type: CreateDestinationDto, examples: { ops: { summary: 'An https receiver', value: { name: 'Ops alerts', url: 'https://hooks.example.com/factline' } } } })
  @ApiCreatedResponse({ type: CreatedDestinationDto, description: 'The new destination, with its signing secret shown this once.' })
  @ApiAuthedBodyProblems()
  create(@CurrentCaller() caller: Caller, @Body() body: CreateDestinationDto): Promise<CreatedDestinationDto> {
    return this.destinations.create(caller.orgId, body);
  }

  @Get()
  @RequirePermission('reports:view')
  @ApiOperation({ operationId: 'list_destinations', summary: 'List webhook destinations (without secrets)', description: "Every destination of the caller's org, newest first. Signing secrets are shown only when a destination is created." })
  @ApiOkResponse({ type: DestinationListDto, description: "The org's destinations, newest first." })
  @ApiAuthedProblems()
  list(@CurrentCaller() caller: Caller): Promise<DestinationListDto> {
    return this.destinations.list(caller.orgId);
  }

  @Delete(':destination_id')
  @HttpCode(204)
  @RequirePermission('reports:manage')
  @ApiOperation({ operationId: 'delete_destination', summary: 'Delete a webhook destination', description: '409 destination_in_use while schedules or alerts deliver to it. Its delivery log goes with it.' })
  @ApiParam(DESTINATION_ID_PARAM)
  @ApiNoContentResponse({ description: 'Deleted, with its delivery log.' })
  @ApiAuthedProblems(404, 409)
  async remove(@CurrentCaller() caller: Caller, @Param('destination_id') id: string): Promise<void> {
    await this.destinations.remove(caller.orgId, id);
  }
}
