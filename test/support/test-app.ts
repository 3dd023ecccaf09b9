import type { DynamicModule } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import supertest from 'supertest';
import { createApp } from '#src/app.setup.js';
import { ApiKeyService } from '#src/auth/api-key.service.js';
import type { Role } from '#src/auth/permissions.js';
import { JsonLogger } from '#src/common/logging/json-logger.js';
import { loadConfig, type AppConfig } from '#src/config/app-config.js';
import { contractChecked, contractFor, type ContractValidator, type OpenApiDocument } from './contract.js';
import { createTestDatabase, type TestDatabase } from './test-db.js';

/** The metrics token test apps run with (GET /metrics needs it as a Bearer token). */
export const METRICS_TOKEN = 'test-metrics-token-0123456789';

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
  /** A supertest agent whose every response is checked against the served OpenAPI document (contract.ts). */
  http(): supertest.Agent;
  /** The served /openapi.json and its validator. */
  contract: ContractValidator;
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
    AUTH_FAILURES_PER_MINUTE: '1000000',
    METRICS_TOKEN,
    DB_POOL_SIZE: '8',
    ...options.env,
    DATABASE_URL: options.databaseUrl ?? db.url,
  });
  const logs: string[] = [];
  const logger = new JsonLogger(config.logLevel, (line) => logs.push(line));
  const app = await createApp(config, logger, { imports: options.imports });
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.ready();
  const contract = contractFor((await supertest(app.getHttpServer()).get('/openapi.json')).body as OpenApiDocument);
  const keys = new Map<string, TestKey>();
  return {
    app,
    config,
    db,
    logs,
    http: () => contractChecked(supertest.agent(app.getHttpServer()), () => contract),
    contract,
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
