import type { OpenApiDocument } from './openapi-tool-schema.js';

/**
 * Which operations of the OpenAPI document are MCP tools (SPEC §12), by rule rather than by list,
 * so a route added later needs no MCP code:
 * - every authenticated GET is a read-only tool (list_api_keys, the alert and delivery lists, and
 *   Cost's list_prices appeared on their own);
 * - a POST is a tool only when it is named here: the POSTs that only read (their request is a
 *   query, too structured for a URL), and the one write SPEC §12 gives agents, saving a report;
 * - nothing else: no ingest, no key creation or revocation (issue 13: keys are managed by people),
 *   no deletes or updates, no operator actions, no alert or destination changes; no public route.
 * Every tool runs its route (mcp.service.ts), so it needs no code of its own either.
 */
export const READ_ONLY_POSTS: readonly string[] = ['run_report_query', 'export_query', 'run_saved_report', 'export_saved_report'];
export const WRITE_TOOLS: readonly string[] = ['create_saved_report'];

export interface ToolChoice {
  operationId: string;
  readOnly: boolean;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** The document's operations that are tools, in document order. */
export function chooseTools(doc: OpenApiDocument): ToolChoice[] {
  const out: ToolChoice[] = [];
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op?.operationId || !op.security?.length) continue;
      if (method === 'get' || READ_ONLY_POSTS.includes(op.operationId)) out.push({ operationId: op.operationId, readOnly: true });
      else if (WRITE_TOOLS.includes(op.operationId)) out.push({ operationId: op.operationId, readOnly: false });
    }
  }
  return out;
}

const DISCOVER = 'Call get_report_catalog first: it lists every dataset with its dimensions, measures, filter fields (with their ops) and limits; use only names from it.';
const CORRECT = 'An invalid query returns the problem with errors[] (a JSON pointer per wrong argument and the allowed names): fix them and call again.';

/**
 * Words for a model on the tools it needs most, put before the route's own OpenAPI summary and
 * description (which every tool gets, with an example call from the document's examples).
 */
export const TOOL_GUIDES: Record<string, string> = {
  get_report_catalog:
    'Lists what can be asked: datasets (llm_generations, tool_calls, turns, sessions, budget_postings, …) with their dimensions, measures ' +
    '(aggregation, unit), filter fields and ops, time buckets and limits. Call it before building any query.',
  run_report_query:
    'Answers an analytical question about agent activity in your org: counts, tokens, durations, error rates, budget amounts — ' +
    'grouped by dimensions (model, agent, tool, status, user, …) and time buckets (hour, day, week, month) over a time_range: ' +
    'absolute {from, to} (RFC 3339, to exclusive, at most 400 days), {"last": "7d"} (m|h|d|w, ending now) or {"calendar": "last_week"} ' +
    '(today, yesterday, this_/last_ week, month, year; in the query timezone, weeks from Monday). The result echoes the absolute ' +
    'time_range used. With one time bucket, fill: "zero" returns every bucket of the range (empty ones as 0) for a chart with no gaps. ' +
    'compare: "previous_period" | "previous_year" adds m_previous and m_change per measure (growth vs the period before); cumulative: ["m"] ' +
    'adds running totals of sums/counts; top: {dimension, n, by, other: true} keeps the n largest values and merges the rest into "(other)". ' +
    `${DISCOVER} ${CORRECT}`,
  export_query: `Runs a report query like run_report_query and returns its result as CSV text (up to 50,000 rows), for a file or a spreadsheet. ${DISCOVER}`,
  list_saved_reports: 'Lists the saved reports of your org, newest first (id, name, description, stored query); page with `cursor` = next_cursor. Run one with run_saved_report.',
  get_saved_report: 'Returns one saved report of your org by id (from list_saved_reports): its name, description and stored query.',
  run_saved_report:
    'Runs a saved report by id (from list_saved_reports) and returns its rows, as run_report_query does; relative ranges such as {"last": "7d"} or {"calendar": "last_week"} resolve against now.',
  create_saved_report:
    'Saves a report query under a name so it can be run again later (also by people, in the API and the explorer). The query is ' +
    `validated now; its time_range may be relative ({"last": "7d"}, {"calendar": "this_month"}), resolved on every run. ${DISCOVER}`,
  list_app_runs:
    'Lists recent invocation runs of one app (status ok | err | running, channel, start and end times), newest first, within a window ' +
    'ending now (e.g. "24h", "7d", at most "30d"); with group_by "hour" also an hourly histogram of the whole window.',
  get_reporting_diagnostics:
    'Operator view: how fresh each dataset is (as_of, lag), outbox counts by status, the oldest pending change and the latest projection ' +
    'failures. Use it when results look stale or incomplete.',
};
