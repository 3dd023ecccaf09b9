import { toPublicId } from '#src/common/ids/public-id.js';
import { Prng, thresholds } from './prng.js';
import { businessHourWeights, flatHourWeights } from './rhythm.js';
import type { SeedOptions } from './seed-options.js';
import {
  AGENTS, APPS, BUDGET_NAMES, CHANNEL_ERROR_RATE, HARNESSES, ITERATIONS_PER_TURN_WEIGHTS, MODELS, ORG_NAMES, REFUND_SHARE,
  SESSION_OUTCOMES, TOOLS, TURN_FAILURE_RATE, TURNS_PER_SESSION_WEIGHTS, type ChannelType,
} from './vocabulary.js';

const HOUR_MS = 3_600_000;
/** Entity ids carry this time, not the window's: the same seed names the same agents whatever --end is. */
const ENTITY_EPOCH = Date.UTC(2025, 0, 1);
/** Every org gets at least this many sessions, so every dataset has rows in every org. */
export const MIN_SESSIONS = 20;
const RUNS_PER_SESSION = 0.7;
const APP_SESSION_SHARE = 0.65;

export interface OrgPlan {
  index: number;
  slug: string;
  name: string;
  /** Deterministic; the org's existing id wins when the slug is already taken. */
  id: string;
  utcOffsetHours: number;
  /** Mixed into every PostgreSQL-side hash of this org: unique per (seed, org). */
  hashSeed: number;
  sessions: number;
  expectedFactsPerSession: number;
  appRuns: number;
  /** Weight of each hour of the window for interactive work. */
  hourThresholds: number[];
  flatThresholds: number[];
  agents: { id: string; publicId: string; name: string; harness: number; blueprint: string; models: [number, number]; budget: number }[];
  agentThresholds: number[];
  harnesses: { id: string; name: string }[];
  users: { id: string; publicId: string }[];
  /** One per user (same index), then service principals. */
  principals: string[];
  apps: { id: string; name: string; agent: number }[];
  appThresholds: number[];
  channels: { id: string; app: number; type: ChannelType; name: string; errorRate: number }[];
  budgets: { id: string; publicId: string; currency: string; weeklyTopUp: number }[];
  appSessionShare: number;
}

export interface SeedPlan {
  startMs: number;
  endMs: number;
  hours: number;
  /** Length of the window's last hour, which ends at endMs and may be partial. */
  lastHourMs: number;
  orgs: OrgPlan[];
}

function mean(weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.reduce((acc, w, i) => acc + w * (i + 1), 0) / total;
}

/**
 * Facts one session yields on average (SPEC §4 projections): its own fact, and per turn a turn
 * fact, K generations, the tool calls between them (none after a failed LLM call; one more when a
 * turn is cancelled), one LLM debit, the metered tool postings and refunds of failed turns. Only
 * sizes the run; the summary reports what was written. Capability usage (SPEC §11, about 8 rows
 * a session) comes on top and is not counted here, so a size's other facts — and the sessions
 * that carry them — stay what they were before that dataset existed.
 */
export function expectedFactsPerSession(paidToolShare: number): number {
  const turns = mean(TURNS_PER_SESSION_WEIGHTS);
  const iterations = mean(ITERATIONS_PER_TURN_WEIGHTS);
  const outcome = Object.fromEntries(SESSION_OUTCOMES);
  const failedTurns = (outcome.failed + TURN_FAILURE_RATE * (turns - 1)) / turns;
  const cancelledTurns = outcome.cancelled / turns;
  const llmErrors = MODELS.reduce((a, m) => a + m.errorRate, 0) / MODELS.length;
  const tools = (iterations - 1) * (1 - llmErrors) + cancelledTurns;
  return 1 + turns * (1 + iterations + tools + 1 + tools * paidToolShare + failedTurns * REFUND_SHARE);
}

/**
 * Share of tool calls that are metered, given who runs the sessions: the SQL rotates the tool mix
 * by agent (tool = (bucket + agent·3) mod n, agent 1-based), so it depends on the org's agents.
 */
export function paidToolShare(agentShares: readonly number[]): number {
  const toolShares = TOOLS.map((t) => t.weight / TOOLS.reduce((a, x) => a + x.weight, 0));
  return agentShares.reduce((acc, share, a) =>
    acc + share * toolShares.reduce((paid, p, b) => paid + (TOOLS[(b + (a + 1) * 3) % TOOLS.length].price > 0 ? p : 0), 0), 0);
}

/** Share of the facts per org: the first takes `mainShare`, the rest split with falling weights. */
export function orgShares(orgs: number, mainShare: number): number[] {
  if (orgs === 1) return [1];
  const rest = Array.from({ length: orgs - 1 }, (_, i) => 1 / Math.sqrt(i + 1));
  const sum = rest.reduce((a, b) => a + b, 0);
  return [mainShare, ...rest.map((w) => ((1 - mainShare) * w) / sum)];
}

function orgIdentity(index: number): { slug: string; name: string; utcOffsetHours: number; currency: string } {
  const [slug, name, utcOffsetHours, currency] = ORG_NAMES[index] ?? [`org-${index + 1}`, `Demo Org ${index + 1}`, ((index * 7) % 24) - 11, 'USD'];
  return { slug, name, utcOffsetHours, currency };
}

