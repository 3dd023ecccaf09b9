import { factOfEventType, onlyFact, sourceKeySql, TURN_EVENT_TYPES, TURN_EVENT_TYPES_SQL } from '#src/pipeline/pipeline.vocabulary.js';
import { DATASET_BY_NAME } from '#src/reporting/catalog/catalog.js';
import { generationCost, generationCosts, pricedGenerations } from '#src/reporting/prices/price-rule.sql.js';
import { changedPrices, mayReprice } from '#src/reporting/prices/repricing.sql.js';
import { TURN_FACT_COLS } from './event.projection.js';
import { GENERATION_FACT_COLS } from './llm-generation.projection.js';
import { rollupDeltaCtes } from './rollup-delta.sql.js';
import { SESSION_FACT_COLS } from './session.projection.js';

/**
 * Re-pricing work (SPEC §10; repricing.sql.ts), carried out set-based in bounded steps, each one
 * transaction that also records its progress, so a crash resumes at the last committed step:
 *
 * 1. Generations: the org's generation facts are walked in created_at order from the earliest
 *    effective_from of the changes, `$3` facts per step (a time range [from, to): ties of one
 *    instant never straddle two steps). The facts a change may re-price (`mayReprice`) are priced
 *    with the price table as it is now (`pricedGenerations`, the projection's own rule), and those
 *    whose price or cost differs are updated; the hourly rollup moves by the difference (the
 *    rollup-delta mechanism, old facts subtracted and new added: exact in numeric). Their
 *    sessions are recorded for step 2.
 * 2. Sessions and turns: `$3` of the recorded sessions per step get their cost — and that of their
 *    turns — recomputed from their generations as the projections compute it (the sum of
 *    `generationCost` over `pricedGenerations`; the sessions' generations priced once, `gc`),
 *    written where it differs, rollups moved by the difference; the step forgets those sessions.
 *
 * Every statement is scoped by `org_id = $1` and runs under the org's price lock held exclusively
 * (the caller): no projection of the org runs meanwhile, so none reads a fact or rollup row as it
 * was before a step and writes it after (the rollup deltas stay exact), and the price table does
 * not change under a step. Each step writes only what differs from the table's answer now, so
 * running one twice, or steps of two units of work in either order, ends in the same state.
 *
 * $1 org id, $2 the reporting_reprices id, $3 the step's size.
 */

const GEN = onlyFact('llm_generation').table;
const SESSION = onlyFact('session').table;
const TURN = factOfEventType(TURN_EVENT_TYPES[0]).table;

/** Re-pricing rewrites costs and price ids only: no other rollup column or sketch moves. */
const COSTS_ONLY = { changed: ['cost_usd'] };

/** `SELECT` list of a fact row of `alias` with some columns replaced. */
const factRow = (alias: string, cols: readonly string[], replace: Record<string, string>) =>
  ['org_id', 'source_key', ...cols].map((c) => (c in replace ? `${replace[c]} AS ${c}` : `${alias}.${c}`)).join(', ');

