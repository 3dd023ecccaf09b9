import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequirePermission } from '#src/auth/auth.decorators.js';
import type { Caller } from '#src/auth/permissions.js';
import { ApiAuthedBodyProblems } from '#src/common/problem-details/api-problems.decorator.js';
import {
  INGEST_EXAMPLES, IngestAppRunsDto, IngestAppsDto, IngestEventsDto, IngestLlmGenerationsDto, IngestResultDto, IngestSessionsDto, IngestUsageLedgerDto,
} from './ingest-records.dto.js';
import { IngestService } from './ingest.service.js';

const NOTE = 'Upserts 1–5000 records in one transaction with their outbox rows; re-sending a record is idempotent. A bad record rejects the whole batch (errors point at /records/<index>/<field>).';

const OK = { type: IngestResultDto, description: 'The batch was written, with its outbox rows, in one transaction.' };

@ApiTags('ingest')
@Controller('v1/ingest')
@RequirePermission('ingest:write')
@ApiAuthedBodyProblems()
export class IngestController {
  constructor(private readonly ingest: IngestService) {}

  @Post('sessions')
  @HttpCode(200)
  @ApiOperation({ operationId: 'ingest_sessions', summary: 'Upsert sessions', description: `${NOTE} A new session, or one whose attribution changes, re-projects the facts hanging off it.` })
  @ApiBody({ type: IngestSessionsDto, examples: { one_record: { summary: 'One record', value: INGEST_EXAMPLES.sessions } } })
  @ApiOkResponse(OK)
  sessions(@CurrentCaller() caller: Caller, @Body() body: IngestSessionsDto): Promise<IngestResultDto> {
    return this.ingest.sessions(caller.orgId, body.records);
  }

  @Post('events')
  @HttpCode(200)
  @ApiOperation({ operationId: 'ingest_events', summary: 'Upsert session events', description: NOTE })
  @ApiBody({ type: IngestEventsDto, examples: { one_record: { summary: 'One record', value: INGEST_EXAMPLES.events } } })
  @ApiOkResponse(OK)
  events(@CurrentCaller() caller: Caller, @Body() body: IngestEventsDto): Promise<IngestResultDto> {
    return this.ingest.events(caller.orgId, body.records);
  }

  @Post('llm_generations')
  @HttpCode(200)
  @ApiOperation({ operationId: 'ingest_llm_generations', summary: 'Upsert LLM generations', description: NOTE })
  @ApiBody({ type: IngestLlmGenerationsDto, examples: { one_record: { summary: 'One record', value: INGEST_EXAMPLES.llm_generations } } })
  @ApiOkResponse(OK)
  llmGenerations(@CurrentCaller() caller: Caller, @Body() body: IngestLlmGenerationsDto): Promise<IngestResultDto> {
    return this.ingest.llmGenerations(caller.orgId, body.records);
  }

  @Post('usage_ledger')
  @HttpCode(200)
  @ApiOperation({ operationId: 'ingest_usage_ledger', summary: 'Upsert usage-ledger postings', description: NOTE })
  @ApiBody({ type: IngestUsageLedgerDto, examples: { one_record: { summary: 'One record', value: INGEST_EXAMPLES.usage_ledger } } })
  @ApiOkResponse(OK)
  usageLedger(@CurrentCaller() caller: Caller, @Body() body: IngestUsageLedgerDto): Promise<IngestResultDto> {
    return this.ingest.usageLedger(caller.orgId, body.records);
  }

  @Post('apps')
  @HttpCode(200)
  @ApiOperation({ operationId: 'ingest_apps', summary: 'Upsert apps with their channels', description: `${NOTE} An app's channel list replaces the stored one.` })
  @ApiBody({ type: IngestAppsDto, examples: { one_record: { summary: 'One record', value: INGEST_EXAMPLES.apps } } })
  @ApiOkResponse(OK)
  apps(@CurrentCaller() caller: Caller, @Body() body: IngestAppsDto): Promise<IngestResultDto> {
    return this.ingest.apps(caller.orgId, body.records);
  }

  @Post('app_runs')
  @HttpCode(200)
  @ApiOperation({ operationId: 'ingest_app_runs', summary: 'Upsert app runs', description: `${NOTE} Each run must name an existing app of your org and one of its channels.` })
  @ApiBody({ type: IngestAppRunsDto, examples: { one_record: { summary: 'One record', value: INGEST_EXAMPLES.app_runs } } })
  @ApiOkResponse(OK)
  appRuns(@CurrentCaller() caller: Caller, @Body() body: IngestAppRunsDto): Promise<IngestResultDto> {
    return this.ingest.appRuns(caller.orgId, body.records);
  }
}
