import { onlyFact, sourceKeySql, sourceUpdatedSql } from '#src/pipeline/pipeline.vocabulary.js';
import { ATTRIBUTION, oneTableProjection } from './common.sql.js';

const COLS = ['session_id', ...ATTRIBUTION, 'budget_id', 'subject_type', 'subject_id', 'currency', 'meter_source', 'ref_type', 'amount', 'created_at', 'source_updated_at'];
const FACT = onlyFact('usage_ledger');

/** One statement per batch: ledger postings → fact_budget_posting (attributed from their sessions) and its rollup. */
export const PROJECT_USAGE_LEDGER_SQL = oneTableProjection('usage_ledger', COLS, `
    SELECT l.org_id, ${sourceKeySql('usage_ledger', 'l.id')} AS source_key,
           l.session_id, ${ATTRIBUTION.map((c) => `s.${c}`).join(', ')},
           l.budget_id, l.subject_type, l.subject_id, l.currency, l.meter_source, l.ref_type, l.amount, l.created_at,
           ${sourceUpdatedSql(FACT, { row: 'l.updated_at', session: 's.updated_at' })} AS source_updated_at
    FROM k JOIN usage_ledger l ON l.org_id = k.org_id AND l.id = k.id
    LEFT JOIN sessions s ON s.org_id = l.org_id AND s.id = l.session_id`);
