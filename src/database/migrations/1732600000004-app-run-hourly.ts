import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hourly counts of app runs by status (SPEC §7, §9: a 7-day histogram of an app with 1M runs in
 * under 100 ms). Counting a week of runs row by row reads every one of them; this table holds the
 * per-hour counts, kept exact by the app-run ingest statement in the same transaction (deltas:
 * +1 for the run as written, −1 for the run as it was), so the histogram reads whole hours here
 * and only its two partial edge hours from app_runs. Filled from existing runs below.
 */
export class AppRunHourly1732600000004 implements MigrationInterface {
  name = 'AppRunHourly1732600000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE app_run_hourly (
        org_id  uuid        NOT NULL,
        app_id  uuid        NOT NULL,
        hour    timestamptz NOT NULL,
        ok      bigint      NOT NULL DEFAULT 0,
        err     bigint      NOT NULL DEFAULT 0,
        running bigint      NOT NULL DEFAULT 0,
        CONSTRAINT app_run_hourly_pkey PRIMARY KEY (org_id, app_id, hour)
      )`);
    await q.query(`
      INSERT INTO app_run_hourly (org_id, app_id, hour, ok, err, running)
      SELECT org_id, app_id, date_bin(interval '1 hour', created_at, timestamptz '2000-01-01T00:00:00Z'),
             count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status = 'err'), count(*) FILTER (WHERE status = 'running')
      FROM app_runs GROUP BY 1, 2, 3`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE app_run_hourly`);
  }
}
