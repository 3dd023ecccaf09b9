import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `fact_llm_generation_price_idx` (migration 7: "re-pricing after a delete finds the facts the
 * deleted price priced") has had no reader since re-pricing became set-based outbox work
 * (migration 16): a deleted price's work walks the org's facts by `created_at` like any other
 * (src/projector/projections/reprice.projection.ts) and nothing else looks facts up by price.
 * Every projected generation still paid for it (one more index entry per priced fact), and every
 * re-priced fact twice over: a change of an indexed column makes the update a non-HOT one.
 */
export class DropFactPriceIndex1732600000018 implements MigrationInterface {
  name = 'DropFactPriceIndex1732600000018';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS fact_llm_generation_price_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    // On the partitioned table (migration 14): without its leading org_id, like its other non-unique indexes.
    await q.query(`CREATE INDEX fact_llm_generation_price_idx ON fact_llm_generation (price_id) WHERE price_id IS NOT NULL`);
  }
}
