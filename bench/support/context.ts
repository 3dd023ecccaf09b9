import type { DataSource } from 'typeorm';
import type { OrgRef, OrgShape } from './data.js';
import type { Service } from './service.js';

/** How much data each mode creates. `full` is what SPEC §9's bars are stated for. */
export interface Scale {
  name: 'full' | 'quick';
  big: OrgShape & { generations: number };
  fillerOrgs: number;
  fillerFacts: number;
  appRuns: number;
  proj: OrgShape & { events: number; generations: number; ledger: number };
  freshness: { seconds: number; recordsPerSecond: number };
  /** Repetitions of each timed query. */
  samples: number;
  /** SPEC §16 alerts: alerts due at once, and schedules × ticks timed to the receiver. */
  alerts: { alerts: number; schedules: number; ticks: number };
}

export const SCALES: Record<Scale['name'], Scale> = {
  full: {
    name: 'full',
    big: { sessions: 50_000, users: 2_000, agents: 20, generations: 1_000_000 },
    fillerOrgs: 9,
    fillerFacts: 1_000_000,
    appRuns: 1_000_000,
    proj: { sessions: 20_000, users: 500, agents: 10, events: 80_000, generations: 80_000, ledger: 20_000 },
    freshness: { seconds: 30, recordsPerSecond: 2_000 },
    samples: 200,
    alerts: { alerts: 1000, schedules: 20, ticks: 5 },
  },
  quick: {
    name: 'quick',
    big: { sessions: 1_000, users: 100, agents: 5, generations: 20_000 },
    fillerOrgs: 2,
    fillerFacts: 20_000,
    appRuns: 20_000,
    proj: { sessions: 500, users: 50, agents: 3, events: 2_000, generations: 2_000, ledger: 500 },
    freshness: { seconds: 3, recordsPerSecond: 200 },
    samples: 20,
    alerts: { alerts: 100, schedules: 5, ticks: 2 },
  },
};

export interface BenchOrg extends OrgRef {
  key: string;
}

export interface BenchContext {
  scale: Scale;
  ds: DataSource;
  databaseUrl: string;
  /** End of every generated time window: the top of the current UTC hour. */
  end: Date;
  orgs: { big: BenchOrg; apps: BenchOrg; proj: BenchOrg; fresh: BenchOrg };
  appId: string;
  appUuid: string;
  log(message: string): void;
}

/** One line of the report: a measured figure beside a baseline measured in the same run. */
export interface Figure {
  name: string;
  /** What SPEC §9 asks. */
  bar: string;
  figure: string;
  baseline: string;
  /** figure ÷ baseline, or the reverse — `ratioLabel` says which. */
  ratio: number;
  ratioLabel: string;
  /** Whether the bar holds in this run (informational in quick mode: the bars are stated for full size). */
  pass: boolean;
  details: Record<string, number | string>;
  /** EXPLAIN (ANALYZE, BUFFERS) of the statements behind the figure, by label (written to `<scale>-plans.txt`). */
  plans?: Record<string, string>;
}

export interface Bench {
  name: string;
  run(ctx: BenchContext, service: Service): Promise<Figure[]>;
}
