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
 * The created time of the oldest unprojected outbox row of org `org` whose source type matches
 * `typeMatch` (e.g. \`= ANY($2::text[])\`): one probe per outbox status, each on its own partial
 * index (least() ignores the nulls of empty ones).
 */
const oldestUnprojected = (org: string, typeMatch: string) => `least(
    (SELECT min(created_at) FROM reporting_outbox WHERE org_id = ${org} AND source_type ${typeMatch} AND status = 'pending'),
    (SELECT min(created_at) FROM reporting_outbox WHERE org_id = ${org} AND source_type ${typeMatch} AND status = 'processing'),
    (SELECT min(created_at) FROM reporting_outbox WHERE org_id = ${org} AND source_type ${typeMatch} AND status = 'failed'))`;

/** Freshness and the watermark in one statement ($1 org, $2 the dataset's outbox types), and the watermark's primary-key probe. */
export const FRESHNESS_PROBE_SQL = `SELECT now() AS now, ${oldestUnprojected('$1', '= ANY($2::text[])')} AS oldest,
    ${WATERMARK_SQL.read} AS watermark`;

/**
 * The same probe for every outbox type of org `org` (an SQL expression) at once, as one row of
 * arrays in `types` order (\`types\`: an SQL text[] expression): what authentication reads with the
 * key on the query route, before the dataset is known (auth.hook.ts; OrgProbe below).
 */
export const orgProbeSql = (org: string, types: string) => `SELECT now() AS probe_now,
    array_agg(x.oldest ORDER BY x.i) AS probe_oldest, array_agg(x.version ORDER BY x.i) AS probe_versions
    FROM (SELECT t.i, ${oldestUnprojected(org, '= t.type')} AS oldest,
                 (SELECT w.version FROM reporting_watermarks w WHERE w.org_id = ${org} AND w.source_type = t.type) AS version
            FROM unnest(${types}) WITH ORDINALITY AS t(type, i)) x`;

/** The probe as a prepared statement (query-rows.ts preparedRows): its planning cost 20× its execution. */
const FRESHNESS_PROBE: PreparedStatement = { name: 'factline_freshness_probe', text: FRESHNESS_PROBE_SQL };

/**
 * What orgProbeSql read, by outbox type: the oldest unprojected row's created time (null: none)
 * and the projection watermark's counter (null: never bumped). Read before the facts, like the
 * per-dataset probe, so a cached answer is never kept under a watermark newer than its facts.
 */
export interface OrgProbe {
  now: Date;
  oldest: ReadonlyMap<string, Date | null>;
  versions: ReadonlyMap<string, string | null>;
}

/** The columns orgProbeSql reads. */
export interface OrgProbeRow {
  probe_now: Date;
  probe_oldest: (Date | null)[];
  probe_versions: (string | null)[];
}

/** The OrgProbe of orgProbeSql's row, whose arrays are in the order of `types`. */
export function orgProbeOf(row: OrgProbeRow, types: readonly string[]): OrgProbe {
  return {
    now: row.probe_now,
    oldest: new Map(types.map((t, i) => [t, row.probe_oldest[i]])),
    versions: new Map(types.map((t, i) => [t, row.probe_versions[i]])),
  };
}

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
    return { freshness: freshnessAt(row.now, row.oldest), watermark: row.watermark };
  }
}

/** `as_of` and the lag from the database's now and the oldest unprojected row's time. */
function freshnessAt(now: Date, oldest: Date | null): Freshness {
  const asOf = oldest && oldest < now ? oldest : now;
  return { as_of: asOf.toISOString(), freshness_lag_ms: Math.max(0, now.getTime() - asOf.getTime()) };
}

/**
 * FreshnessService.probe's answer for `dataset` from an OrgProbe, without a round trip: the oldest
 * of its outbox types' unprojected rows, and the sum of their counters (WATERMARK_SQL.read).
 */
export function probeFromOrg(probe: OrgProbe, dataset: DatasetDef): { freshness: Freshness; watermark: string } {
  let oldest: Date | null = null;
  let watermark = 0n;
  for (const type of outboxTypesOf(dataset)) {
    const at = probe.oldest.get(type);
    if (at === undefined) throw new Error(`the org probe did not read outbox type ${type}`);
    if (at && (!oldest || at < oldest)) oldest = at;
    watermark += BigInt(probe.versions.get(type) ?? 0);
  }
  return { freshness: freshnessAt(probe.now, oldest), watermark: String(watermark) };
}
