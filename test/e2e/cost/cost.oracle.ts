import { toPublicId } from '#src/common/ids/public-id.js';
import { builtinPriceId } from '#src/reporting/prices/builtin-prices.load.js';
import { BUILTIN_PRICES } from '#src/reporting/prices/builtin-prices.js';

/**
 * SPEC §10 in plain TypeScript, for expected numbers (STYLE habit 10): which price applies, and
 * the exact cost, in BigInt units of 1e-15 USD (tokens × price in 1e-9 USD per million tokens).
 * Never derived from the SQL under test.
 */

export interface OraclePrice {
  id: string;
  org: boolean;
  provider: string;
  model: string;
  match: 'exact' | 'prefix';
  input: string;
  output: string;
  cacheRead: string;
  cacheWrite: string;
  effectiveFrom: string;
}

export interface OracleGeneration {
  id: string;
  session_id?: string | null;
  turn_id?: string | null;
  provider: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens?: number | null;
  cache_creation_tokens?: number | null;
  cost_usd?: number | null;
  created_at: string;
}

export const BUILTIN: OraclePrice[] = BUILTIN_PRICES.map((p) => ({
  id: toPublicId('price', builtinPriceId(p)), org: false, provider: p.provider, model: p.model, match: p.match,
  input: p.input, output: p.output, cacheRead: p.cacheRead ?? p.input, cacheWrite: p.cacheWrite ?? p.input, effectiveFrom: p.effectiveFrom,
}));

/** A decimal string → BigInt units of 10^-scale (exact). */
function units(text: string, scale: number): bigint {
  const [int, frac = ''] = text.split('.');
  return BigInt(int + frac.padEnd(scale, '0').slice(0, scale));
}

/** BigInt units of 1e-15 → the JSON number PostgreSQL's numeric text parses to. */
export function toNumber(u: bigint | null): number | null {
  if (u === null) return null;
  const neg = u < 0n;
  const s = (neg ? -u : u).toString().padStart(16, '0');
  return Number(`${neg ? '-' : ''}${s.slice(0, -15)}.${s.slice(-15)}`);
}

/** The price that applies (SPEC §10): org before built-in, exact before prefix, longest prefix, latest effective_from. */
export function applicable(prices: OraclePrice[], g: OracleGeneration): OraclePrice | null {
  if (g.cost_usd !== undefined && g.cost_usd !== null) return null;
  const at = Date.parse(g.created_at);
  const candidates = prices.filter((p) => p.provider === g.provider && (p.model === g.model || (p.match === 'prefix' && g.model.startsWith(p.model)))
    && Date.parse(p.effectiveFrom) <= at);
  const rank = (p: OraclePrice) => [p.org ? 0 : 1, p.match === 'exact' ? 0 : 1, -p.model.length, -Date.parse(p.effectiveFrom)];
  candidates.sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
    return 0;
  });
  return candidates[0] ?? null;
}

/** The generation's cost in 1e-15 USD units, or null when unknown. */
export function costUnits(prices: OraclePrice[], g: OracleGeneration): bigint | null {
  if (g.cost_usd !== undefined && g.cost_usd !== null) return units(g.cost_usd.toFixed(15), 15);
  const p = applicable(prices, g);
  if (!p) return null;
  return BigInt(g.input_tokens) * units(p.input, 9) + BigInt(g.output_tokens) * units(p.output, 9)
    + BigInt(g.cache_read_tokens ?? 0) * units(p.cacheRead, 9) + BigInt(g.cache_creation_tokens ?? 0) * units(p.cacheWrite, 9);
}

/** Sum of the known costs; null when none is known (a turn's or a session's cost). */
export function sumKnown(values: (bigint | null)[]): bigint | null {
  const known = values.filter((v): v is bigint => v !== null);
  return known.length === 0 ? null : known.reduce((a, v) => a + v, 0n);
}
