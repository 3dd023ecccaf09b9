import { DATASET_BY_NAME } from '#src/reporting/catalog/catalog.js';
import {
  CAPABILITY_USAGE_EVENT_TYPE, factOfEventType, sourceKeySql, sourceUpdatedSql, TOOL_CALL_EVENT_TYPE, TURN_EVENT_TYPES, TURN_EVENT_TYPES_SQL,
} from '#src/pipeline/pipeline.vocabulary.js';
import { generationsCostBy } from '#src/reporting/prices/price-rule.sql.js';
import { ATTRIBUTION, BATCH_ORGS, factByKey, jsonBigint, KEYS, upsertFacts } from './common.sql.js';
import { rollupDeltaCtes } from './rollup-delta.sql.js';

const TOOL_COLS = ['turn_id', 'session_id', ...ATTRIBUTION, 'tool', 'tool_display_name', 'capability', 'status', 'duration_ms', 'created_at', 'source_updated_at'];
/** The turn columns the projection writes (besides org_id, source_key); re-pricing rewrites cost_usd of them. */
export const TURN_FACT_COLS = [
  'turn_id', 'session_id', ...ATTRIBUTION, 'status', 'duration_ms', 'iterations', 'tool_call_count', 'input_tokens', 'output_tokens',
  'total_tokens', 'cost_usd', 'created_at', 'source_updated_at',
];
const CAPABILITY_COLS = ['turn_id', 'session_id', ...ATTRIBUTION, 'capability', 'capability_name', 'kind', 'tool', 'duration_ms', 'created_at', 'source_updated_at'];
const KEY = (alias: string) => sourceKeySql('event', `${alias}.id`);
const TOOL = factOfEventType(TOOL_CALL_EVENT_TYPE).table;
const TURN = factOfEventType(TURN_EVENT_TYPES[0]);
const CAPABILITY = factOfEventType(CAPABILITY_USAGE_EVENT_TYPE);

/**
 * One statement per batch: events → fact_tool_call (tool.completed), fact_turn (turn.*) and
 * fact_capability_usage (capability.usage, SPEC §11), with their rollups. An event that no longer
 * feeds a table has its fact removed; every fact of the batch's events as stored before the
 * statement is subtracted from the rollups, every new one added. Strict casts of `data` make a malformed event fail (a poison row) instead of projecting
 * a wrong number.
 */
