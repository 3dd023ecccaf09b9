import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  validateSync,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
const toBool = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;

/**
 * Every environment variable Factline reads, alphabetical, with its default.
 * Validated once at boot (SPEC §1): a bad value stops the process naming the variable.
 */
export class EnvironmentVariables {
  /** Owner key created on first boot instead of a random one (automation, containers). */
  @IsOptional() @Matches(/^fl_[A-Za-z0-9_-]{43}$/, { message: 'must look like fl_<43 base64url chars> (npm run cli -- keys generate)' })
  BOOTSTRAP_API_KEY?: string;

  /** PostgreSQL URL; unset = start the embedded server under DATA_DIR/pg. */
  @IsOptional() @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// URL' })
  DATABASE_URL?: string;

  /** Failed authentications (no key, bad key) allowed per client address per minute; then 429. */
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000_000) AUTH_FAILURES_PER_MINUTE = 120;

  @IsString() DATA_DIR = './.data';

  @Transform(toInt) @IsInt() @Min(1) @Max(500) DB_POOL_SIZE = 20;

  /** Slug of the org that owns the first-boot key. */
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'must be a lowercase slug' }) DEFAULT_ORG_SLUG = 'default';

  @IsString() HOST = '127.0.0.1';

  /** Time to receive a request's headers; a client that is slower gets a 408 and is disconnected. */
  @Transform(toInt) @IsInt() @Min(100) @Max(600_000) HTTP_HEADERS_TIMEOUT_MS = 10_000;
  /** Open connections one client address may hold; more are answered 429 and closed. */
  @Transform(toInt) @IsInt() @Min(1) @Max(100_000) HTTP_MAX_CONNECTIONS_PER_CLIENT = 256;
  /** Time to receive a whole request (headers and body); then 408 and the connection is closed. */
  @Transform(toInt) @IsInt() @Min(100) @Max(600_000) HTTP_REQUEST_TIMEOUT_MS = 30_000;

  @IsIn(['debug', 'info', 'warn', 'error', 'silent']) LOG_LEVEL: LogLevelName = 'info';

  /** Bearer token that GET /metrics requires; unset = /metrics is off (404). */
  @IsOptional() @Matches(/^[\x21-\x7e]{16,256}$/, { message: 'must be 16 to 256 printable ASCII characters without spaces' })
  METRICS_TOKEN?: string;

  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 3000;

  /** Absolute base for problem `type` URIs; unset = relative `/problems/<code>` references. */
  @IsOptional() @Matches(/^https?:\/\/[^\s]+[^/]$/, { message: 'must be an http(s) URL without a trailing slash' })
  PUBLIC_BASE_URL?: string;

  @Transform(toInt) @IsInt() @Min(1) @Max(10_000_000) RATE_LIMIT_PER_MINUTE = 1200;

  // Alerts and scheduled deliveries (SPEC §14).
  @Transform(toInt) @IsInt() @Min(1) @Max(3_600_000) REPORTING_DELIVERIES_BACKOFF_BASE_MS = 10_000;
  @Transform(toInt) @IsInt() @Min(1) @Max(86_400_000) REPORTING_DELIVERIES_BACKOFF_CAP_MS = 3_600_000;
  /** Off: this instance neither evaluates schedules and alerts nor sends deliveries. */
  @Transform(toBool) @IsBoolean() REPORTING_DELIVERIES_ENABLED = true;
  @Transform(toInt) @IsInt() @Min(10) @Max(3_600_000) REPORTING_DELIVERIES_INTERVAL_MS = 1000;
  @Transform(toInt) @IsInt() @Min(1000) @Max(3_600_000) REPORTING_DELIVERIES_LEASE_MS = 120_000;
  @Transform(toInt) @IsInt() @Min(1) @Max(100) REPORTING_DELIVERIES_MAX_ATTEMPTS = 8;
  /** Per attempt: connect, send and read the response. */
  @Transform(toInt) @IsInt() @Min(100) @Max(120_000) REPORTING_DELIVERIES_TIMEOUT_MS = 10_000;

  @Transform(toInt) @IsInt() @Min(1) @Max(3_600_000) REPORTING_OUTBOX_BACKOFF_BASE_MS = 1000;
  @Transform(toInt) @IsInt() @Min(1) @Max(86_400_000) REPORTING_OUTBOX_BACKOFF_CAP_MS = 300_000;
  @Transform(toInt) @IsInt() @Min(1000) @Max(86_400_000) REPORTING_OUTBOX_LEASE_MS = 300_000;
  @Transform(toInt) @IsInt() @Min(1) @Max(100) REPORTING_OUTBOX_MAX_ATTEMPTS = 8;
  @Transform(toInt) @IsInt() @Min(0) @Max(8760) REPORTING_OUTBOX_RETENTION_HOURS = 24;
  @Transform(toInt) @IsInt() @Min(1) @Max(50_000) REPORTING_PROJECTOR_BATCH_SIZE = 5000;
  @Transform(toBool) @IsBoolean() REPORTING_PROJECTOR_ENABLED = true;
  @Transform(toInt) @IsInt() @Min(10) @Max(3_600_000) REPORTING_PROJECTOR_INTERVAL_MS = 1000;
  /** Concurrent projector loops in this instance (claims skip each other's rows). */
  @Transform(toInt) @IsInt() @Min(1) @Max(16) REPORTING_PROJECTOR_WORKERS = 2;
  /** Result cache bound by approximate size (SPEC §15): the JSON bytes of the cached answers. */
  @Transform(toInt) @IsInt() @Min(1024) @Max(17_179_869_184) REPORTING_QUERY_CACHE_MAX_BYTES = 67_108_864;
  /** Result cache bound by entries; 0 turns the cache off. */
  @Transform(toInt) @IsInt() @Min(0) @Max(1_000_000) REPORTING_QUERY_CACHE_MAX_ENTRIES = 1000;
  @Transform(toInt) @IsInt() @Min(1) @Max(1000) REPORTING_QUERY_CONCURRENCY_PER_ORG = 4;
  @Transform(toInt) @IsInt() @Min(100) @Max(3_600_000) REPORTING_QUERY_TIMEOUT_MS = 15_000;
  /** Generation facts one re-pricing step walks (SPEC §10; a tenth as many sessions per step of its second phase). */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000) REPORTING_REPRICE_STEP_SIZE = 10_000;

  /** Lets webhook destinations use http and loopback/private addresses (tests, local use); off by default. */
  @Transform(toBool) @IsBoolean() WEBHOOK_ALLOW_PRIVATE = false;
}

