import { onlyFact, sourceKeySql, sourceUpdatedSql } from '#src/pipeline/pipeline.vocabulary.js';
import { generationCost, pricedGenerations } from '#src/reporting/prices/price-rule.sql.js';
import { ATTRIBUTION, oneTableProjection } from './common.sql.js';

/** The columns the projection writes (besides org_id, source_key); re-pricing rewrites cost_usd and price_id of them. */
export const GENERATION_FACT_COLS = [
  'turn_id', 'session_id', ...ATTRIBUTION, 'model', 'provider', 'finish_reason', 'input_tokens', 'output_tokens',
  'cache_read_tokens', 'cache_creation_tokens', 'total_tokens', 'duration_ms', 'time_to_first_token_ms', 'is_error', 'cost_usd', 'price_id', 'created_at', 'source_updated_at',
];
const FACT = onlyFact('llm_generation');

/**
 * One statement per batch: generations → fact_llm_generation, attributed from their sessions and
 * priced (SPEC §10: the reported cost, else the applicable price — the batch priced set-based by
 * pricedGenerations, no probe per generation), and the hourly rollup moved by the difference between the new facts and
 * the ones they replace.
 */
const projectLlmGenerationsSql = (priced: boolean) => oneTableProjection('llm_generation', GENERATION_FACT_COLS, `
    SELECT g.org_id, ${sourceKeySql('llm_generation', 'g.id')} AS source_key,
           g.turn_id, g.session_id, ${ATTRIBUTION.map((c) => `s.${c}`).join(', ')},
           g.model, g.provider, g.finish_reason, g.input_tokens, g.output_tokens, g.cache_read_tokens, g.cache_creation_tokens,
           g.input_tokens + g.output_tokens + coalesce(g.cache_read_tokens, 0) + coalesce(g.cache_creation_tokens, 0) AS total_tokens,
           g.duration_ms, g.time_to_first_token_ms, coalesce(g.error, false) AS is_error,
           ${priced ? `${generationCost('g', 'g')} AS cost_usd, g.price_id` : 'NULL::numeric AS cost_usd, NULL::uuid AS price_id'}, g.created_at,
           ${sourceUpdatedSql(FACT, { row: 'g.updated_at', session: 's.updated_at' })} AS source_updated_at
    FROM ${priced ? `${pricedGenerations('SELECT g.* FROM k JOIN llm_generations g ON g.org_id = k.org_id AND g.id = k.id')} g`
    : 'k JOIN llm_generations g ON g.org_id = k.org_id AND g.id = k.id'}
    LEFT JOIN sessions s ON s.org_id = g.org_id AND s.id = g.session_id`);

export const PROJECT_LLM_GENERATIONS_SQL = projectLlmGenerationsSql(true);
/** The same statement without pricing: the baseline of the cost benchmark (bench/benches/cost.bench.ts). */
export const PROJECT_LLM_GENERATIONS_UNPRICED_SQL = projectLlmGenerationsSql(false);
