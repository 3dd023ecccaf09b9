import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AdminModule } from './admin/admin.module.js';
import { AlertsModule } from './alerts/alerts.module.js';
import { AppsModule } from './apps/apps.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ConfigModule } from './config/config.module.js';
import type { AppConfig } from './config/app-config.js';
import { CursorSigningModule } from './common/cursor-signing/cursor-signing.module.js';
import { JsonLogger } from './common/logging/json-logger.js';
import { ProjectorModule } from './projector/projector.module.js';
import { ReportingModule } from './reporting/reporting.module.js';
import { DatabaseModule } from './database/database.module.js';
import { ExplorerModule } from './explorer/explorer.module.js';
import { HealthModule } from './health/health.module.js';
import { IngestModule } from './ingest/ingest.module.js';
import { McpModule } from './mcp/mcp.module.js';
import { MetricsModule } from './metrics/metrics.module.js';

@Module({})
export class AppModule {
  /** `extra` lets the test suite mount probe modules; the service passes none. */
  static forRoot(config: AppConfig, logger: JsonLogger, extra: DynamicModule[] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config, logger),
        ScheduleModule.forRoot(),
        MetricsModule,
        DatabaseModule,
        CursorSigningModule,
        AuthModule,
        HealthModule,
        IngestModule,
        ProjectorModule,
        ReportingModule,
        AppsModule,
        AdminModule,
        ExplorerModule,
        AlertsModule,
        McpModule,
        ...extra,
      ],
    };
  }
}
