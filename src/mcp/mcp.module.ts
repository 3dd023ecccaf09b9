import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AdminModule } from '../admin/admin.module.js';
import { AppsModule } from '../apps/apps.module.js';
import { ReportingModule } from '../reporting/reporting.module.js';
import { McpController } from './mcp.controller.js';
import { McpService } from './mcp.service.js';

/** Agents ask over MCP (SPEC §12), through the same services as the HTTP routes. */
@Module({ imports: [DiscoveryModule, ReportingModule, AppsModule, AdminModule], controllers: [McpController], providers: [McpService] })
export class McpModule {}
