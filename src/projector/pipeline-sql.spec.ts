import { SOURCE_TYPES } from '#src/pipeline/pipeline.vocabulary.js';
import { BACKFILL_PLAN_SQL, backfillStep } from './backfill/backfill.sql.js';
import { INGEST_EVENTS_SQL, INGEST_SESSIONS_SQL } from '#src/ingest/ingest.sql.js';
import { PROJECT_EVENTS_SQL } from './projections/event.projection.js';
import { PROJECT_LLM_GENERATIONS_SQL } from './projections/llm-generation.projection.js';
import { PROJECT_SESSIONS_SQL } from './projections/session.projection.js';
import { PROJECT_USAGE_LEDGER_SQL } from './projections/usage-ledger.projection.js';
import { REPRICE_GENERATIONS_SQL, REPRICE_SESSIONS_SQL } from './projections/reprice.projection.js';
import { ENQUEUE_REPRICE_SQL } from '#src/reporting/prices/repricing.sql.js';

const ORG = '0190b5a0-0000-7000-8000-000000000001';
const AFTER = { createdAt: '2026-04-01 00:00:00.123456+00', id: '0190b5a0-0000-7000-8000-00000000000a' };
const UP_TO = { createdAt: '2026-05-01 00:00:00+00', id: '0190b5a0-0000-7000-8000-00000000000b' };

/*
 * The projection, backfill and ingest statements, snapshotted so that any change to the SQL the
 * pipeline runs shows up in review (STYLE habit 4), as the report compiler's SQL is. These
 * statements must agree on source keys, staleness and projected event types character for
 * character; the snapshot shows them side by side. Update with `jest -u` when a change is intended.
 */
describe('pipeline SQL', () => {
  it.each([
    ['event', PROJECT_EVENTS_SQL], ['session', PROJECT_SESSIONS_SQL],
    ['llm_generation', PROJECT_LLM_GENERATIONS_SQL], ['usage_ledger', PROJECT_USAGE_LEDGER_SQL],
  ])('projects %s', (_type, sql) => {
    expect(sql).toMatchSnapshot();
  });

  it.each([
    ['enqueues', ENQUEUE_REPRICE_SQL], ['re-prices generations', REPRICE_GENERATIONS_SQL], ['re-prices sessions and turns', REPRICE_SESSIONS_SQL],
  ])('re-pricing work: %s', (_step, sql) => {
    expect(sql).toMatchSnapshot();
  });

  it('backfill plan settings', () => {
    expect(BACKFILL_PLAN_SQL).toMatchSnapshot();
  });

  it.each(SOURCE_TYPES.flatMap((type) => [['probe', type], ['hash', type]] as const))('backfill step %s %s', (mode, type) => {
    expect(backfillStep(mode, type, ORG, 1000, null, null)).toMatchSnapshot();
  });

  it('backfill step within a range (both bounds)', () => {
    expect(backfillStep('hash', 'event', ORG, 5, AFTER, UP_TO)).toMatchSnapshot();
  });

  it.each([['sessions', INGEST_SESSIONS_SQL], ['events', INGEST_EVENTS_SQL]])('ingest of %s enqueues', (_source, sql) => {
    expect(sql).toMatchSnapshot();
  });
});
