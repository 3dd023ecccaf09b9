import { Prng, thresholds } from './prng.js';
import { businessHourWeights, DAY_OF_WEEK, HOUR_OF_DAY } from './rhythm.js';
import { parseSeedOptions, SIZES } from './seed-options.js';
import { buildSeedPlan, expectedFactsPerSession, MIN_SESSIONS, orgShares, paidToolShare } from './seed-plan.js';
import { NamedParams } from './sql-expr.js';

const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const END = '2026-05-01T12:34:56Z';

describe('Prng', () => {
  it('gives the same sequence for the same seed and label, another for another', () => {
    const a = new Prng(7, 'x');
    const b = new Prng(7, 'x');
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    const c = new Prng(8, 'x');
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('makes UUIDv7s that carry the given time', () => {
    const id = new Prng(1, 'ids').uuidv7(Date.UTC(2025, 0, 1));
    expect(id).toMatch(UUIDV7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2025, 0, 1));
  });
});

describe('thresholds (width_bucket input)', () => {
  it('is the normalised running sum, starting at 0', () => {
    expect(thresholds([1, 1, 2])).toEqual([0, 0.25, 0.5]);
  });

  it('rejects weights that cannot form a distribution', () => {
    expect(() => thresholds([0, 0])).toThrow();
    expect(() => thresholds([1, -1])).toThrow();
  });
});

describe('businessHourWeights', () => {
  const startMs = Date.UTC(2026, 3, 6); // a Monday, 00:00 UTC
  const weights = businessHourWeights({ startMs, hours: 14 * 24, utcOffsetHours: 0, seed: 1, label: 'acme' });

  it('has one weight per hour, all positive', () => {
    expect(weights).toHaveLength(14 * 24);
    expect(weights.every((w) => w > 0)).toBe(true);
  });

  it('peaks in business hours and on weekdays', () => {
    expect(HOUR_OF_DAY.indexOf(Math.max(...HOUR_OF_DAY))).toBeGreaterThanOrEqual(9);
    const monday = weights.slice(0, 24);
    expect(monday[11]).toBeGreaterThan(monday[3] * 10);
    expect(DAY_OF_WEEK[0]).toBeLessThan(DAY_OF_WEEK[2] / 3);
  });

  it('shifts the day with the org’s UTC offset', () => {
    const tokyo = businessHourWeights({ startMs, hours: 24, utcOffsetHours: 9, seed: 1, label: 'acme' });
    // 02:00 UTC is 11:00 in Tokyo: busy there, night in London.
    expect(tokyo[2] / tokyo[20]).toBeGreaterThan(5);
  });
});

describe('parseSeedOptions', () => {
  it('defaults to the demo size and seed 1, projecting', () => {
    const o = parseSeedOptions([], Date.UTC(2026, 0, 1));
    expect(o).toEqual({
      size: 'demo', facts: SIZES.demo.facts, orgs: SIZES.demo.orgs, days: SIZES.demo.days, endMs: Date.UTC(2026, 0, 1),
      seed: 1, mainShare: SIZES.demo.mainShare, appRuns: undefined, project: true, jobs: 2,
    });
  });

  it('lets flags override the preset', () => {
    const o = parseSeedOptions(['--size', 'large', '--facts', '2_000', '--orgs', '2', '--days', '3', '--end', END, '--seed', '9', '--no-project', '--main-share', '0.5', '--app-runs', '10', '--jobs', '1']);
    expect(o).toEqual({ size: 'large', facts: 2000, orgs: 2, days: 3, endMs: Date.parse(END), seed: 9, mainShare: 0.5, appRuns: 10, project: false, jobs: 1 });
  });

  it.each([
    [['--size', 'huge'], '--size must be one of demo, small, medium, large'],
    [['--facts', '10000001'], '--facts must be an integer from 1 to 10,000,000'],
    [['--facts', '1e6'], '--facts must be an integer'],
    [['--orgs', '0'], '--orgs must be an integer from 1 to 50'],
    [['--end', 'yesterday'], '--end must be an RFC 3339 time'],
    [['--main-share', '1.5'], '--main-share must be a number in (0, 1]'],
    [['--seed=-3'], '--seed must be an integer'],
  ])('rejects %j', (args, message) => {
    expect(() => parseSeedOptions(args)).toThrow(message);
  });
});

describe('buildSeedPlan', () => {
  const options = parseSeedOptions(['--end', END, '--seed', '7']);

  it('is a pure function of the options', () => {
    expect(buildSeedPlan(options)).toEqual(buildSeedPlan(options));
    const other = buildSeedPlan({ ...options, seed: 8 });
    expect(other.orgs[0].id).not.toBe(buildSeedPlan(options).orgs[0].id);
  });

  it('ends the window at --end, starting on the hour `days` before the end of its hour', () => {
    const plan = buildSeedPlan(options);
    expect(plan.endMs).toBe(Date.parse(END));
    expect(new Date(plan.startMs).toISOString()).toBe('2026-04-17T13:00:00.000Z');
    expect(plan.lastHourMs).toBe((34 * 60 + 56) * 1000);
    expect(plan.orgs.map((o) => o.hourThresholds.length)).toEqual([336, 336, 336]);
  });

  it('gives the first org its share and every org enough sessions, distinct slugs and ids', () => {
    const plan = buildSeedPlan(options);
    expect(plan.orgs.map((o) => o.slug)).toEqual(['acme', 'globex', 'initech']);
    const main = plan.orgs[0].sessions * plan.orgs[0].expectedFactsPerSession;
    expect(main / options.facts).toBeCloseTo(SIZES.demo.mainShare, 1);
    expect(plan.orgs.every((o) => o.sessions >= MIN_SESSIONS)).toBe(true);
    const ids = plan.orgs.flatMap((o) => [o.id, ...o.agents.map((a) => a.id), ...o.users.map((u) => u.id), ...o.apps.map((a) => a.id), ...o.channels.map((c) => c.id)]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => UUIDV7.test(id))).toBe(true);
  });

  it('gives every app at least one channel and every org several apps', () => {
    for (const org of buildSeedPlan(options).orgs) {
      expect(org.apps.length).toBeGreaterThanOrEqual(3);
      expect(new Set(org.channels.map((c) => c.app)).size).toBe(org.apps.length);
    }
  });
});

