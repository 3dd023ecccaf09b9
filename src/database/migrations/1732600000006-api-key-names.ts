import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SPEC §15a keys over the API: every key gets a name (1–100 characters) and `last_used_at`, kept
 * to the minute (written by the first request of each minute the key is used in). Keys made before this migration are named after their role.
 */
export class ApiKeyNames1732600000006 implements MigrationInterface {
  name = 'ApiKeyNames1732600000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys ADD COLUMN name text, ADD COLUMN last_used_at timestamptz`);
    await q.query(`UPDATE api_keys SET name = role || ' key'`);
    await q.query(`
      ALTER TABLE api_keys
        ALTER COLUMN name SET NOT NULL,
        ADD CONSTRAINT api_keys_name_length_check CHECK (char_length(name) BETWEEN 1 AND 100)`);
    // list_api_keys reads an org's keys newest first.
    await q.query(`CREATE INDEX api_keys_org_created_idx ON api_keys (org_id, created_at DESC, id DESC)`);
    await q.query(`DROP INDEX api_keys_org_id_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX api_keys_org_id_idx ON api_keys (org_id)`);
    await q.query(`DROP INDEX api_keys_org_created_idx`);
    await q.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_name_length_check, DROP COLUMN last_used_at, DROP COLUMN name`);
  }
}
