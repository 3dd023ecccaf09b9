import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequirePermission } from '#src/auth/auth.decorators.js';
import type { Caller } from '#src/auth/permissions.js';
import { ApiAuthedProblems } from '#src/common/problem-details/api-problems.decorator.js';
import { APP_RUN_LIST_EXAMPLE, AppRunListDto } from './app-runs.dto.js';
import { AppRunsQueryInput } from './app-runs.input.js';
import { AppRunsService } from './app-runs.service.js';

@ApiTags('apps')
@Controller('v1/apps')
export class AppRunsController {
  constructor(private readonly runs: AppRunsService) {}

  @Get(':app_id/runs')
  @RequirePermission('apps:view')
  @ApiOperation({
    operationId: 'list_app_runs',
    summary: 'Recent app invocation runs, optionally with an hourly histogram',
    description:
      'Runs of the app created in the window (now − window ≤ created_at ≤ now), newest first, keyset-paged. ' +
      'With group_by=hour, `buckets` holds one entry per UTC hour of the whole window, counted over every run of the window. ' +
      'Errors: 400 invalid_app_id (malformed id), 400 invalid_query (window, group_by/groupBy, limit or cursor; detail says which and why), ' +
      '400 validation_failed (an unknown query parameter), 404 app_not_found (no such app in your org).',
  })
  @ApiParam({ name: 'app_id', description: 'Public app id: app_ followed by 32 lowercase hex characters.', example: 'app_0196a1b2c3d470008000000000000001' })
  @ApiOkResponse({ type: AppRunListDto, example: APP_RUN_LIST_EXAMPLE, description: 'A page of runs, newest first, with the hourly histogram when group_by=hour.' })
  @ApiAuthedProblems(404, 414)
  list(@CurrentCaller() caller: Caller, @Param('app_id') appId: string, @Query() query: AppRunsQueryInput): Promise<AppRunListDto> {
    return this.runs.list(caller.orgId, appId, query);
  }
}
