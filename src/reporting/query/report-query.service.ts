import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '#src/config/app-config.js';
import { type Freshness, FreshnessService, type OrgProbe, probeFromOrg } from '#src/reporting/freshness/freshness.service.js';
import { compileReportQuery, CompiledQuery } from './report-query.compile.js';
import { absoluteRange, formatRow, invalidQuery } from './report-query.wire.js';
import type { ResolvedQuery } from './report-query.types.js';
import { validateReportQuery, type ValidateOptions, type ValidationResult } from './report-query.validate.js';
import { takeQuerySlot } from './org-concurrency.js';
import { type Approximation, approximations, planReportQuery, type ServedBy } from './report-query.plan.js';
import { normalizedQuery, ReportQueryCache } from './report-query.cache.js';

export interface ReportResult {
  /** SPEC §15: the measures answered approximately and their bound; absent when every measure is exact. */
  approximate?: Approximation[];
  as_of: string;
  columns: { name: string; kind: 'dimension' | 'measure' }[];
  freshness_lag_ms: number | null;
  rows: Record<string, unknown>[];
  served_by: ServedBy;
  /** SPEC §11: the absolute range the query ran over (a relative one resolved), in the query's zone. */
  time_range: { from: string; to: string };
  /** SPEC §11 compare: the absolute range the *_previous columns were computed over. */
  previous_time_range?: { from: string; to: string };
  truncated: boolean;
}

function approximate(query: ResolvedQuery, servedBy: ServedBy): Pick<ReportResult, 'approximate'> {
  const list = approximations(query, servedBy);
  return list.length > 0 ? { approximate: list } : {};
}

/** The echoed ranges of a result: the one used and, with compare, the one compared with. */
function ranges(query: ResolvedQuery): Pick<ReportResult, 'time_range' | 'previous_time_range'> {
  const c = query.compare;
  return { time_range: absoluteRange(query), ...(c ? { previous_time_range: absoluteRange({ from: c.from, to: c.to, timezone: query.timezone }) } : {}) };
}

/** Validates, plans, runs (timeout + per-org cap) and shapes report queries (SPEC §6). */
@Injectable()
export class ReportQueryService implements OnModuleInit {
  private timezones?: ReadonlySet<string>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly freshness: FreshnessService,
    private readonly cache: ReportQueryCache,
  ) {}

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

  /**
   * `source` overrides the planner: tests and benchmarks run one query down both paths.
   * SPEC §15: an identical query of the org at the same projection watermark is answered from the
   * cache (report-query.cache.ts); freshness is read on every call, hit or miss, with the watermark.
   */
  async run(orgId: string, query: ResolvedQuery, source?: ServedBy, orgProbe?: OrgProbe): Promise<ReportResult> {
    const servedBy = source ?? planReportQuery(query);
    if (!this.cache.enabled) {
      return this.withQuerySlot(orgId, async (em) => this.execute(orgId, query, servedBy, orgProbe ? probeFromOrg(orgProbe, query.dataset).freshness : await this.freshness.of(orgId, query.dataset, em), em));
    }
    // Read before the facts (READ COMMITTED: the query's snapshot is at least as new), so an
    // answer is never kept under a watermark newer than the facts it was computed from. On the
    // query route, authentication read it with the key (@ProbeOrgFreshness): no round trip here.
    const { freshness, watermark } = orgProbe ? probeFromOrg(orgProbe, query.dataset) : await this.freshness.probe(orgId, query.dataset);
    const key = this.cache.key(orgId, watermark, normalizedQuery(query, servedBy));
    const hit = this.cache.get(key);
    if (hit) return { ...approximate(query, hit.served_by), as_of: freshness.as_of, columns: hit.columns, freshness_lag_ms: freshness.freshness_lag_ms, rows: hit.rows, served_by: hit.served_by, ...ranges(query), truncated: hit.truncated };
    const result = await this.withQuerySlot(orgId, (em) => this.execute(orgId, query, servedBy, freshness, em));
    this.cache.set(key, { columns: result.columns, rows: result.rows, served_by: result.served_by, truncated: result.truncated });
    return result;
  }

  private async execute(orgId: string, query: ResolvedQuery, servedBy: ServedBy, fresh: Freshness, em: EntityManager): Promise<ReportResult> {
    const compiled = compileReportQuery(query, orgId, query.limit + 1, servedBy);
    const raw: Record<string, unknown>[] = await em.query(compiled.sql, compiled.params);
    const truncated = raw.length > query.limit;
    return {
      ...approximate(query, servedBy),
      as_of: fresh.as_of,
      columns: compiled.columns.map(({ name, kind }) => ({ name, kind })),
      freshness_lag_ms: fresh.freshness_lag_ms,
      rows: raw.slice(0, query.limit).map((r) => formatRow(r, compiled.columns, query.timezone)),
      served_by: servedBy,
      ...ranges(query),
      truncated,
    };
  }

  /** The SQL the API runs for a query (as planned), e.g. for benchmarks against the same SQL run directly. */
  compile(orgId: string, query: ResolvedQuery, rowLimit?: number): CompiledQuery {
    return compileReportQuery(query, orgId, rowLimit, planReportQuery(query));
  }

  /** Runs `work` holding one of the org's query slots, in a transaction with the statement timeout. */
  async withQuerySlot<T>(orgId: string, work: (em: EntityManager) => Promise<T>, timeoutMs = this.config.query.timeoutMs): Promise<T> {
    return this.dataSource.transaction(async (em) => {
      await this.takeSlot((sql, params) => em.query(sql, params), orgId);
      await em.query(`SELECT set_config('statement_timeout', $1, true)`, [String(timeoutMs)]);
      return work(em);
    });
  }

  /** Takes one of the org's query slots for the transaction `query` runs in (an export stream's own). */
  takeSlot(query: (sql: string, params: unknown[]) => Promise<unknown[]>, orgId: string): Promise<void> {
    return takeQuerySlot(query, orgId, this.config.query.concurrencyPerOrg);
  }
}
