import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Canonical sources (SPEC §4), the reporting outbox (§5) and the five fact tables (§6).
 * Every table is keyed by org first: tenant scoping is part of every key and index.
 * `updated_at` on a canonical row moves only when the row really changed; facts remember the
 * newest source time they were built from (`source_updated_at`), which is what backfill compares.
 */
export class CanonicalOutboxFacts1732600000001 implements MigrationInterface {
  name = 'CanonicalOutboxFacts1732600000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sessions (
        org_id         uuid        NOT NULL,
        id             uuid        NOT NULL,
        status         text        NOT NULL,
        created_at     timestamptz NOT NULL,
        started_at     timestamptz,
        finished_at    timestamptz,
        last_active_at timestamptz,
        agent_id       uuid,
        agent_name     text,
        harness_id     uuid,
        harness_name   text,
        app_id         uuid,
        blueprint_id   text,
        user_id        uuid,
        principal_id   uuid,
        input_tokens   bigint,
        output_tokens  bigint,
        total_tokens   bigint,
        updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT sessions_pkey PRIMARY KEY (org_id, id),
        CONSTRAINT sessions_status_check CHECK (status IN ('running', 'completed', 'failed', 'cancelled'))
      )`);
    await q.query(`CREATE INDEX sessions_org_updated_idx ON sessions (org_id, updated_at)`);

    await q.query(`
      CREATE TABLE events (
        org_id     uuid        NOT NULL,
        id         uuid        NOT NULL,
        session_id uuid        NOT NULL,
        turn_id    uuid,
        type       text        NOT NULL,
        created_at timestamptz NOT NULL,
        data       jsonb,
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT events_pkey PRIMARY KEY (org_id, id)
      )`);
    await q.query(`CREATE INDEX events_org_session_idx ON events (org_id, session_id)`);
    // Only these event types feed facts (SPEC §4); backfill and re-projection look at no others.
    await q.query(`CREATE INDEX events_org_projected_idx ON events (org_id, updated_at)
      WHERE type IN ('tool.completed', 'turn.completed', 'turn.failed', 'turn.cancelled')`);

    await q.query(`
      CREATE TABLE llm_generations (
        org_id                 uuid        NOT NULL,
        id                     uuid        NOT NULL,
        session_id             uuid,
        turn_id                uuid,
        model                  text        NOT NULL,
        provider               text        NOT NULL,
        finish_reason          text,
        input_tokens           bigint      NOT NULL,
        output_tokens          bigint      NOT NULL,
        cache_read_tokens      bigint,
        cache_creation_tokens  bigint,
        duration_ms            bigint,
        time_to_first_token_ms bigint,
        error                  boolean,
        created_at             timestamptz NOT NULL,
        updated_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT llm_generations_pkey PRIMARY KEY (org_id, id)
      )`);
    await q.query(`CREATE INDEX llm_generations_org_session_idx ON llm_generations (org_id, session_id)`);
    await q.query(`CREATE INDEX llm_generations_org_updated_idx ON llm_generations (org_id, updated_at)`);

    await q.query(`
      CREATE TABLE usage_ledger (
        org_id       uuid           NOT NULL,
        id           uuid           NOT NULL,
        session_id   uuid,
        budget_id    uuid,
        subject_type text,
        subject_id   text,
        currency     text           NOT NULL,
        meter_source text,
        ref_type     text,
        amount       numeric(24, 8) NOT NULL,
        created_at   timestamptz    NOT NULL,
        updated_at   timestamptz    NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT usage_ledger_pkey PRIMARY KEY (org_id, id)
      )`);
    await q.query(`CREATE INDEX usage_ledger_org_session_idx ON usage_ledger (org_id, session_id)`);
    await q.query(`CREATE INDEX usage_ledger_org_updated_idx ON usage_ledger (org_id, updated_at)`);

    await q.query(`
      CREATE TABLE apps (
        org_id     uuid        NOT NULL,
        id         uuid        NOT NULL,
        name       text        NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT apps_pkey PRIMARY KEY (org_id, id)
      )`);
    await q.query(`
      CREATE TABLE app_channels (
        org_id uuid NOT NULL,
        id     uuid NOT NULL,
        app_id uuid NOT NULL,
        type   text NOT NULL,
        name   text,
        CONSTRAINT app_channels_pkey PRIMARY KEY (org_id, id),
        CONSTRAINT app_channels_app_fkey FOREIGN KEY (org_id, app_id) REFERENCES apps (org_id, id) ON DELETE CASCADE,
        CONSTRAINT app_channels_type_check CHECK (type IN ('slack', 'ag_ui', 'webhook', 'a2a', 'fcp', 'schedule', 'api_endpoint'))
      )`);
    await q.query(`CREATE INDEX app_channels_org_app_idx ON app_channels (org_id, app_id)`);
    await q.query(`
      CREATE TABLE app_runs (
        org_id       uuid        NOT NULL,
        id           uuid        NOT NULL,
        app_id       uuid        NOT NULL,
        channel_id   uuid        NOT NULL,
        status       text        NOT NULL,
        created_at   timestamptz NOT NULL,
        completed_at timestamptz,
        updated_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT app_runs_pkey PRIMARY KEY (org_id, id),
        CONSTRAINT app_runs_status_check CHECK (status IN ('ok', 'err', 'running'))
      )`);
    // Newest-first pages and the hourly histogram of one app read only this index.
    await q.query(`CREATE INDEX app_runs_org_app_created_idx ON app_runs (org_id, app_id, created_at DESC, id DESC) INCLUDE (status)`);

    await q.query(`
      CREATE TABLE reporting_outbox (
        id              bigint      GENERATED ALWAYS AS IDENTITY,
        org_id          uuid        NOT NULL,
        source_type     text        NOT NULL,
        source_id       uuid        NOT NULL,
        status          text        NOT NULL DEFAULT 'pending',
        attempts        integer     NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        lease_until     timestamptz,
        last_error      text,
        created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT reporting_outbox_pkey PRIMARY KEY (id),
        CONSTRAINT reporting_outbox_source_type_check CHECK (source_type IN ('event', 'session', 'llm_generation', 'usage_ledger')),
        CONSTRAINT reporting_outbox_status_check CHECK (status IN ('pending', 'processing', 'completed', 'failed'))
      )`);
    // SPEC §5: at most one pending row per source — re-enqueueing a pending source adds nothing.
    // A source may have one pending row next to a processing one: a change that lands while a
    // worker holds the old row must not be lost. The claim never takes a source that is in flight.
    await q.query(`CREATE UNIQUE INDEX reporting_outbox_pending_source_key ON reporting_outbox (org_id, source_type, source_id) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX reporting_outbox_pending_idx ON reporting_outbox (id) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX reporting_outbox_org_pending_idx ON reporting_outbox (org_id, id) WHERE status = 'pending'`);
    // In-flight rows: the claim's "source already in flight" probe, lease expiry, freshness. Few
    // (workers × batch), so one index serves all three; rows leave it when they complete.
    await q.query(`CREATE INDEX reporting_outbox_inflight_source_idx ON reporting_outbox (org_id, source_type, source_id)
      INCLUDE (lease_until, created_at) WHERE status = 'processing'`);
    await q.query(`CREATE INDEX reporting_outbox_failed_idx ON reporting_outbox (org_id, updated_at) WHERE status = 'failed'`);
    // Freshness (SPEC §6): the oldest pending row per org and source type. Pending only: a row's
    // claim then writes two index entries (the heap key and the in-flight index), not four.
    await q.query(`CREATE INDEX reporting_outbox_pending_age_idx ON reporting_outbox (org_id, source_type, created_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX reporting_outbox_completed_idx ON reporting_outbox (updated_at) WHERE status = 'completed'`);

    const common = `
        session_id        uuid,
        user_id           uuid,
        principal_id      uuid,
        agent_id          uuid,
        agent_name        text,
        harness_id        uuid,
        harness_name      text,
        app_id            uuid,
        blueprint_id      text,`;
    await q.query(`
      CREATE TABLE fact_llm_generation (
        org_id                 uuid        NOT NULL,
        source_key             text        NOT NULL,
        turn_id                uuid,${common}
        model                  text        NOT NULL,
        provider               text        NOT NULL,
        finish_reason          text,
        input_tokens           bigint      NOT NULL,
        output_tokens          bigint      NOT NULL,
        cache_read_tokens      bigint,
        cache_creation_tokens  bigint,
        total_tokens           bigint      NOT NULL,
        duration_ms            bigint,
        time_to_first_token_ms bigint,
        is_error               boolean     NOT NULL,
        created_at             timestamptz NOT NULL,
        source_updated_at      timestamptz NOT NULL,
        projected_at           timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT fact_llm_generation_pkey PRIMARY KEY (org_id, source_key)
      )`);
    await q.query(`CREATE INDEX fact_llm_generation_org_time_idx ON fact_llm_generation (org_id, created_at)`);

    await q.query(`
      CREATE TABLE fact_tool_call (
        org_id            uuid        NOT NULL,
        source_key        text        NOT NULL,
        turn_id           uuid,${common}
        tool              text        NOT NULL,
        tool_display_name text,
        capability        text,
        status            text        NOT NULL,
        duration_ms       bigint,
        created_at        timestamptz NOT NULL,
        source_updated_at timestamptz NOT NULL,
        projected_at      timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT fact_tool_call_pkey PRIMARY KEY (org_id, source_key)
      )`);
    await q.query(`CREATE INDEX fact_tool_call_org_time_idx ON fact_tool_call (org_id, created_at)`);

    await q.query(`
      CREATE TABLE fact_turn (
        org_id            uuid        NOT NULL,
        source_key        text        NOT NULL,
        turn_id           uuid,${common}
        status            text        NOT NULL,
        duration_ms       bigint,
        iterations        bigint,
        tool_call_count   bigint      NOT NULL,
        input_tokens      bigint,
        output_tokens     bigint,
        total_tokens      bigint,
        created_at        timestamptz NOT NULL,
        source_updated_at timestamptz NOT NULL,
        projected_at      timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT fact_turn_pkey PRIMARY KEY (org_id, source_key)
      )`);
    await q.query(`CREATE INDEX fact_turn_org_time_idx ON fact_turn (org_id, created_at)`);

    await q.query(`
      CREATE TABLE fact_session (
        org_id            uuid        NOT NULL,
        source_key        text        NOT NULL,${common}
        status            text        NOT NULL,
        duration_ms       bigint,
        turn_count        bigint      NOT NULL,
        tool_call_count   bigint      NOT NULL,
        input_tokens      bigint,
        output_tokens     bigint,
        total_tokens      bigint,
        created_at        timestamptz NOT NULL,
        source_updated_at timestamptz NOT NULL,
        projected_at      timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT fact_session_pkey PRIMARY KEY (org_id, source_key)
      )`);
    await q.query(`CREATE INDEX fact_session_org_time_idx ON fact_session (org_id, created_at)`);

    await q.query(`
      CREATE TABLE fact_budget_posting (
        org_id            uuid           NOT NULL,
        source_key        text           NOT NULL,${common}
        budget_id         uuid,
        subject_type      text,
        subject_id        text,
        currency          text           NOT NULL,
        meter_source      text,
        ref_type          text,
        amount            numeric(24, 8) NOT NULL,
        created_at        timestamptz    NOT NULL,
        source_updated_at timestamptz    NOT NULL,
        projected_at      timestamptz    NOT NULL DEFAULT now(),
        CONSTRAINT fact_budget_posting_pkey PRIMARY KEY (org_id, source_key)
      )`);
    await q.query(`CREATE INDEX fact_budget_posting_org_time_idx ON fact_budget_posting (org_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'fact_budget_posting', 'fact_session', 'fact_turn', 'fact_tool_call', 'fact_llm_generation', 'reporting_outbox',
      'app_runs', 'app_channels', 'apps', 'usage_ledger', 'llm_generations', 'events', 'sessions',
    ]) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