describe('orgShares', () => {
  it('gives the first org its share and splits the rest with falling weights', () => {
    const shares = orgShares(4, 0.6);
    expect(shares[0]).toBe(0.6);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(shares[1]).toBeGreaterThan(shares[2]);
    expect(shares[2]).toBeGreaterThan(shares[3]);
    expect(orgShares(1, 0.3)).toEqual([1]);
  });

  it('sizes the large preset for the benchmark: about 1M facts in the first org of 10M', () => {
    expect(orgShares(SIZES.large.orgs, SIZES.large.mainShare)[0] * SIZES.large.facts).toBe(1_000_000);
  });
});

describe('expectedFactsPerSession / paidToolShare', () => {
  it('counts more facts when more tool calls are metered', () => {
    expect(expectedFactsPerSession(0.5)).toBeGreaterThan(expectedFactsPerSession(0.2));
    expect(expectedFactsPerSession(0.5)).toBeGreaterThan(15);
    expect(expectedFactsPerSession(0.5)).toBeLessThan(25);
  });

  it('weighs each agent’s rotated tool mix by its share of the sessions', () => {
    const one = paidToolShare([1, 0]);
    const two = paidToolShare([0, 1]);
    expect(paidToolShare([0.5, 0.5])).toBeCloseTo((one + two) / 2, 12);
    expect(one).toBeGreaterThan(0);
    expect(one).toBeLessThan(1);
  });
});

describe('NamedParams', () => {
  it('numbers placeholders in declaration order, with their types', () => {
    const p = new NamedParams({ a: 'uuid', b: 'int[]' });
    expect(p.ref).toEqual({ a: '$1::uuid', b: '$2::int[]' });
    expect(p.values({ b: [1], a: 'x' })).toEqual(['x', [1]]);
  });
});
