import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import {
  CallToolRequestSchema, GetPromptRequestSchema, ListPromptsRequestSchema, ListResourcesRequestSchema, ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema, McpError, ReadResourceRequestSchema, type CallToolResult, type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { Injectable } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminService } from '../admin/admin.service.js';
import { AppRunsService } from '../apps/app-runs.service.js';
import { PERMISSION_KEY } from '../auth/auth.decorators.js';
import { ROLE_PERMISSIONS, type Caller, type Permission } from '../auth/permissions.js';
import { ProblemException, type ProblemBody } from '../common/problem-details/problem.js';
import type { ProblemFilter } from '../common/problem-details/problem.filter.js';
import { ProblemValidationPipe } from '../common/problem-details/validation.pipe.js';
import { CatalogService } from '../reporting/catalog/catalog.service.js';
import { ExportService } from '../reporting/export/export.service.js';
import { ReportQueryService } from '../reporting/query/report-query.service.js';
import { SavedReportsService } from '../reporting/saved-reports/saved-reports.service.js';
import { MCP_PROMPTS } from './mcp-prompts.js';
import { MCP_TOOLS, type McpToolRow, type ToolServices } from './mcp-tools.js';
import { toolOperation, type OpenApiDocument, type ToolOperation } from './openapi-tool-schema.js';
import { argumentPointer, routeInstance, splitArguments } from './tool-arguments.js';

interface ResolvedTool {
  row: McpToolRow;
  op: ToolOperation;
  permission: Permission;
  definition: Tool;
}

