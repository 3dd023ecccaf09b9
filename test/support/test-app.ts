import type { DynamicModule } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import supertest from 'supertest';
import { createApp } from '../../src/app.setup.js';
import { ApiKeyService } from '../../src/auth/api-key.service.js';
import type { Role } from '../../src/auth/permissions.js';
import { JsonLogger } from '../../src/common/logging/json-logger.js';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { createTestDatabase, type TestDatabase } from './test-db.js';

export interface TestKey {
  key: string;
  orgId: string;
  keyId: string;
}

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  db: TestDatabase;
  /** Every JSON log line the app wrote. */
  logs: string[];
  http(): supertest.Agent;
  key(org: string, role: Role): Promise<TestKey>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Reuse a database (several app instances on one database); default: a fresh one. */
  db?: TestDatabase;
  imports?: DynamicModule[];
  databaseUrl?: string;
}

/**
 * The real application (createApp = what main.ts serves) on its own database. The projector's
 * schedule is off unless a test turns it on, so tests drive projection explicitly.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const config = loadConfig({
    LOG_LEVEL: 'info',
    REPORTING_PROJECTOR_ENABLED: 'false',
    REPORTING_DELIVERIES_ENABLED: 'false',
    RATE_LIMIT_PER_MINUTE: '1000000',
    DB_POOL_SIZE: '8',
    ...options.env,
    DATABASE_URL: options.databaseUrl ?? db.url,
  });
  const logs: string[] = [];
  const logger = new JsonLogger(config.logLevel, (line) => logs.push(line));
  const app = await createApp(config, logger, { imports: options.imports });
  await app.getHttpAdapter().getInstance().ready();
  const keys = new Map<string, TestKey>();
  return {
    app,
    config,
    db,
    logs,
    http: () => supertest.agent(app.getHttpServer()),
    key: async (org, role) => {
      const cacheKey = `${org}:${role}`;
      const existing = keys.get(cacheKey);
      if (existing) return existing;
      const created = await app.get(ApiKeyService).createKey(org, role);
      const k = { key: created.key, orgId: created.orgId, keyId: created.keyId };
      keys.set(cacheKey, k);
      return k;
    },
    close: async () => {
      await app.close();
      if (!options.db) await db.drop();
    },
  };
}