export const REPRICE_GENERATIONS_SQL = `
  WITH job AS (
    SELECT r.changes, coalesce(r.generations_from, (SELECT min((c->>'effective_from')::timestamptz) FROM jsonb_array_elements(r.changes) c)) AS lo
    FROM reporting_reprices r WHERE r.id = $2 AND r.org_id = $1 AND NOT r.generations_done
  ),
  changed AS MATERIALIZED (SELECT c.* FROM job, ${changedPrices('job')}),
  -- The step's range: from lo to the created_at of the ($3 + 1)-th fact at or after it — or, when
  -- more than $3 facts share lo, to the next instant; open-ended when the walk reaches the end.
  -- Materialized: bounds reads nth.at three times, and inlined, each read ran the scan again.
  nth AS MATERIALIZED (
    SELECT job.lo, (SELECT f.created_at FROM ${GEN} f WHERE f.org_id = $1 AND f.created_at >= job.lo ORDER BY f.created_at OFFSET $3 LIMIT 1) AS at FROM job
  ),
  bounds AS (
    SELECT nth.lo, CASE WHEN nth.at IS NULL OR nth.at > nth.lo THEN nth.at
                        ELSE (SELECT min(f.created_at) FROM ${GEN} f WHERE f.org_id = $1 AND f.created_at > nth.lo) END AS hi
    FROM nth
  ),
  o AS (
    SELECT f.* FROM bounds b
    JOIN ${GEN} f ON f.org_id = $1 AND f.created_at >= b.lo AND f.created_at < coalesce(b.hi, 'infinity'::timestamptz)
    -- The price each fact was priced with, joined once (a probe per fact and change cost a sixth of a step).
    LEFT JOIN prices op ON op.id = f.price_id
    WHERE EXISTS (SELECT 1 FROM changed c WHERE ${mayReprice('c', 'f', 'op')})
  ),
  -- Candidates never report their own cost (mayReprice), so each is priced by the table alone.
  p AS (
    SELECT * FROM ${pricedGenerations(`SELECT o.org_id, o.source_key AS id, o.provider, o.model, o.created_at, NULL::numeric AS cost_usd,
           o.input_tokens, o.output_tokens, o.cache_read_tokens, o.cache_creation_tokens FROM o`)} priced
  ),
  n AS (
    SELECT ${factRow('o', GENERATION_FACT_COLS, { cost_usd: generationCost('p', 'p'), price_id: 'p.price_id' })}
    FROM o JOIN p ON p.org_id = o.org_id AND p.id = o.source_key
    WHERE (${generationCost('p', 'p')}, p.price_id) IS DISTINCT FROM (o.cost_usd, o.price_id)
  ),
  replaced AS (SELECT o.* FROM o JOIN n ON n.org_id = o.org_id AND n.source_key = o.source_key),
  up AS (
    UPDATE ${GEN} f SET cost_usd = n.cost_usd, price_id = n.price_id, projected_at = now()
    FROM n WHERE f.org_id = $1 AND f.org_id = n.org_id AND f.source_key = n.source_key
    RETURNING 1
  ),
  ${rollupDeltaCtes('roll', DATASET_BY_NAME.get('llm_generations')!, 'n', 'replaced', COSTS_ONLY)},
  sessions AS (
    INSERT INTO reporting_reprice_sessions (reprice_id, org_id, session_id)
    SELECT DISTINCT $2::uuid, $1::uuid, n.session_id FROM n WHERE n.session_id IS NOT NULL ORDER BY 3
    ON CONFLICT DO NOTHING
    RETURNING 1
  ),
  progress AS (
    UPDATE reporting_reprices r SET generations_from = b.hi, generations_done = b.hi IS NULL, updated_at = clock_timestamp()
    FROM bounds b WHERE r.id = $2 AND r.org_id = $1
    RETURNING r.generations_done
  )
  SELECT (SELECT count(*) FROM o)::int AS candidates, (SELECT count(*) FROM up)::int AS repriced,
         (SELECT count(*) FROM sessions)::int AS sessions, (SELECT count(*) FROM roll)::int AS rollup_rows,
         coalesce((SELECT generations_done FROM progress), true) AS done`;

