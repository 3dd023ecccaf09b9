import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { pricedGenerations } from '#src/reporting/prices/price-rule.sql.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { applicable, type OraclePrice, type OracleGeneration } from './cost.oracle.js';

/**
 * SPEC §10's rule as the projections run it (pricedGenerations, set-based over a batch) against
 * the plain TypeScript oracle, on random price tables: org and built-in prices of one provider,
 * exact and prefix, nested prefixes, several effective_from each, and random generations of
 * that provider — before, at and between the prices' instants, some reporting their own cost.
 * The provider is the test's own, so the built-in table loaded at start plays no part.
 */
describe('the pricing rule, set-based, equals the oracle on random price tables (SPEC §10)', () => {
  let t: TestApp;
  let orgId: string;
  let other: string;
  beforeAll(async () => {
    t = await startTestApp();
    orgId = (await t.key('price-rule', 'owner')).orgId;
    other = (await t.key('price-rule-other', 'owner')).orgId;
  });
  afterAll(async () => {
    await t.close();
  });

  const MODELS = ['a', 'ab', 'abc', 'b', 'ba'];
  const GEN_MODELS = ['a', 'ab', 'abc', 'abd', 'b', 'ba', 'bab', 'c'];
  const DAY = 86_400_000;
  const T0 = Date.parse('2026-01-01T00:00:00Z');
  const instant = fc.integer({ min: 0, max: 6 }).map((d) => new Date(T0 + d * DAY).toISOString());
  const price = fc.record({
    owner: fc.constantFrom('org', 'other', 'builtin'),
    model: fc.constantFrom(...MODELS),
    match: fc.constantFrom<'exact' | 'prefix'>('exact', 'prefix'),
    effectiveFrom: instant,
    input: fc.integer({ min: 0, max: 50 }),
  });
  const gen = fc.record({
    model: fc.constantFrom(...GEN_MODELS),
    // Between the instants, on one, before all (day −1) and after all.
    at: fc.oneof(fc.integer({ min: -1, max: 7 }).map((d) => T0 + d * DAY), fc.integer({ min: -DAY, max: 8 * DAY }).map((ms) => T0 + ms)),
    reported: fc.option(fc.integer({ min: 1, max: 9 }), { freq: 5 }),
  });

  it('every generation gets the oracle\'s price, or none', async () => {
    const provider = `prop-${randomUUID().slice(0, 8)}`;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(price, { maxLength: 14 }), fc.array(gen, { minLength: 1, maxLength: 40 }), async (prices, gens) => {
        const p = `${provider}-${run++}`;
        // The table's key (org, provider, model, match, effective_from): the last of duplicates wins.
        const table = new Map(prices.map((x) => [`${x.owner}|${x.model}|${x.match}|${x.effectiveFrom}`, { ...x, id: randomUUID() }]));
        const rows = [...table.values()];
        for (const x of rows) {
          await t.db.pool.query(
            `INSERT INTO prices (id, org_id, provider, model, match, input_per_mtok, output_per_mtok, cache_read_per_mtok, cache_write_per_mtok, effective_from)
             VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, $7)`,
            [x.id, x.owner === 'org' ? orgId : x.owner === 'other' ? other : null, p, x.model, x.match, x.input, x.effectiveFrom],
          );
        }
        const oracle: OraclePrice[] = rows.filter((x) => x.owner !== 'other').map((x) => ({
          id: x.id, org: x.owner === 'org', provider: p, model: x.model, match: x.match,
          input: String(x.input), output: '0', cacheRead: '0', cacheWrite: '0', effectiveFrom: x.effectiveFrom,
        }));
        const g = gens.map((x) => ({ id: randomUUID(), model: x.model, created_at: new Date(x.at).toISOString(), cost_usd: x.reported }));
        const { rows: got } = await t.db.pool.query(
          `SELECT id::text AS id, price_id::text AS price_id, input_per_mtok::float8 AS input FROM ${pricedGenerations(
            `SELECT $1::uuid AS org_id, u.id, $2::text AS provider, u.model, u.created_at, u.cost_usd, 1::bigint AS input_tokens, 0::bigint AS output_tokens,
                    NULL::bigint AS cache_read_tokens, NULL::bigint AS cache_creation_tokens
               FROM unnest($3::uuid[], $4::text[], $5::timestamptz[], $6::numeric[]) AS u(id, model, created_at, cost_usd)`,
          )} x`,
          [orgId, p, g.map((x) => x.id), g.map((x) => x.model), g.map((x) => x.created_at), g.map((x) => x.cost_usd)],
        );
        const byId = new Map(got.map((r: { id: string; price_id: string | null; input: number | null }) => [r.id, r]));
        expect(got).toHaveLength(g.length);
        for (const x of g) {
          const want = applicable(oracle, { ...x, provider: p, input_tokens: 1, output_tokens: 0 } as OracleGeneration);
          expect({ id: x.id, price_id: byId.get(x.id)?.price_id ?? null, input: byId.get(x.id)?.input ?? null })
            .toEqual({ id: x.id, price_id: want?.id ?? null, input: want ? Number(want.input) : null });
        }
      }),
      { numRuns: 120, seed: 20261130, endOnFailure: true },
    );
  });
});
