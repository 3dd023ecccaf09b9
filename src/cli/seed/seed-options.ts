import { parseArgs } from 'node:util';
import { intFlag } from '../cli-args.js';
import { UsageError } from '../usage-error.js';

export const SIZES = {
  demo: { facts: 5_000, orgs: 3, days: 14, mainShare: 0.6 },
  small: { facts: 100_000, orgs: 4, days: 30, mainShare: 0.6 },
  medium: { facts: 1_000_000, orgs: 5, days: 60, mainShare: 0.6 },
  // The benchmark's shape (SPEC §9): an org with 1M facts in a database of 10M.
  large: { facts: 10_000_000, orgs: 10, days: 90, mainShare: 0.1 },
} as const;
export type SizeName = keyof typeof SIZES;

export const MAX_FACTS = 10_000_000;

export interface SeedOptions {
  size: SizeName;
  facts: number;
  orgs: number;
  days: number;
  /** End of the window (exclusive), ms since epoch; the window is [end − days, end). */
  endMs: number;
  seed: number;
  mainShare: number;
  /** App runs of the first org; undefined = about 0.7 per session, like every other org. */
  appRuns?: number;
  project: boolean;
  /** Chunks written at once, each on its own connection. */
  jobs: number;
}

export const SEED_USAGE = `seed [--size demo|small|medium|large] [--facts <n>] [--orgs <n>] [--days <n>] [--end <RFC 3339>]
       [--seed <int>] [--main-share <0..1>] [--app-runs <n>] [--jobs <n>] [--no-project]`;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Flags → options. A size preset fills what the other flags leave out; default size is demo. */
export function parseSeedOptions(args: string[], now: number = Date.now()): SeedOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    allowNegative: true,
    options: {
      size: { type: 'string' },
      facts: { type: 'string' },
      orgs: { type: 'string' },
      days: { type: 'string' },
      end: { type: 'string' },
      seed: { type: 'string' },
      'main-share': { type: 'string' },
      'app-runs': { type: 'string' },
      jobs: { type: 'string' },
      project: { type: 'boolean', default: true },
    },
  });
  const size = (values.size ?? 'demo') as SizeName;
  if (!Object.hasOwn(SIZES, size)) throw new UsageError(`--size must be one of ${Object.keys(SIZES).join(', ')} (got "${values.size}")`);
  const preset = SIZES[size];
  let endMs = now;
  if (values.end !== undefined) {
    endMs = RFC3339.test(values.end) ? Date.parse(values.end) : NaN;
    if (Number.isNaN(endMs)) throw new UsageError(`--end must be an RFC 3339 time such as 2026-05-01T00:00:00Z (got "${values.end}")`);
  }
  let mainShare: number = preset.mainShare;
  if (values['main-share'] !== undefined) {
    mainShare = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(values['main-share']) ? Number(values['main-share']) : NaN;
    if (!(mainShare > 0 && mainShare <= 1)) throw new UsageError(`--main-share must be a number in (0, 1] (got "${values['main-share']}")`);
  }
  return {
    size,
    facts: intFlag('facts', values.facts, 1, MAX_FACTS) ?? preset.facts,
    orgs: intFlag('orgs', values.orgs, 1, 50) ?? preset.orgs,
    days: intFlag('days', values.days, 1, 400) ?? preset.days,
    endMs,
    seed: intFlag('seed', values.seed, 0, 2_147_483_647) ?? 1,
    mainShare,
    appRuns: intFlag('app-runs', values['app-runs'], 0, MAX_FACTS),
    project: values.project,
    jobs: intFlag('jobs', values.jobs, 1, 16) ?? 2,
  };
}
