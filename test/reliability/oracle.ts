import type pg from 'pg';
import { uuidOf } from '../support/api.js';
import type { Rec, Workload } from './workload.js';

/**
 * What the fact tables must hold for a final set of canonical records, computed in plain
 * TypeScript from the records the test sent (SPEC §4 derivations), never from the SQL under
 * test. Rows are keyed by source_key; ids are UUID strings, times epoch milliseconds, numbers
 * JS numbers, unknowns null.
 */

type Row = Record<string, string | number | boolean | null>;
export type FactTable = 'fact_llm_generation' | 'fact_tool_call' | 'fact_turn' | 'fact_session' | 'fact_budget_posting' | 'fact_capability_usage';

const ATTRIBUTION = ['user_id', 'principal_id', 'agent_id', 'agent_name', 'harness_id', 'harness_name', 'app_id', 'blueprint_id'] as const;
const ID_COLUMNS = new Set(['session_id', 'turn_id', 'user_id', 'principal_id', 'agent_id', 'harness_id', 'app_id', 'budget_id']);

/** Each fact table's compared columns and how to read them from SQL in the oracle's shape. */
export const FACT_COLUMNS: Record<FactTable, string[]> = {
  fact_llm_generation: ['turn_id', 'session_id', ...ATTRIBUTION, 'model', 'provider', 'finish_reason', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens', 'total_tokens', 'duration_ms', 'time_to_first_token_ms', 'is_error', 'created_at'],
  fact_tool_call: ['turn_id', 'session_id', ...ATTRIBUTION, 'tool', 'tool_display_name', 'capability', 'status', 'duration_ms', 'created_at'],
  fact_turn: ['turn_id', 'session_id', ...ATTRIBUTION, 'status', 'duration_ms', 'iterations', 'tool_call_count', 'input_tokens', 'output_tokens', 'total_tokens', 'created_at'],
  fact_session: ['session_id', ...ATTRIBUTION, 'status', 'duration_ms', 'turn_count', 'tool_call_count', 'input_tokens', 'output_tokens', 'total_tokens', 'created_at'],
  fact_budget_posting: ['session_id', ...ATTRIBUTION, 'budget_id', 'subject_type', 'subject_id', 'currency', 'meter_source', 'ref_type', 'amount', 'created_at'],
  fact_capability_usage: ['turn_id', 'session_id', ...ATTRIBUTION, 'capability', 'capability_name', 'kind', 'tool', 'duration_ms', 'created_at'],
};

const TEXT = new Set(['agent_name', 'harness_name', 'blueprint_id', 'model', 'provider', 'finish_reason', 'tool', 'tool_display_name', 'capability', 'capability_name', 'kind', 'status', 'subject_type', 'subject_id', 'currency', 'meter_source', 'ref_type']);

function selectExpr(column: string): string {
  if (ID_COLUMNS.has(column)) return `${column}::text AS ${column}`;
  if (column === 'created_at') return `(extract(epoch FROM created_at) * 1000)::float8 AS created_at`;
  if (column === 'is_error' || TEXT.has(column)) return column;
  return `${column}::float8 AS ${column}`;
}

/** The stored facts of one org, in the oracle's shape. */
export async function storedFacts(pool: pg.Pool, orgId: string, table: FactTable): Promise<Map<string, Row>> {
  const { rows } = await pool.query(`SELECT source_key, ${FACT_COLUMNS[table].map(selectExpr).join(', ')} FROM ${table} WHERE org_id = $1`, [orgId]);
  return new Map(rows.map(({ source_key, ...rest }) => [source_key as string, rest as Row]));
}

const n = (v: unknown): number | null => (v === undefined || v === null ? null : (v as number));
const s = (v: unknown): string | null => (v === undefined || v === null ? null : (v as string));
const id = (v: unknown): string | null => (v === undefined || v === null ? null : uuidOf(v as string));
const ms = (v: unknown): number => Date.parse(v as string);

export function expectedFacts(w: Workload): Record<FactTable, Map<string, Row>> {
  const sessions = new Map(w.sessions.map((x) => [x.id, x]));
  const attribution = (sessionId: unknown): Row => {
    const x = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    return {
      user_id: id(x?.user_id), principal_id: id(x?.principal_id), agent_id: id(x?.agent_id), agent_name: s(x?.agent_name),
      harness_id: id(x?.harness_id), harness_name: s(x?.harness_name), app_id: id(x?.app_id), blueprint_id: s(x?.blueprint_id),
    };
  };
  const data = (e: Rec) => (e.data ?? {}) as Record<string, unknown>;
  const isTurn = (e: Rec) => ['turn.completed', 'turn.failed', 'turn.cancelled'].includes(e.type as string);
  const tools = w.events.filter((e) => e.type === 'tool.completed');
  const turns = w.events.filter(isTurn);
  const countBy = (xs: Rec[], key: (e: Rec) => string) => xs.reduce((m, e) => m.set(key(e), (m.get(key(e)) ?? 0) + 1), new Map<string, number>());
  const toolsPerTurn = countBy(tools.filter((e) => e.turn_id), (e) => `${e.session_id} ${e.turn_id}`);
  const toolsPerSession = countBy(tools, (e) => String(e.session_id));
  const turnsPerSession = countBy(turns, (e) => String(e.session_id));

  const out: Record<FactTable, Map<string, Row>> = {
    fact_llm_generation: new Map(), fact_tool_call: new Map(), fact_turn: new Map(), fact_session: new Map(), fact_budget_posting: new Map(), fact_capability_usage: new Map(),
  };
  for (const g of w.llm_generations) {
    out.fact_llm_generation.set(`llm_generation:${g.id}`, {
      turn_id: id(g.turn_id), session_id: id(g.session_id), ...attribution(g.session_id),
      model: s(g.model), provider: s(g.provider), finish_reason: s(g.finish_reason),
      input_tokens: n(g.input_tokens), output_tokens: n(g.output_tokens), cache_read_tokens: n(g.cache_read_tokens), cache_creation_tokens: n(g.cache_creation_tokens),
      total_tokens: (g.input_tokens as number) + (g.output_tokens as number) + ((g.cache_read_tokens as number) ?? 0) + ((g.cache_creation_tokens as number) ?? 0),
      duration_ms: n(g.duration_ms), time_to_first_token_ms: n(g.time_to_first_token_ms), is_error: g.error === true, created_at: ms(g.created_at),
    });
  }
  for (const e of tools) {
    const d = data(e);
    out.fact_tool_call.set(`event:${e.id}`, {
      turn_id: id(e.turn_id), session_id: id(e.session_id), ...attribution(e.session_id),
      tool: s(d.tool_name), tool_display_name: s(d.tool_display_name), capability: s(d.capability_id), status: s(d.status), duration_ms: n(d.duration_ms), created_at: ms(e.created_at),
    });
  }
  for (const e of turns) {
    const d = data(e);
    // SQL `data->'x' IS NULL` holds only for an absent key: an explicit JSON null still makes a total.
    const total = d.input_tokens === undefined && d.output_tokens === undefined ? null : ((d.input_tokens as number) ?? 0) + ((d.output_tokens as number) ?? 0);
    out.fact_turn.set(`event:${e.id}`, {
      turn_id: id(e.turn_id), session_id: id(e.session_id), ...attribution(e.session_id),
      status: (e.type as string).slice(5), duration_ms: n(d.duration_ms), iterations: n(d.iterations),
      tool_call_count: e.turn_id ? toolsPerTurn.get(`${e.session_id} ${e.turn_id}`) ?? 0 : 0,
      input_tokens: n(d.input_tokens), output_tokens: n(d.output_tokens), total_tokens: total, created_at: ms(e.created_at),
    });
  }
  for (const e of w.events.filter((x) => x.type === 'capability.usage')) {
    const d = data(e);
    out.fact_capability_usage.set(`event:${e.id}`, {
      turn_id: id(e.turn_id), session_id: id(e.session_id), ...attribution(e.session_id),
      capability: s(d.capability_id), capability_name: s(d.capability_name), kind: s(d.kind), tool: s(d.tool_name), duration_ms: n(d.duration_ms), created_at: ms(e.created_at),
    });
  }
  for (const x of w.sessions) {
    const started = x.started_at ? ms(x.started_at) : null;
    const finished = x.finished_at ? ms(x.finished_at) : null;
    out.fact_session.set(`session:${x.id}`, {
      session_id: id(x.id), ...attribution(x.id), status: s(x.status),
      duration_ms: started !== null && finished !== null ? finished - started : null,
      turn_count: turnsPerSession.get(x.id) ?? 0,
      tool_call_count: toolsPerSession.get(x.id) ?? 0,
      input_tokens: n(x.input_tokens), output_tokens: n(x.output_tokens),
      total_tokens: n(x.input_tokens) === null && n(x.output_tokens) === null ? n(x.total_tokens) : ((x.input_tokens as number) ?? 0) + ((x.output_tokens as number) ?? 0),
      created_at: ms(x.created_at),
    });
  }
  for (const l of w.usage_ledger) {
    out.fact_budget_posting.set(`usage_ledger:${l.id}`, {
      session_id: id(l.session_id), ...attribution(l.session_id), budget_id: id(l.budget_id), subject_type: s(l.subject_type), subject_id: s(l.subject_id),
      currency: s(l.currency), meter_source: s(l.meter_source), ref_type: s(l.ref_type), amount: l.amount as number, created_at: ms(l.created_at),
    });
  }
  return out;
}

/** Differences between stored and expected facts of one table (empty when they are equal), at most `max` of them. */
export function factDiff(table: FactTable, stored: Map<string, Row>, expected: Map<string, Row>, max = 5): string[] {
  const out: string[] = [];
  for (const [key, want] of expected) {
    const got = stored.get(key);
    if (!got) out.push(`${table} ${key}: missing`);
    else {
      const cols = FACT_COLUMNS[table].filter((c) => got[c] !== want[c]);
      if (cols.length > 0) out.push(`${table} ${key}: ${cols.map((c) => `${c} stored ${JSON.stringify(got[c])} expected ${JSON.stringify(want[c])}`).join(', ')}`);
    }
    if (out.length >= max) return out;
  }
  for (const key of stored.keys()) {
    if (!expected.has(key)) out.push(`${table} ${key}: not expected`);
    if (out.length >= max) return out;
  }
  return out;
}

/** Every fact table of one org against the oracle; an empty list means exact agreement. */
export async function compareFacts(pool: pg.Pool, orgId: string, finalRecords: Workload): Promise<{ diffs: string[]; counts: Record<FactTable, number> }> {
  const expected = expectedFacts(finalRecords);
  const diffs: string[] = [];
  const counts = {} as Record<FactTable, number>;
  for (const table of Object.keys(expected) as FactTable[]) {
    const stored = await storedFacts(pool, orgId, table);
    counts[table] = stored.size;
    diffs.push(...factDiff(table, stored, expected[table]));
  }
  return { diffs, counts };
}

/** Oracle totals of llm_generations by model and of budget_postings by currency (amounts in cents). */
export function expectedTotals(w: Workload) {
  const byModel: Record<string, { generation_count: number; input_tokens: number; output_tokens: number }> = {};
  for (const g of w.llm_generations) {
    const m = (byModel[g.model as string] ??= { generation_count: 0, input_tokens: 0, output_tokens: 0 });
    m.generation_count += 1;
    m.input_tokens += g.input_tokens as number;
    m.output_tokens += g.output_tokens as number;
  }
  const centsByCurrency: Record<string, number> = {};
  for (const l of w.usage_ledger) centsByCurrency[l.currency as string] = (centsByCurrency[l.currency as string] ?? 0) + Math.round((l.amount as number) * 100);
  return { byModel, centsByCurrency };
}