const clamp = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, x));

function planOrg(o: SeedOptions, index: number, share: number, startMs: number, hours: number, lastHourMs: number): OrgPlan {
  const who = orgIdentity(index);
  const rng = new Prng(o.seed, `org:${who.slug}`);
  const uuid = (offset: number) => rng.uuidv7(ENTITY_EPOCH + index * 60_000 + offset);
  const id = uuid(0);
  // Entity counts grow with the org; a first estimate of its sessions is precise enough for them.
  const roughSessions = Math.max(MIN_SESSIONS, Math.round((o.facts * share) / expectedFactsPerSession(paidToolShare([1]))));
  const scale = Math.log2(Math.max(2, roughSessions / 50));

  const harnesses = HARNESSES.map((name, i) => ({ id: uuid(1 + i), name }));
  const budgets = BUDGET_NAMES.slice(0, clamp(Math.round(1 + scale / 3), 2, BUDGET_NAMES.length)).map((_, i) => {
    const budgetId = uuid(10 + i);
    const currency = i === 0 ? who.currency : rng.pick(['USD', who.currency]);
    return { id: budgetId, publicId: toPublicId('budget', budgetId), currency, weeklyTopUp: 100 * rng.int(5, 40) };
  });
  // The first apps' agents come first (Support Bot ↔ Support Triage); popularity is seeded.
  const agentCount = clamp(Math.round(3 + scale), 4, AGENTS.length);
  const agents = AGENTS.slice(0, agentCount).map((a, i) => {
    const agentId = uuid(20 + i);
    return { id: agentId, publicId: toPublicId('agent', agentId), name: a.name, harness: rng.int(0, harnesses.length - 1), blueprint: a.blueprint, models: a.models, budget: rng.int(0, budgets.length - 1) };
  });
  const agentWeights = agents.map(() => 0.3 + rng.next());
  const userCount = clamp(Math.round(roughSessions / 40), 8, 400);
  const users = Array.from({ length: userCount }, (_, i) => {
    const userId = uuid(100 + i);
    return { id: userId, publicId: toPublicId('user', userId) };
  });
  const principals = [...users.map((_, i) => uuid(1000 + i)), ...[0, 1, 2].map((i) => uuid(1900 + i))];
  const appCount = clamp(Math.round(2 + scale / 2), 3, APPS.length);
  const apps = APPS.slice(0, appCount).map((a, i) => ({ id: uuid(2000 + i), name: a.name, agent: i % agents.length }));
  const channels = apps.flatMap((app, a) =>
    APPS[a].channels.map(([type, name], c) => ({ id: uuid(2100 + a * 10 + c), app: a, type, name, errorRate: CHANNEL_ERROR_RATE[type] })),
  );
  const appWeights = [8, 3, 2, 1.5, 1, 1].slice(0, appCount);
  // Who runs the sessions: an app's agent for app sessions, else by the agents' popularity.
  const agentShares = agentWeights.map((w, a) => {
    const viaApps = apps.reduce((acc, app, i) => acc + (app.agent === a ? appWeights[i] : 0), 0) / appWeights.reduce((x, y) => x + y, 0);
    return (1 - APP_SESSION_SHARE) * (w / agentWeights.reduce((x, y) => x + y, 0)) + APP_SESSION_SHARE * viaApps;
  });
  const perSession = expectedFactsPerSession(paidToolShare(agentShares));
  const sessions = Math.max(MIN_SESSIONS, Math.round((o.facts * share) / perSession));
  const rhythm = { startMs, hours, utcOffsetHours: who.utcOffsetHours, seed: o.seed, label: who.slug };
  return {
    index,
    ...who,
    id,
    hashSeed: rng.int(1, 2 ** 30) * 1024,
    sessions,
    expectedFactsPerSession: perSession,
    appRuns: index === 0 && o.appRuns !== undefined ? o.appRuns : Math.max(channels.length, Math.round(sessions * RUNS_PER_SESSION)),
    hourThresholds: thresholds(partialLastHour(businessHourWeights(rhythm), lastHourMs)),
    flatThresholds: thresholds(partialLastHour(flatHourWeights(hours), lastHourMs)),
    agents,
    agentThresholds: thresholds(agentWeights),
    harnesses,
    users,
    principals,
    apps,
    appThresholds: thresholds(appWeights),
    channels,
    budgets,
    appSessionShare: APP_SESSION_SHARE,
  };
}

/** The window ends inside its last hour: that hour weighs only its elapsed part. */
function partialLastHour(weights: number[], lastHourMs: number): number[] {
  weights[weights.length - 1] *= lastHourMs / HOUR_MS;
  return weights;
}

/** Everything the writer needs, decided up front and deterministically from the options. */
export function buildSeedPlan(o: SeedOptions): SeedPlan {
  const endHour = Math.ceil(o.endMs / HOUR_MS) * HOUR_MS;
  const hours = o.days * 24;
  const startMs = endHour - hours * HOUR_MS;
  const lastHourMs = o.endMs - (endHour - HOUR_MS);
  const shares = orgShares(o.orgs, o.mainShare);
  return {
    startMs,
    endMs: o.endMs,
    hours,
    lastHourMs,
    orgs: shares.map((share, i) => planOrg(o, i, share, startMs, hours, lastHourMs)),
  };
}
