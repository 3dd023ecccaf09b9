import {
  onlyFact, SESSION_COUNTED_EVENT_TYPES_SQL, sourceKeySql, sourceUpdatedSql, TOOL_CALL_EVENT_TYPE, TURN_EVENT_TYPES_SQL,
} from '#src/pipeline/pipeline.vocabulary.js';
import { generationsCostBy } from '#src/reporting/prices/price-rule.sql.js';
import { ATTRIBUTION, oneTableProjection } from './common.sql.js';

/** The columns the projection writes (besides org_id, source_key); re-pricing rewrites cost_usd of them. */
export const SESSION_FACT_COLS = [
  'session_id', ...ATTRIBUTION, 'status', 'duration_ms', 'turn_count', 'tool_call_count', 'input_tokens', 'output_tokens', 'total_tokens',
  'cost_usd', 'created_at', 'source_updated_at',
];
const FACT = onlyFact('session');

/**
 * One statement per batch: sessions → fact_session and its rollup. Turn and tool-call counts come
 * from the session's events (SPEC §4); duration = finished − started; total = input + output;
 * cost = what the session's generations cost (SPEC §10; null when none has a known cost), summed
 * from the batch's generations priced set-based (price-rule.sql.ts). Every cost row's session is
 * in the batch, so the FULL JOIN is a left join that no row estimate can make a nested loop.
 */
const projectSessionsSql = (priced: boolean) => oneTableProjection('session', SESSION_FACT_COLS, `
    SELECT s.org_id, ${sourceKeySql('session', 's.id')} AS source_key,
           s.id AS session_id, ${ATTRIBUTION.map((c) => `s.${c}`).join(', ')}, s.status,
           CASE WHEN s.finished_at IS NOT NULL AND s.started_at IS NOT NULL
                THEN round(extract(epoch FROM s.finished_at - s.started_at) * 1000)::bigint END AS duration_ms,
           coalesce(ev.turn_count, 0) AS turn_count, coalesce(ev.tool_call_count, 0) AS tool_call_count,
           s.input_tokens, s.output_tokens,
           CASE WHEN s.input_tokens IS NULL AND s.output_tokens IS NULL THEN s.total_tokens
                ELSE coalesce(s.input_tokens, 0) + coalesce(s.output_tokens, 0) END AS total_tokens,
           ${priced ? 'sc.cost_usd' : 'NULL::numeric'} AS cost_usd,
           s.created_at, ${sourceUpdatedSql(FACT, { row: 's.updated_at', session_events: 'ev.updated_at' })} AS source_updated_at
    FROM k JOIN sessions s ON s.org_id = k.org_id AND s.id = k.id
    ${priced ? `FULL JOIN ${generationsCostBy(`FROM k JOIN sessions ks ON ks.org_id = k.org_id AND ks.id = k.id
        JOIN llm_generations g ON g.org_id = ks.org_id AND g.session_id = ks.id`, ['session_id'])} sc
      ON sc.org_id = s.org_id AND sc.session_id = s.id` : ''}
    LEFT JOIN LATERAL (
      SELECT count(*) FILTER (WHERE e.type IN ${TURN_EVENT_TYPES_SQL}) AS turn_count,
             count(*) FILTER (WHERE e.type = '${TOOL_CALL_EVENT_TYPE}') AS tool_call_count,
             max(e.updated_at) AS updated_at
      FROM events e
      WHERE e.org_id = s.org_id AND e.session_id = s.id
        AND e.type IN ${SESSION_COUNTED_EVENT_TYPES_SQL}
    ) ev ON true`);

export const PROJECT_SESSIONS_SQL = projectSessionsSql(true);
/** Without the sessions' cost: the baseline of the cost benchmark. */
export const PROJECT_SESSIONS_UNPRICED_SQL = projectSessionsSql(false);