/** MCP's "resource not found" (not in the SDK's ErrorCode enum). */
const RESOURCE_NOT_FOUND = -32002;
const SAVED_URI = /^factline:\/\/saved\/([^/?#]+)$/;
// swagger's metadata key for @ApiOperation (DECORATORS.API_OPERATION, not exported on a public path).
const API_OPERATION = 'swagger/apiOperation';
const TRANSPORT_HEADERS = ['accept', 'content-type', 'mcp-protocol-version', 'mcp-session-id', 'last-event-id'];
const TRANSPORT_CODES: Record<number, ProblemException['code']> = {
  403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed', 406: 'not_acceptable', 409: 'conflict', 413: 'payload_too_large', 415: 'unsupported_media_type',
};

const INSTRUCTIONS =
  'Factline answers questions about what the agents of your org did: LLM generations, tool calls, turns, sessions, budget postings ' +
  'and app runs — counts, tokens, durations, errors, amounts — grouped by model, agent, tool, user, time and more. ' +
  'Start with get_report_catalog to learn the datasets, dimensions and measures, then run_report_query. ' +
  'Every failed call returns RFC 9457 problem details (code, detail, errors[] with a JSON pointer into your arguments and the allowed values): ' +
  'correct the arguments and call again. Saved reports are also resources at factline://saved/{report_id}.';

function describeTool(row: McpToolRow, op: ToolOperation): string {
  const example = op.example ? ` Example arguments: ${JSON.stringify(op.example)}` : '';
  return `${row.guide}${example}`;
}

/**
 * The MCP endpoint (SPEC §12), stateless: each POST gets its own server and transport, bound to
 * the caller, so nothing about a caller outlives its request. Tools are thin adapters over the
 * services the HTTP controllers call; their schemas are read from the OpenAPI document.
 */
@Injectable()
export class McpService {
  private tools: ResolvedTool[] = [];
  private problems?: ProblemFilter;
  private version = '1';
  private readonly pipe = new ProblemValidationPipe();
  // A Server builds a fresh Ajv (formats and all) unless given one: most of a small call's cost. One serves every request.
  private readonly schemaValidator = new AjvJsonSchemaValidator();
  private readonly services: ToolServices;

  constructor(
    catalog: CatalogService,
    reports: ReportQueryService,
    exports: ExportService,
    saved: SavedReportsService,
    appRuns: AppRunsService,
    admin: AdminService,
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {
    const pipe = this.pipe;
    this.services = {
      catalog, reports, exports, saved, appRuns, admin,
      validateQuery: async <T extends object>(dto: new () => T, query: Record<string, string>) =>
        (await pipe.transform(query, { type: 'query', metatype: dto })) as T,
    };
  }

  /**
   * Reads every tool's schemas from the OpenAPI document the service serves, and its permission
   * from the route's own metadata; called by configureApp once the document exists. A tool whose
   * route is missing fails the boot.
   */
  attach(document: OpenApiDocument & { info?: { version?: string } }, problems: ProblemFilter): void {
    const permissions = this.routePermissions();
    this.problems = problems;
    this.version = document.info?.version ?? this.version;
    this.tools = MCP_TOOLS.map((row) => {
      const op = toolOperation(document, row.operationId);
      const permission = permissions.get(row.operationId);
      if (!permission) throw new Error(`MCP tool ${row.operationId}: its route declares no permission`);
      const definition: Tool = {
        name: row.operationId,
        ...(op.summary ? { title: op.summary } : {}),
        description: describeTool(row, op),
        inputSchema: op.inputSchema,
        ...(op.outputSchema ? { outputSchema: op.outputSchema } : {}),
        annotations: { readOnlyHint: row.readOnly, destructiveHint: false, idempotentHint: row.readOnly, openWorldHint: false },
      };
      return { row, op, permission, definition };
    });
  }

  /** One MCP POST: the SDK's transport answers it as JSON; its protocol-level refusals become problems. */
  async handle(caller: Caller, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const server = this.server(caller, request.id);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    try {
      await server.connect(transport);
      const headers = new Headers();
      for (const name of TRANSPORT_HEADERS) {
        const value = request.headers[name];
        if (typeof value === 'string') headers.set(name, value);
      }
      // Only what the transport reads is passed on: the API key stays out of the SDK's request info.
      const web = new Request('http://factline.local/mcp', { method: 'POST', headers });
      const response = await transport.handleRequest(web, { parsedBody: request.body });
      // Bytes, not text: the JSON is already UTF-8 and goes to the socket as it is.
      const bytes = response.body === null ? undefined : Buffer.from(await response.arrayBuffer());
      if (response.status >= 400) throw this.transportProblem(response.status, bytes?.toString('utf8'));
      reply.status(response.status);
      const type = response.headers.get('content-type');
      if (type) reply.type(type);
      reply.send(bytes);
    } finally {
      await server.close();
    }
  }

  private transportProblem(status: number, text: string | undefined): ProblemException {
    let message = 'The MCP transport refused the request.';
    try {
      const parsed = JSON.parse(text ?? '') as { error?: { message?: unknown } };
      if (typeof parsed.error?.message === 'string') message = parsed.error.message;
    } catch {
      // Not JSON-RPC: keep the generic message.
    }
    const code = TRANSPORT_CODES[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
    return new ProblemException(code, `MCP: ${message}`);
  }

  private server(caller: Caller, requestId: string): Server {
    const granted = ROLE_PERMISSIONS[caller.role];
    const canView = granted.includes('reports:view');
    // The low-level Server: tool schemas here are JSON Schema from OpenAPI, and arguments are
    // validated by the routes' own validation (McpServer would want zod and validate on its own).
    const server = new Server(
      { name: 'factline', title: 'Factline reporting', version: this.version },
      { capabilities: { tools: {}, resources: {}, prompts: {} }, instructions: INSTRUCTIONS, jsonSchemaValidator: this.schemaValidator },
    );
    const visible = this.tools.filter((t) => granted.includes(t.permission));
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: visible.map((t) => t.definition) }));
    server.setRequestHandler(CallToolRequestSchema, (req) => this.callTool(caller, requestId, req.params.name, req.params.arguments ?? {}));

    server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
      resourceTemplates: canView
        ? [{ uriTemplate: 'factline://saved/{report_id}', name: 'saved_report', title: 'Saved report', description: 'A saved report: its name, description and stored query (JSON).', mimeType: 'application/json' }]
        : [],
    }));
    server.setRequestHandler(ListResourcesRequestSchema, async (req) => {
      if (!canView) return { resources: [] };
      const page = await this.resourceCall(requestId, 'resources/list', () => this.services.saved.list(caller.orgId, { limit: 100, cursor: req.params?.cursor }));
      return {
        resources: page.data.map((r) => ({
          uri: `factline://saved/${r.id}`, name: r.name, mimeType: 'application/json', ...(r.description ? { description: r.description } : {}),
        })),
        ...(page.next_cursor ? { nextCursor: page.next_cursor } : {}),
      };
    });
    server.setRequestHandler(ReadResourceRequestSchema, async (req) => {
      const m = SAVED_URI.exec(req.params.uri);
      if (!m || !canView) throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${req.params.uri}`);
      const report = await this.resourceCall(requestId, 'resources/read', () => this.services.saved.get(caller.orgId, decodeURIComponent(m[1])));
      return { contents: [{ uri: req.params.uri, mimeType: 'application/json', text: JSON.stringify(report) }] };
    });

    server.setRequestHandler(ListPromptsRequestSchema, () => ({
      prompts: canView ? MCP_PROMPTS.map(({ name, title, description, arguments: args }) => ({ name, title, description, arguments: args })) : [],
    }));
    server.setRequestHandler(GetPromptRequestSchema, (req) => {
      const prompt = canView ? MCP_PROMPTS.find((p) => p.name === req.params.name) : undefined;
      if (!prompt) throw new McpError(-32602, `Unknown prompt: ${req.params.name}`);
      let text: string;
      try {
        text = prompt.text(req.params.arguments ?? {}, new Date());
      } catch (e) {
        throw new McpError(-32602, e instanceof ProblemException ? (e.detail ?? e.message) : 'Invalid prompt arguments');
      }
      return { description: prompt.description, messages: [{ role: 'user', content: { type: 'text', text } }] };
    });
    return server;
  }

  /** A tool call: the route's 200 body as structuredContent and JSON text, or its problem as an isError result. */
  private async callTool(caller: Caller, requestId: string, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    const tool = this.tools.find((t) => t.row.operationId === name);
    if (!tool) throw new McpError(-32602, `Unknown tool: ${name}. tools/list names the tools this key may call.`);
    let path: Record<string, string> = {};
    try {
      if (!ROLE_PERMISSIONS[caller.role].includes(tool.permission)) {
        throw new ProblemException('forbidden', `This tool needs the ${tool.permission} permission, which the ${caller.role} role does not grant.`);
      }
      const split = splitArguments(tool.op, args);
      path = split.path;
      const result = await tool.row.call(this.services, { orgId: caller.orgId, ...split });
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result as Record<string, unknown> };
    } catch (e) {
      const problem = this.problem(e, requestId, tool.op, routeInstance(tool.op, path));
      // Text only: structuredContent is reserved for the output schema's shape.
      return { isError: true, content: [{ type: 'text', text: JSON.stringify(problem) }] };
    }
  }

  private problem(e: unknown, requestId: string, op: ToolOperation | undefined, instance: string): ProblemBody {
    const { body } = this.problems!.describe(e, { requestId, method: 'POST', path: '/mcp', routed: true, instance, tool: op?.operationId });
    if (!op || !body.errors) return body;
    return { ...body, errors: body.errors.map((err) => ({ ...err, pointer: argumentPointer(op, err.pointer) })) };
  }

  /** Resource handlers fail as JSON-RPC errors (MCP has no isError for them), carrying the problem as data. */
  private async resourceCall<T>(requestId: string, what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      const problem = this.problem(e, requestId, undefined, what);
      const code = problem.status === 404 || problem.code === 'invalid_report_id' ? RESOURCE_NOT_FOUND : problem.status < 500 ? -32602 : -32603;
      throw new McpError(code, `${problem.title}: ${problem.detail ?? ''}`.trim(), problem);
    }
  }

  /** operationId → the permission its route declares (@RequirePermission on the handler or its controller). */
  private routePermissions(): Map<string, Permission> {
    const out = new Map<string, Permission>();
    for (const wrapper of this.discovery.getControllers()) {
      const type = wrapper.metatype as (new (...a: never[]) => unknown) | undefined;
      if (!type?.prototype) continue;
      for (const key of Object.getOwnPropertyNames(type.prototype)) {
        const handler = (type.prototype as Record<string, unknown>)[key];
        if (typeof handler !== 'function' || key === 'constructor') continue;
        const operation = Reflect.getMetadata(API_OPERATION, handler) as { operationId?: string } | undefined;
        const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, [handler, type]);
        if (operation?.operationId && permission) out.set(operation.operationId, permission);
      }
    }
    return out;
  }
}
