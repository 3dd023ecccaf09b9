import { ATTRIBUTION, KEYS, publicId, setExcluded } from './common.sql.js';

const COLS = ['session_id', ...ATTRIBUTION, 'budget_id', 'subject_type', 'subject_id', 'currency', 'meter_source', 'ref_type', 'amount', 'created_at', 'source_updated_at'];

/** One statement per batch: ledger postings → fact_budget_posting, attributed from their sessions. */
export const PROJECT_USAGE_LEDGER_SQL = `
  WITH ${KEYS}
  INSERT INTO fact_budget_posting (org_id, source_key, ${COLS.join(', ')})
  SELECT l.org_id, 'usage_ledger:' || ${publicId('ledger', 'l.id')},
         l.session_id, ${ATTRIBUTION.map((c) => `s.${c}`).join(', ')},
         l.budget_id, l.subject_type, l.subject_id, l.currency, l.meter_source, l.ref_type, l.amount, l.created_at,
         greatest(l.updated_at, s.updated_at)
  FROM k JOIN usage_ledger l ON l.org_id = k.org_id AND l.id = k.id
  LEFT JOIN sessions s ON s.org_id = l.org_id AND s.id = l.session_id
  ON CONFLICT (org_id, source_key) DO UPDATE SET ${setExcluded(COLS)}, projected_at = now()`;
