import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequirePermission } from '../../auth/auth.decorators.js';
import type { Caller } from '../../auth/permissions.js';
import { ApiAuthedProblems } from '../../common/problem-details/api-problems.decorator.js';
import { CreateDestinationDto, CreatedDestinationDto, DESTINATION_ID_PARAM, DestinationListDto } from './destination.dto.js';
import { DestinationsService } from './destinations.service.js';

@ApiTags('alerts and deliveries')
@Controller('v1/reports/destinations')
export class DestinationsController {
  constructor(private readonly destinations: DestinationsService) {}

  @Post()
  @RequirePermission('reports:manage')
  @ApiOperation({ operationId: 'create_destination', summary: 'Create a webhook destination', description: 'The response carries the signing secret (whsec_…), once.' })
  @ApiBody({ type: CreateDestinationDto, examples: { ops: { summary: 'An https receiver', value: { name: 'Ops alerts', url: 'https://hooks.example.com/factline' } } } })
  @ApiCreatedResponse({ type: CreatedDestinationDto })
  @ApiAuthedProblems()
  create(@CurrentCaller() caller: Caller, @Body() body: CreateDestinationDto): Promise<CreatedDestinationDto> {
    return this.destinations.create(caller.orgId, body);
  }

  @Get()
  @RequirePermission('reports:view')
  @ApiOperation({ operationId: 'list_destinations', summary: 'List webhook destinations (without secrets)' })
  @ApiOkResponse({ type: DestinationListDto })
  @ApiAuthedProblems()
  list(@CurrentCaller() caller: Caller): Promise<DestinationListDto> {
    return this.destinations.list(caller.orgId);
  }

  @Delete(':destination_id')
  @HttpCode(204)
  @RequirePermission('reports:manage')
  @ApiOperation({ operationId: 'delete_destination', summary: 'Delete a webhook destination', description: '409 destination_in_use while schedules or alerts deliver to it. Its delivery log goes with it.' })
  @ApiParam(DESTINATION_ID_PARAM)
  @ApiNoContentResponse()
  @ApiAuthedProblems(404, 409)
  async remove(@CurrentCaller() caller: Caller, @Param('destination_id') id: string): Promise<void> {
    await this.destinations.remove(caller.orgId, id);
  }
}
