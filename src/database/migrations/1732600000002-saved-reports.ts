import { MigrationInterface, QueryRunner } from 'typeorm';

/** Saved reports store the semantic query (never SQL), re-validated on every run (SPEC §6). */
export class SavedReports1732600000002 implements MigrationInterface {
  name = 'SavedReports1732600000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE saved_reports (
        id          uuid        NOT NULL,
        org_id      uuid        NOT NULL,
        name        text        NOT NULL,
        description text,
        query       jsonb       NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT saved_reports_pkey PRIMARY KEY (id),
        CONSTRAINT saved_reports_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (id),
        CONSTRAINT saved_reports_name_check CHECK (char_length(name) BETWEEN 1 AND 200),
        CONSTRAINT saved_reports_description_check CHECK (description IS NULL OR char_length(description) <= 2000)
      )`);
    await q.query(`CREATE INDEX saved_reports_org_created_idx ON saved_reports (org_id, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE saved_reports`);
  }
}
