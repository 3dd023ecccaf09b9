import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Re-pricing as set-based units of work (SPEC §10, §16: re-pricing 1M generations ≤ 60 s).
 * A price change no longer enqueues one outbox row per affected generation: it writes one
 * `reporting_reprices` row (the org and the changed prices) and one outbox row of type `reprice`
 * whose source_id is that row, and the projector carries it out in bounded transactions
 * (src/projector/projections/reprice.projection.ts).
 *
 * Progress is kept so that a crash resumes where the last committed step left it:
 * - `generations_from`: the generation facts before this created_at are done (null: not started);
 *   `generations_done` once the walk has passed the last fact.
 * - `reporting_reprice_sessions`: the sessions whose generations' cost changed and whose session
 *   and turn costs are still to be recomputed; each step deletes the ones it recomputed.
 */
export class RepriceWork1732600000016 implements MigrationInterface {
  name = 'RepriceWork1732600000016';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reporting_outbox DROP CONSTRAINT reporting_outbox_source_type_check`);
    await q.query(`ALTER TABLE reporting_outbox ADD CONSTRAINT reporting_outbox_source_type_check
      CHECK (source_type IN ('event', 'session', 'llm_generation', 'usage_ledger', 'reprice'))`);
    await q.query(`
      CREATE TABLE reporting_reprices (
        id               uuid        NOT NULL,
        org_id           uuid        NOT NULL,
        changes          jsonb       NOT NULL,
        generations_from timestamptz,
        generations_done boolean     NOT NULL DEFAULT false,
        created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT reporting_reprices_pkey PRIMARY KEY (id),
        CONSTRAINT reporting_reprices_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (id),
        CONSTRAINT reporting_reprices_changes_check CHECK (jsonb_typeof(changes) = 'array')
      )`);
    await q.query(`CREATE INDEX reporting_reprices_org_idx ON reporting_reprices (org_id)`);
    await q.query(`
      CREATE TABLE reporting_reprice_sessions (
        reprice_id uuid NOT NULL,
        org_id     uuid NOT NULL,
        session_id uuid NOT NULL,
        CONSTRAINT reporting_reprice_sessions_pkey PRIMARY KEY (reprice_id, session_id),
        CONSTRAINT reporting_reprice_sessions_reprice_fkey FOREIGN KEY (reprice_id) REFERENCES reporting_reprices (id) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reporting_reprice_sessions`);
    await q.query(`DROP TABLE reporting_reprices`);
    await q.query(`DELETE FROM reporting_outbox WHERE source_type = 'reprice'`);
    await q.query(`ALTER TABLE reporting_outbox DROP CONSTRAINT reporting_outbox_source_type_check`);
    await q.query(`ALTER TABLE reporting_outbox ADD CONSTRAINT reporting_outbox_source_type_check
      CHECK (source_type IN ('event', 'session', 'llm_generation', 'usage_ledger'))`);
  }
}
