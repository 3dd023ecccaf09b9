import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cost (SPEC §10): the versioned price table, the provider-reported cost on canonical generations,
 * cost columns on the facts that carry it and on their hourly rollups.
 *
 * `prices` holds the built-in table (org_id NULL, loaded from src/reporting/prices/builtin-prices.ts
 * at every boot, rows only ever added) and each org's own rows. Amounts are USD per million tokens
 * with at most 9 decimals; a generation's cost is computed from them with exact numeric
 * arithmetic. The key is unique with NULLS NOT DISTINCT so two built-in rows (org_id NULL) for
 * the same (provider, model, match, effective_from) cannot exist either: with it, the matching
 * rule's order has no ties within one org's rows or among the built-in ones.
 *
 * Facts written before this migration have no cost (null): their rollup rows count them as
 * unpriced. Loading the built-in prices right after the migrations re-prices the generations a
 * price now applies to (price-repricing.sql.ts).
 */
export class Prices1732600000007 implements MigrationInterface {
  name = 'Prices1732600000007';

  async up(q: QueryRunner): Promise<void> {
    const money = 'numeric(20, 9)';
    await q.query(`
      CREATE TABLE prices (
        id                   uuid        NOT NULL,
        org_id               uuid,
        provider             text        NOT NULL,
        model                text        NOT NULL,
        match                text        NOT NULL,
        currency             text        NOT NULL DEFAULT 'USD',
        input_per_mtok       ${money}    NOT NULL,
        output_per_mtok      ${money}    NOT NULL,
        cache_read_per_mtok  ${money}    NOT NULL,
        cache_write_per_mtok ${money}    NOT NULL,
        effective_from       timestamptz NOT NULL,
        note                 text,
        source_url           text,
        read_at              text,
        created_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT prices_pkey PRIMARY KEY (id),
        CONSTRAINT prices_org_id_fkey FOREIGN KEY (org_id) REFERENCES orgs (id),
        CONSTRAINT prices_match_check CHECK (match IN ('exact', 'prefix')),
        CONSTRAINT prices_currency_check CHECK (currency = 'USD'),
        CONSTRAINT prices_amounts_check CHECK (input_per_mtok >= 0 AND output_per_mtok >= 0 AND cache_read_per_mtok >= 0 AND cache_write_per_mtok >= 0),
        CONSTRAINT prices_model_check CHECK (provider <> '' AND model <> ''),
        CONSTRAINT prices_key UNIQUE NULLS NOT DISTINCT (org_id, provider, model, match, effective_from)
      )`);
    // The matching rule probes by provider: a handful of rows per generation, whatever the table's size.
    await q.query(`CREATE INDEX prices_provider_idx ON prices (provider, org_id)`);

    await q.query(`ALTER TABLE llm_generations ADD COLUMN cost_usd numeric`);
    await q.query(`ALTER TABLE fact_llm_generation ADD COLUMN cost_usd numeric, ADD COLUMN price_id uuid`);
    // Re-pricing after a delete finds the facts the deleted price priced.
    await q.query(`CREATE INDEX fact_llm_generation_price_idx ON fact_llm_generation (org_id, price_id) WHERE price_id IS NOT NULL`);
    await q.query(`ALTER TABLE fact_turn ADD COLUMN cost_usd numeric`);
    await q.query(`ALTER TABLE fact_session ADD COLUMN cost_usd numeric`);

    await q.query(`ALTER TABLE rollup_llm_generation_hourly
      ADD COLUMN sum_cost_usd numeric NOT NULL DEFAULT 0,
      ADD COLUMN cnt_cost_usd bigint NOT NULL DEFAULT 0,
      ADD COLUMN if_unpriced_count bigint NOT NULL DEFAULT 0`);
    // Every fact so far has an unknown cost.
    await q.query(`UPDATE rollup_llm_generation_hourly SET if_unpriced_count = row_count WHERE row_count <> 0`);
    await q.query(`ALTER TABLE rollup_turn_hourly ADD COLUMN sum_cost_usd numeric NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE rollup_session_hourly ADD COLUMN sum_cost_usd numeric NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rollup_session_hourly DROP COLUMN sum_cost_usd`);
    await q.query(`ALTER TABLE rollup_turn_hourly DROP COLUMN sum_cost_usd`);
    await q.query(`ALTER TABLE rollup_llm_generation_hourly DROP COLUMN if_unpriced_count, DROP COLUMN cnt_cost_usd, DROP COLUMN sum_cost_usd`);
    await q.query(`ALTER TABLE fact_session DROP COLUMN cost_usd`);
    await q.query(`ALTER TABLE fact_turn DROP COLUMN cost_usd`);
    await q.query(`DROP INDEX fact_llm_generation_price_idx`);
    await q.query(`ALTER TABLE fact_llm_generation DROP COLUMN price_id, DROP COLUMN cost_usd`);
    await q.query(`ALTER TABLE llm_generations DROP COLUMN cost_usd`);
    await q.query(`DROP TABLE prices`);
  }
}
