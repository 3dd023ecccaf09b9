import { ATTRIBUTION, jsonBigint, KEYS, publicId, setExcluded } from './common.sql.js';

const TOOL_COLS = ['turn_id', 'session_id', ...ATTRIBUTION, 'tool', 'tool_display_name', 'capability', 'status', 'duration_ms', 'created_at', 'source_updated_at'];
const TURN_COLS = [
  'turn_id', 'session_id', ...ATTRIBUTION, 'status', 'duration_ms', 'iterations', 'tool_call_count', 'input_tokens', 'output_tokens',
  'total_tokens', 'created_at', 'source_updated_at',
];
const KEY = `'event:' || ${publicId('event', 'e.id')}`;

/**
 * One statement per batch: events → fact_tool_call (tool.completed) and fact_turn (turn.*);
 * an event that no longer feeds a table has its fact removed. Strict casts of `data` make a
 * malformed event fail (a poison row) instead of projecting a wrong number.
 */
export const PROJECT_EVENTS_SQL = `
  WITH ${KEYS},
  ev AS (
    SELECT e.*, ${KEY} AS source_key, greatest(e.updated_at, s.updated_at) AS src_updated,
           ${ATTRIBUTION.map((c) => `s.${c} AS s_${c}`).join(', ')}
    FROM k JOIN events e ON e.org_id = k.org_id AND e.id = k.id
    LEFT JOIN sessions s ON s.org_id = e.org_id AND s.id = e.session_id
  ),
  tools AS (
    INSERT INTO fact_tool_call (org_id, source_key, ${TOOL_COLS.join(', ')})
    SELECT e.org_id, e.source_key, e.turn_id, e.session_id, ${ATTRIBUTION.map((c) => `e.s_${c}`).join(', ')},
           e.data->>'tool_name', e.data->>'tool_display_name', e.data->>'capability_id', e.data->>'status',
           ${jsonBigint(`e.data->'duration_ms'`)}, e.created_at, e.src_updated
    FROM ev e WHERE e.type = 'tool.completed'
    ON CONFLICT (org_id, source_key) DO UPDATE SET ${setExcluded(TOOL_COLS)}, projected_at = now()
    RETURNING 1
  ),
  turns AS (
    INSERT INTO fact_turn (org_id, source_key, ${TURN_COLS.join(', ')})
    SELECT e.org_id, e.source_key, e.turn_id, e.session_id, ${ATTRIBUTION.map((c) => `e.s_${c}`).join(', ')},
           substr(e.type, 6), ${jsonBigint(`e.data->'duration_ms'`)}, ${jsonBigint(`e.data->'iterations'`)},
           coalesce(tc.n, 0), ${jsonBigint(`e.data->'input_tokens'`)}, ${jsonBigint(`e.data->'output_tokens'`)},
           CASE WHEN e.data->'input_tokens' IS NULL AND e.data->'output_tokens' IS NULL THEN NULL
                ELSE coalesce(${jsonBigint(`e.data->'input_tokens'`)}, 0) + coalesce(${jsonBigint(`e.data->'output_tokens'`)}, 0) END,
           e.created_at, greatest(e.src_updated, tc.updated_at)
    FROM ev e
    LEFT JOIN LATERAL (
      SELECT count(*) AS n, max(t.updated_at) AS updated_at FROM events t
      WHERE t.org_id = e.org_id AND t.session_id = e.session_id AND t.turn_id = e.turn_id AND t.type = 'tool.completed'
    ) tc ON e.turn_id IS NOT NULL
    WHERE e.type IN ('turn.completed', 'turn.failed', 'turn.cancelled')
    ON CONFLICT (org_id, source_key) DO UPDATE SET ${setExcluded(TURN_COLS)}, projected_at = now()
    RETURNING 1
  ),
  stale_tools AS (
    DELETE FROM fact_tool_call f USING k
    WHERE f.org_id = k.org_id AND f.source_key = 'event:' || ${publicId('event', 'k.id')}
      AND NOT EXISTS (SELECT 1 FROM ev e WHERE e.org_id = k.org_id AND e.id = k.id AND e.type = 'tool.completed')
    RETURNING 1
  ),
  stale_turns AS (
    DELETE FROM fact_turn f USING k
    WHERE f.org_id = k.org_id AND f.source_key = 'event:' || ${publicId('event', 'k.id')}
      AND NOT EXISTS (SELECT 1 FROM ev e WHERE e.org_id = k.org_id AND e.id = k.id AND e.type IN ('turn.completed', 'turn.failed', 'turn.cancelled'))
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM tools) + (SELECT count(*) FROM turns) AS projected`;
