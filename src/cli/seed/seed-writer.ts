import type { DataSource } from 'typeorm';
import { OUTBOX_CHANNEL } from '#src/pipeline/pipeline.vocabulary.js';
import { ProgressBar } from '#src/cli/progress-bar.js';
import { thresholds } from './prng.js';
import { APP_RUN_PARAMS, SEED_APP_RUNS_SQL, SEED_APPS_SQL, SEED_ORG_SQL, SEED_TOP_UPS_SQL, TOP_UP_PARAMS } from './seed-org.sql.js';
import type { OrgPlan, SeedPlan } from './seed-plan.js';
import { SEED_SESSIONS_SQL, SESSION_PARAMS } from './seed.sql.js';
import {
  CAPABILITY_NAMES, ITERATIONS_PER_TURN_WEIGHTS, MODELS, REFUND_SHARE, SESSION_OUTCOMES, TOOLS, TURN_FAILURE_RATE, TURNS_PER_SESSION_WEIGHTS,
} from './vocabulary.js';

const SESSIONS_PER_CHUNK = 2_000;
const RUNS_PER_CHUNK = 50_000;

export interface WrittenCounts {
  sessions: number;
  events: number;
  llm_generations: number;
  usage_ledger: number;
  apps: number;
  app_channels: number;
  app_runs: number;
  enqueued: number;
}

const emptyCounts = (): WrittenCounts => ({ sessions: 0, events: 0, llm_generations: 0, usage_ledger: 0, apps: 0, app_channels: 0, app_runs: 0, enqueued: 0 });

function add(into: WrittenCounts, row: Partial<Record<keyof WrittenCounts, number>>): void {
  for (const k of Object.keys(row) as (keyof WrittenCounts)[]) into[k] += row[k] ?? 0;
}

/** Runs tasks with at most `jobs` in flight (each on its own pooled connection). */
async function pool<T>(tasks: (() => Promise<T>)[], jobs: number, onDone: (result: T) => void): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      onDone(await task());
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
}

function chunks(total: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let from = 1; from <= total; from += size) out.push([from, Math.min(total + 1, from + size)]);
  return out;
}

function common(plan: SeedPlan, org: OrgPlan, orgId: string) {
  return {
    org_id: orgId,
    seed: String(org.hashSeed),
    start_ms: String(plan.startMs),
    end_ms: String(plan.endMs),
    last_hour_ms: String(plan.lastHourMs),
    hours: org.hourThresholds,
  };
}

function sessionParams(plan: SeedPlan, org: OrgPlan, orgId: string, from: number, to: number): unknown[] {
  return SESSION_PARAMS.values({
    ...common(plan, org, orgId),
    n: org.sessions,
    from: String(from),
    to: String(to),
    app_share: org.appSessionShare,
    app_cum: org.appThresholds,
    app_ids: org.apps.map((a) => a.id),
    app_agent: org.apps.map((a) => a.agent + 1),
    agent_cum: org.agentThresholds,
    agent_ids: org.agents.map((a) => a.id),
    agent_names: org.agents.map((a) => a.name),
    agent_pub: org.agents.map((a) => a.publicId),
    agent_harness: org.agents.map((a) => a.harness + 1),
    agent_blueprint: org.agents.map((a) => a.blueprint),
    agent_model1: org.agents.map((a) => a.models[0] + 1),
    agent_model2: org.agents.map((a) => a.models[1] + 1),
    agent_budget: org.agents.map((a) => a.budget + 1),
    harness_ids: org.harnesses.map((h) => h.id),
    harness_names: org.harnesses.map((h) => h.name),
    user_ids: org.users.map((u) => u.id),
    user_pub: org.users.map((u) => u.publicId),
    principal_ids: org.principals,
    n_users: org.users.length,
    n_service: org.principals.length - org.users.length,
    turns_cum: thresholds(TURNS_PER_SESSION_WEIGHTS),
    iter_cum: thresholds(ITERATIONS_PER_TURN_WEIGHTS),
    outcome_cum: thresholds(SESSION_OUTCOMES.map(([, share]) => share)),
    outcome_names: SESSION_OUTCOMES.map(([status]) => status),
    turn_fail: TURN_FAILURE_RATE,
    refund_share: REFUND_SHARE,
    model_names: MODELS.map((m) => m.model),
    model_providers: MODELS.map((m) => m.provider),
    model_ttft: MODELS.map((m) => m.ttftMs),
    model_ms_tok: MODELS.map((m) => m.msPerOutputToken),
    model_err: MODELS.map((m) => m.errorRate),
    model_price_in: MODELS.map((m) => m.priceIn),
    model_price_out: MODELS.map((m) => m.priceOut),
    model_cache_read: MODELS.map((m) => m.cacheRead),
    model_cache_write: MODELS.map((m) => m.cacheWrite),
    fr_tool: MODELS.map((m) => m.finish.tool),
    fr_stop: MODELS.map((m) => m.finish.stop),
    fr_length: MODELS.map((m) => m.finish.length),
    tool_cum: thresholds(TOOLS.map((t) => t.weight)),
    tool_names: TOOLS.map((t) => t.name),
    tool_display: TOOLS.map((t) => t.displayName),
    tool_caps: TOOLS.map((t) => t.capability),
    tool_cap_names: TOOLS.map((t) => CAPABILITY_NAMES[t.capability]),
    tool_effect: TOOLS.map((t) => t.effect),
    tool_median: TOOLS.map((t) => t.medianMs),
    tool_err: TOOLS.map((t) => t.errorRate),
    tool_timeout: TOOLS.map((t) => t.timeoutRate),
    tool_price: TOOLS.map((t) => t.price),
    n_tools: TOOLS.length,
    budget_ids: org.budgets.map((b) => b.id),
    budget_currency: org.budgets.map((b) => b.currency),
  });
}

