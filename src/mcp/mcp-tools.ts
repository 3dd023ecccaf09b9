import { AdminService } from '../admin/admin.service.js';
import { ListAppRunsQueryDto } from '../apps/app-runs.dto.js';
import { AppRunsService } from '../apps/app-runs.service.js';
import { CatalogService } from '../reporting/catalog/catalog.service.js';
import { ExportService, resolveExportBody } from '../reporting/export/export.service.js';
import { ReportQueryService } from '../reporting/query/report-query.service.js';
import { ListSavedReportsQuery } from '../reporting/saved-reports/saved-report.dto.js';
import { SavedReportsService } from '../reporting/saved-reports/saved-reports.service.js';

/** The services the HTTP controllers call; a tool calls the same ones, never its own copy. */
export interface ToolServices {
  catalog: CatalogService;
  reports: ReportQueryService;
  exports: ExportService;
  saved: SavedReportsService;
  appRuns: AppRunsService;
  admin: AdminService;
  /** The global validation pipe, as the route's `@Query()` DTO runs it. */
  validateQuery<T extends object>(dto: new () => T, query: Record<string, string>): Promise<T>;
}

/** A call's arguments split back into the route's request (names from the OpenAPI operation). */
export interface ToolRequest {
  orgId: string;
  path: Record<string, string>;
  query: Record<string, string>;
  /** The body properties among the arguments; undefined when the route takes no body. */
  body: Record<string, unknown> | undefined;
}

export interface McpToolRow {
  /** The route's operationId: the tool's name, its schemas (from OpenAPI) and its permission (from the route). */
  operationId: string;
  readOnly: boolean;
  /** For a model: what the tool answers and how to find valid names. An example call is appended from OpenAPI. */
  guide: string;
  /** What the route's controller does, on the same services. */
  call(s: ToolServices, r: ToolRequest): Promise<object> | object;
}

const DISCOVER = 'Call get_report_catalog first: it lists every dataset with its dimensions, measures, filter fields (with their ops) and limits; use only names from it.';

/**
 * SPEC §12's tools. Adding one is one row here (list_prices once the Cost route exists): its
 * schemas, title and permission come from the route with that operationId.
 */
export const MCP_TOOLS: McpToolRow[] = [
  {
    operationId: 'get_report_catalog',
    readOnly: true,
    guide:
      'Lists what can be asked: datasets (llm_generations, tool_calls, turns, sessions, budget_postings) with their dimensions, measures ' +
      '(aggregation, unit), filter fields and ops, time buckets and limits. Call it before building any query.',
    call: (s) => s.catalog.catalog(),
  },
  {
    operationId: 'run_report_query',
    readOnly: true,
    guide:
      'Answers an analytical question about agent activity in your org: counts, tokens, durations, error rates, budget amounts — ' +
      'grouped by dimensions (model, agent, tool, status, user, …) and time buckets (hour, day, week, month) over an absolute ' +
      `time_range {from, to} (RFC 3339, to exclusive, at most 400 days). ${DISCOVER} ` +
      'An invalid query returns the problem with errors[] (a JSON pointer per wrong field and the allowed names): fix them and call again.',
    call: (s, r) => s.reports.run(r.orgId, s.reports.resolve(r.body)),
  },
  {
    operationId: 'export_query',
    readOnly: true,
    guide:
      'Runs a report query like run_report_query and returns its result as CSV text (up to 50,000 rows) in `content`, for a file or a spreadsheet. ' +
      DISCOVER,
    call: (s, r) => s.exports.envelope(r.orgId, resolveExportBody(s.reports, r.body, false), 'report.csv'),
  },
  {
    operationId: 'list_saved_reports',
    readOnly: true,
    guide:
      'Lists the saved reports of your org, newest first (id, name, description, stored query); page with `cursor` = next_cursor. ' +
      'Run one with run_saved_report.',
    call: async (s, r) => s.saved.list(r.orgId, await s.validateQuery(ListSavedReportsQuery, r.query)),
  },
  {
    operationId: 'get_saved_report',
    readOnly: true,
    guide: 'Returns one saved report of your org by id (from list_saved_reports): its name, description and stored query.',
    call: (s, r) => s.saved.get(r.orgId, r.path.report_id),
  },
  {
    operationId: 'run_saved_report',
    readOnly: true,
    guide:
      'Runs a saved report by id (from list_saved_reports) and returns its rows, as run_report_query does; relative ranges such as ' +
      '{"last": "7d"} resolve against now.',
    call: (s, r) => s.saved.run(r.orgId, r.path.report_id),
  },
  {
    operationId: 'create_saved_report',
    readOnly: false,
    guide:
      'Saves a report query under a name so it can be run again later (also by people, in the API and the explorer). The query is ' +
      `validated now; its time_range may be relative: {"last": "7d"} (m|h|d|w). ${DISCOVER}`,
    call: (s, r) => s.saved.create(r.orgId, r.body),
  },
  {
    operationId: 'list_app_runs',
    readOnly: true,
    guide:
      'Lists recent invocation runs of one app (status ok | err | running, channel, start and end times), newest first, within a window ' +
      'ending now (e.g. "24h", "7d", at most "30d"); with group_by "hour" also an hourly histogram of the whole window.',
    call: async (s, r) => s.appRuns.list(r.orgId, r.path.app_id, await s.validateQuery(ListAppRunsQueryDto, r.query)),
  },
  {
    operationId: 'get_reporting_diagnostics',
    readOnly: true,
    guide:
      'Operator view: how fresh each dataset is (as_of, lag), outbox counts by status, the oldest pending change and the latest ' +
      'projection failures. Use it when results look stale or incomplete.',
    call: (s, r) => s.admin.diagnostics(r.orgId),
  },
];
