import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Resumable backfill (SPEC §5, §9: 1M canonical rows enqueued in ≤ 20 s). The route takes at most
 * 100,000 rows per call; without state every call had to read all of the org's canonical rows to
 * find the next ones (12 full reads for 1M rows). `reporting_backfill_positions` holds, per org,
 * the last row a call picked — (source_type, created_at, id) in the order the route walks the
 * rows — so the next call continues after it. The canonical tables get the (org_id, created_at,
 * id) indexes that walk reads in order; the events one covers only the types that feed facts.
 */
export class BackfillPositions1732600000005 implements MigrationInterface {
  name = 'BackfillPositions1732600000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reporting_backfill_positions (
        org_id      uuid        NOT NULL,
        source_type text,
        created_at  timestamptz,
        id          uuid,
        updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT reporting_backfill_positions_pkey PRIMARY KEY (org_id),
        CONSTRAINT reporting_backfill_positions_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (id),
        CONSTRAINT reporting_backfill_positions_source_type_check CHECK (source_type IN ('event', 'session', 'llm_generation', 'usage_ledger')),
        CONSTRAINT reporting_backfill_positions_whole_check CHECK ((source_type IS NULL) = (created_at IS NULL) AND (source_type IS NULL) = (id IS NULL))
      )`);
    await q.query(`CREATE INDEX sessions_org_created_idx ON sessions (org_id, created_at, id) INCLUDE (updated_at)`);
    await q.query(`CREATE INDEX events_org_projected_created_idx ON events (org_id, created_at, id) INCLUDE (type, updated_at, session_id, turn_id)
      WHERE type IN ('tool.completed', 'turn.completed', 'turn.failed', 'turn.cancelled')`);
    await q.query(`CREATE INDEX llm_generations_org_created_idx ON llm_generations (org_id, created_at, id) INCLUDE (updated_at, session_id)`);
    await q.query(`CREATE INDEX usage_ledger_org_created_idx ON usage_ledger (org_id, created_at, id) INCLUDE (updated_at, session_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX usage_ledger_org_created_idx, llm_generations_org_created_idx, events_org_projected_created_idx, sessions_org_created_idx`);
    await q.query(`DROP TABLE reporting_backfill_positions`);
  }
}
