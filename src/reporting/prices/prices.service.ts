import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { parsePublicId, toPublicId, uuidv7 } from '#src/common/ids/public-id.js';
import { ProblemException } from '#src/common/problem-details/problem.js';
import { queryRows } from '#src/database/query-rows.js';
import { OUTBOX_CHANNEL } from '#src/pipeline/pipeline.vocabulary.js';
import { PRICE_LOCK_SQL } from './price-rule.sql.js';
import { amountText, CreatePriceDto, PriceDto, PriceListDto } from './prices.dto.js';
import { CHANGE_JSON, type ChangedPrice, ENQUEUE_REPRICE_SQL } from './repricing.sql.js';

interface PriceRow {
  id: string;
  org_id: string | null;
  provider: string;
  model: string;
  match: string;
  currency: string;
  input_per_mtok: string;
  output_per_mtok: string;
  cache_read_per_mtok: string;
  cache_write_per_mtok: string;
  effective_from: Date;
  note: string | null;
  source_url: string | null;
  read_at: string | null;
}

/** Amounts leave as exact decimal text without trailing zeros (numeric would parse to a double). */
const COLUMNS = `id, org_id, provider, model, match, currency,
  trim_scale(input_per_mtok)::text AS input_per_mtok, trim_scale(output_per_mtok)::text AS output_per_mtok,
  trim_scale(cache_read_per_mtok)::text AS cache_read_per_mtok, trim_scale(cache_write_per_mtok)::text AS cache_write_per_mtok,
  effective_from, note, source_url, read_at`;

function toDto(r: PriceRow): PriceDto {
  const builtin = r.org_id === null;
  const read = builtin && r.source_url ? `Read ${r.read_at ?? ''} from ${r.source_url}`.replace('  ', ' ') : null;
  return {
    id: toPublicId('price', r.id),
    provider: r.provider,
    model: r.model,
    match: r.match,
    currency: r.currency,
    input_per_mtok: r.input_per_mtok,
    output_per_mtok: r.output_per_mtok,
    cache_read_per_mtok: r.cache_read_per_mtok,
    cache_write_per_mtok: r.cache_write_per_mtok,
    effective_from: r.effective_from.toISOString(),
    source: builtin ? 'builtin' : 'org',
    note: [r.note, read].filter((x) => x).join(' — ') || null,
  };
}

/**
 * The price table (SPEC §10): built-in prices and each org's own. Creating or deleting an org
 * price enqueues, in the same transaction, the re-pricing of the org's generations it affects
 * (repricing.sql.ts), under the org's price lock (price-rule.sql.ts), so a concurrent projection
 * can never write a fact priced by the table as it was before the change.
 */
@Injectable()
export class PricesService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(orgId: string, provider?: string): Promise<PriceListDto> {
    const rows: PriceRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM prices
        WHERE (org_id IS NULL OR org_id = $1) AND ($2::text IS NULL OR provider = $2)
        ORDER BY provider, model, match, effective_from, org_id IS NULL, id`,
      [orgId, provider ?? null],
    );
    return { data: rows.map(toDto) };
  }

  async create(orgId: string, dto: CreatePriceDto): Promise<PriceDto> {
    const input = amountText(dto.input_per_mtok);
    return this.dataSource.transaction(async (em) => {
      await em.query(PRICE_LOCK_SQL.change, [orgId]);
      // With the change as re-pricing reads it (repricing.sql.ts).
      let row: PriceRow & { change: ChangedPrice };
      try {
        [row] = await em.query(
          `INSERT INTO prices (id, org_id, provider, model, match, currency, input_per_mtok, output_per_mtok, cache_read_per_mtok, cache_write_per_mtok,
                               effective_from, note)
           VALUES ($1, $2, $3, $4, $5, 'USD', $6::numeric, $7::numeric, $8::numeric, $9::numeric, $10::timestamptz, $11)
           RETURNING ${COLUMNS}, ${CHANGE_JSON('prices', false)} AS change`,
          [
            uuidv7(), orgId, dto.provider, dto.model, dto.match, input, amountText(dto.output_per_mtok),
            dto.cache_read_per_mtok === undefined ? input : amountText(dto.cache_read_per_mtok),
            dto.cache_write_per_mtok === undefined ? input : amountText(dto.cache_write_per_mtok),
            dto.effective_from, dto.note ?? null,
          ],
        );
      } catch (e) {
        const err = e as { constraint?: string; driverError?: { constraint?: string } };
        if ((err.driverError?.constraint ?? err.constraint) === 'prices_key') throw priceExists(dto);
        throw e;
      }
      await this.reprice(em, orgId, row.change);
      return toDto(row);
    });
  }

  async delete(orgId: string, publicId: string): Promise<void> {
    const id = parsePublicId('price', publicId);
    if (!id) throw new ProblemException('invalid_price_id', `"${publicId}" is not a price id (price_ followed by 32 lowercase hex characters).`);
    await this.dataSource.transaction(async (em) => {
      await em.query(PRICE_LOCK_SQL.change, [orgId]);
      const [row]: PriceRow[] = await em.query(`SELECT ${COLUMNS} FROM prices WHERE id = $1 AND (org_id IS NULL OR org_id = $2) FOR UPDATE`, [id, orgId]);
      if (!row) throw new ProblemException('price_not_found', `No price ${publicId} exists in your org.`);
      if (row.org_id === null) {
        throw new ProblemException('builtin_price', `${publicId} is a built-in price (${row.provider} ${row.model}); built-in prices cannot be deleted.`, {
          allowedActions: [{
            rel: 'update', hint: 'Create an org price for the same provider and model: your own price wins over the built-in one.',
            href: '/v1/reports/prices', method: 'POST', operation_id: 'create_price', schema_ref: '#/components/schemas/CreatePriceDto',
          }],
        });
      }
      const [{ change }] = await queryRows<{ change: ChangedPrice }>(em,
        `DELETE FROM prices p WHERE id = $1 AND org_id = $2 RETURNING ${CHANGE_JSON('p', true)} AS change`, [id, orgId]);
      await this.reprice(em, orgId, change);
    });
  }

  /**
   * Enqueues the re-pricing of what the change affects: one unit of work, carried out by the
   * projector (repricing.sql.ts), woken when the transaction commits.
   */
  private async reprice(em: EntityManager, orgId: string, change: ChangedPrice): Promise<void> {
    const [{ enqueued }] = await em.query(ENQUEUE_REPRICE_SQL, [orgId, JSON.stringify([change]), uuidv7()]);
    if (enqueued > 0) await em.query(`SELECT pg_notify($1, $2)`, [OUTBOX_CHANNEL, orgId]);
  }
}

function priceExists(dto: CreatePriceDto): ProblemException {
  return new ProblemException(
    'price_exists',
    `Your org already has a ${dto.match} price for ${dto.provider} ${dto.model} effective from ${dto.effective_from}.`,
    {
      allowedActions: [
        { rel: 'get-existing', hint: 'List prices to find it.', href: `/v1/reports/prices?provider=${encodeURIComponent(dto.provider)}`, method: 'GET', operation_id: 'list_prices' },
        { rel: 'delete', hint: 'Delete the existing price, then create this one.', method: 'DELETE', operation_id: 'delete_price' },
      ],
    },
  );
}
