import type pg from 'pg';
import type { DataSource } from 'typeorm';
import { checkAllRollups } from '#src/projector/rollups/rollup-maintenance.js';
import { http } from '../support/service.js';
import { batches, SOURCES, type Workload } from './workload.js';

/** Shared arrangements and checks of the reliability tests (outbox state, rollup drift, ingest streams). */

export type OutboxCounts = { pending: number; processing: number; completed: number; failed: number };

export async function outboxCounts(pool: pg.Pool, orgId?: string): Promise<OutboxCounts> {
  const { rows } = await pool.query(
    `SELECT status, count(*)::int AS n FROM reporting_outbox WHERE $1::uuid IS NULL OR org_id = $1 GROUP BY status`,
    [orgId ?? null],
  );
  const n = (s: string) => rows.find((r) => r.status === s)?.n ?? 0;
  return { pending: n('pending'), processing: n('processing'), completed: n('completed'), failed: n('failed') };
}

/** Completed outbox rows by their attempts count, e.g. `{ "1": 30000 }`. */
export async function attemptsOfCompleted(pool: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query(`SELECT attempts, count(*)::int AS n FROM reporting_outbox WHERE status = 'completed' GROUP BY attempts ORDER BY attempts`);
  return Object.fromEntries(rows.map((r) => [String(r.attempts), r.n]));
}

/** Rollup rows that disagree with a recomputation from the facts, per dataset (all zero when exact). */
export async function rollupDrift(ds: DataSource): Promise<Record<string, number>> {
  const drift = await checkAllRollups(ds);
  return Object.fromEntries(drift.map((d) => [d.dataset, d.missing + d.extra]));
}

/**
 * Ingests a wave of records through spawned services: one stream per source, all streams at once,
 * each stream's batches in order (a record's versions never race each other), spread round-robin
 * over the service URLs. Throws on any non-200: ingest is expected to succeed here.
 */
export async function ingestWave(urls: string[], key: string, wave: Workload, batchSize: number): Promise<number> {
  let turn = 0;
  let requests = 0;
  await Promise.all(
    SOURCES.map(async (source) => {
      for (const batch of batches(source, wave[source], batchSize)) {
        const url = urls[turn++ % urls.length];
        const res = await http(url, 'POST', `/v1/ingest/${source}`, { key, body: { records: batch } });
        requests++;
        if (res.status !== 200) throw new Error(`ingest ${source} → ${res.status} ${res.text.slice(0, 500)}`);
      }
    }),
  );
  return requests;
}

/** Sum of a Prometheus counter over its label sets, from a /metrics text. */
export function counterTotal(metrics: string, name: string, labelFilter = ''): number {
  let total = 0;
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labelFilter && !line.includes(labelFilter)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