export const REPRICE_SESSIONS_SQL = `
  WITH ds AS (
    SELECT r.session_id FROM reporting_reprice_sessions r WHERE r.reprice_id = $2 AND r.org_id = $1 ORDER BY r.session_id LIMIT $3
  ),
  os AS MATERIALIZED (
    SELECT f.* FROM ds CROSS JOIN LATERAL (SELECT * FROM ${SESSION} f WHERE f.org_id = $1 AND f.source_key = ${sourceKeySql('session', 'ds.session_id')} LIMIT 1) f
  ),
  -- The sessions' generations, priced once: summed per session here and per turn below.
  gc AS MATERIALIZED ${generationCosts(`FROM ds JOIN llm_generations g ON g.org_id = $1 AND g.session_id = ds.session_id`, ['session_id', 'turn_id'])},
  sc AS MATERIALIZED (SELECT org_id, session_id, sum(cost_usd) AS cost_usd FROM gc GROUP BY org_id, session_id),
  -- The facts whose cost changes, with the new cost beside the old: ns (new) and os_replaced
  -- (old) are both read off it, never by joining two CTEs (their estimates of one row made that a
  -- nested loop, a step's sessions compared with each other: a quarter of a step).
  osc AS MATERIALIZED (
    SELECT os.*, sc.cost_usd AS new_cost_usd
    FROM os LEFT JOIN sc ON sc.org_id = os.org_id AND sc.session_id = os.session_id
    WHERE sc.cost_usd IS DISTINCT FROM os.cost_usd
  ),
  ns AS (SELECT ${factRow('osc', SESSION_FACT_COLS, { cost_usd: 'osc.new_cost_usd' })} FROM osc),
  os_replaced AS (SELECT ${factRow('osc', SESSION_FACT_COLS, {})} FROM osc),
  up_sessions AS (
    UPDATE ${SESSION} f SET cost_usd = ns.cost_usd, projected_at = now()
    FROM ns WHERE f.org_id = $1 AND f.org_id = ns.org_id AND f.source_key = ns.source_key
    RETURNING 1
  ),
  ${rollupDeltaCtes('roll_sessions', DATASET_BY_NAME.get('sessions')!, 'ns', 'os_replaced', COSTS_ONLY)},
  -- The sessions' turns: their turn events' facts, costed per (session, turn) as the event projection does.
  ot AS MATERIALIZED (
    SELECT f.* FROM ds
    JOIN events e ON e.org_id = $1 AND e.session_id = ds.session_id AND e.type IN ${TURN_EVENT_TYPES_SQL} AND e.turn_id IS NOT NULL
    CROSS JOIN LATERAL (SELECT * FROM ${TURN} f WHERE f.org_id = $1 AND f.source_key = ${sourceKeySql('event', 'e.id')} LIMIT 1) f
  ),
  tc AS MATERIALIZED (SELECT org_id, session_id, turn_id, sum(cost_usd) AS cost_usd FROM gc WHERE turn_id IS NOT NULL GROUP BY org_id, session_id, turn_id),
  otc AS MATERIALIZED (
    SELECT ot.*, tc.cost_usd AS new_cost_usd
    FROM ot LEFT JOIN tc ON tc.org_id = ot.org_id AND tc.session_id = ot.session_id AND tc.turn_id = ot.turn_id
    WHERE tc.cost_usd IS DISTINCT FROM ot.cost_usd
  ),
  nt AS (SELECT ${factRow('otc', TURN_FACT_COLS, { cost_usd: 'otc.new_cost_usd' })} FROM otc),
  ot_replaced AS (SELECT ${factRow('otc', TURN_FACT_COLS, {})} FROM otc),
  up_turns AS (
    UPDATE ${TURN} f SET cost_usd = nt.cost_usd, projected_at = now()
    FROM nt WHERE f.org_id = $1 AND f.org_id = nt.org_id AND f.source_key = nt.source_key
    RETURNING 1
  ),
  ${rollupDeltaCtes('roll_turns', DATASET_BY_NAME.get('turns')!, 'nt', 'ot_replaced', COSTS_ONLY)},
  -- ds is the work's first sessions in key order, and nothing adds one now (step 1 is over; the
  -- caller holds the org's price lock): a range of the primary key, not a join with ds.
  done AS (
    DELETE FROM reporting_reprice_sessions r
    WHERE r.reprice_id = $2 AND r.org_id = $1 AND r.session_id <= (SELECT ds.session_id FROM ds ORDER BY 1 DESC LIMIT 1) RETURNING 1
  )
  SELECT (SELECT count(*) FROM done)::int AS sessions, (SELECT count(*) FROM up_sessions)::int AS repriced_sessions,
         (SELECT count(*) FROM up_turns)::int AS repriced_turns,
         (SELECT count(*) FROM roll_sessions)::int + (SELECT count(*) FROM roll_turns)::int AS rollup_rows`;

/** The work is done: its row and any session left (none by then) go. */
export const REPRICE_FINISH_SQL = `
  WITH sessions AS (DELETE FROM reporting_reprice_sessions WHERE reprice_id = $2 AND org_id = $1)
  DELETE FROM reporting_reprices WHERE id = $2 AND org_id = $1 RETURNING 1`;
/** The work's state: whether step 1 is done. No row: it was finished already. */
export const REPRICE_STATE_SQL = `SELECT generations_done FROM reporting_reprices WHERE id = $2 AND org_id = $1`;
