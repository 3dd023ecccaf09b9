import type { FieldError } from '#src/common/problem-details/problem.js';
import { CAPABILITY_USAGE_EVENT_TYPE, PROJECTED_EVENT_TYPES, TOOL_CALL_EVENT_TYPE } from '#src/pipeline/pipeline.vocabulary.js';

export const TOOL_STATUSES = ['success', 'error', 'timeout', 'cancelled'];
/** SPEC §11: what happened to a capability. */
export const CAPABILITY_USAGE_KINDS = ['configured', 'resolved', 'exposed', 'invoked', 'effect_ran'];
const TOOL_CALL_COUNTS = ['duration_ms'];
const TURN_COUNTS = ['duration_ms', 'iterations', 'input_tokens', 'output_tokens'];
const COUNT_FIELDS_BY_TYPE = new Map<string, string[]>(PROJECTED_EVENT_TYPES.map((t) => [t, t === TOOL_CALL_EVENT_TYPE || t === CAPABILITY_USAGE_EVENT_TYPE ? TOOL_CALL_COUNTS : TURN_COUNTS]));

/** An optional string field: absent, null, or a string of at most 200 characters. */
function optionalStrings(d: Record<string, unknown>, fields: string[], pointer: string, errors: FieldError[]): void {
  for (const f of fields) {
    if (d[f] !== undefined && d[f] !== null && (typeof d[f] !== 'string' || (d[f] as string).length > 200)) errors.push({ pointer: `${pointer}/${f}`, message: `${f} must be a string of at most 200 characters` });
  }
}

/**
 * The `data` of event types that feed facts (SPEC §4, §11) is checked at ingest, so a batch with
 * a malformed tool call is a 400 naming the field instead of a row that can never be projected.
 */
export function checkEventData(type: string, data: Record<string, unknown> | null | undefined, pointer: string): FieldError[] {
  const counts = COUNT_FIELDS_BY_TYPE.get(type);
  if (!counts) return [];
  const d = data ?? {};
  const errors: FieldError[] = [];
  if (type === TOOL_CALL_EVENT_TYPE) {
    if (typeof d.tool_name !== 'string' || d.tool_name.length < 1 || d.tool_name.length > 200) errors.push({ pointer: `${pointer}/tool_name`, message: 'tool.completed needs data.tool_name (a string of 1 to 200 characters)' });
    if (!TOOL_STATUSES.includes(d.status as string)) errors.push({ pointer: `${pointer}/status`, message: 'tool.completed needs data.status', allowed: TOOL_STATUSES });
    optionalStrings(d, ['tool_display_name', 'capability_id'], pointer, errors);
  }
  if (type === CAPABILITY_USAGE_EVENT_TYPE) {
    // A free string, as tool.completed's capability_id (the tool_calls dimension `capability`), so the two datasets group alike.
    if (typeof d.capability_id !== 'string' || d.capability_id.length < 1 || d.capability_id.length > 200) errors.push({ pointer: `${pointer}/capability_id`, message: 'capability.usage needs data.capability_id (a string of 1 to 200 characters)' });
    if (!CAPABILITY_USAGE_KINDS.includes(d.kind as string)) errors.push({ pointer: `${pointer}/kind`, message: 'capability.usage needs data.kind', allowed: CAPABILITY_USAGE_KINDS });
    optionalStrings(d, ['capability_name', 'tool_name'], pointer, errors);
  }
  for (const f of counts) {
    const v = d[f];
    if (v !== undefined && v !== null && !(Number.isSafeInteger(v) && (v as number) >= 0)) errors.push({ pointer: `${pointer}/${f}`, message: `${f} must be a non-negative integer` });
  }
  return errors;
}
