/**
 * SPEC §10, the one place the pricing rule is written. Every statement that needs a generation's
 * cost — the generation, turn and session projections, re-pricing, backfill — builds it from
 * these fragments, so the rule cannot drift between them.
 *
 * Which price applies to a generation: among the prices with its `provider` whose `model` matches
 * (equal, or a `prefix` price whose model starts the generation's) and whose `effective_from` is
 * at or before the generation's `created_at`: the org's own before built-in, then exact before
 * prefix, then the longest prefix, then the latest `effective_from`. The table's key (org,
 * provider, model, match, effective_from) leaves no ties: two matching prefixes of one length are
 * the same string. A generation that reports its own `cost_usd` is not priced at all.
 *
 * cost = (input × input_per_mtok + output × output_per_mtok + cache_read × cache_read_per_mtok +
 * cache_creation × cache_write_per_mtok) / 1,000,000 in `numeric`: bigint × numeric is exact, and
 * the division is a multiplication by 0.000001 (numeric division rounds to a chosen scale;
 * multiplication never does).
 */

/**
 * The rule's order, best first, as sort keys of price row `p`: the org's own before built-in
 * (false < true), exact before prefix, the longest model, the latest effective_from.
 */
const ORDER = (p: string): [expr: string, desc: boolean][] => [
  [`${p}.org_id IS NULL`, false], [`${p}.match = 'prefix'`, false], [`length(${p}.model)`, true], [`${p}.effective_from`, true],
];
/** ORDER BY list: the best applicable price first. */
export const priceOrderBy = (p: string) => ORDER(p).map(([e, desc]) => (desc ? `${e} DESC` : e)).join(', ');
/** The same order as a row value, lower is better: `priceRank('a') < priceRank('b')` when a outranks b (repricing.sql.ts). */
export const priceRank = (p: string) =>
  `(${ORDER(p).map(([e, desc]) => (!desc ? e : e.includes('effective_from') ? `-extract(epoch FROM ${e})` : `-${e}`)).join(', ')})`;

/**
 * `LEFT JOIN LATERAL … AS <alias>`: the price that applies to the generation row `g` (a canonical
 * llm_generations row: org_id, provider, model, created_at, cost_usd), or nulls. The `cost_usd IS
 * NULL` test is a one-time filter: a generation with a reported cost probes nothing.
 */
export const applicablePrice = (g: string, alias: string) => `LEFT JOIN LATERAL (
      SELECT pr.id, pr.input_per_mtok, pr.output_per_mtok, pr.cache_read_per_mtok, pr.cache_write_per_mtok
      FROM prices pr
      WHERE ${g}.cost_usd IS NULL
        AND pr.provider = ${g}.provider
        AND (pr.org_id IS NULL OR pr.org_id = ${g}.org_id)
        AND (pr.model = ${g}.model OR (pr.match = 'prefix' AND starts_with(${g}.model, pr.model)))
        AND pr.effective_from <= ${g}.created_at
      ORDER BY ${priceOrderBy('pr')}
      LIMIT 1
    ) ${alias} ON true`;

/** The generation's cost in USD: reported, else priced by `p` (from applicablePrice), else null. */
export const generationCost = (g: string, p: string) => `coalesce(${g}.cost_usd, (${g}.input_tokens * ${p}.input_per_mtok
      + ${g}.output_tokens * ${p}.output_per_mtok
      + coalesce(${g}.cache_read_tokens, 0) * ${p}.cache_read_per_mtok
      + coalesce(${g}.cache_creation_tokens, 0) * ${p}.cache_write_per_mtok) * 0.000001)`;

/**
 * Scalar subquery: the summed cost of the generations `where` selects (alias `cg`), null when
 * none has a known cost — what a turn or a session cost (SPEC §10: "sum of their generations").
 */
export const generationsCost = (where: string) => `(SELECT sum(${generationCost('cg', 'cp')})
      FROM llm_generations cg ${applicablePrice('cg', 'cp')}
      WHERE ${where})`;

/**
 * Price changes and the projections that read prices exclude each other per org (advisory locks,
 * two-key form in their own key space). A projection holds the org's lock shared for its
 * transaction, so it reads the price table as it is after any change that committed before it;
 * a price change holds it exclusively, so when it decides which facts to re-enqueue every
 * projection that read the old table has committed its facts (and none can write a fact priced by
 * the old table after the change commits). Keys are taken in ascending order.
 */
const PRICE_LOCK = 1_717_920_004;
const ORG_KEY = (uuid: string) => `hashtext((${uuid})::uuid::text)`;
export const PRICE_LOCK_SQL = {
  /** $1 uuid[]: the orgs of a projection batch. */
  project: `SELECT pg_advisory_xact_lock_shared(${PRICE_LOCK}, h) FROM (SELECT DISTINCT ${ORG_KEY('o')} AS h FROM unnest($1::uuid[]) o ORDER BY 1) x`,
  /** $1 uuid: one org's price change. */
  change: `SELECT pg_advisory_xact_lock(${PRICE_LOCK}, ${ORG_KEY('$1')})`,
  /** A built-in price change: every org. */
  changeAll: `SELECT pg_advisory_xact_lock(${PRICE_LOCK}, h) FROM (SELECT DISTINCT ${ORG_KEY('id')} AS h FROM orgs ORDER BY 1) x`,
} as const;