export type LogLevelName = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface AppConfig {
  authFailuresPerMinute: number;
  bootstrapApiKey?: string;
  databaseUrl?: string;
  dataDir: string;
  dbPoolSize: number;
  defaultOrgSlug: string;
  host: string;
  http: { headersTimeoutMs: number; maxConnectionsPerClient: number; requestTimeoutMs: number };
  logLevel: LogLevelName;
  metricsToken?: string;
  port: number;
  publicBaseUrl?: string;
  rateLimitPerMinute: number;
  outbox: { backoffBaseMs: number; backoffCapMs: number; leaseMs: number; maxAttempts: number; retentionHours: number };
  projector: { batchSize: number; enabled: boolean; intervalMs: number; workers: number; repriceStepSize: number };
  query: { cacheMaxBytes: number; cacheMaxEntries: number; concurrencyPerOrg: number; timeoutMs: number };
  deliveries: {
    allowPrivate: boolean; backoffBaseMs: number; backoffCapMs: number; enabled: boolean; intervalMs: number;
    leaseMs: number; maxAttempts: number; timeoutMs: number;
  };
}

export class ConfigError extends Error {}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const known = Object.keys(new EnvironmentVariables());
  const raw: Record<string, string> = {};
  for (const name of [...known, 'BOOTSTRAP_API_KEY', 'DATABASE_URL', 'METRICS_TOKEN', 'PUBLIC_BASE_URL']) {
    const v = env[name];
    if (v !== undefined && v !== '') raw[name] = v;
  }
  const vars = plainToInstance(EnvironmentVariables, raw);
  const errors = validateSync(vars, { whitelist: true });
  if (errors.length > 0) {
    const lines = errors.map((e) => `${e.property}=${JSON.stringify(raw[e.property] ?? '')}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  if (vars.REPORTING_OUTBOX_BACKOFF_CAP_MS < vars.REPORTING_OUTBOX_BACKOFF_BASE_MS) {
    throw new ConfigError('Invalid configuration:\n  REPORTING_OUTBOX_BACKOFF_CAP_MS: must be >= REPORTING_OUTBOX_BACKOFF_BASE_MS');
  }
  if (vars.HTTP_HEADERS_TIMEOUT_MS > vars.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError('Invalid configuration:\n  HTTP_HEADERS_TIMEOUT_MS: must be <= HTTP_REQUEST_TIMEOUT_MS');
  }
  if (vars.REPORTING_DELIVERIES_BACKOFF_CAP_MS < vars.REPORTING_DELIVERIES_BACKOFF_BASE_MS) {
    throw new ConfigError('Invalid configuration:\n  REPORTING_DELIVERIES_BACKOFF_CAP_MS: must be >= REPORTING_DELIVERIES_BACKOFF_BASE_MS');
  }
  if (vars.REPORTING_DELIVERIES_LEASE_MS <= vars.REPORTING_DELIVERIES_TIMEOUT_MS) {
    throw new ConfigError('Invalid configuration:\n  REPORTING_DELIVERIES_LEASE_MS: must be > REPORTING_DELIVERIES_TIMEOUT_MS (a send must end before its lease)');
  }
  return {
    authFailuresPerMinute: vars.AUTH_FAILURES_PER_MINUTE,
    bootstrapApiKey: vars.BOOTSTRAP_API_KEY,
    databaseUrl: vars.DATABASE_URL,
    dataDir: vars.DATA_DIR,
    dbPoolSize: vars.DB_POOL_SIZE,
    defaultOrgSlug: vars.DEFAULT_ORG_SLUG,
    host: vars.HOST,
    http: {
      headersTimeoutMs: vars.HTTP_HEADERS_TIMEOUT_MS,
      maxConnectionsPerClient: vars.HTTP_MAX_CONNECTIONS_PER_CLIENT,
      requestTimeoutMs: vars.HTTP_REQUEST_TIMEOUT_MS,
    },
    logLevel: vars.LOG_LEVEL,
    metricsToken: vars.METRICS_TOKEN,
    port: vars.PORT,
    publicBaseUrl: vars.PUBLIC_BASE_URL,
    rateLimitPerMinute: vars.RATE_LIMIT_PER_MINUTE,
    outbox: {
      backoffBaseMs: vars.REPORTING_OUTBOX_BACKOFF_BASE_MS,
      backoffCapMs: vars.REPORTING_OUTBOX_BACKOFF_CAP_MS,
      leaseMs: vars.REPORTING_OUTBOX_LEASE_MS,
      maxAttempts: vars.REPORTING_OUTBOX_MAX_ATTEMPTS,
      retentionHours: vars.REPORTING_OUTBOX_RETENTION_HOURS,
    },
    projector: {
      batchSize: vars.REPORTING_PROJECTOR_BATCH_SIZE,
      enabled: vars.REPORTING_PROJECTOR_ENABLED,
      intervalMs: vars.REPORTING_PROJECTOR_INTERVAL_MS,
      workers: vars.REPORTING_PROJECTOR_WORKERS,
      repriceStepSize: vars.REPORTING_REPRICE_STEP_SIZE,
    },
    query: {
      cacheMaxBytes: vars.REPORTING_QUERY_CACHE_MAX_BYTES,
      cacheMaxEntries: vars.REPORTING_QUERY_CACHE_MAX_ENTRIES,
      concurrencyPerOrg: vars.REPORTING_QUERY_CONCURRENCY_PER_ORG,
      timeoutMs: vars.REPORTING_QUERY_TIMEOUT_MS,
    },
    deliveries: {
      allowPrivate: vars.WEBHOOK_ALLOW_PRIVATE,
      backoffBaseMs: vars.REPORTING_DELIVERIES_BACKOFF_BASE_MS,
      backoffCapMs: vars.REPORTING_DELIVERIES_BACKOFF_CAP_MS,
      enabled: vars.REPORTING_DELIVERIES_ENABLED,
      intervalMs: vars.REPORTING_DELIVERIES_INTERVAL_MS,
      leaseMs: vars.REPORTING_DELIVERIES_LEASE_MS,
      maxAttempts: vars.REPORTING_DELIVERIES_MAX_ATTEMPTS,
      timeoutMs: vars.REPORTING_DELIVERIES_TIMEOUT_MS,
    },
  };
}

/** loadConfig for a process entry point: a bad value is one message on stderr and exit 1 (SPEC §1). */
export function loadConfigOrExit(env: Record<string, string | undefined>): AppConfig {
  try {
    return loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

export const APP_CONFIG = Symbol('APP_CONFIG');
