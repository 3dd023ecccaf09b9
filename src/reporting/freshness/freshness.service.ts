import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { preparedRows, type PreparedStatement } from '#src/database/query-rows.js';
import { REPRICE_WORK } from '#src/pipeline/pipeline.vocabulary.js';
import type { DatasetDef } from '#src/reporting/catalog/catalog.js';
import { WATERMARK_SQL } from './watermark.sql.js';

/**
 * The outbox row types a dataset's facts wait for: its sources, and re-pricing work (SPEC §10)
 * when that rewrites the dataset's facts — so `as_of` stays at a price change until every cost
 * it changes is written, and the watermark moves with each re-pricing step.
 */
export function outboxTypesOf(dataset: DatasetDef): string[] {
  return (REPRICE_WORK.factTables as readonly string[]).includes(dataset.table) ? [...dataset.sources, REPRICE_WORK.type] : dataset.sources;
}

/** Anything that runs SQL and returns rows: an EntityManager, or an adapter over a pg client. */
export interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<any[]>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * Freshness and the watermark in one statement ($1 org, $2 the dataset's source types): one probe
 * per outbox status, each on its own partial index (least() ignores the nulls of empty ones), and
 * the watermark's primary-key probe.
 */
export const FRESHNESS_PROBE_SQL = `SELECT now() AS now, least(
    (SELECT min(created_at) FROM reporting_outbox WHERE org_id = $1 AND source_type = ANY($2::text[]) AND status = 'pending'),
    (SELECT min(created_at) FROM reporting_outbox WHERE org_id = $1 AND source_type = ANY($2::text[]) AND status = 'processing'),
    (SELECT min(created_at) FROM reporting_outbox WHERE org_id = $1 AND source_type = ANY($2::text[]) AND status = 'failed')) AS oldest,
    ${WATERMARK_SQL.read} AS watermark`;

/** The probe as a prepared statement (query-rows.ts preparedRows): its planning cost 20× its execution. */
const FRESHNESS_PROBE: PreparedStatement = { name: 'factline_freshness_probe', text: FRESHNESS_PROBE_SQL };

export interface Freshness {
  as_of: string;
  freshness_lag_ms: number | null;
}

/**
 * SPEC §6 honest freshness: `as_of` is the created time of the oldest unprojected outbox row
 * (pending, processing or failed) of the dataset's sources — or of re-pricing work that rewrites
 * its facts (outboxTypesOf) — in this org, or now when none is.
 */
@Injectable()
export class FreshnessService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async of(orgId: string, dataset: DatasetDef, em?: SqlRunner): Promise<Freshness> {
    return (await this.probe(orgId, dataset, em)).freshness;
  }

  /**
   * Freshness and the dataset's projection watermark (watermark.sql.ts) in one round trip: what a
   * report query reads before its cache lookup. The watermark is a primary-key probe.
   */
  async probe(orgId: string, dataset: DatasetDef, em?: SqlRunner): Promise<{ freshness: Freshness; watermark: string }> {
    const params = [orgId, outboxTypesOf(dataset)];
    // In the caller's transaction when given one; else a pooled connection, prepared.
    const [row] = em ? await em.query(FRESHNESS_PROBE_SQL, params) : await preparedRows<{ now: Date; oldest: Date | null; watermark: string }>(this.dataSource, FRESHNESS_PROBE, params);
    const now: Date = row.now;
    const asOf: Date = row.oldest && row.oldest < now ? row.oldest : now;
    return { freshness: { as_of: asOf.toISOString(), freshness_lag_ms: Math.max(0, now.getTime() - asOf.getTime()) }, watermark: row.watermark };
  }
}
