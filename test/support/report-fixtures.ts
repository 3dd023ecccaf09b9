import { newPublicId } from '#src/common/ids/public-id.js';
import { avg, count, countDistinct, decimalSum, percentileCont, sum, type Row } from './oracle.js';

/**
 * A small, hand-made world of records for the reporting tests (every field kind, nulls in every
 * nullable column), and the facts SPEC §4 says they become — derived here in plain TypeScript,
 * never read back from the database — with the measures of every dataset (SPEC §6 table).
 */

type Rec = Record<string, unknown>;

const at = (day: number, h: number, m = 0) => new Date(Date.UTC(2026, 2, day, h, m)).toISOString();
export const RANGE = { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' };

export function buildWorld() {
  const users = [newPublicId('user'), newPublicId('user'), newPublicId('user')];
  const agents = [newPublicId('agent'), newPublicId('agent')];
  const app = newPublicId('app');
  const s = (over: Rec): Rec => ({ id: newPublicId('session'), agent_id: agents[0], agent_name: 'Planner', ...over });
  const sessions: Rec[] = [
    s({ status: 'completed', created_at: at(2, 9), started_at: at(2, 9), finished_at: '2026-03-02T09:00:10.000Z', user_id: users[0], input_tokens: 100, output_tokens: 50, app_id: app, blueprint_id: 'bp-1' }),
    s({ status: 'completed', created_at: at(2, 15), started_at: at(2, 15), finished_at: '2026-03-02T15:00:20.000Z', user_id: users[0], input_tokens: 200, output_tokens: 0 }),
    s({ status: 'failed', created_at: at(3, 8), started_at: at(3, 8), finished_at: '2026-03-03T08:00:03.500Z', user_id: users[1], total_tokens: 7, agent_id: agents[1], agent_name: 'Coder' }),
    s({ status: 'running', created_at: at(3, 12), started_at: at(3, 12), user_id: null, input_tokens: 5, output_tokens: 5, agent_id: agents[1], agent_name: 'Coder' }),
    s({ status: 'cancelled', created_at: at(4, 10), started_at: at(4, 10), finished_at: '2026-03-04T10:00:01.000Z', user_id: users[2] }),
    s({ status: 'completed', created_at: at(5, 23, 30), started_at: at(5, 23, 30), finished_at: '2026-03-05T23:30:07.000Z', user_id: users[1], input_tokens: 40, output_tokens: 2 }),
  ];
  const [s1, s2, s3] = sessions;
  const turns = [newPublicId('turn'), newPublicId('turn'), newPublicId('turn'), newPublicId('turn')];
  const ev = (session: Rec, turn: string | null, type: string, created: string, data: Rec): Rec => ({ id: newPublicId('event'), session_id: session.id, turn_id: turn, type, created_at: created, data });
  const events: Rec[] = [
    ev(s1, turns[0], 'tool.completed', at(2, 9, 1), { tool_name: 'search', tool_display_name: 'Search', capability_id: 'web', status: 'success', duration_ms: 100 }),
    ev(s1, turns[0], 'tool.completed', at(2, 9, 2), { tool_name: 'search', status: 'error', duration_ms: 300 }),
    ev(s1, turns[0], 'tool.completed', at(2, 9, 3), { tool_name: 'calc', status: 'timeout' }),
    ev(s1, turns[1], 'tool.completed', at(2, 9, 4), { tool_name: 'calc', capability_id: 'math', status: 'cancelled', duration_ms: 50 }),
    ev(s2, turns[2], 'tool.completed', at(2, 15, 1), { tool_name: 'search', status: 'success', duration_ms: 700 }),
    ev(s1, turns[0], 'turn.completed', at(2, 9, 5), { duration_ms: 900, iterations: 2, input_tokens: 40, output_tokens: 20 }),
    ev(s1, turns[1], 'turn.failed', at(2, 9, 6), { duration_ms: 400, iterations: 1 }),
    ev(s2, turns[2], 'turn.completed', at(2, 15, 2), { duration_ms: 1500, iterations: 5, input_tokens: 10 }),
    ev(s3, turns[3], 'turn.cancelled', at(3, 8, 1), {}),
    ev(s2, null, 'message.created', at(2, 15, 3), { text: 'stored, never projected' }),
    // SPEC §11 capability usage: every kind, nulls in every nullable field, one without a known
    // session (no attribution), one late in the UTC day (the next day in Berlin).
    ev(s1, turns[0], 'capability.usage', at(2, 9, 0), { capability_id: 'web', capability_name: 'Web', kind: 'configured' }),
    ev(s1, turns[0], 'capability.usage', at(2, 9, 1), { capability_id: 'web', capability_name: 'Web', kind: 'invoked', tool_name: 'search', duration_ms: 90 }),
    ev(s1, turns[0], 'capability.usage', at(2, 9, 2), { capability_id: 'web', kind: 'invoked', tool_name: 'search', duration_ms: 310 }),
    ev(s1, turns[1], 'capability.usage', at(2, 9, 4), { capability_id: 'math', capability_name: 'Math', kind: 'resolved', duration_ms: 4 }),
    ev(s2, null, 'capability.usage', at(2, 15, 0), { capability_id: 'web', capability_name: 'Web', kind: 'exposed' }),
    ev(s2, turns[2], 'capability.usage', at(2, 15, 1), { capability_id: 'web', capability_name: 'Web', kind: 'effect_ran', tool_name: 'search', duration_ms: null }),
    ev(s3, turns[3], 'capability.usage', at(3, 8, 1), { capability_id: 'math', capability_name: 'Math', kind: 'invoked', tool_name: 'calc', duration_ms: 25 }),
    ev(s1, null, 'capability.usage', at(2, 23, 30), { capability_id: 'web', capability_name: 'Web', kind: 'invoked', tool_name: 'search', duration_ms: 1000 }),
    ev({ id: newPublicId('session') }, null, 'capability.usage', at(4, 12), { capability_id: 'math', capability_name: 'Math', kind: 'invoked', tool_name: 'calc', duration_ms: 7 }),
  ];
  const g = (over: Rec): Rec => ({ id: newPublicId('gen'), model: 'gpt-5', provider: 'openai', input_tokens: 10, output_tokens: 5, ...over });
  const generations: Rec[] = [
    g({ session_id: s1.id, turn_id: turns[0], finish_reason: 'stop', input_tokens: 100, output_tokens: 40, cache_read_tokens: 30, cache_creation_tokens: 5, duration_ms: 800, time_to_first_token_ms: 90, error: false, created_at: at(2, 9, 1) }),
    g({ session_id: s1.id, turn_id: turns[0], finish_reason: 'length', input_tokens: 50, output_tokens: 60, duration_ms: 1200, time_to_first_token_ms: 110, created_at: at(2, 9, 2) }),
    g({ session_id: s2.id, model: 'claude', provider: 'anthropic', finish_reason: 'stop', input_tokens: 70, output_tokens: 7, cache_read_tokens: 3, duration_ms: 450, error: true, created_at: at(2, 15, 1) }),
    g({ session_id: s2.id, model: 'claude', provider: 'anthropic', input_tokens: 20, output_tokens: 1, duration_ms: null, time_to_first_token_ms: 70, created_at: at(3, 7) }),
    g({ session_id: s3.id, model: 'claude', provider: 'anthropic', finish_reason: 'error', input_tokens: 1, output_tokens: 0, duration_ms: 3000, error: true, created_at: at(3, 8, 2) }),
    g({ model: 'gpt-5-mini', finish_reason: 'stop', input_tokens: 9, output_tokens: 9, cache_creation_tokens: 2, duration_ms: 100, time_to_first_token_ms: 20, error: false, created_at: at(4, 11) }),
    g({ model: 'gpt-5-mini', input_tokens: 3, output_tokens: 4, duration_ms: 250, created_at: at(5, 6) }),
  ];
  const budgets = [newPublicId('budget'), newPublicId('budget')];
  const l = (over: Rec): Rec => ({ id: newPublicId('ledger'), currency: 'USD', ...over });
  const ledger: Rec[] = [
    l({ session_id: s1.id, budget_id: budgets[0], subject_type: 'agent', subject_id: 'a-1', meter_source: 'llm', ref_type: 'generation', amount: 2.125, created_at: at(2, 9, 7) }),
    l({ session_id: s1.id, budget_id: budgets[0], subject_type: 'agent', subject_id: 'a-1', meter_source: 'llm', ref_type: 'generation', amount: 0.1, created_at: at(2, 9, 8) }),
    l({ session_id: s2.id, budget_id: budgets[1], subject_type: 'user', subject_id: 'u-9', meter_source: 'tool', amount: 0.2, created_at: at(2, 15, 4) }),
    l({ budget_id: budgets[1], subject_type: 'user', amount: -0.5, ref_type: 'refund', created_at: at(3, 9) }),
    l({ currency: 'EUR', amount: 0, created_at: at(4, 9) }),
    l({ currency: 'EUR', amount: -1.25, created_at: at(5, 9) }),
  ];
  return { sessions, events, generations, ledger, users, agents, budgets, turns };
}

export type World = ReturnType<typeof buildWorld>;

const n = (v: unknown): number | null => (v === undefined || v === null ? null : (v as number));
const str = (v: unknown): string | null => (v === undefined || v === null ? null : (v as string));

/** The session attribution every fact copies (SPEC §4), as the dimensions show it. */
function attribution(sessions: Rec[], sessionId: unknown): Row {
  const s = sessions.find((x) => x.id === sessionId);
  return {
    session: str(sessionId),
    user: str(s?.user_id),
    principal: str(s?.principal_id),
    agent: str(s?.agent_id),
    agent_name: str(s?.agent_name),
    harness: str(s?.harness_id),
    harness_name: str(s?.harness_name),
    app: str(s?.app_id),
    blueprint: str(s?.blueprint_id),
  };
}

const TURN_TYPES = ['turn.completed', 'turn.failed', 'turn.cancelled'];

/** Fact rows per dataset: dimension values under their dimension names, plus the raw measures' inputs. */
export function factsOf(w: World): Record<string, Row[]> {
  const tools = w.events.filter((e) => e.type === 'tool.completed');
  const turnEvents = w.events.filter((e) => TURN_TYPES.includes(e.type as string));
  const data = (e: Rec) => (e.data ?? {}) as Rec;
  return {
    llm_generations: w.generations.map((g) => ({
      ...attribution(w.sessions, g.session_id),
      turn: str(g.turn_id),
      model: g.model,
      provider: g.provider,
      finish_reason: str(g.finish_reason),
      created_at: g.created_at,
      input_tokens: g.input_tokens,
      output_tokens: g.output_tokens,
      cache_read_tokens: n(g.cache_read_tokens),
      cache_creation_tokens: n(g.cache_creation_tokens),
      total_tokens: (g.input_tokens as number) + (g.output_tokens as number) + (n(g.cache_read_tokens) ?? 0) + (n(g.cache_creation_tokens) ?? 0),
      duration_ms: n(g.duration_ms),
      time_to_first_token_ms: n(g.time_to_first_token_ms),
      error: g.error === true,
    })),
    tool_calls: tools.map((e) => ({
      ...attribution(w.sessions, e.session_id),
      turn: str(e.turn_id),
      tool: data(e).tool_name,
      tool_display_name: str(data(e).tool_display_name),
      status: data(e).status,
      capability: str(data(e).capability_id),
      created_at: e.created_at,
      duration_ms: n(data(e).duration_ms),
    })),
    turns: turnEvents.map((e) => {
      const d = data(e);
      const inTok = n(d.input_tokens);
      const outTok = n(d.output_tokens);
      return {
        ...attribution(w.sessions, e.session_id),
        turn: str(e.turn_id),
        status: (e.type as string).slice(5),
        created_at: e.created_at,
        duration_ms: n(d.duration_ms),
        iterations: n(d.iterations),
        tool_call_count: tools.filter((t) => t.session_id === e.session_id && e.turn_id !== null && t.turn_id === e.turn_id).length,
        input_tokens: inTok,
        output_tokens: outTok,
        total_tokens: inTok === null && outTok === null ? null : (inTok ?? 0) + (outTok ?? 0),
      };
    }),
    sessions: w.sessions.map((s) => {
      const inTok = n(s.input_tokens);
      const outTok = n(s.output_tokens);
      return {
        ...attribution(w.sessions, s.id),
        status: s.status,
        created_at: s.created_at,
        duration_ms: s.finished_at && s.started_at ? Date.parse(s.finished_at as string) - Date.parse(s.started_at as string) : null,
        turn_count: turnEvents.filter((e) => e.session_id === s.id).length,
        tool_call_count: tools.filter((e) => e.session_id === s.id).length,
        input_tokens: inTok,
        output_tokens: outTok,
        total_tokens: inTok === null && outTok === null ? n(s.total_tokens) : (inTok ?? 0) + (outTok ?? 0),
      };
    }),
    capability_usage: w.events.filter((e) => e.type === 'capability.usage').map((e) => ({
      ...attribution(w.sessions, e.session_id),
      turn: str(e.turn_id),
      capability: data(e).capability_id,
      capability_name: str(data(e).capability_name),
      kind: data(e).kind,
      tool: str(data(e).tool_name),
      created_at: e.created_at,
      duration_ms: n(data(e).duration_ms),
    })),
    budget_postings: w.ledger.map((p) => ({
      ...attribution(w.sessions, p.session_id),
      budget: str(p.budget_id),
      subject_type: str(p.subject_type),
      subject: str(p.subject_id),
      currency: p.currency,
      meter_source: str(p.meter_source),
      ref_type: str(p.ref_type),
      created_at: p.created_at,
      amount: p.amount,
    })),
  };
}

const col = (rows: Row[], c: string) => rows.map((r) => r[c] as number | null);

/** Every measure of every dataset, from SPEC §6 and the catalog's docs (avg/percentiles ignore unknowns; sums count them as 0). */
export const MEASURES: Record<string, Record<string, (rows: Row[]) => number | null>> = {
  llm_generations: {
    generation_count: (r) => r.length,
    input_tokens: (r) => sum(col(r, 'input_tokens')),
    output_tokens: (r) => sum(col(r, 'output_tokens')),
    cache_read_tokens: (r) => sum(col(r, 'cache_read_tokens')),
    cache_creation_tokens: (r) => sum(col(r, 'cache_creation_tokens')),
    total_tokens: (r) => sum(col(r, 'total_tokens')),
    duration_ms: (r) => sum(col(r, 'duration_ms')),
    avg_duration_ms: (r) => avg(col(r, 'duration_ms')),
    p50_duration_ms: (r) => percentileCont(col(r, 'duration_ms'), 0.5),
    p95_duration_ms: (r) => percentileCont(col(r, 'duration_ms'), 0.95),
    avg_time_to_first_token_ms: (r) => avg(col(r, 'time_to_first_token_ms')),
    p95_time_to_first_token_ms: (r) => percentileCont(col(r, 'time_to_first_token_ms'), 0.95),
    success_count: (r) => count(r, (x) => !x.error),
    error_count: (r) => count(r, (x) => x.error === true),
  },
  tool_calls: {
    call_count: (r) => r.length,
    success_count: (r) => count(r, (x) => x.status === 'success'),
    error_count: (r) => count(r, (x) => x.status === 'error'),
    timeout_count: (r) => count(r, (x) => x.status === 'timeout'),
    cancelled_count: (r) => count(r, (x) => x.status === 'cancelled'),
    duration_ms: (r) => sum(col(r, 'duration_ms')),
    avg_duration_ms: (r) => avg(col(r, 'duration_ms')),
    p95_duration_ms: (r) => percentileCont(col(r, 'duration_ms'), 0.95),
  },
  turns: {
    turn_count: (r) => r.length,
    duration_ms: (r) => sum(col(r, 'duration_ms')),
    avg_duration_ms: (r) => avg(col(r, 'duration_ms')),
    p95_duration_ms: (r) => percentileCont(col(r, 'duration_ms'), 0.95),
    iterations: (r) => sum(col(r, 'iterations')),
    tool_call_count: (r) => sum(col(r, 'tool_call_count')),
    input_tokens: (r) => sum(col(r, 'input_tokens')),
    output_tokens: (r) => sum(col(r, 'output_tokens')),
    total_tokens: (r) => sum(col(r, 'total_tokens')),
    success_count: (r) => count(r, (x) => x.status === 'completed'),
    error_count: (r) => count(r, (x) => x.status === 'failed'),
  },
  sessions: {
    session_count: (r) => r.length,
    duration_ms: (r) => sum(col(r, 'duration_ms')),
    avg_duration_ms: (r) => avg(col(r, 'duration_ms')),
    p95_duration_ms: (r) => percentileCont(col(r, 'duration_ms'), 0.95),
    turn_count: (r) => sum(col(r, 'turn_count')),
    tool_call_count: (r) => sum(col(r, 'tool_call_count')),
    input_tokens: (r) => sum(col(r, 'input_tokens')),
    output_tokens: (r) => sum(col(r, 'output_tokens')),
    total_tokens: (r) => sum(col(r, 'total_tokens')),
    unique_users: (r) => countDistinct(r.map((x) => x.user)),
  },
  capability_usage: {
    usage_count: (r) => r.length,
    duration_ms: (r) => sum(col(r, 'duration_ms')),
    avg_duration_ms: (r) => avg(col(r, 'duration_ms')),
  },
  budget_postings: {
    amount: (r) => decimalSum(col(r, 'amount') as number[]),
    debit_amount: (r) => decimalSum((col(r, 'amount') as number[]).filter((a) => a >= 0)),
    credit_amount: (r) => decimalSum((col(r, 'amount') as number[]).filter((a) => a < 0)),
    debit_count: (r) => count(r, (x) => (x.amount as number) >= 0),
    credit_count: (r) => count(r, (x) => (x.amount as number) < 0),
  },
};
