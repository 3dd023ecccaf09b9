import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiAuthedBodyProblems, ApiAuthedProblems } from '#src/common/problem-details/api-problems.decorator.js';
import { ApiKeyService } from '#src/auth/api-key.service.js';
import { CurrentCaller, RequirePermission } from '#src/auth/auth.decorators.js';
import type { Caller } from '#src/auth/permissions.js';
import { API_KEY_LIST_EXAMPLE, ApiKeyListDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-keys.dto.js';

/** SPEC §15a: keys over the API, owner only (keys:manage). */
@ApiTags('keys')
@Controller('v1/keys')
@RequirePermission('keys:manage')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyService) {}

  @Get()
  @ApiOperation({
    operationId: 'list_api_keys',
    summary: "List your org's API keys (never their secrets)",
    description: 'Every key of the caller\'s org, newest first, revoked ones included (with `revoked_at`). `last_used_at` is kept to the minute.',
  })
  @ApiOkResponse({ type: ApiKeyListDto, example: API_KEY_LIST_EXAMPLE, description: "The org's keys, newest first." })
  @ApiAuthedProblems()
  list(@CurrentCaller() caller: Caller): Promise<ApiKeyListDto> {
    return this.keys.listOrgKeys(caller.orgId);
  }

  @Post()
  @ApiOperation({
    operationId: 'create_api_key',
    summary: 'Create an API key in your org; the secret is shown once',
    description: 'The role may grant nothing your own role lacks (403 role_not_grantable). The response carries the secret `key`, shown this once.',
  })
  @ApiBody({ type: CreateApiKeyDto, examples: { dashboard: { summary: 'A read-only key for a dashboard', value: { name: 'Grafana dashboard', role: 'member' } } } })
  @ApiCreatedResponse({
    type: CreatedApiKeyDto,
    example: { ...API_KEY_LIST_EXAMPLE.data[0], last_used_at: null, key: 'fl_3q2-7wEHaOEBjcNvEMkf0mDvFFu5J1Y5_wzBrWdR1Ck' },
    description: 'The new key, with its secret `key` shown this once.',
  })
  @ApiAuthedBodyProblems()
  create(@CurrentCaller() caller: Caller, @Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.keys.createOrgKey(caller, body.name, body.role);
  }

  @Delete(':key_id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'revoke_api_key',
    summary: 'Revoke an API key (effective on its next request, on every instance)',
    description: 'Revoking a revoked key is a no-op (204). The org\'s last active owner key cannot be revoked (409 last_owner_key). Errors: 400 invalid_key_id, 404 api_key_not_found (missing or another org\'s).',
  })
  @ApiParam({ name: 'key_id', description: 'Public key id: key_ followed by 32 lowercase hex characters.', example: 'key_019a7f3c5e2b7d4e8f00112233445566' })
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiAuthedProblems(404, 409)
  async revoke(@CurrentCaller() caller: Caller, @Param('key_id') keyId: string): Promise<void> {
    await this.keys.revokeOrgKey(caller, keyId);
  }
}
