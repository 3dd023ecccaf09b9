import type { FieldError } from '#src/common/problem-details/problem.js';
import { PROJECTED_EVENT_TYPES, TOOL_CALL_EVENT_TYPE } from '#src/pipeline/pipeline.vocabulary.js';

export const TOOL_STATUSES = ['success', 'error', 'timeout', 'cancelled'];
const TOOL_CALL_COUNTS = ['duration_ms'];
const TURN_COUNTS = ['duration_ms', 'iterations', 'input_tokens', 'output_tokens'];
const COUNT_FIELDS_BY_TYPE = new Map<string, string[]>(PROJECTED_EVENT_TYPES.map((t) => [t, t === TOOL_CALL_EVENT_TYPE ? TOOL_CALL_COUNTS : TURN_COUNTS]));

/**
 * The `data` of event types that feed facts (SPEC §4) is checked at ingest, so a batch with a
 * malformed tool call is a 400 naming the field instead of a row that can never be projected.
 */
export function checkEventData(type: string, data: Record<string, unknown> | null | undefined, pointer: string): FieldError[] {
  const counts = COUNT_FIELDS_BY_TYPE.get(type);
  if (!counts) return [];
  const d = data ?? {};
  const errors: FieldError[] = [];
  if (type === TOOL_CALL_EVENT_TYPE) {
    if (typeof d.tool_name !== 'string' || d.tool_name.length < 1 || d.tool_name.length > 200) errors.push({ pointer: `${pointer}/tool_name`, message: 'tool.completed needs data.tool_name (a string of 1 to 200 characters)' });
    if (!TOOL_STATUSES.includes(d.status as string)) errors.push({ pointer: `${pointer}/status`, message: 'tool.completed needs data.status', allowed: TOOL_STATUSES });
    for (const f of ['tool_display_name', 'capability_id']) {
      if (d[f] !== undefined && d[f] !== null && (typeof d[f] !== 'string' || (d[f] as string).length > 200)) errors.push({ pointer: `${pointer}/${f}`, message: `${f} must be a string of at most 200 characters` });
    }
  }
  for (const f of counts) {
    const v = d[f];
    if (v !== undefined && v !== null && !(Number.isSafeInteger(v) && (v as number) >= 0)) errors.push({ pointer: `${pointer}/${f}`, message: `${f} must be a non-negative integer` });
  }
  return errors;
}
