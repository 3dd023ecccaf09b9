import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hourly rollups (SPEC §6 Rollups): per org, UTC hour and combination of the dataset's
 * low-cardinality dimensions, the sums and counts of its additive measures. The projector keeps
 * them exact with deltas in the same transaction as the facts. Column names follow
 * src/reporting/catalog/rollup.ts (`row_count`, `sum_<column>`, `cnt_<column>` = known values,
 * `if_<measure>` = conditional counts and sums); a test checks the two agree.
 *
 * The key is unique with NULLS NOT DISTINCT, so a null dimension is one group (as GROUP BY treats
 * it) and the delta upserts can target it; it also serves the (org_id, hour) range scans.
 */
export class Rollups1732600000003 implements MigrationInterface {
  name = 'Rollups1732600000003';

  async up(q: QueryRunner): Promise<void> {
    const counts = (names: string[]) => names.map((n) => `${n} bigint NOT NULL DEFAULT 0,`).join('\n        ');
    await q.query(`
      CREATE TABLE rollup_llm_generation_hourly (
        org_id        uuid        NOT NULL,
        hour          timestamptz NOT NULL,
        model         text        NOT NULL,
        provider      text        NOT NULL,
        finish_reason text,
        ${counts([
          'row_count', 'sum_input_tokens', 'sum_output_tokens', 'sum_cache_read_tokens', 'sum_cache_creation_tokens', 'sum_total_tokens',
          'sum_duration_ms', 'cnt_duration_ms', 'sum_time_to_first_token_ms', 'cnt_time_to_first_token_ms', 'if_success_count', 'if_error_count',
        ])}
        CONSTRAINT rollup_llm_generation_hourly_key UNIQUE NULLS NOT DISTINCT (org_id, hour, model, provider, finish_reason)
      )`);
    await q.query(`
      CREATE TABLE rollup_tool_call_hourly (
        org_id            uuid        NOT NULL,
        hour              timestamptz NOT NULL,
        tool              text        NOT NULL,
        tool_display_name text,
        status            text        NOT NULL,
        capability        text,
        ${counts(['row_count', 'if_success_count', 'if_error_count', 'if_timeout_count', 'if_cancelled_count', 'sum_duration_ms', 'cnt_duration_ms'])}
        CONSTRAINT rollup_tool_call_hourly_key UNIQUE NULLS NOT DISTINCT (org_id, hour, tool, tool_display_name, status, capability)
      )`);
    await q.query(`
      CREATE TABLE rollup_turn_hourly (
        org_id uuid        NOT NULL,
        hour   timestamptz NOT NULL,
        status text        NOT NULL,
        ${counts([
          'row_count', 'sum_duration_ms', 'cnt_duration_ms', 'sum_iterations', 'sum_tool_call_count', 'sum_input_tokens', 'sum_output_tokens',
          'sum_total_tokens', 'if_success_count', 'if_error_count',
        ])}
        CONSTRAINT rollup_turn_hourly_key UNIQUE NULLS NOT DISTINCT (org_id, hour, status)
      )`);
    await q.query(`
      CREATE TABLE rollup_session_hourly (
        org_id uuid        NOT NULL,
        hour   timestamptz NOT NULL,
        status text        NOT NULL,
        ${counts(['row_count', 'sum_duration_ms', 'cnt_duration_ms', 'sum_turn_count', 'sum_tool_call_count', 'sum_input_tokens', 'sum_output_tokens', 'sum_total_tokens'])}
        CONSTRAINT rollup_session_hourly_key UNIQUE NULLS NOT DISTINCT (org_id, hour, status)
      )`);
    await q.query(`
      CREATE TABLE rollup_budget_posting_hourly (
        org_id           uuid        NOT NULL,
        hour             timestamptz NOT NULL,
        budget_id        uuid,
        subject_type     text,
        currency         text        NOT NULL,
        meter_source     text,
        ref_type         text,
        row_count        bigint      NOT NULL DEFAULT 0,
        sum_amount       numeric     NOT NULL DEFAULT 0,
        if_debit_amount  numeric     NOT NULL DEFAULT 0,
        if_credit_amount numeric     NOT NULL DEFAULT 0,
        if_debit_count   bigint      NOT NULL DEFAULT 0,
        if_credit_count  bigint      NOT NULL DEFAULT 0,
        CONSTRAINT rollup_budget_posting_hourly_key UNIQUE NULLS NOT DISTINCT (org_id, hour, budget_id, subject_type, currency, meter_source, ref_type)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['rollup_budget_posting_hourly', 'rollup_session_hourly', 'rollup_turn_hourly', 'rollup_tool_call_hourly', 'rollup_llm_generation_hourly']) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
