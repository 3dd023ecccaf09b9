import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `reporting_reprice_sessions` (migration 16) loses its foreign key to `reporting_reprices`. Every
 * re-pricing step inserts the sessions its facts belong to, thousands per step, and the key's
 * check ran once per inserted row: 30–50 ms of a ~600 ms step of 10,000 generations (EXPLAIN
 * ANALYZE's trigger time; BENCHMARKS.md). The rows are written only by the step that has just
 * read their work row (src/projector/projections/reprice.projection.ts), under the org's price
 * lock, and the statement that finishes the work now deletes its sessions itself (the cascade did).
 */
export class RepriceSessionsNoFk1732600000019 implements MigrationInterface {
  name = 'RepriceSessionsNoFk1732600000019';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reporting_reprice_sessions DROP CONSTRAINT reporting_reprice_sessions_reprice_fkey`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM reporting_reprice_sessions s WHERE NOT EXISTS (SELECT 1 FROM reporting_reprices r WHERE r.id = s.reprice_id)`);
    await q.query(`ALTER TABLE reporting_reprice_sessions ADD CONSTRAINT reporting_reprice_sessions_reprice_fkey
      FOREIGN KEY (reprice_id) REFERENCES reporting_reprices (id) ON DELETE CASCADE`);
  }
}
