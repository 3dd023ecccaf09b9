import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { McpController } from './mcp.controller.js';
import { McpService } from './mcp.service.js';

/** Agents ask over MCP (SPEC §12): each tool runs its REST route, so this module needs no other module's services. */
@Module({ imports: [DiscoveryModule], controllers: [McpController], providers: [McpService] })
export class McpModule {}
