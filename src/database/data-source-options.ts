import type { DataSourceOptions } from 'typeorm';
import { ApiKeyEntity } from '#src/auth/api-key.entity.js';
import { OrgEntity } from '#src/auth/org.entity.js';
import { MIGRATIONS } from './migrations/migration-list.js';
import { configurePgTypes } from './pg-types.js';
import { SavedReportEntity } from '#src/reporting/saved-reports/saved-report.entity.js';
import { AlertEntity } from '#src/alerts/alert-rules/alert.entity.js';
import { DestinationEntity } from '#src/alerts/destinations/destination.entity.js';
import { ScheduleEntity } from '#src/alerts/schedules/schedule.entity.js';

export interface DatabaseSettings {
  url: string;
  poolSize?: number;
  applicationName?: string;
}

/** The only place database options are built: the app, ormconfig.ts, the CLI and the tests call it. */
export function buildDataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  configurePgTypes();
  return {
    type: 'postgres',
    url: settings.url,
    entities: [OrgEntity, ApiKeyEntity, SavedReportEntity, DestinationEntity, ScheduleEntity, AlertEntity],
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: settings.applicationName ?? 'factline',
    extra: {
      max: settings.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      // A dropped server must not leave requests hanging on a dead socket.
      keepAlive: true,
    },
  };
}
