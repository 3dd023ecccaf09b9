import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentCaller, RequireApiKey } from '#src/auth/auth.decorators.js';
import type { Caller } from '#src/auth/permissions.js';
import { McpService } from './mcp.service.js';

/**
 * `POST /mcp`: MCP's streamable HTTP transport, stateless (SPEC §12). Any valid key may connect
 * (same authentication and per-key rate limit as every route); the tools it sees follow its role.
 * GET and DELETE (a standalone event stream, a session to end) have no use without sessions, so
 * they are the usual 405 problem. Out of the OpenAPI document: JSON-RPC is described by MCP itself,
 * and every tool is an operation the document already describes.
 */
@ApiExcludeController()
@Controller('mcp')
export class McpController {
  constructor(private readonly mcp: McpService) {}

  @Post()
  @RequireApiKey()
  handle(@CurrentCaller() caller: Caller, @Req() request: FastifyRequest, @Body() message: unknown, @Res() reply: FastifyReply): Promise<void> {
    return this.mcp.handle(caller, request, message, reply);
  }
}
