import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SPEC §15 result cache: one counter per (org, source type), moved by every projector
 * transaction that writes that org's facts of that source, in the same transaction. A report
 * query reads the counters of its dataset's sources (a primary-key probe) and keys its cached
 * answer with them, so any projected change makes the next identical query miss, on every
 * instance (watermark.sql.ts).
 */
export class ProjectionWatermarks1732600000011 implements MigrationInterface {
  name = 'ProjectionWatermarks1732600000011';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reporting_watermarks (
        org_id      uuid        NOT NULL,
        source_type text        NOT NULL,
        version     bigint      NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT reporting_watermarks_pkey PRIMARY KEY (org_id, source_type)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE reporting_watermarks');
  }
}
