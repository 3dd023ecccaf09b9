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
 * Whether price row `pr` is in the scope of the generation row `g` (same provider, the org's own or
 * built-in, the model equal or a prefix price's model starting it) — the rule's filter except time.
 */
const MATCHES = (g: string, pr: string) => `${pr}.provider = ${g}.provider
        AND (${pr}.org_id IS NULL OR ${pr}.org_id = ${g}.org_id)
        AND (${pr}.model = ${g}.model OR (${pr}.match = 'prefix' AND starts_with(${g}.model, ${pr}.model)))`;
/** Price `pr` was in effect at the generation `g`'s time. */
const IN_EFFECT = (g: string, pr: string) => `${pr}.effective_from <= ${g}.created_at`;

/**
 * `LEFT JOIN LATERAL … AS <alias>`: the price that applies to the generation row `g` (a canonical
 * llm_generations row: org_id, provider, model, created_at, cost_usd), or nulls. The `cost_usd IS
 * NULL` test is a one-time filter: a generation with a reported cost probes nothing. One probe per
 * row: for a single fact (backfill); a batch is priced by `pricedGenerations`.
 */
export const applicablePrice = (g: string, alias: string) => `LEFT JOIN LATERAL (
      SELECT pr.id, pr.input_per_mtok, pr.output_per_mtok, pr.cache_read_per_mtok, pr.cache_write_per_mtok
      FROM prices pr
      WHERE ${g}.cost_usd IS NULL
        AND ${MATCHES(g, 'pr')}
        AND ${IN_EFFECT(g, 'pr')}
      ORDER BY ${priceOrderBy('pr')}
      LIMIT 1
    ) ${alias} ON true`;

/**
 * A FROM item: the generations that `gens` selects (a query yielding llm_generations columns,
 * at least org_id, id, provider, model, created_at, cost_usd and the token counts; each
 * generation once), each with the price that applies to it as columns `price_id, input_per_mtok,
 * output_per_mtok, cache_read_per_mtok, cache_write_per_mtok` (nulls when none applies or it
 * reports its cost) — so `generationCost(x, x)` is its cost. Set-based, no probe and no sort per
 * generation: the batch's distinct (org, provider, model) keys are matched against the price
 * table once (`pg_c`: each key's candidates), and each key's price is laid out as a function of
 * time (`pg_k`): from each candidate's effective_from on, the best candidate in effect from then
 * until the next one's — the rule's answer can only change at an effective_from. Each generation
 * then takes the piece its created_at falls in (width_bucket over the pieces' start times, 0 before
 * the first: no price).
 *
 * The generations meet their key's row by a FULL JOIN on the key: a full join can only be a hash
 * or merge join, so no row estimate of the batch (a CTE's is often 1) can make it a nested loop
 * that rebuilds or rescans the price rows per generation. It equals a left join here: every key
 * of `pg_k` is some generation's.
 */
const PRICE_COLS = ['input_per_mtok', 'output_per_mtok', 'cache_read_per_mtok', 'cache_write_per_mtok'];
const KEY_COLS = ['key_org_id', 'key_provider', 'key_model'];
export const pricedGenerations = (gens: string) => {
  const piece = `CASE WHEN pg.cost_usd IS NULL THEN width_bucket(pg.created_at, pk.seg_from) END`;
  return `(
      WITH pg_g AS MATERIALIZED (${gens}),
      pg_c AS (
        SELECT pk.org_id AS key_org_id, pk.provider AS key_provider, pk.model AS key_model, pr.*
        FROM (SELECT DISTINCT org_id, provider, model FROM pg_g WHERE cost_usd IS NULL) pk
        JOIN prices pr ON ${MATCHES('pk', 'pr')}
      ),
      pg_k AS (
        SELECT ${KEY_COLS.join(', ')}, array_agg(seg_from ORDER BY seg_from) AS seg_from, array_agg(id ORDER BY seg_from) AS id,
               ${PRICE_COLS.map((c) => `array_agg(${c} ORDER BY seg_from) AS ${c}`).join(', ')}
        FROM (
          SELECT DISTINCT ON (${KEY_COLS.map((c) => `b.${c}`).join(', ')}, b.effective_from)
                 ${KEY_COLS.map((c) => `b.${c}`).join(', ')}, b.effective_from AS seg_from, c.id, ${PRICE_COLS.map((c) => `c.${c}`).join(', ')}
          FROM pg_c b JOIN pg_c c ON ${KEY_COLS.map((c) => `c.${c} = b.${c}`).join(' AND ')} AND c.effective_from <= b.effective_from
          ORDER BY ${KEY_COLS.map((c) => `b.${c}`).join(', ')}, b.effective_from, ${priceOrderBy('c')}
        ) pieces
        GROUP BY ${KEY_COLS.join(', ')}
      )
      SELECT pg.*, (pk.id)[${piece}] AS price_id,
             ${PRICE_COLS.map((c) => `(pk.${c})[${piece}] AS ${c}`).join(',\n             ')}
      FROM pg_g pg
      FULL JOIN pg_k pk ON pk.key_org_id = pg.org_id AND pk.key_provider = pg.provider AND pk.key_model = pg.model
    )`;
};

/** The generation's cost in USD: reported, else priced by `p` (from applicablePrice or pricedGenerations), else null. */
export const generationCost = (g: string, p: string) => `coalesce(${g}.cost_usd, (${g}.input_tokens * ${p}.input_per_mtok
      + ${g}.output_tokens * ${p}.output_per_mtok
      + coalesce(${g}.cache_read_tokens, 0) * ${p}.cache_read_per_mtok
      + coalesce(${g}.cache_creation_tokens, 0) * ${p}.cache_write_per_mtok) * 0.000001)`;

/** What a generation's price and cost read of it (besides the keys a sum groups by). */
const COST_INPUTS = ['org_id', 'id', 'provider', 'model', 'created_at', 'cost_usd', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens'];

/**
 * A FROM item `(…) <alias>`: the summed cost of the generations (alias `g`) that `from` joins
 * (a FROM … clause), per `groupBy` (their columns, e.g. session_id; org_id always first), as column
 * `cost_usd` — null when none has a known cost (SPEC §10: a turn's or a session's cost is the sum
 * of their generations'). Priced by `pricedGenerations`, reading only the columns the cost needs.
 */
export const generationsCostBy = (from: string, groupBy: string[]) => {
  const keys = ['org_id', ...groupBy];
  return `(
      SELECT ${keys.map((c) => `cg.${c}`).join(', ')}, sum(${generationCost('cg', 'cg')}) AS cost_usd
      FROM ${pricedGenerations(costInputs(from, groupBy))} cg
      GROUP BY ${keys.map((c) => `cg.${c}`).join(', ')}
    )`;
};

/** The SELECT of the columns a generation's cost reads, and `keep`, from the generations (alias `g`) of `from`. */
const costInputs = (from: string, keep: string[]) =>
  `SELECT ${[...COST_INPUTS, ...keep.filter((c) => !COST_INPUTS.includes(c))].map((c) => `g.${c}`).join(', ')} ${from}`;

/**
 * A subquery `(…)`: each generation (alias `g`) that `from` joins, once, with its columns `keep`,
 * `org_id` and its cost as `cost_usd` (generationCost of pricedGenerations): for sums of one set
 * of generations by more than one grouping — generationsCostBy's per grouping, priced once.
 */
export const generationCosts = (from: string, keep: string[]) => `(
      SELECT cg.org_id, ${keep.map((c) => `cg.${c}`).join(', ')}, ${generationCost('cg', 'cg')} AS cost_usd
      FROM ${pricedGenerations(costInputs(from, keep))} cg
    )`;

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
