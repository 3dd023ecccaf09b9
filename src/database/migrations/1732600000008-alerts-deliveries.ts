import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SPEC §14: webhook destinations, report schedules, threshold alerts and the durable deliveries
 * they produce. Deliveries follow the outbox's claim pattern (status, attempts counted at claim
 * time, next_attempt_at, lease_until); `dedupe_key` makes one delivery per schedule tick or alert
 * transition however many instances evaluate them.
 */
export class AlertsDeliveries1732600000008 implements MigrationInterface {
  name = 'AlertsDeliveries1732600000008';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_destinations (
        id             uuid        NOT NULL,
        org_id         uuid        NOT NULL,
        name           text        NOT NULL,
        url            text        NOT NULL,
        -- Kept (not hashed) because every delivery is signed with it; never returned after create.
        signing_secret text        NOT NULL,
        created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT webhook_destinations_pkey PRIMARY KEY (id),
        CONSTRAINT webhook_destinations_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (id),
        CONSTRAINT webhook_destinations_name_check CHECK (char_length(name) BETWEEN 1 AND 200),
        CONSTRAINT webhook_destinations_url_check CHECK (char_length(url) BETWEEN 1 AND 2000)
      )`);
    await q.query(`CREATE INDEX webhook_destinations_org_created_idx ON webhook_destinations (org_id, created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE report_schedules (
        id              uuid        NOT NULL,
        org_id          uuid        NOT NULL,
        saved_report_id uuid        NOT NULL,
        destination_id  uuid        NOT NULL,
        cron            text        NOT NULL,
        timezone        text        NOT NULL,
        format          text        NOT NULL,
        next_run_at     timestamptz NOT NULL,
        last_run_at     timestamptz,
        last_error      text,
        created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT report_schedules_pkey PRIMARY KEY (id),
        CONSTRAINT report_schedules_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (id),
        -- Deleting a report removes its schedules; a destination in use cannot be deleted.
        CONSTRAINT report_schedules_report_fkey FOREIGN KEY (saved_report_id) REFERENCES saved_reports (id) ON DELETE CASCADE,
        CONSTRAINT report_schedules_destination_fkey FOREIGN KEY (destination_id) REFERENCES webhook_destinations (id) ON DELETE RESTRICT,
        CONSTRAINT report_schedules_format_check CHECK (format IN ('json', 'csv'))
      )`);
    await q.query(`CREATE INDEX report_schedules_due_idx ON report_schedules (next_run_at)`);
    await q.query(`CREATE INDEX report_schedules_org_report_idx ON report_schedules (org_id, saved_report_id, created_at DESC)`);
    await q.query(`CREATE INDEX report_schedules_destination_idx ON report_schedules (destination_id)`);

    await q.query(`
      CREATE TABLE report_alerts (
        id                uuid             NOT NULL,
        org_id            uuid             NOT NULL,
        name              text             NOT NULL,
        saved_report_id   uuid             NOT NULL,
        destination_id    uuid             NOT NULL,
        measure           text             NOT NULL,
        op                text             NOT NULL,
        threshold         double precision NOT NULL,
        every             text             NOT NULL,
        every_seconds     integer          NOT NULL,
        state             text             NOT NULL DEFAULT 'ok',
        -- Counts state changes: the dedupe key of the delivery each transition produces.
        transitions       integer          NOT NULL DEFAULT 0,
        last_value        double precision,
        last_evaluated_at timestamptz,
        last_error        text,
        next_eval_at      timestamptz      NOT NULL,
        created_at        timestamptz      NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT report_alerts_pkey PRIMARY KEY (id),
        CONSTRAINT report_alerts_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (id),
        CONSTRAINT report_alerts_report_fkey FOREIGN KEY (saved_report_id) REFERENCES saved_reports (id) ON DELETE CASCADE,
        CONSTRAINT report_alerts_destination_fkey FOREIGN KEY (destination_id) REFERENCES webhook_destinations (id) ON DELETE RESTRICT,
        CONSTRAINT report_alerts_name_check CHECK (char_length(name) BETWEEN 1 AND 200),
        CONSTRAINT report_alerts_op_check CHECK (op IN ('gt', 'gte', 'lt', 'lte')),
        CONSTRAINT report_alerts_state_check CHECK (state IN ('ok', 'firing')),
        CONSTRAINT report_alerts_every_check CHECK (every_seconds >= 60)
      )`);
    await q.query(`CREATE INDEX report_alerts_due_idx ON report_alerts (next_eval_at)`);
    await q.query(`CREATE INDEX report_alerts_org_created_idx ON report_alerts (org_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX report_alerts_destination_idx ON report_alerts (destination_id)`);

    await q.query(`
      CREATE TABLE report_deliveries (
        id                   uuid        NOT NULL,
        org_id               uuid        NOT NULL,
        destination_id       uuid        NOT NULL,
        schedule_id          uuid,
        alert_id             uuid,
        dedupe_key           text        NOT NULL,
        event_type           text        NOT NULL,
        -- The exact bytes signed and sent, so every retry carries the same body.
        body                 text        NOT NULL,
        status               text        NOT NULL DEFAULT 'pending',
        attempts             integer     NOT NULL DEFAULT 0,
        next_attempt_at      timestamptz NOT NULL DEFAULT now(),
        lease_until          timestamptz,
        last_response_status integer,
        last_error           text,
        delivered_at         timestamptz,
        created_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT report_deliveries_pkey PRIMARY KEY (id),
        CONSTRAINT report_deliveries_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (id),
        CONSTRAINT report_deliveries_destination_fkey FOREIGN KEY (destination_id) REFERENCES webhook_destinations (id) ON DELETE CASCADE,
        CONSTRAINT report_deliveries_schedule_fkey FOREIGN KEY (schedule_id) REFERENCES report_schedules (id) ON DELETE SET NULL,
        CONSTRAINT report_deliveries_alert_fkey FOREIGN KEY (alert_id) REFERENCES report_alerts (id) ON DELETE SET NULL,
        CONSTRAINT report_deliveries_dedupe_key UNIQUE (org_id, dedupe_key),
        CONSTRAINT report_deliveries_status_check CHECK (status IN ('pending', 'processing', 'succeeded', 'failed')),
        CONSTRAINT report_deliveries_event_type_check CHECK (event_type IN ('report.scheduled', 'alert.firing', 'alert.resolved'))
      )`);
    await q.query(`CREATE INDEX report_deliveries_due_idx ON report_deliveries (next_attempt_at, id) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX report_deliveries_lease_idx ON report_deliveries (lease_until) WHERE status = 'processing'`);
    await q.query(`CREATE INDEX report_deliveries_org_id_idx ON report_deliveries (org_id, id DESC)`);
    await q.query(`CREATE INDEX report_deliveries_schedule_idx ON report_deliveries (schedule_id) WHERE schedule_id IS NOT NULL`);
    await q.query(`CREATE INDEX report_deliveries_alert_idx ON report_deliveries (alert_id) WHERE alert_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE report_deliveries`);
    await q.query(`DROP TABLE report_alerts`);
    await q.query(`DROP TABLE report_schedules`);
    await q.query(`DROP TABLE webhook_destinations`);
  }
}
