import { newPublicId } from '#src/common/ids/public-id.js';
import type { Bench } from '../support/context.js';
import { load } from '../support/load.js';
import { percentile, round, summary } from '../support/stats.js';
import { drained } from './projector.bench.js';

const PER_REQUEST = 100;

/** Fresh records for one ingest request (new ids every time, so every one is a change). */
function batch(kind: 'sessions' | 'llm_generations' | 'events' | 'usage_ledger'): string {
  const now = new Date().toISOString();
  const records = Array.from({ length: PER_REQUEST }, () => {
    switch (kind) {
      case 'sessions':
        return { id: newPublicId('session'), status: 'completed', created_at: now, started_at: now, finished_at: now, agent_id: newPublicId('agent'), input_tokens: 10, output_tokens: 5 };
      case 'llm_generations':
        return { id: newPublicId('gen'), session_id: newPublicId('session'), model: 'gpt-5', provider: 'openai', input_tokens: 100, output_tokens: 20, duration_ms: 800, created_at: now };
      case 'events':
        return { id: newPublicId('event'), session_id: newPublicId('session'), type: 'tool.completed', created_at: now, data: { tool_name: 'web.search', status: 'success', duration_ms: 120 } };
      case 'usage_ledger':
        return { id: newPublicId('ledger'), currency: 'USD', amount: 0.25, created_at: now };
    }
  });
  return JSON.stringify({ records });
}

/**
 * SPEC §9 freshness: at 2,000 ingested records/s sustained, p95 ingest-to-visible ≤ 1 s. Load:
 * autocannon at a fixed request rate, 100 mixed records per request, against the running service
 * with its scheduled projector (woken by NOTIFY). Ingest-to-visible per record: its outbox row's
 * completion (the projector's commit) minus its creation (in the ingest transaction), on the
 * database clock. Baseline: the ingest requests' own latency.
 */
export const freshnessBench: Bench = {
  name: 'freshness',
  async run(ctx, service) {
    const org = ctx.orgs.fresh;
    const { seconds, recordsPerSecond } = ctx.scale.freshness;
    const result = await load({
      url: service.url,
      connections: 8,
      duration: seconds,
      overallRate: recordsPerSecond / PER_REQUEST,
      headers: { authorization: `Bearer ${org.key}` },
      requests: (['sessions', 'llm_generations', 'events', 'usage_ledger'] as const).map((kind) => ({ method: 'POST' as const, path: `/v1/ingest/${kind}`, body: () => batch(kind) })),
    });
    const non2xx = Object.entries(result.statuses).filter(([s]) => !s.startsWith('2')).reduce((n, [, c]) => n + c, 0);
    await drained(ctx.ds, org.id);
    const lags: { ms: number }[] = await ctx.ds.query(
      `SELECT (extract(epoch FROM updated_at - created_at) * 1000)::float8 AS ms FROM reporting_outbox WHERE org_id = $1 AND status = 'completed'`,
      [org.id],
    );
    const lag = summary(lags.map((r) => r.ms));
    const ingest = summary(result.latencies);
    const records = result.requests * PER_REQUEST;
    const ms = (x: number) => `${round(x, 1)} ms`;
    return [{
      name: 'freshness under sustained ingest',
      bar: 'p95 ingest-to-visible ≤ 1 s at 2,000 records/s',
      figure: `${records} records in ${result.durationS} s (${Math.round(records / result.durationS)}/s, ${non2xx} non-2xx); visible after p50 ${ms(lag.p50)}, p95 ${ms(lag.p95)}, max ${ms(lag.max)}`,
      baseline: `ingest request latency: p50 ${ms(ingest.p50)}, p95 ${ms(ingest.p95)}`,
      ratio: round(lag.p95 / ingest.p95, 1),
      ratioLabel: 'visible p95 ÷ ingest p95',
      pass: lag.p95 <= 1000 && non2xx === 0 && records / result.durationS >= 0.9 * recordsPerSecond,
      details: {
        records, seconds: result.durationS, records_per_s: records / result.durationS, non_2xx: non2xx, lag_p50_ms: lag.p50, lag_p95_ms: lag.p95,
        lag_p99_ms: percentile(lags.map((r) => r.ms), 99), lag_max_ms: lag.max, ingest_p50_ms: ingest.p50, ingest_p95_ms: ingest.p95,
      },
    }];
  },
};
