import { newPublicId } from '#src/common/ids/public-id.js';

/** Record builders for ingest bodies (SPEC §4 shapes), with realistic defaults. */
let clock = Date.UTC(2026, 4, 1, 12, 0, 0);
export const iso = (ms: number) => new Date(ms).toISOString();
export const tick = (ms = 1000) => (clock += ms);

export function session(over: Record<string, unknown> = {}) {
  const created = tick();
  return {
    id: newPublicId('session'),
    status: 'completed',
    created_at: iso(created),
    started_at: iso(created),
    finished_at: iso(created + 5000),
    agent_id: newPublicId('agent'),
    agent_name: 'Helper',
    user_id: newPublicId('user'),
    input_tokens: 100,
    output_tokens: 50,
    ...over,
  };
}

export function generation(over: Record<string, unknown> = {}) {
  return {
    id: newPublicId('gen'),
    model: 'gpt-5',
    provider: 'openai',
    input_tokens: 10,
    output_tokens: 5,
    duration_ms: 300,
    created_at: iso(tick()),
    ...over,
  };
}

export function toolEvent(sessionId: string, over: Record<string, unknown> = {}, data: Record<string, unknown> = {}) {
  return {
    id: newPublicId('event'),
    session_id: sessionId,
    type: 'tool.completed',
    created_at: iso(tick()),
    data: { tool_name: 'search', status: 'success', duration_ms: 120, ...data },
    ...over,
  };
}

/** SPEC §11: a capability.usage event. */
export function capabilityEvent(sessionId: string, over: Record<string, unknown> = {}, data: Record<string, unknown> = {}) {
  return {
    id: newPublicId('event'),
    session_id: sessionId,
    type: 'capability.usage',
    created_at: iso(tick()),
    data: { capability_id: 'browse', capability_name: 'Browsing', kind: 'invoked', tool_name: 'web.search', duration_ms: 40, ...data },
    ...over,
  };
}

export function turnEvent(sessionId: string, turnId: string, type = 'turn.completed', data: Record<string, unknown> = {}) {
  return {
    id: newPublicId('event'),
    session_id: sessionId,
    turn_id: turnId,
    type,
    created_at: iso(tick()),
    data: { duration_ms: 900, iterations: 2, input_tokens: 40, output_tokens: 20, ...data },
  };
}

export function ledger(over: Record<string, unknown> = {}) {
  return { id: newPublicId('ledger'), currency: 'USD', amount: 1.5, created_at: iso(tick()), ...over };
}
