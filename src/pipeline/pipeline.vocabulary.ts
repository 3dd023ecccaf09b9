import { type IdPrefix, publicIdSql } from '#src/common/ids/public-id.js';

/**
 * The pipeline's vocabulary (SPEC §4, §5): what ingest enqueues, what the projector projects, what
 * backfill calls stale and what reporting waits for must agree character for character — a source
 * key or a staleness formula that differs by one term makes backfill re-enqueue a row forever, or
 * never. So every one of those SQL fragments is derived from the table below, and nothing above
 * this folder spells a source type, an event type or the outbox channel itself. Imports nothing
 * but the id codec: ingest, projector, reporting and admin all sit above it.
 *
 * Values here are code constants, so inlining them into SQL text is safe (never request input).
 */

/** Channel the projector LISTENs on; every writer of outbox rows notifies it in the same transaction. */
export const OUTBOX_CHANNEL = 'factline_outbox';

export const TOOL_CALL_EVENT_TYPE = 'tool.completed';
export const TURN_EVENT_TYPES = ['turn.completed', 'turn.failed', 'turn.cancelled'] as const;
/** SPEC §11: capability usage (dataset capability_usage). */
export const CAPABILITY_USAGE_EVENT_TYPE = 'capability.usage';
/**
 * The event types a session's turn and tool-call counts come from (SPEC §4): only these re-project
 * their session, and only their update times make a session fact stale. Capability usage feeds
 * its own facts and no session number, so it stays out.
 */
export const SESSION_COUNTED_EVENT_TYPES = [TOOL_CALL_EVENT_TYPE, ...TURN_EVENT_TYPES] as const;
/** Event types that feed facts; every other type is stored and never projected (SPEC §4). */
export const PROJECTED_EVENT_TYPES = [...SESSION_COUNTED_EVENT_TYPES, CAPABILITY_USAGE_EVENT_TYPE] as const;

/** `('a', 'b')`: an SQL list of code constants. */
export const sqlList = (values: readonly string[]) => `(${values.map((v) => `'${v}'`).join(', ')})`;
export const PROJECTED_EVENT_TYPES_SQL = sqlList(PROJECTED_EVENT_TYPES);
export const TURN_EVENT_TYPES_SQL = sqlList(TURN_EVENT_TYPES);
export const SESSION_COUNTED_EVENT_TYPES_SQL = sqlList(SESSION_COUNTED_EVENT_TYPES);

/** Outbox source types, in the order backfill walks them (SPEC §5) and the projector projects them. */
export const SOURCE_TYPES = ['event', 'session', 'llm_generation', 'usage_ledger'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/**
 * SPEC §10 re-pricing: an outbox row of this type carries a set-based unit of work — one
 * `reporting_reprices` row (an org and the prices that changed) — rather than a source. The
 * projector carries it out in bounded steps (src/projector/projections/reprice.projection.ts);
 * while it is open, the datasets whose facts it rewrites count it in their freshness.
 */
export const REPRICE_WORK = { type: 'reprice', factTables: ['fact_llm_generation', 'fact_turn', 'fact_session'] } as const;
/** Every type an outbox row can have: a source, or re-pricing work. */
export const OUTBOX_TYPES = [...SOURCE_TYPES, REPRICE_WORK.type] as const;
export type OutboxType = (typeof OUTBOX_TYPES)[number];

/** A source type as an SQL literal (checked against the vocabulary by the compiler). */
export const sourceTypeSql = (type: SourceType) => `'${type}'`;

/**
 * The update times a fact's `source_updated_at` is the greatest of: the source row's own, its
 * session's, the newest of its turn's tool calls (a turn's tool-call count), the newest of the
 * session's counted events (SESSION_COUNTED_EVENT_TYPES: a session's turn and tool-call counts). The projection records
 * that greatest; backfill calls a fact stale when the same greatest is newer.
 */
export type SourceTime = 'row' | 'session' | 'turn_tool_calls' | 'session_events';

export interface FactTarget {
  table: string;
  /** The event types that feed this table (events only). */
  eventTypes?: readonly string[];
  staleness: readonly SourceTime[];
}

export interface SourceDef {
  type: SourceType;
  /** Canonical table. */
  table: string;
  idPrefix: IdPrefix;
  /** Rows of the canonical table that feed facts (events: the projected types); all when absent. */
  eventTypes?: readonly string[];
  facts: readonly FactTarget[];
}

export const SOURCES: Record<SourceType, SourceDef> = {
  event: {
    type: 'event', table: 'events', idPrefix: 'event', eventTypes: PROJECTED_EVENT_TYPES,
    facts: [
      { table: 'fact_tool_call', eventTypes: [TOOL_CALL_EVENT_TYPE], staleness: ['row', 'session'] },
      { table: 'fact_turn', eventTypes: TURN_EVENT_TYPES, staleness: ['row', 'session', 'turn_tool_calls'] },
      { table: 'fact_capability_usage', eventTypes: [CAPABILITY_USAGE_EVENT_TYPE], staleness: ['row', 'session'] },
    ],
  },
  session: { type: 'session', table: 'sessions', idPrefix: 'session', facts: [{ table: 'fact_session', staleness: ['row', 'session_events'] }] },
  llm_generation: { type: 'llm_generation', table: 'llm_generations', idPrefix: 'gen', facts: [{ table: 'fact_llm_generation', staleness: ['row', 'session'] }] },
  usage_ledger: { type: 'usage_ledger', table: 'usage_ledger', idPrefix: 'ledger', facts: [{ table: 'fact_budget_posting', staleness: ['row', 'session'] }] },
};

/** SPEC §5 source key of a source row: `<source type>:<public id>`, from the row's uuid column. */
export const sourceKeySql = (type: SourceType, idColumn: string) => `'${type}:' || ${publicIdSql(SOURCES[type].idPrefix, idColumn)}`;

/** The one fact target of a source that feeds one table. */
export function onlyFact(type: SourceType): FactTarget {
  const facts = SOURCES[type].facts;
  if (facts.length !== 1) throw new Error(`source type ${type} feeds ${facts.length} fact tables`);
  return facts[0];
}

/** The fact target of a source type fed by one event type. */
export function factOfEventType(eventType: string): FactTarget {
  const target = SOURCES.event.facts.find((f) => f.eventTypes?.includes(eventType));
  if (!target) throw new Error(`event type ${eventType} feeds no fact table`);
  return target;
}

/**
 * `greatest(…)` of the times `target` is stale against, as SQL in the caller's context: `times`
 * names an expression for each time (a column of a join in the projection, a scalar subquery in
 * backfill). Every time the target needs must be given.
 */
export function sourceUpdatedSql(target: FactTarget, times: Partial<Record<SourceTime, string>>): string {
  return `greatest(${target.staleness.map((t) => {
    const expr = times[t];
    if (expr === undefined) throw new Error(`${target.table} staleness needs the ${t} time`);
    return expr;
  }).join(', ')})`;
}