const projectEventsSql = (priced: boolean) => `
  WITH ${KEYS},
  ev AS (
    SELECT e.*, ${KEY('e')} AS source_key, s.updated_at AS s_updated_at,
           ${ATTRIBUTION.map((c) => `s.${c} AS s_${c}`).join(', ')}
    FROM k JOIN events e ON e.org_id = k.org_id AND e.id = k.id
    LEFT JOIN sessions s ON s.org_id = e.org_id AND s.id = e.session_id
  ),
  nt AS (
    SELECT e.org_id, e.source_key, e.turn_id, e.session_id, ${ATTRIBUTION.map((c) => `e.s_${c} AS ${c}`).join(', ')},
           e.data->>'tool_name' AS tool, e.data->>'tool_display_name' AS tool_display_name, e.data->>'capability_id' AS capability,
           e.data->>'status' AS status, ${jsonBigint(`e.data->'duration_ms'`)} AS duration_ms, e.created_at,
           ${sourceUpdatedSql(factOfEventType(TOOL_CALL_EVENT_TYPE), { row: 'e.updated_at', session: 'e.s_updated_at' })} AS source_updated_at
    FROM ev e WHERE e.type = '${TOOL_CALL_EVENT_TYPE}'
  ),
  nu AS (
    SELECT e.org_id, e.source_key, e.turn_id, e.session_id, ${ATTRIBUTION.map((c) => `e.s_${c} AS ${c}`).join(', ')},
           substr(e.type, 6) AS status, ${jsonBigint(`e.data->'duration_ms'`)} AS duration_ms, ${jsonBigint(`e.data->'iterations'`)} AS iterations,
           coalesce(tc.n, 0) AS tool_call_count, ${jsonBigint(`e.data->'input_tokens'`)} AS input_tokens, ${jsonBigint(`e.data->'output_tokens'`)} AS output_tokens,
           CASE WHEN e.data->'input_tokens' IS NULL AND e.data->'output_tokens' IS NULL THEN NULL
                ELSE coalesce(${jsonBigint(`e.data->'input_tokens'`)}, 0) + coalesce(${jsonBigint(`e.data->'output_tokens'`)}, 0) END AS total_tokens,
           -- SPEC §10: what the turn's generations cost (null when none has a known cost), summed from the
           -- batch's turns' generations priced set-based (price-rule.sql.ts). Every cost row's turn is a
           -- turn event here, so the FULL JOIN is a left join that no row estimate can make a nested loop
           -- (the turn filter sits below it: a WHERE above would reduce it to a left join).
           ${priced ? 'tg.cost_usd' : 'NULL::numeric'} AS cost_usd,
           e.created_at, ${sourceUpdatedSql(TURN, { row: 'e.updated_at', session: 'e.s_updated_at', turn_tool_calls: 'tc.updated_at' })} AS source_updated_at
    FROM ${priced ? `(SELECT * FROM ev WHERE type IN ${TURN_EVENT_TYPES_SQL}) e` : 'ev e'}
    LEFT JOIN LATERAL (
      SELECT count(*) AS n, max(t.updated_at) AS updated_at FROM events t
      WHERE t.org_id = e.org_id AND t.session_id = e.session_id AND t.turn_id = e.turn_id AND t.type = '${TOOL_CALL_EVENT_TYPE}'
    ) tc ON e.turn_id IS NOT NULL
    ${priced ? `FULL JOIN ${generationsCostBy(`FROM (SELECT DISTINCT org_id, session_id, turn_id FROM ev WHERE type IN ${TURN_EVENT_TYPES_SQL} AND turn_id IS NOT NULL) t
        JOIN llm_generations g ON g.org_id = t.org_id AND g.session_id = t.session_id AND g.turn_id = t.turn_id`, ['session_id', 'turn_id'])} tg
      ON tg.org_id = e.org_id AND tg.session_id = e.session_id AND tg.turn_id = e.turn_id` : `WHERE e.type IN ${TURN_EVENT_TYPES_SQL}`}
  ),
  nc AS (
    SELECT e.org_id, e.source_key, e.turn_id, e.session_id, ${ATTRIBUTION.map((c) => `e.s_${c} AS ${c}`).join(', ')},
           e.data->>'capability_id' AS capability, e.data->>'capability_name' AS capability_name, e.data->>'kind' AS kind,
           e.data->>'tool_name' AS tool, ${jsonBigint(`e.data->'duration_ms'`)} AS duration_ms, e.created_at,
           ${sourceUpdatedSql(CAPABILITY, { row: 'e.updated_at', session: 'e.s_updated_at' })} AS source_updated_at
    FROM ev e WHERE e.type = '${CAPABILITY_USAGE_EVENT_TYPE}'
  ),
  ot AS (SELECT f.* FROM k CROSS JOIN ${factByKey(TOOL, 'k.org_id', KEY('k'))}),
  ou AS (SELECT f.* FROM k CROSS JOIN ${factByKey(TURN.table, 'k.org_id', KEY('k'))}),
  oc AS (SELECT f.* FROM k CROSS JOIN ${factByKey(CAPABILITY.table, 'k.org_id', KEY('k'))}),
  ${upsertFacts('tools', TOOL, TOOL_COLS, 'nt')},
  ${upsertFacts('turns', TURN.table, TURN_FACT_COLS, 'nu')},
  ${upsertFacts('caps', CAPABILITY.table, CAPABILITY_COLS, 'nc')},
  -- Facts whose event no longer feeds their table; EXCEPT is a hashed set difference (a NOT
  -- EXISTS against the CTE would be planned as a nested loop over it: quadratic in the batch).
  gone_tools AS (SELECT org_id, source_key FROM ot EXCEPT SELECT org_id, source_key FROM nt),
  gone_turns AS (SELECT org_id, source_key FROM ou EXCEPT SELECT org_id, source_key FROM nu),
  gone_caps AS (SELECT org_id, source_key FROM oc EXCEPT SELECT org_id, source_key FROM nc),
  stale_tools AS (DELETE FROM ${TOOL} f USING gone_tools g WHERE f.org_id = g.org_id AND f.org_id = ANY(${BATCH_ORGS}) AND f.source_key = g.source_key RETURNING 1),
  stale_turns AS (DELETE FROM ${TURN.table} f USING gone_turns g WHERE f.org_id = g.org_id AND f.org_id = ANY(${BATCH_ORGS}) AND f.source_key = g.source_key RETURNING 1),
  stale_caps AS (DELETE FROM ${CAPABILITY.table} f USING gone_caps g WHERE f.org_id = g.org_id AND f.org_id = ANY(${BATCH_ORGS}) AND f.source_key = g.source_key RETURNING 1),
  ${rollupDeltaCtes('roll_tools', DATASET_BY_NAME.get('tool_calls')!, 'nt', 'ot')},
  ${rollupDeltaCtes('roll_turns', DATASET_BY_NAME.get('turns')!, 'nu', 'ou')},
  ${rollupDeltaCtes('roll_caps', DATASET_BY_NAME.get('capability_usage')!, 'nc', 'oc')}
  SELECT (SELECT count(*) FROM tools) + (SELECT count(*) FROM turns) + (SELECT count(*) FROM caps) AS projected,
         (SELECT count(*) FROM stale_tools) + (SELECT count(*) FROM stale_turns) + (SELECT count(*) FROM stale_caps) AS removed,
         (SELECT count(*) FROM roll_tools) + (SELECT count(*) FROM roll_turns) + (SELECT count(*) FROM roll_caps) AS rollup_rows`;

export const PROJECT_EVENTS_SQL = projectEventsSql(true);
/** Without the turns' cost: the baseline of the cost benchmark. */
export const PROJECT_EVENTS_UNPRICED_SQL = projectEventsSql(false);
