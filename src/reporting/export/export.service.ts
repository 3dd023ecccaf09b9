import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import { Transform } from 'node:stream';
import pg from 'pg';
import QueryStream from 'pg-query-stream';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { LIMITS } from '#src/reporting/catalog/catalog.js';
import { FreshnessService } from '#src/reporting/freshness/freshness.service.js';
import { compileReportQuery } from '#src/reporting/query/report-query.compile.js';
import { planReportQuery } from '#src/reporting/query/report-query.plan.js';
import { ReportQueryService } from '#src/reporting/query/report-query.service.js';
import { absoluteRange, formatRow } from '#src/reporting/query/report-query.wire.js';
import type { ResolvedQuery } from '#src/reporting/query/report-query.types.js';
import type { ValidateOptions } from '#src/reporting/query/report-query.validate.js';
import { csvLine, toCsv } from './csv.js';

export interface ExportEnvelope {
  as_of: string;
  content: string;
  content_type: string;
  filename: string;
  format: 'csv';
  freshness_lag_ms: number | null;
  /** SPEC §11: the absolute range exported (a relative one resolved). */
  time_range: { from: string; to: string };
}

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

// Exports read more rows than ad-hoc queries; a stream stays in constant memory (SPEC §6 Export).
export const ENVELOPE_OPTIONS: ValidateOptions = { maxLimit: LIMITS.export_max_rows, defaultLimit: LIMITS.export_max_rows };
export const STREAM_OPTIONS: ValidateOptions = { maxLimit: LIMITS.stream_max_rows, defaultLimit: LIMITS.stream_max_rows };
const STREAM_TIMEOUT_MS = 10 * 60_000;
const CHUNK_CHARS = 64 * 1024;

@Injectable()
export class ExportService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reports: ReportQueryService,
    private readonly freshness: FreshnessService,
  ) {}

  /** The seed's JSON envelope: the whole CSV as a string (up to 50,000 rows). */
  async envelope(orgId: string, query: ResolvedQuery, filename: string): Promise<ExportEnvelope> {
    const result = await this.reports.run(orgId, query);
    return {
      as_of: result.as_of,
      content: toCsv(result.columns.map((c) => c.name), result.rows),
      content_type: CSV_CONTENT_TYPE,
      filename,
      format: 'csv',
      freshness_lag_ms: result.freshness_lag_ms,
      time_range: result.time_range,
    };
  }

  /**
   * `Accept: text/csv`: the file itself, streamed from a server-side cursor with backpressure, so
   * memory stays flat however many rows (up to 1,000,000). Freshness and the absolute time range travel in headers.
   */
  async stream(orgId: string, query: ResolvedQuery, filename: string, reply: FastifyReply): Promise<void> {
    const pool = (this.dataSource.driver as PostgresDriver).master as pg.Pool;
    let client: pg.PoolClient | undefined;
    let done = false;
    // A checked-out pg client has no 'error' listener (pg-pool removes its own on checkout), and
    // an 'error' event without one kills the process: a connection lost mid-export (EPIPE,
    // terminated) must fail this stream, not the service. A client released with an error is
    // discarded and keeps the listener (it may still emit while pg-pool ends it); a healthy one
    // goes back to the pool without it. The cursor does not always see a dropped connection, so
    // the error also ends the file (the response is cut short, never left hanging).
    let streams: { rows: NodeJS.ReadableStream & { destroy(e?: Error): void }; csv: Transform } | undefined;
    const onClientError = (e: Error) => {
      finish(e);
      streams?.rows.destroy(e);
      streams?.csv.destroy(e);
    };
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      if (!client) return;
      const c = client;
      if (error) c.release(error instanceof Error ? error : new Error(String(error)));
      else {
        void c.query('COMMIT').then(
          () => {
            c.removeListener('error', onClientError);
            c.release();
          },
          (e) => c.release(e),
        );
      }
    };
    try {
      client = await pool.connect();
      client.on('error', onClientError);
      await client.query('BEGIN READ ONLY');
      await this.reports.takeSlot((sql, params) => client!.query(sql, params).then((r) => r.rows), orgId);
      await client.query(`SELECT set_config('statement_timeout', $1, true)`, [String(STREAM_TIMEOUT_MS)]);
      const fresh = await this.freshness.of(orgId, query.dataset, { query: (sql, params) => client!.query(sql, params).then((r) => r.rows) });
      const compiled = compileReportQuery(query, orgId, query.limit, planReportQuery(query));
      const rows = client.query(new QueryStream(compiled.sql, compiled.params, { batchSize: 2000 }));
      const header = compiled.columns.map((c) => c.name);
      const range = absoluteRange(query);
      // Lines are gathered into ~64 KiB chunks: one socket write per row would cost more than the CSV itself.
      let pending = csvLine(header);
      const csv = new Transform({
        writableObjectMode: true,
        transform(raw: Record<string, unknown>, _enc, cb) {
          const row = formatRow(raw, compiled.columns, query.timezone);
          pending += csvLine(header.map((h) => row[h]));
          if (pending.length < CHUNK_CHARS) return cb();
          const chunk = pending;
          pending = '';
          cb(null, chunk);
        },
        flush(cb) {
          cb(null, pending);
        },
      });
      streams = { rows, csv };
      rows.on('error', (e) => {
        finish(e);
        csv.destroy(e);
      });
      csv.on('end', () => finish());
      csv.on('close', () => finish(done ? undefined : new Error('client went away')));
      rows.pipe(csv);
      reply
        .header('content-type', CSV_CONTENT_TYPE)
        .header('content-disposition', `attachment; filename="${filename}"`)
        .header('x-as-of', fresh.as_of)
        .header('x-freshness-lag-ms', String(fresh.freshness_lag_ms ?? ''))
        .header('x-time-range-from', range.from)
        .header('x-time-range-to', range.to)
        .header('cache-control', 'no-store');
      await reply.send(csv);
    } catch (e) {
      finish(e);
      throw e;
    }
  }
}
