import { Command } from 'commander';
import { intFlag } from '#src/cli/cli-args.js';
import { UsageError } from '#src/cli/usage-error.js';

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

/** The seed command's flags, for commander (help text and parsing). */
export function addSeedFlags(cmd: Command): Command {
  return cmd
    .option('--size <preset>', `preset: ${Object.keys(SIZES).join(', ')} (default demo)`)
    .option('--facts <n>', `about this many fact rows in all (at most ${MAX_FACTS.toLocaleString('en-US')}; default: the preset's)`)
    .option('--orgs <n>', 'number of orgs: acme, globex, initech, … (default: the preset\'s)')
    .option('--days <n>', 'length of the window, which ends at --end (default: the preset\'s)')
    .option('--end <RFC 3339>', 'end of the window; pass it for reproducible data (default: now)')
    .option('--seed <int>', 'another seed, other data (default 1)')
    .option('--main-share <0..1>', 'share of the facts in the first org (default: the preset\'s)')
    .option('--app-runs <n>', 'app runs of the first org (default: about 0.7 per session)')
    .option('--jobs <n>', 'chunks written at once, each on its own connection (default 2)')
    .option('--no-project', 'write canonical and outbox rows only; the service or `drain` projects them');
}

/** The flags as commander hands them over (strings, checked here). */
export interface SeedFlags {
  size?: string; facts?: string; orgs?: string; days?: string; end?: string; seed?: string; mainShare?: string; appRuns?: string; jobs?: string;
  project: boolean;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** A seed command line (without `seed`) → options, as the CLI parses it. */
export function parseSeedOptions(args: string[], now: number = Date.now()): SeedOptions {
  const cmd = addSeedFlags(new Command('seed')).exitOverride().configureOutput({ writeErr: () => undefined });
  cmd.parse(args, { from: 'user' });
  return seedOptionsFrom(cmd.opts<SeedFlags>(), now);
}

/** Flags → options. A size preset fills what the other flags leave out; default size is demo. */
export function seedOptionsFrom(values: SeedFlags, now: number = Date.now()): SeedOptions {
  const size = (values.size ?? 'demo') as SizeName;
  if (!Object.hasOwn(SIZES, size)) throw new UsageError(`--size must be one of ${Object.keys(SIZES).join(', ')} (got "${values.size}")`);
  const preset = SIZES[size];
  let endMs = now;
  if (values.end !== undefined) {
    endMs = RFC3339.test(values.end) ? Date.parse(values.end) : NaN;
    if (Number.isNaN(endMs)) throw new UsageError(`--end must be an RFC 3339 time such as 2026-05-01T00:00:00Z (got "${values.end}")`);
  }
  let mainShare: number = preset.mainShare;
  if (values.mainShare !== undefined) {
    mainShare = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(values.mainShare) ? Number(values.mainShare) : NaN;
    if (!(mainShare > 0 && mainShare <= 1)) throw new UsageError(`--main-share must be a number in (0, 1] (got "${values.mainShare}")`);
  }
  return {
    size,
    facts: intFlag('facts', values.facts, 1, MAX_FACTS) ?? preset.facts,
    orgs: intFlag('orgs', values.orgs, 1, 50) ?? preset.orgs,
    days: intFlag('days', values.days, 1, 400) ?? preset.days,
    endMs,
    seed: intFlag('seed', values.seed, 0, 2_147_483_647) ?? 1,
    mainShare,
    appRuns: intFlag('app-runs', values.appRuns, 0, MAX_FACTS),
    project: values.project,
    jobs: intFlag('jobs', values.jobs, 1, 16) ?? 2,
  };
}
