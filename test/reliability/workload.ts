import { newPublicId } from '#src/common/ids/public-id.js';
import { prng } from '../support/prng.js';

/**
 * Reproducible mixed workloads for the reliability tests: sessions with turns, tool calls,
 * capability usage and other events, LLM generations and ledger postings (some hanging off sessions, some not), and a
 * second wave of changes to them (re-attribution, new numbers, events that stop feeding facts or
 * move to another turn). Records are in the wire shape of POST /v1/ingest/*.
 */

export type Rec = Record<string, unknown> & { id: string };

export interface Workload {
  sessions: Rec[];
  events: Rec[];
  llm_generations: Rec[];
  usage_ledger: Rec[];
}

export const SOURCES = ['sessions', 'events', 'llm_generations', 'usage_ledger'] as const;
export type Source = (typeof SOURCES)[number];

const START = Date.UTC(2026, 2, 1);
const SPAN_MS = 10 * 86_400_000;
export const WORKLOAD_RANGE = { from: new Date(START).toISOString(), to: new Date(START + SPAN_MS + 86_400_000).toISOString() };

export const MODELS = [['gpt-5', 'openai'], ['gpt-5-mini', 'openai'], ['claude-4', 'anthropic'], ['gemini-3', 'google']] as const;
const TOOLS = [['search', 'Web search', 'browse'], ['calc', null, null], ['fetch', 'Fetch URL', 'browse'], ['sql', 'SQL', 'data']] as const;
const TOOL_STATUSES = ['success', 'success', 'error', 'timeout', 'cancelled'];
const TURN_TYPES = ['turn.completed', 'turn.completed', 'turn.failed', 'turn.cancelled'];
const CAPABILITY_KINDS = ['configured', 'resolved', 'exposed', 'invoked', 'effect_ran'];
/** Capability usage draws from its own stream, so the other records stay as they were before it existed. */
const CAPABILITY_SALT = 7919;
export const CURRENCIES = ['USD', 'EUR', 'credits'];

export interface WorkloadSize {
  sessions: number;
  /** Generations and ledger postings per session (on average); a tenth hang off no known session. */
  generationsPerSession: number;
  ledgerPerSession: number;
}

export function makeWorkload(seed: number, size: WorkloadSize): Workload {
  const r = prng(seed);
  const rc = prng(seed + CAPABILITY_SALT);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const maybe = <T>(v: T, p = 0.2): T | undefined => (r() < p ? undefined : v);
  const at = () => new Date(START + Math.floor(r() * SPAN_MS)).toISOString();
  const agents = Array.from({ length: 6 }, () => newPublicId('agent'));
  const users = Array.from({ length: 20 }, () => newPublicId('user'));
  const w: Workload = { sessions: [], events: [], llm_generations: [], usage_ledger: [] };
  for (let i = 0; i < size.sessions; i++) {
    const created = at();
    const finished = r() < 0.8;
    const s: Rec = {
      id: newPublicId('session'),
      status: finished ? pick(['completed', 'failed', 'cancelled']) : 'running',
      created_at: created,
      started_at: created,
      finished_at: finished ? new Date(Date.parse(created) + Math.floor(r() * 600_000)).toISOString() : undefined,
      agent_id: pick(agents),
      agent_name: pick(['Planner', 'Coder', 'Reviewer']),
      user_id: maybe(pick(users)),
      input_tokens: maybe(Math.floor(r() * 5000)),
      output_tokens: maybe(Math.floor(r() * 2000)),
    };
    w.sessions.push(s);
    for (let t = 1 + Math.floor(r() * 3); t > 0; t--) {
      const turn = r() < 0.9 ? newPublicId('turn') : undefined;
      for (let c = Math.floor(r() * 4); c > 0; c--) {
        const [tool, display, capability] = pick(TOOLS);
        w.events.push({
          id: newPublicId('event'), session_id: s.id, turn_id: turn, type: 'tool.completed', created_at: at(),
          data: { tool_name: tool, tool_display_name: display ?? undefined, capability_id: capability ?? undefined, status: pick(TOOL_STATUSES), duration_ms: maybe(Math.floor(r() * 3000)) },
        });
      }
      w.events.push({
        id: newPublicId('event'), session_id: s.id, turn_id: turn, type: pick(TURN_TYPES), created_at: at(),
        data: { duration_ms: maybe(Math.floor(r() * 20_000)), iterations: maybe(1 + Math.floor(r() * 5)), input_tokens: maybe(Math.floor(r() * 900)), output_tokens: maybe(Math.floor(r() * 300)) },
      });
    }
    if (r() < 0.5) w.events.push({ id: newPublicId('event'), session_id: s.id, type: 'message.created', created_at: at(), data: { n: 1 } });
    // SPEC §11 capability usage, with and without a turn, name, tool and duration.
    for (let c = Math.floor(rc() * 4); c > 0; c--) {
      const [tool, , capability] = TOOLS[Math.floor(rc() * TOOLS.length)];
      const capabilityId = capability ?? 'math';
      w.events.push({
        id: newPublicId('event'), session_id: s.id, turn_id: rc() < 0.5 ? newPublicId('turn') : undefined, type: 'capability.usage',
        created_at: new Date(START + Math.floor(rc() * SPAN_MS)).toISOString(),
        data: {
          capability_id: capabilityId, capability_name: rc() < 0.3 ? undefined : capabilityId.toUpperCase(), kind: CAPABILITY_KINDS[Math.floor(rc() * CAPABILITY_KINDS.length)],
          tool_name: rc() < 0.4 ? undefined : tool, duration_ms: rc() < 0.3 ? undefined : Math.floor(rc() * 2000),
        },
      });
    }
  }
  const sessionOrNone = () => (r() < 0.1 ? (r() < 0.5 ? undefined : newPublicId('session')) : pick(w.sessions).id);
  for (let i = Math.round(size.sessions * size.generationsPerSession); i > 0; i--) {
    const [model, provider] = pick(MODELS);
    w.llm_generations.push({
      id: newPublicId('gen'), session_id: sessionOrNone(), model, provider, finish_reason: maybe(pick(['stop', 'length', 'tool_calls'])),
      input_tokens: Math.floor(r() * 4000), output_tokens: Math.floor(r() * 1500), cache_read_tokens: maybe(Math.floor(r() * 800), 0.5),
      cache_creation_tokens: maybe(Math.floor(r() * 100), 0.7), duration_ms: maybe(Math.floor(r() * 9000)), time_to_first_token_ms: maybe(Math.floor(r() * 900)),
      error: r() < 0.1 ? true : maybe(false, 0.5), created_at: at(),
    });
  }
  for (let i = Math.round(size.sessions * size.ledgerPerSession); i > 0; i--) {
    w.usage_ledger.push({
      id: newPublicId('ledger'), session_id: sessionOrNone(), subject_type: maybe(pick(['agent', 'user'])), currency: pick(CURRENCIES),
      meter_source: maybe(pick(['llm', 'tool'])), amount: Math.round((r() * 120 - 20) * 100) / 100, created_at: at(),
    });
  }
  return w;
}

