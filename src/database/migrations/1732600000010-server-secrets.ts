import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Server-side secrets shared by every instance on the database (the key that signs paging
 * cursors). Kept in the database rather than a file so several instances, the CLI and the tests
 * agree on them without configuration; the rows are written by the service on first use.
 */
export class ServerSecrets1732600000010 implements MigrationInterface {
  name = 'ServerSecrets1732600000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE server_secrets (
        name       text        NOT NULL,
        secret     bytea       NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT server_secrets_pkey PRIMARY KEY (name),
        CONSTRAINT server_secrets_secret_length_check CHECK (octet_length(secret) >= 32)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE server_secrets');
  }
}
