import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { FieldError, ProblemException } from '../../common/problem-details/problem.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { FreshnessService } from '../freshness/freshness.service.js';
import { CompiledColumn, compileReportQuery, CompiledQuery } from './report-query.compile.js';
import type { ResolvedQuery } from './report-query.types.js';
import { validateReportQuery, type ValidateOptions, type ValidationResult } from './report-query.validate.js';
import { formatInZone } from './format-time.js';
import { OrgConcurrencyLimiter } from './org-concurrency.js';
import { planReportQuery, type ServedBy } from './report-query.plan.js';

export interface ReportResult {
  as_of: string;
  columns: { name: string; kind: 'dimension' | 'measure' }[];
  freshness_lag_ms: number | null;
  rows: Record<string, unknown>[];
  served_by: ServedBy;
  truncated: boolean;
}

export function invalidQuery(errors: FieldError[]): ProblemException {
  return new ProblemException('invalid_report_query', `The report query has ${errors.length} problem${errors.length === 1 ? '' : 's'}; see errors.`, {
    errors,
    allowedActions: [
      {
        rel: 'retry',
        hint: 'Fix every entry of errors[] and resend; GET /v1/reports/catalog lists the datasets, dimensions, measures and filter fields.',
        href: '/v1/reports/catalog',
        method: 'GET',
        operation_id: 'get_report_catalog',
      },
    ],
  });
}

/** Row values as the wire wants them: time buckets in the query's zone, numbers as numbers. */
export function formatRow(raw: Record<string, unknown>, columns: CompiledColumn[], timezone: string): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const c of columns) {
    const v = raw[c.name];
    row[c.name] = v instanceof Date ? formatInZone(v, timezone) : v === undefined ? null : v;
  }
  return row;
}

/** Validates, plans, runs (timeout + per-org cap) and shapes report queries (SPEC §6). */
@Injectable()
export class ReportQueryService implements OnModuleInit {
  private readonly limiter: OrgConcurrencyLimiter;
  private timezones?: ReadonlySet<string>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly freshness: FreshnessService,
  ) {
    this.limiter = new OrgConcurrencyLimiter(config.query.concurrencyPerOrg);
  }

  /** The zones PostgreSQL accepts, read once: the set changes only with the server's tzdata. */
  async onModuleInit(): Promise<void> {
    const rows: { name: string }[] = await this.dataSource.query('SELECT name FROM pg_timezone_names');
    this.timezones = new Set(rows.map((r) => r.name));
  }

  /** Every problem of a wire query, with time zones checked against the database's. */
  check(input: unknown, options: ValidateOptions = {}, pointerBase = ''): ValidationResult {
    return validateReportQuery(input, { timezones: this.timezones, ...options }, pointerBase);
  }

  /** Validation of a wire query; a 400 invalid_report_query listing every problem when it fails. */
  resolve(input: unknown, options: ValidateOptions = {}, pointerBase = ''): ResolvedQuery {
    const result = this.check(input, options, pointerBase);
    if (!result.ok) throw invalidQuery(result.errors);
    return result.query;
  }

  /** `source` overrides the planner: tests and benchmarks run one query down both paths. */
  async run(orgId: string, query: ResolvedQuery, source?: ServedBy): Promise<ReportResult> {
    const servedBy = source ?? planReportQuery(query);
    const compiled = compileReportQuery(query, orgId, query.limit + 1, servedBy);
    return this.withQuerySlot(orgId, async (em) => {
      const fresh = await this.freshness.of(orgId, query.dataset, em);
      const raw: Record<string, unknown>[] = await em.query(compiled.sql, compiled.params);
      const truncated = raw.length > query.limit;
      return {
        as_of: fresh.as_of,
        columns: compiled.columns.map(({ name, kind }) => ({ name, kind })),
        freshness_lag_ms: fresh.freshness_lag_ms,
        rows: raw.slice(0, query.limit).map((r) => formatRow(r, compiled.columns, query.timezone)),
        served_by: servedBy,
        truncated,
      };
    });
  }

  /** The SQL the API runs for a query (as planned), e.g. for benchmarks against the same SQL run directly. */
  compile(orgId: string, query: ResolvedQuery, rowLimit?: number): CompiledQuery {
    return compileReportQuery(query, orgId, rowLimit, planReportQuery(query));
  }

  /** Runs `work` holding one of the org's query slots, in a transaction with the statement timeout. */
  async withQuerySlot<T>(orgId: string, work: (em: EntityManager) => Promise<T>, timeoutMs = this.config.query.timeoutMs): Promise<T> {
    const release = this.limiter.acquire(orgId);
    try {
      return await this.dataSource.transaction(async (em) => {
        await em.query(`SELECT set_config('statement_timeout', $1, true)`, [String(timeoutMs)]);
        return work(em);
      });
    } finally {
      release();
    }
  }

  /** Holds an org slot for a long-running export stream; the caller must call the release. */
  acquireSlot(orgId: string): () => void {
    return this.limiter.acquire(orgId);
  }
}
