import type { Bench, Figure } from '../support/context.js';
import type { Service } from '../support/service.js';
import { round, summary, timed } from '../support/stats.js';

const DAY_MS = 86_400_000;

async function api(service: Service, key: string, query: object): Promise<{ served_by: string; rows: unknown[] }> {
  const res = await fetch(`${service.url}/v1/reports/query`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(query),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`query → ${res.status} ${JSON.stringify(body)}`);
  return body as { served_by: string; rows: unknown[] };
}

/**
 * SPEC §16 "compare and top cost ≤ 2.5× the plain query" (SPEC §11): the big org's day × model
 * query over the 15 days ending at the data's end (so the previous 15 days hold data too),
 * through the API, against the same query with compare: previous_period and with top {model, 3,
 * other}; the three interleaved so each sample sees the same machine. Covered (rollup) and
 * uncovered (a p95 measure asked exact: facts) variants.
 */
export const seriesBench: Bench = {
  name: 'series',
  async run(ctx, service): Promise<Figure[]> {
    const org = ctx.orgs.big;
    const variant = (measures: string[], path: string) => {
      const plain = {
        dataset: 'llm_generations',
        time_range: { from: new Date(ctx.end.getTime() - 15 * DAY_MS).toISOString(), to: ctx.end.toISOString() },
        dimensions: ['day', 'model'], measures, limit: 10_000,
        // A covered percentile comes from the rollup's sketches (SPEC §15); exact: true keeps the facts path.
        ...(path === 'facts' ? { exact: true } : {}),
      };
      return { plain, compare: { ...plain, compare: 'previous_period' }, top: { ...plain, top: { dimension: 'model', n: 3, by: measures[0], other: true } } };
    };
    const measure = async (label: string, measures: string[], samples: number, path: string): Promise<Figure[]> => {
      const q = variant(measures, path);
      for (const name of ['plain', 'compare', 'top'] as const) {
        const res = await api(service, org.key, q[name]);
        if (res.served_by !== path) throw new Error(`${label} ${name}: served by ${res.served_by}, expected ${path}`);
      }
      for (let i = 0; i < 3; i++) for (const name of ['plain', 'compare', 'top'] as const) await api(service, org.key, q[name]);
      const ms = { plain: [] as number[], compare: [] as number[], top: [] as number[] };
      for (let i = 0; i < samples; i++) for (const name of ['plain', 'compare', 'top'] as const) ms[name].push((await timed(() => api(service, org.key, q[name]))).ms);
      const plain = summary(ms.plain);
      const f = (x: number) => `${round(x, 1)} ms`;
      const baseline = `the plain query (${label}, served by ${path}): p50 ${f(plain.p50)}, p95 ${f(plain.p95)} (n=${plain.n})`;
      return (['compare', 'top'] as const).map((name) => {
        const s = summary(ms[name]);
        const ratio = s.p95 / plain.p95;
        return {
          name: `${name === 'compare' ? 'compare: previous_period' : 'top 3 models with other'} (${label})`,
          bar: `${name} p95 ≤ 2.5 × the plain query's p95`,
          figure: `API, ${name === 'compare' ? 'compare: previous_period (the 15 days before too)' : 'top {model, n: 3, by: ' + measures[0] + ', other: true}'}: p50 ${f(s.p50)}, p95 ${f(s.p95)} (n=${s.n})`,
          baseline,
          ratio: round(ratio, 2),
          ratioLabel: `${name} p95 ÷ plain p95`,
          pass: ratio <= 2.5,
          details: { p50_ms: s.p50, p95_ms: s.p95, plain_p50_ms: plain.p50, plain_p95_ms: plain.p95, served_by: path },
        };
      });
    };
    return [
      ...(await measure('15-day day × model, covered', ['generation_count', 'total_tokens', 'avg_duration_ms'], ctx.scale.samples, 'rollup')),
      // The facts path reads every fact of both ranges: fewer samples.
      ...(await measure('15-day day × model, uncovered', ['generation_count', 'p95_duration_ms'], Math.max(5, Math.round(ctx.scale.samples / 4)), 'facts')),
    ];
  },
};
