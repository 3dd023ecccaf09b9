import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequirePermission } from '#src/auth/auth.decorators.js';
import type { Caller } from '#src/auth/permissions.js';
import { ApiAuthedBodyProblems, ApiAuthedProblems } from '#src/common/problem-details/api-problems.decorator.js';
import { CreatePriceDto, ListPricesQuery, PriceDto, PriceListDto } from './prices.dto.js';
import { PricesService } from './prices.service.js';

const CREATE_EXAMPLE = {
  provider: 'openai', model: 'gpt-5', match: 'prefix', input_per_mtok: '1.1', output_per_mtok: '9', cache_read_per_mtok: '0.11',
  effective_from: '2026-01-01T00:00:00Z', note: 'Negotiated enterprise rate',
};

@ApiTags('prices')
@Controller('v1/reports/prices')
export class PricesController {
  constructor(private readonly prices: PricesService) {}

  @Get()
  @RequirePermission('reports:view')
  @ApiOperation({
    operationId: 'list_prices', summary: 'List the prices that cost generations: built-in and your org\'s own',
    description: 'Which price applies to a generation: same provider, model equal (exact) or starting with the price\'s model (prefix), effective_from at or before the generation; your own before built-in, exact before prefix, the longest prefix, the latest effective_from. A cost_usd reported on the generation wins over any price.',
  })
  @ApiOkResponse({ type: PriceListDto, description: 'Built-in prices and your org\'s own.' })
  @ApiAuthedProblems()
  list(@CurrentCaller() caller: Caller, @Query() q: ListPricesQuery): Promise<PriceListDto> {
    return this.prices.list(caller.orgId, q.provider);
  }

  @Post()
  @RequirePermission('reports:manage')
  @ApiOperation({
    operationId: 'create_price', summary: 'Create an org price',
    description: 'The generations it now prices (and their turns and sessions) are re-projected through the outbox; results say how fresh they are (as_of) meanwhile.',
  })
  @ApiBody({ type: CreatePriceDto, examples: { enterprise_rate: { summary: 'A negotiated rate for every gpt-5 model from 2026', value: CREATE_EXAMPLE } } })
  @ApiCreatedResponse({ type: PriceDto, description: 'The new price (source org).' })
  @ApiAuthedBodyProblems(409)
  create(@CurrentCaller() caller: Caller, @Body() body: CreatePriceDto): Promise<PriceDto> {
    return this.prices.create(caller.orgId, body);
  }

  @Delete(':price_id')
  @HttpCode(204)
  @RequirePermission('reports:manage')
  @ApiOperation({
    operationId: 'delete_price', summary: 'Delete an org price',
    description: 'The generations it priced are re-priced by the next applicable price (or become unpriced). Built-in prices cannot be deleted (409 builtin_price).',
  })
  @ApiParam({ name: 'price_id', description: 'Price id (price_ followed by 32 lowercase hex characters).', example: 'price_0198a2f4c00079a4a6f0f3f1c2d7e1b5' })
  @ApiNoContentResponse({ description: 'Deleted; what it priced is re-priced.' })
  @ApiAuthedProblems(404, 409, 414)
  async remove(@CurrentCaller() caller: Caller, @Param('price_id') id: string): Promise<void> {
    await this.prices.delete(caller.orgId, id);
  }
}
