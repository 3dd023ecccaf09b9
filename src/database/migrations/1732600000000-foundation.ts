import { MigrationInterface, QueryRunner } from 'typeorm';

/** Orgs and API keys (SPEC §2). Keys are stored only as SHA-256 hashes. */
export class Foundation1732600000000 implements MigrationInterface {
  name = 'Foundation1732600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE orgs (
        id         uuid        NOT NULL,
        slug       text        NOT NULL,
        name       text        NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT orgs_pkey PRIMARY KEY (id),
        CONSTRAINT orgs_slug_key UNIQUE (slug),
        CONSTRAINT orgs_slug_check CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$')
      )`);
    await q.query(`
      CREATE TABLE api_keys (
        id         uuid        NOT NULL,
        org_id     uuid        NOT NULL,
        role       text        NOT NULL,
        key_hash   bytea       NOT NULL,
        key_hint   text        NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        CONSTRAINT api_keys_pkey PRIMARY KEY (id),
        CONSTRAINT api_keys_org_id_fkey FOREIGN KEY (org_id) REFERENCES orgs (id),
        CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
        CONSTRAINT api_keys_role_check CHECK (role IN ('owner', 'admin', 'member', 'ingest'))
      )`);
    await q.query(`CREATE INDEX api_keys_org_id_idx ON api_keys (org_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_keys`);
    await q.query(`DROP TABLE orgs`);
  }
}
