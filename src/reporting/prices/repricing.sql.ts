import { REPRICE_WORK } from '#src/pipeline/pipeline.vocabulary.js';
import { priceRank } from './price-rule.sql.js';

/**
 * Re-pricing (SPEC §10): creating or deleting a price re-prices the generations whose applicable
 * price it changes, and the turns and sessions whose cost sums them. A change does not enqueue one
 * outbox row per generation (38.8 s for 1M rows before the projector had even started): it writes
 * one unit of work — a `reporting_reprices` row naming the org and the changed prices, and one
 * outbox row of type `reprice` that carries it — in the change's transaction, so the change and
 * its re-pricing commit together and freshness counts the work from that instant. The projector
 * carries it out set-based in bounded, resumable steps (src/projector/projections/reprice.projection.ts).
 *
 * A change's JSON `{id, org_id, provider, model, match, effective_from, deleted}` is built here in
 * SQL from the price row, so effective_from keeps its microseconds (the rule's order compares it).
 */
export const CHANGE_JSON = (p: string, deleted: boolean) => `jsonb_build_object('id', ${p}.id, 'org_id', ${p}.org_id, 'provider', ${p}.provider,
  'model', ${p}.model, 'match', ${p}.match, 'effective_from', ${p}.effective_from, 'deleted', ${deleted})`;

/**
 * One org's change ($1 org, $2 JSON array of changes, $3 a new work id). While the org has work
 * that no step has started yet (its outbox row still live), the change joins it: the first step
 * reads the changes under the org's price lock, which this statement holds too (PRICE_LOCK_SQL),
 * so a step sees all of them or runs before the change. Otherwise a new unit of work is written.
 * Returns how many outbox rows were added (0 or 1).
 */
export const ENQUEUE_REPRICE_SQL = `
  WITH unstarted AS (
    SELECT r.id FROM reporting_reprices r
    WHERE r.org_id = $1 AND r.generations_from IS NULL AND NOT r.generations_done
      AND EXISTS (SELECT 1 FROM reporting_outbox o WHERE o.org_id = $1 AND o.source_type = '${REPRICE_WORK.type}' AND o.source_id = r.id
                  AND o.status IN ('pending', 'processing'))
    ORDER BY r.created_at DESC LIMIT 1
  ),
  joined AS (
    UPDATE reporting_reprices r SET changes = r.changes || $2::jsonb, updated_at = clock_timestamp()
    FROM unstarted u WHERE r.id = u.id AND r.org_id = $1 RETURNING r.id
  ),
  work AS (
    INSERT INTO reporting_reprices (id, org_id, changes) SELECT $3::uuid, $1::uuid, $2::jsonb WHERE NOT EXISTS (SELECT 1 FROM unstarted) RETURNING id, org_id
  ),
  enq AS (INSERT INTO reporting_outbox (org_id, source_type, source_id) SELECT org_id, '${REPRICE_WORK.type}', id FROM work RETURNING 1)
  SELECT (SELECT count(*) FROM enq)::int AS enqueued, (SELECT count(*) FROM joined)::int AS joined`;

/**
 * Built-in prices were added ($1 JSON array of changes): one unit of work per org, since every
 * org's generations may be priced by them. Inserted in org order (the outbox's key order).
 */
export const ENQUEUE_REPRICE_ALL_SQL = `
  WITH work AS (
    INSERT INTO reporting_reprices (id, org_id, changes) SELECT gen_random_uuid(), o.id, $1::jsonb FROM orgs o ORDER BY o.id RETURNING id, org_id
  ),
  enq AS (INSERT INTO reporting_outbox (org_id, source_type, source_id) SELECT org_id, '${REPRICE_WORK.type}', id FROM work ORDER BY org_id RETURNING 1)
  SELECT (SELECT count(*) FROM enq)::int AS enqueued`;

/** The changes of the work `job` (a row with a `changes` column) as rows `c`. */
export const changedPrices = (job: string) =>
  `jsonb_to_recordset(${job}.changes) AS c(id uuid, org_id uuid, provider text, model text, match text, effective_from timestamptz, deleted boolean)`;

/**
 * Whether the changed price `c` may re-price the generation fact `f` — no price lookup per fact:
 * it follows from the price the fact was priced with (`f.price_id`), compared with `c` by the
 * rule's own order (price-rule.sql.ts). In `c`'s scope (provider, model match, created_at ≥ its
 * effective_from):
 * - a created price may re-price a fact that is unpriced or priced by a price it outranks (the
 *   org's own before built-in, exact before prefix, longer prefix, later effective_from — no ties,
 *   see the table's key), or by one that no longer exists. A fact whose generation reports its own
 *   cost (no price, a cost) never changes.
 * - a deleted price re-prices exactly the facts it priced.
 * A step re-prices what this selects with the price table as it is then and writes only what
 * differs, so a superset is harmless; what matters is that it misses nothing: a fact whose
 * applicable price changes since it was priced is always selected by some later change's work.
 */
export const mayReprice = (c: string, f: string) => `(${c}.provider = ${f}.provider AND ${f}.created_at >= ${c}.effective_from
    AND (${f}.model = ${c}.model OR (${c}.match = 'prefix' AND starts_with(${f}.model, ${c}.model)))
    AND CASE WHEN ${c}.deleted THEN ${f}.price_id IS NOT DISTINCT FROM ${c}.id
             ELSE NOT (${f}.price_id IS NULL AND ${f}.cost_usd IS NOT NULL)
                  AND NOT EXISTS (SELECT 1 FROM prices op WHERE op.id = ${f}.price_id AND NOT ${priceRank(c)} < ${priceRank('op')}) END)`;

/** What re-pricing needs to know of a changed price (a row of `prices`, and whether it was deleted). */
export interface ChangedPrice {
  id: string;
  org_id: string | null;
  provider: string;
  model: string;
  match: string;
  effective_from: string;
  deleted: boolean;
}