function appRunParams(plan: SeedPlan, org: OrgPlan, orgId: string, from: number, to: number): unknown[] {
  const start: number[] = [];
  const count: number[] = [];
  org.channels.forEach((c, i) => {
    if (start[c.app] === undefined) start[c.app] = i + 1;
    count[c.app] = (count[c.app] ?? 0) + 1;
  });
  return APP_RUN_PARAMS.values({
    ...common(plan, org, orgId),
    n: org.appRuns,
    from: String(from),
    to: String(to),
    flat: org.flatThresholds,
    app_cum: org.appThresholds,
    app_ids: org.apps.map((a) => a.id),
    chan_start: start,
    chan_count: count,
    chan_ids: org.channels.map((c) => c.id),
    chan_app: org.channels.map((c) => c.app + 1),
    chan_type: org.channels.map((c) => c.type),
    chan_err: org.channels.map((c) => c.errorRate),
  });
}

/**
 * Writes one org: its row, apps and channels, budget top-ups, then sessions (with their events,
 * generations and ledger postings) and app runs in chunks, `jobs` chunks at a time. Returns the
 * org's id (an existing org with the slug keeps its id) and what was inserted.
 */
export async function writeOrg(ds: DataSource, plan: SeedPlan, org: OrgPlan, jobs: number): Promise<{ orgId: string; written: WrittenCounts }> {
  const written = emptyCounts();
  const [{ id: orgId }] = await ds.query(SEED_ORG_SQL, [org.id, org.slug, org.name]);
  const channelAppIds = org.channels.map((c) => org.apps[c.app].id);
  const [apps] = await ds.query(SEED_APPS_SQL, [
    orgId, org.apps.map((a) => a.id), org.apps.map((a) => a.name), new Date(plan.startMs - 30 * 86_400_000),
    org.channels.map((c) => c.id), channelAppIds, org.channels.map((c) => c.type), org.channels.map((c) => c.name),
  ]);
  add(written, apps);
  const [topUps] = await ds.query(SEED_TOP_UPS_SQL, TOP_UP_PARAMS.values({
    ...common(plan, org, orgId),
    weeks: Math.ceil(plan.hours / 168),
    budget_ids: org.budgets.map((b) => b.id),
    budget_pub: org.budgets.map((b) => b.publicId),
    budget_currency: org.budgets.map((b) => b.currency),
    budget_top_up: org.budgets.map((b) => String(b.weeklyTopUp)),
  }));
  add(written, topUps);

  // Chunks written `jobs` at a time, each a statement of its own, behind one progress bar.
  const writeChunks = async (label: string, total: number, size: number, sql: string, params: (from: number, to: number) => unknown[]) => {
    const bar = new ProgressBar(`${org.slug}: ${label}`, total);
    let done = 0;
    await pool(
      chunks(total, size).map(([from, to]) => async () => {
        const [row] = await ds.query(sql, params(from, to));
        return { row, n: to - from };
      }),
      jobs,
      ({ row, n }) => {
        add(written, row);
        bar.update((done += n));
      },
    );
    bar.finish();
  };
  await writeChunks('sessions', org.sessions, SESSIONS_PER_CHUNK, SEED_SESSIONS_SQL, (from, to) => sessionParams(plan, org, orgId, from, to));
  await writeChunks('app runs', org.appRuns, RUNS_PER_CHUNK, SEED_APP_RUNS_SQL, (from, to) => appRunParams(plan, org, orgId, from, to));
  // Wake a running service's projector (DATABASE_URL case), as ingest does.
  if (written.enqueued > 0) await ds.query(`SELECT pg_notify($1, $2)`, [OUTBOX_CHANNEL, orgId]);
  return { orgId, written };
}