/**
 * A second version of a share of the records, as the platform would re-send them: sessions that
 * finish or change agent and user (re-attributing everything hanging off them), generations and
 * postings with new numbers, tool calls that move to another turn or stop feeding facts, turns
 * whose outcome changes. Only changed records are returned.
 */
export function makeChanges(seed: number, w: Workload): Workload {
  const r = prng(seed);
  const newAgents = Array.from({ length: 3 }, () => newPublicId('agent'));
  const out: Workload = { sessions: [], events: [], llm_generations: [], usage_ledger: [] };
  for (const s of w.sessions) {
    if (r() < 0.25) {
      out.sessions.push({ ...s, agent_id: newAgents[Math.floor(r() * newAgents.length)], agent_name: 'Renamed', user_id: r() < 0.5 ? undefined : newPublicId('user'), status: 'completed', finished_at: new Date(Date.parse(s.created_at as string) + 90_000).toISOString() });
    }
  }
  const turns = [...new Set(w.events.filter((e) => e.turn_id).map((e) => `${e.session_id} ${e.turn_id}`))];
  for (const e of w.events) {
    const x = r();
    if (e.type === 'tool.completed' && x < 0.05) out.events.push({ ...e, type: 'tool.progress' });
    else if (e.type === 'tool.completed' && x < 0.1) {
      const [sessionId, turnId] = turns[Math.floor(r() * turns.length)].split(' ');
      out.events.push({ ...e, session_id: sessionId, turn_id: turnId });
    } else if (String(e.type).startsWith('turn.') && x < 0.1) out.events.push({ ...e, type: e.type === 'turn.failed' ? 'turn.completed' : 'turn.failed' });
  }
  // Capability usage changes kind and duration, moves hour, or stops feeding facts (own stream, as above).
  const rc = prng(seed + CAPABILITY_SALT);
  for (const e of w.events.filter((x) => x.type === 'capability.usage')) {
    const x = rc();
    if (x < 0.05) out.events.push({ ...e, type: 'capability.noted' });
    else if (x < 0.15) out.events.push({ ...e, created_at: new Date(Date.parse(e.created_at as string) + 3_600_000).toISOString(), data: { ...(e.data as object), kind: 'invoked', duration_ms: Math.floor(rc() * 100) } });
  }
  for (const g of w.llm_generations) if (r() < 0.15) out.llm_generations.push({ ...g, output_tokens: (g.output_tokens as number) + 7, model: 'gpt-5' });
  for (const l of w.usage_ledger) if (r() < 0.15) out.usage_ledger.push({ ...l, amount: -(l.amount as number) });
  return out;
}

/** The final state of every record after the waves were ingested in order. */
export function finalState(...waves: Workload[]): Workload {
  const out: Workload = { sessions: [], events: [], llm_generations: [], usage_ledger: [] };
  for (const source of SOURCES) {
    const byId = new Map<string, Rec>();
    for (const wave of waves) for (const rec of wave[source]) byId.set(rec.id, rec);
    out[source] = [...byId.values()];
  }
  return out;
}

export function recordCount(w: Workload): number {
  return SOURCES.reduce((n, s) => n + w[s].length, 0);
}

/** Splits records into ingest batches; the events of one session stay in one batch. */
export function batches(source: Source, records: Rec[], size: number): Rec[][] {
  const out: Rec[][] = [];
  if (source !== 'events') {
    for (let i = 0; i < records.length; i += size) out.push(records.slice(i, i + size));
    return out;
  }
  const bySession = new Map<unknown, Rec[]>();
  for (const e of records) bySession.set(e.session_id, [...(bySession.get(e.session_id) ?? []), e]);
  let current: Rec[] = [];
  for (const group of bySession.values()) {
    if (current.length + group.length > size && current.length > 0) {
      out.push(current);
      current = [];
    }
    current.push(...group);
  }
  if (current.length > 0) out.push(current);
  return out;
}
