import { RateLimiter } from '#src/auth/rate-limiter.js';
import { uuidv7 } from '#src/common/ids/public-id.js';
import { takeQuerySlot } from '#src/reporting/query/org-concurrency.js';
import type { Bench } from '../support/context.js';
import { repeat, round, summary } from '../support/stats.js';

/**
 * What sharing the limits through PostgreSQL costs per request (SCALING.md): the per-key token
 * bucket's upsert and the per-org query slot's advisory lock, each against the cheapest round
 * trip on the same pool (SELECT 1). The in-process limiters they replaced cost no round trip at
 * all (well under a microsecond), so the difference from SELECT 1 is about the statement's own
 * work and the round trip is the real price. Also under concurrency: 8 callers at once on one key
 * (they queue on its row) and on 8 keys.
 */
export const limitsBench: Bench = {
  name: 'limits',
  async run(ctx) {
    const limiter = new RateLimiter(ctx.ds, 1_000_000_000);
    const key = uuidv7();
    const samples = ctx.scale.samples * 5;
    const select1 = summary(await repeat(samples, () => ctx.ds.query('SELECT 1')));
    const bucket = summary(await repeat(samples, () => limiter.take(key)));
    const slot = summary(await repeat(samples, () => ctx.ds.transaction((em) => takeQuerySlot((sql, p) => em.query(sql, p), ctx.orgs.big.id, 4))));
    const tx = summary(await repeat(samples, () => ctx.ds.transaction((em) => em.query('SELECT 1'))));
    const keys = Array.from({ length: 8 }, () => uuidv7());
    const oneKey = summary((await Promise.all(Array.from({ length: 8 }, () => repeat(samples / 8, () => limiter.take(key))))).flat());
    const manyKeys = summary((await Promise.all(keys.map((k) => repeat(samples / 8, () => limiter.take(k))))).flat());
    const ms = (x: number) => `${round(x, 2)} ms`;
    return [{
      name: 'shared limits overhead',
      bar: 'SCALING.md: the per-key bucket and per-org slot in PostgreSQL cost about one round trip per request',
      figure: `token bucket upsert p50 ${ms(bucket.p50)}, p95 ${ms(bucket.p95)}; query slot (in a transaction) p50 ${ms(slot.p50)}, p95 ${ms(slot.p95)}; ` +
        `8 callers on one key p95 ${ms(oneKey.p95)}, on 8 keys p95 ${ms(manyKeys.p95)}`,
      baseline: `SELECT 1 p50 ${ms(select1.p50)}, p95 ${ms(select1.p95)}; a transaction of SELECT 1 p50 ${ms(tx.p50)}, p95 ${ms(tx.p95)} (n=${select1.n})`,
      ratio: round(bucket.p50 / select1.p50, 2),
      ratioLabel: 'token bucket p50 ÷ SELECT 1 p50',
      pass: bucket.p50 <= 2 * select1.p50 && slot.p50 <= 2 * tx.p50,
      details: {
        select1_p50_ms: select1.p50, select1_p95_ms: select1.p95, bucket_p50_ms: bucket.p50, bucket_p95_ms: bucket.p95,
        tx_p50_ms: tx.p50, tx_p95_ms: tx.p95, slot_p50_ms: slot.p50, slot_p95_ms: slot.p95, one_key_8_callers_p95_ms: oneKey.p95, eight_keys_p95_ms: manyKeys.p95,
      },
    }];
  },
};
