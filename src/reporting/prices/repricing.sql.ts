import { sourceKeySql, sourceTypeSql as src, TURN_EVENT_TYPES_SQL } from '../../pipeline/pipeline.vocabulary.js';
import { applicablePrice } from './price-rule.sql.js';

/**
 * Re-pricing (SPEC §10): after prices were added or deleted, the generations whose applicable
 * price changed are re-enqueued — with the turn events and sessions whose cost sums them — and the
 * projector re-projects them (facts, then rollups by their deltas). Set-based, one statement.
 *
 * $2 is a JSON array of the changed prices' scopes `{provider, model, match, effective_from}`:
 * only generations a changed price could match are candidates, and of those only the ones whose
 * applicable price (price-rule.sql.ts, evaluated now) differs from the price their fact was
 * priced with — exactly the affected rows, for a create (the new price wins) as for a delete (the
 * deleted price priced them). Generations that report their own cost are never candidates.
 * A generation without a fact yet is waiting in the outbox already (the insert skips it).
 *
 * `org`: $1 is the org whose price changed; `all`: a built-in price changed ($1 unused, null).
 * Rows are inserted in key order, as ingest and backfill insert them (no deadlock between them).
 */

const repriceSql = (scope: 'org' | 'all') => `
  WITH scopes AS (
    SELECT * FROM jsonb_to_recordset($2::jsonb) AS s(provider text, model text, match text, effective_from timestamptz)
  ),
  cand AS (
    SELECT DISTINCT g.org_id, g.id, g.session_id, g.turn_id, g.provider, g.model, g.created_at, g.cost_usd
    FROM scopes s
    JOIN llm_generations g ON g.provider = s.provider AND g.created_at >= s.effective_from
     AND (g.model = s.model OR (s.match = 'prefix' AND starts_with(g.model, s.model)))
    WHERE ${scope === 'org' ? 'g.org_id = $1::uuid' : '$1::uuid IS NULL'} AND g.cost_usd IS NULL
  ),
  affected AS (
    SELECT c.org_id, c.id, c.session_id, c.turn_id
    FROM cand c
    ${applicablePrice('c', 'w')}
    LEFT JOIN LATERAL (
      SELECT f.price_id FROM fact_llm_generation f
      WHERE f.org_id = c.org_id AND f.source_key = ${sourceKeySql('llm_generation', 'c.id')} LIMIT 1
    ) f ON true
    WHERE w.id IS DISTINCT FROM f.price_id
  ),
  pairs AS (
    SELECT org_id, ${src('llm_generation')} AS source_type, id AS source_id FROM affected
    UNION
    SELECT s.org_id, ${src('session')}, s.id FROM (SELECT DISTINCT org_id, session_id FROM affected) a
      JOIN sessions s ON s.org_id = a.org_id AND s.id = a.session_id
    UNION
    SELECT e.org_id, ${src('event')}, e.id FROM (SELECT DISTINCT org_id, session_id, turn_id FROM affected WHERE turn_id IS NOT NULL) t
      JOIN events e ON e.org_id = t.org_id AND e.session_id = t.session_id AND e.turn_id = t.turn_id AND e.type IN ${TURN_EVENT_TYPES_SQL}
  ),
  enq AS (
    INSERT INTO reporting_outbox (org_id, source_type, source_id)
    SELECT org_id, source_type, source_id FROM pairs ORDER BY 1, 2, 3
    ON CONFLICT (org_id, source_type, source_id) WHERE status = 'pending' DO NOTHING
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM affected)::int AS generations, (SELECT count(*) FROM enq)::int AS enqueued`;

export const REPRICE_SQL = { org: repriceSql('org'), all: repriceSql('all') } as const;

/** What re-pricing needs to know of a changed price. */
export interface PriceScope {
  provider: string;
  model: string;
  match: string;
  effective_from: string | Date;
}
