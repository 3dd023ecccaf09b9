import { ATTRIBUTION, KEYS, publicId, setExcluded } from './common.sql.js';

const COLS = [
  'turn_id', 'session_id', ...ATTRIBUTION, 'model', 'provider', 'finish_reason', 'input_tokens', 'output_tokens',
  'cache_read_tokens', 'cache_creation_tokens', 'total_tokens', 'duration_ms', 'time_to_first_token_ms', 'is_error', 'created_at', 'source_updated_at',
];

/** One statement per batch: generations → fact_llm_generation, attributed from their sessions. */
export const PROJECT_LLM_GENERATIONS_SQL = `
  WITH ${KEYS}
  INSERT INTO fact_llm_generation (org_id, source_key, ${COLS.join(', ')})
  SELECT g.org_id, 'llm_generation:' || ${publicId('gen', 'g.id')},
         g.turn_id, g.session_id, ${ATTRIBUTION.map((c) => `s.${c}`).join(', ')},
         g.model, g.provider, g.finish_reason, g.input_tokens, g.output_tokens, g.cache_read_tokens, g.cache_creation_tokens,
         g.input_tokens + g.output_tokens + coalesce(g.cache_read_tokens, 0) + coalesce(g.cache_creation_tokens, 0),
         g.duration_ms, g.time_to_first_token_ms, coalesce(g.error, false), g.created_at,
         greatest(g.updated_at, s.updated_at)
  FROM k JOIN llm_generations g ON g.org_id = k.org_id AND g.id = k.id
  LEFT JOIN sessions s ON s.org_id = g.org_id AND s.id = g.session_id
  ON CONFLICT (org_id, source_key) DO UPDATE SET ${setExcluded(COLS)}, projected_at = now()`;
