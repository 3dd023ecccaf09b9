import { MigrationInterface, QueryRunner } from 'typeorm';

const TYPES_BEFORE = `('tool.completed', 'turn.completed', 'turn.failed', 'turn.cancelled')`;
const TYPES_AFTER = `('tool.completed', 'turn.completed', 'turn.failed', 'turn.cancelled', 'capability.usage')`;

/**
 * SPEC §11 dataset `capability_usage`: events of type `capability.usage` feed fact_capability_usage
 * (org-scoped, keyed by (org_id, source_key) like every fact table, with the (org_id, created_at)
 * index the queries and the time-range scans use) and its hourly rollup (columns as
 * src/reporting/catalog/rollup.ts derives them from the catalog; see migration 3).
 *
 * The partial indexes over the fact-feeding event types (the backfill walk's and the projected
 * events' update index) must list exactly the types pipeline.vocabulary.ts projects, or the walk's
 * `type IN (…)` no longer implies their predicate and they stop serving it: they are rebuilt with
 * the new type under their old names.
 */
export class CapabilityUsage1732600000012 implements MigrationInterface {
  name = 'CapabilityUsage1732600000012';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE fact_capability_usage (
        org_id            uuid        NOT NULL,
        source_key        text        NOT NULL,
        turn_id           uuid,
        session_id        uuid,
        user_id           uuid,
        principal_id      uuid,
        agent_id          uuid,
        agent_name        text,
        harness_id        uuid,
        harness_name      text,
        app_id            uuid,
        blueprint_id      text,
        capability        text        NOT NULL,
        capability_name   text,
        kind              text        NOT NULL,
        tool              text,
        duration_ms       bigint,
        created_at        timestamptz NOT NULL,
        source_updated_at timestamptz NOT NULL,
        projected_at      timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT fact_capability_usage_pkey PRIMARY KEY (org_id, source_key)
      )`);
    await q.query(`CREATE INDEX fact_capability_usage_org_time_idx ON fact_capability_usage (org_id, created_at)`);
    await q.query(`
      CREATE TABLE rollup_capability_usage_hourly (
        org_id          uuid        NOT NULL,
        hour            timestamptz NOT NULL,
        capability      text        NOT NULL,
        capability_name text,
        kind            text        NOT NULL,
        tool            text,
        row_count       bigint      NOT NULL DEFAULT 0,
        sum_duration_ms bigint      NOT NULL DEFAULT 0,
        cnt_duration_ms bigint      NOT NULL DEFAULT 0,
        CONSTRAINT rollup_capability_usage_hourly_key UNIQUE NULLS NOT DISTINCT (org_id, hour, capability, capability_name, kind, tool)
      )`);
    await this.eventIndexes(q, TYPES_AFTER);
  }

  async down(q: QueryRunner): Promise<void> {
    await this.eventIndexes(q, TYPES_BEFORE);
    await q.query(`DROP TABLE rollup_capability_usage_hourly`);
    await q.query(`DROP TABLE fact_capability_usage`);
  }

  private async eventIndexes(q: QueryRunner, types: string): Promise<void> {
    await q.query(`DROP INDEX events_org_projected_idx, events_org_projected_created_idx`);
    await q.query(`CREATE INDEX events_org_projected_idx ON events (org_id, updated_at) WHERE type IN ${types}`);
    await q.query(`CREATE INDEX events_org_projected_created_idx ON events (org_id, created_at, id) INCLUDE (type, updated_at, session_id, turn_id)
      WHERE type IN ${types}`);
  }
}
