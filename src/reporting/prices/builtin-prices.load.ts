import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { OUTBOX_CHANNEL } from '#src/pipeline/pipeline.vocabulary.js';
import { BUILTIN_PRICES, type BuiltinPrice } from './builtin-prices.js';
import { PRICE_LOCK_SQL } from './price-rule.sql.js';
import { CHANGE_JSON, type ChangedPrice, ENQUEUE_REPRICE_ALL_SQL } from './repricing.sql.js';

/**
 * A built-in price's id, the same in every installation: a UUIDv7 whose time is the price's
 * effective_from and whose other bits hash its key, so ids in API responses and saved links stay
 * stable across databases and upgrades.
 */
export function builtinPriceId(p: Pick<BuiltinPrice, 'provider' | 'model' | 'match' | 'effectiveFrom'>): string {
  const b = createHash('sha256').update(['builtin', p.provider, p.model, p.match, p.effectiveFrom].join('\0')).digest().subarray(0, 16);
  b.writeUIntBE(Date.parse(p.effectiveFrom), 0, 6);
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Loads the built-in prices (SPEC §10), at every boot right after the migrations: entries the
 * database lacks are inserted, existing ones are left as they are (history is never rewritten),
 * and every org gets the re-pricing of what the new entries affect (one unit of work per org,
 * repricing.sql.ts). Idempotent: a second run adds nothing and enqueues nothing. Returns how many
 * prices were added and how many re-pricing rows were enqueued.
 */
export async function loadBuiltinPrices(ds: DataSource): Promise<{ added: number; enqueued: number }> {
  return ds.transaction(async (em) => {
    await em.query(PRICE_LOCK_SQL.changeAll);
    const rows = BUILTIN_PRICES.map((p) => ({
      id: builtinPriceId(p), provider: p.provider, model: p.model, match: p.match,
      input: p.input, output: p.output, cache_read: p.cacheRead ?? p.input, cache_write: p.cacheWrite ?? p.input,
      effective_from: p.effectiveFrom, note: p.note ?? null, source_url: p.sourceUrl, read_at: p.readAt,
    }));
    const added: { change: ChangedPrice }[] = await em.query(
      `INSERT INTO prices (id, org_id, provider, model, match, input_per_mtok, output_per_mtok, cache_read_per_mtok, cache_write_per_mtok,
                           effective_from, note, source_url, read_at)
       SELECT r.id, NULL, r.provider, r.model, r.match, r.input, r.output, r.cache_read, r.cache_write, r.effective_from, r.note, r.source_url, r.read_at
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, provider text, model text, match text, input numeric, output numeric, cache_read numeric,
                                               cache_write numeric, effective_from timestamptz, note text, source_url text, read_at text)
       ORDER BY r.id
       ON CONFLICT ON CONSTRAINT prices_key DO NOTHING
       RETURNING ${CHANGE_JSON('prices', false)} AS change`,
      [JSON.stringify(rows)],
    );
    if (added.length === 0) return { added: 0, enqueued: 0 };
    const [{ enqueued }] = await em.query(ENQUEUE_REPRICE_ALL_SQL, [JSON.stringify(added.map((a) => a.change))]);
    if (enqueued > 0) await em.query(`SELECT pg_notify($1, '')`, [OUTBOX_CHANNEL]);
    return { added: added.length, enqueued };
  });
}
