import { DATASET_BY_NAME } from '../../reporting/catalog/catalog.js';
import { ATTRIBUTION, KEYS, publicId, storedFacts, upsertFacts } from './common.sql.js';
import { rollupDeltaCtes } from './rollup-delta.sql.js';

const COLS = ['session_id', ...ATTRIBUTION, 'budget_id', 'subject_type', 'subject_id', 'currency', 'meter_source', 'ref_type', 'amount', 'created_at', 'source_updated_at'];

/** One statement per batch: ledger postings → fact_budget_posting (attributed from their sessions) and its rollup. */
export const PROJECT_USAGE_LEDGER_SQL = `
  WITH ${KEYS},
  n AS (
    SELECT l.org_id, 'usage_ledger:' || ${publicId('ledger', 'l.id')} AS source_key,
           l.session_id, ${ATTRIBUTION.map((c) => `s.${c}`).join(', ')},
           l.budget_id, l.subject_type, l.subject_id, l.currency, l.meter_source, l.ref_type, l.amount, l.created_at,
           greatest(l.updated_at, s.updated_at) AS source_updated_at
    FROM k JOIN usage_ledger l ON l.org_id = k.org_id AND l.id = k.id
    LEFT JOIN sessions s ON s.org_id = l.org_id AND s.id = l.session_id
  ),
  ${storedFacts('o', 'fact_budget_posting', 'n')},
  ${upsertFacts('up', 'fact_budget_posting', COLS, 'n')},
  ${rollupDeltaCtes('roll', DATASET_BY_NAME.get('budget_postings')!, 'n', 'o')}
  SELECT (SELECT count(*) FROM up)::int AS projected, (SELECT count(*) FROM roll)::int AS rollup_rows`;
