import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequirePermission } from '#src/auth/auth.decorators.js';
import type { Caller } from '#src/auth/permissions.js';
import { ApiAuthedProblems, ApiBodyProblems } from '#src/common/problem-details/api-problems.decorator.js';
import {
  BackfillRequestDto, BackfillResultDto, DiagnosticsDto, OutboxRetryRequestDto, OutboxRetryResultDto, ProjectorRunQuery, ProjectorRunResultDto,
} from './admin.dto.js';
import { AdminService } from './admin.service.js';

@ApiTags('operator')
@Controller('v1/reports')
@RequirePermission('reports:admin')
@ApiAuthedProblems()
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Post('projector/run')
  @HttpCode(200)
  @ApiOperation({ operationId: 'run_projector', summary: 'Run one projector pass for your org now', description: 'Claims due outbox rows of your org, projects them and finishes them. Safe while the schedule runs and with several instances.' })
  @ApiOkResponse({ type: ProjectorRunResultDto, description: 'What the pass claimed, completed and failed.' })
  runProjector(@CurrentCaller() caller: Caller, @Query() q: ProjectorRunQuery): Promise<ProjectorRunResultDto> {
    return this.admin.runProjector(caller.orgId, q.limit);
  }

  @Post('admin/backfill')
  @HttpCode(200)
  @ApiOperation({ operationId: 'backfill_reporting', summary: 'Enqueue canonical rows whose facts are missing or stale', description: 'Walks the org\'s rows in the order events, sessions, llm_generations, usage_ledger, oldest first, with one budget shared by all. Resumable: each call continues after the last row the previous call picked (so rows that went stale behind it wait until the walk comes round), and a call that enqueues fewer rows than its limit has gone round every row, so repeat it until then. Idempotent: running it again enqueues nothing new. An empty body is fine.' })
  @ApiBody({ type: BackfillRequestDto, required: false, examples: { limited: { summary: 'Enqueue at most 5000 rows', value: { limit: 5000 } }, defaults: { summary: 'Default budget (1000)', value: {} } } })
  @ApiOkResponse({ type: BackfillResultDto, description: 'Rows enqueued, in all and per source type.' })
  @ApiBodyProblems()
  backfill(@CurrentCaller() caller: Caller, @Body() body: BackfillRequestDto): Promise<BackfillResultDto> {
    return this.admin.backfill(caller.orgId, body.limit);
  }

  @Get('admin/diagnostics')
  @ApiOperation({ operationId: 'get_reporting_diagnostics', summary: 'Freshness per dataset, outbox counts, oldest pending age, latest failures', description: 'The state of projection for your org: how fresh each dataset is, the outbox by status, and the most recent failed rows with their errors.' })
  @ApiOkResponse({ type: DiagnosticsDto, description: 'Projection state of your org.' })
  diagnostics(@CurrentCaller() caller: Caller): Promise<DiagnosticsDto> {
    return this.admin.diagnostics(caller.orgId);
  }

  @Post('admin/outbox/retry')
  @HttpCode(200)
  @ApiOperation({ operationId: 'retry_outbox', summary: 'Move failed outbox rows (all, or the listed ids) back to pending', description: 'Failed rows get a fresh attempt budget and are claimed by the next projector pass. Ids of rows that are not failed, or not of your org, are skipped. An empty body retries every failed row.' })
  @ApiBody({ type: OutboxRetryRequestDto, required: false, examples: { listed: { summary: 'Retry two rows', value: { ids: ['42', '43'] } }, all: { summary: 'Retry every failed row', value: {} } } })
  @ApiOkResponse({ type: OutboxRetryResultDto, description: 'How many rows went back to pending.' })
  @ApiBodyProblems()
  retry(@CurrentCaller() caller: Caller, @Body() body: OutboxRetryRequestDto): Promise<OutboxRetryResultDto> {
    return this.admin.retry(caller.orgId, body.ids);
  }
}
