import { sourceTypeSql as src, TURN_EVENT_TYPES_SQL } from '#src/pipeline/pipeline.vocabulary.js';
import { priceRank } from './price-rule.sql.js';

/**
 * Re-pricing (SPEC §10): after prices were added or deleted, the generations whose applicable
 * price changed are re-enqueued — with the turn events and sessions whose cost sums them — and the
 * projector re-projects them (facts, then rollups by their deltas). Set-based, one statement,
 * and no price lookup per generation: which facts a change affects follows from the price each
 * fact was priced with (`fact_llm_generation.price_id`), compared with the changed price by the
 * rule's own order (price-rule.sql.ts):
 *
 * - a created price P re-prices the facts in its scope (provider, model match, created_at ≥ its
 *   effective_from) that are unpriced, or priced by a price P outranks (the org's own before
 *   built-in, exact before prefix, longer prefix, later effective_from — no ties: see the
 *   table's key). A fact whose generation reports its own cost (no price, a cost) never changes.
 * - a deleted price re-prices exactly the facts it priced (the `price_id` index).
 *
 * This reads the facts as the projections left them, which is exact because a price change holds
 * the org's price lock exclusively (PRICE_LOCK_SQL): every projection that read the old table has
 * committed, and a generation whose fact is missing or older than its source is waiting in the
 * outbox already (it will be projected with the new table; the insert skips it if pending).
 *
 * $2 is a JSON array of the changed prices `{id, org_id, provider, model, match, effective_from,
 * deleted}`. `org`: $1 is the org whose price changed; `all`: built-in prices were added ($1
 * unused, null), every org's facts are candidates. Rows are inserted in key order, as ingest and
 * backfill insert them (no deadlock between them).
 */
const repriceSql = (scope: 'org' | 'all') => `
  WITH changed AS (
    -- A created price's effective_from from its row (microseconds; JSON carries milliseconds).
    SELECT c.id, c.org_id, c.provider, c.model, c.match, coalesce(p.effective_from, c.effective_from) AS effective_from, c.deleted
    FROM jsonb_to_recordset($2::jsonb) AS c(id uuid, org_id uuid, provider text, model text, match text, effective_from timestamptz, deleted boolean)
    LEFT JOIN prices p ON p.id = c.id
  ),
  affected AS (
    SELECT f.org_id, right(f.source_key, 32)::uuid AS id, f.session_id, f.turn_id
    FROM changed c
    JOIN fact_llm_generation f ON f.provider = c.provider AND f.created_at >= c.effective_from
     AND (f.model = c.model OR (c.match = 'prefix' AND starts_with(f.model, c.model)))
    LEFT JOIN prices o ON o.id = f.price_id
    WHERE ${scope === 'org' ? 'f.org_id = $1::uuid' : '$1::uuid IS NULL'} AND NOT c.deleted
      AND NOT (f.price_id IS NULL AND f.cost_usd IS NOT NULL)
      AND (o.id IS NULL OR ${priceRank('c')} < ${priceRank('o')})
    UNION
    SELECT f.org_id, right(f.source_key, 32)::uuid, f.session_id, f.turn_id
    FROM changed c
    JOIN fact_llm_generation f ON f.price_id = c.id
    WHERE ${scope === 'org' ? 'f.org_id = $1::uuid' : '$1::uuid IS NULL'} AND c.deleted
  ),
  pairs AS (
    SELECT org_id, ${src('llm_generation')} AS source_type, id AS source_id FROM affected
    UNION ALL
    SELECT s.org_id, ${src('session')}, s.id FROM (SELECT DISTINCT org_id, session_id FROM affected WHERE session_id IS NOT NULL) a
      JOIN sessions s ON s.org_id = a.org_id AND s.id = a.session_id
    UNION ALL
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

/** What re-pricing needs to know of a changed price (a row of `prices`, and whether it was deleted). */
export interface ChangedPrice {
  id: string;
  org_id: string | null;
  provider: string;
  model: string;
  match: string;
  effective_from: string | Date;
  deleted: boolean;
}
