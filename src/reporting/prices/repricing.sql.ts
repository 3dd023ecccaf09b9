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
 * One org's change ($1 org, $2 JSON array of changes, $3 a new work id). A change joins the org's
 * live unit of work (the latest) wherever it is, since its steps read the work under the
 * org's price lock, which this statement holds too (PRICE_LOCK_SQL) — a step sees the change or
 * ran before it. The walk of the generations (reprice.projection.ts) has checked the facts before
 * `generations_from` against the changes it knew; joining moves it back to the new change's
 * effective_from when that is earlier (facts in between are checked again: a superset, each
 * written only if its price differs), and a walk that had finished starts again there (its sessions
 * still to recompute stay recorded). Only work whose outbox row is live is joined (a row that
 * failed for good is retried by an operator, not fed). Otherwise a new unit of work is written.
 * Returns how many outbox rows were added (0 or 1) and whether the change joined live work.
 */
export const ENQUEUE_REPRICE_SQL = `
  WITH live AS (
    SELECT r.id FROM reporting_reprices r
    WHERE r.org_id = $1
      AND EXISTS (SELECT 1 FROM reporting_outbox o WHERE o.org_id = $1 AND o.source_type = '${REPRICE_WORK.type}' AND o.source_id = r.id
                  AND o.status IN ('pending', 'processing'))
    ORDER BY r.created_at DESC LIMIT 1
  ),
  since AS (SELECT min((c->>'effective_from')::timestamptz) AS at FROM jsonb_array_elements($2::jsonb) c),
  joined AS (
    UPDATE reporting_reprices r
       SET changes = r.changes || $2::jsonb,
           generations_from = CASE WHEN r.generations_done THEN since.at WHEN r.generations_from IS NULL THEN NULL ELSE least(r.generations_from, since.at) END,
           generations_done = false, updated_at = clock_timestamp()
      FROM live, since WHERE r.id = live.id AND r.org_id = $1 RETURNING r.id
  ),
  work AS (
    INSERT INTO reporting_reprices (id, org_id, changes) SELECT $3::uuid, $1::uuid, $2::jsonb WHERE NOT EXISTS (SELECT 1 FROM live) RETURNING id, org_id
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
 * `op` is the fact's price row (`LEFT JOIN prices op ON op.id = f.price_id`): null when the fact
 * is unpriced or its price no longer exists.
 */
export const mayReprice = (c: string, f: string, op: string) => `(${c}.provider = ${f}.provider AND ${f}.created_at >= ${c}.effective_from
    AND (${f}.model = ${c}.model OR (${c}.match = 'prefix' AND starts_with(${f}.model, ${c}.model)))
    AND CASE WHEN ${c}.deleted THEN ${f}.price_id IS NOT DISTINCT FROM ${c}.id
             ELSE NOT (${f}.price_id IS NULL AND ${f}.cost_usd IS NOT NULL)
                  AND (${op}.id IS NULL OR (${priceRank(c)} < ${priceRank(op)}) IS NOT FALSE) END)`;

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
