import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { Injectable } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PERMISSION_KEY } from '#src/auth/auth.decorators.js';
import { INTERNAL_CALL_HEADER, InternalCalls } from '#src/auth/internal-calls.js';
import { ROLE_PERMISSIONS, type Caller, type Permission } from '#src/auth/permissions.js';
import { ProblemException, type ProblemBody } from '#src/common/problem-details/problem.js';
import type { ProblemFilter } from '#src/common/problem-details/problem.filter.js';
import { MCP_PROMPTS } from './mcp-prompts.js';
import { chooseTools, TOOL_GUIDES } from './mcp-tools.js';
import { loadMcpSdk, type McpSdk } from './mcp-sdk.js';
import { toolOperation, type OpenApiDocument, type ToolOperation } from './openapi-tool-schema.js';
import { argumentPointer, routeInstance, splitArguments } from './tool-arguments.js';

interface ResolvedTool {
  op: ToolOperation;
  permission: Permission;
  definition: Tool;
}

/** A route's answer to an internal call: status and parsed body. */
interface RouteAnswer {
  status: number;
  json: unknown;
  text: string;
}

/** MCP's "resource not found" (not in the SDK's ErrorCode enum). */
const RESOURCE_NOT_FOUND = -32002;
const INVALID_PARAMS = -32602;
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

/** Every error of every route is problem+json; anything else would be a bug, still carried as a problem. */
function asProblem(answer: RouteAnswer): ProblemBody {
  if (answer.json && typeof answer.json === 'object' && !Array.isArray(answer.json)) return answer.json as ProblemBody;
  return { type: '/problems/internal_error', title: 'Internal Server Error', status: answer.status, code: 'internal_error', detail: answer.text.slice(0, 500) } as ProblemBody;
}

function describeTool(op: ToolOperation, description: string | undefined): string {
  const parts = [TOOL_GUIDES[op.operationId], op.summary ? `${op.summary.replace(/\.$/, '')}.` : undefined, description];
  const example = op.example ? `Example arguments: ${JSON.stringify(op.example)}` : undefined;
  return [...parts, example].filter((p): p is string => Boolean(p)).join(' ');
}

/**
 * The MCP endpoint (SPEC §12), stateless: each POST gets its own server and transport, bound to
 * the caller, so nothing about a caller outlives its request. A tool is an operation of the
 * OpenAPI document (mcp-tools.ts says which), its schemas are that operation's, and a call runs
 * that very route in-process (Fastify's inject) for the caller: the same validation, permission,
 * org scoping, limits and statement timeout, and the same problem details — a second
 * implementation of nothing. The SDK is loaded on the first MCP request, not at boot.
 */
@Injectable()
export class McpService {
  private tools: ResolvedTool[] = [];
  private problems?: ProblemFilter;
  private fastify?: FastifyInstance;
  private version = '1';

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    private readonly internalCalls: InternalCalls,
  ) {}

  /**
   * Reads every tool from the OpenAPI document the service serves, its permission from the
   * route's own metadata; called by configureApp once the document exists.
   */
  attach(document: OpenApiDocument & { info?: { version?: string } }, problems: ProblemFilter, fastify: FastifyInstance): void {
    const permissions = this.routePermissions();
    this.problems = problems;
    this.fastify = fastify;
    this.version = document.info?.version ?? this.version;
    this.tools = chooseTools(document).flatMap(({ operationId, readOnly }) => {
      const permission = permissions.get(operationId);
      // A route any key may call (none today) is no tool: tools/list filters by permission.
      if (!permission) return [];
      const op = toolOperation(document, operationId);
      const definition: Tool = {
        name: operationId,
        ...(op.summary ? { title: op.summary } : {}),
        description: describeTool(op, op.description),
        inputSchema: op.inputSchema,
        ...(op.outputSchema ? { outputSchema: op.outputSchema } : {}),
        annotations: { readOnlyHint: readOnly, destructiveHint: false, idempotentHint: readOnly, openWorldHint: false },
      };
      return [{ op, permission, definition }];
    });
  }

  /** One MCP POST: the SDK's transport answers it as JSON; its protocol-level refusals become problems. */
  async handle(caller: Caller, request: FastifyRequest, body: unknown, reply: FastifyReply): Promise<void> {
    // One message per request (MCP 2025-06-18 dropped batches): the request took one token of the
    // key's rate limit, and so may carry one tool call, as one HTTP request carries one query.
    if (Array.isArray(body)) throw new ProblemException('bad_request', 'MCP: send one JSON-RPC message per request; batches are not accepted.');
    const sdk = await loadMcpSdk();
    const server = this.server(sdk, caller, String(request.id));
    const transport = new sdk.WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    try {
      await server.connect(transport);
      const headers = new Headers();
      for (const name of TRANSPORT_HEADERS) {
        const value = request.headers[name];
        if (typeof value === 'string') headers.set(name, value);
      }
      // Only what the transport reads is passed on: the API key stays out of the SDK's request info.
      const web = new Request('http://factline.local/mcp', { method: 'POST', headers });
      const response = await transport.handleRequest(web, { parsedBody: body });
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

  private server(sdk: McpSdk, caller: Caller, requestId: string) {
    const { types } = sdk;
    const granted = ROLE_PERMISSIONS[caller.role];
    const canView = granted.includes('reports:view');
    // The low-level Server: tool schemas here are JSON Schema from OpenAPI, and arguments are
    // validated by the routes themselves (McpServer would want zod and validate on its own).
    const server = new sdk.Server(
      { name: 'factline', title: 'Factline reporting', version: this.version },
      { capabilities: { tools: {}, resources: {}, prompts: {} }, instructions: INSTRUCTIONS, jsonSchemaValidator: sdk.schemaValidator },
    );
    const visible = this.tools.filter((t) => granted.includes(t.permission));
    server.setRequestHandler(types.ListToolsRequestSchema, () => ({ tools: visible.map((t) => t.definition) }));
    server.setRequestHandler(types.CallToolRequestSchema, (req) => this.callTool(sdk, caller, requestId, req.params.name, req.params.arguments ?? {}));

    server.setRequestHandler(types.ListResourceTemplatesRequestSchema, () => ({
      resourceTemplates: canView
        ? [{ uriTemplate: 'factline://saved/{report_id}', name: 'saved_report', title: 'Saved report', description: 'A saved report: its name, description and stored query (JSON).', mimeType: 'application/json' }]
        : [],
    }));
    server.setRequestHandler(types.ListResourcesRequestSchema, async (req) => {
      if (!canView) return { resources: [] };
      const query = new URLSearchParams({ limit: '100', ...(req.params?.cursor ? { cursor: req.params.cursor } : {}) });
      const page = (await this.resource(sdk, caller, requestId, `/v1/reports/saved?${query}`)) as {
        data: { id: string; name: string; description: string | null }[];
        next_cursor: string | null;
      };
      return {
        resources: page.data.map((r) => ({ uri: `factline://saved/${r.id}`, name: r.name, mimeType: 'application/json', ...(r.description ? { description: r.description } : {}) })),
        ...(page.next_cursor ? { nextCursor: page.next_cursor } : {}),
      };
    });
    server.setRequestHandler(types.ReadResourceRequestSchema, async (req) => {
      const m = SAVED_URI.exec(req.params.uri);
      if (!m || !canView) throw new types.McpError(RESOURCE_NOT_FOUND, `Resource not found: ${req.params.uri}`);
      const report = await this.resource(sdk, caller, requestId, `/v1/reports/saved/${encodeURIComponent(decodeURIComponent(m[1]))}`);
      return { contents: [{ uri: req.params.uri, mimeType: 'application/json', text: JSON.stringify(report) }] };
    });

    server.setRequestHandler(types.ListPromptsRequestSchema, () => ({
      prompts: canView ? MCP_PROMPTS.map(({ name, title, description, arguments: args }) => ({ name, title, description, arguments: args })) : [],
    }));
    server.setRequestHandler(types.GetPromptRequestSchema, (req) => {
      const prompt = canView ? MCP_PROMPTS.find((p) => p.name === req.params.name) : undefined;
      if (!prompt) throw new types.McpError(INVALID_PARAMS, `Unknown prompt: ${req.params.name}`);
      let text: string;
      try {
        text = prompt.text(req.params.arguments ?? {}, new Date());
      } catch (e) {
        throw new types.McpError(INVALID_PARAMS, e instanceof ProblemException ? (e.detail ?? e.message) : 'Invalid prompt arguments');
      }
      return { description: prompt.description, messages: [{ role: 'user' as const, content: { type: 'text' as const, text } }] };
    });
    return server;
  }

  /** A tool call: the route's 2xx body as structuredContent and JSON text, or its problem as an isError result. */
  private async callTool(sdk: McpSdk, caller: Caller, requestId: string, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    const tool = this.tools.find((t) => t.op.operationId === name);
    if (!tool) throw new sdk.types.McpError(INVALID_PARAMS, `Unknown tool: ${name}. tools/list names the tools this key may call.`);
    const { op } = tool;
    let split: ReturnType<typeof splitArguments>;
    try {
      split = splitArguments(op, args);
    } catch (e) {
      return this.errorResult(this.describe(e, requestId, op, routeInstance(op, {})));
    }
    const query = new URLSearchParams(split.query).toString();
    const answer = await this.route(caller, requestId, op.method, `${routeInstance(op, split.path)}${query ? `?${query}` : ''}`, split.body);
    if (answer.status >= 400) {
      const problem = asProblem(answer);
      return this.errorResult(problem.errors ? { ...problem, errors: problem.errors.map((err) => ({ ...err, pointer: argumentPointer(op, err.pointer) })) } : problem);
    }
    const structured = answer.json !== undefined && typeof answer.json === 'object' && answer.json !== null && !Array.isArray(answer.json);
    return { content: [{ type: 'text', text: answer.text }], ...(structured ? { structuredContent: answer.json as Record<string, unknown> } : {}) };
  }

  /** Text only: structuredContent is reserved for the output schema's shape. */
  private errorResult(problem: ProblemBody): CallToolResult {
    return { isError: true, content: [{ type: 'text', text: JSON.stringify(problem) }] };
  }

  /**
   * Runs a route for the caller in-process. The caller was authenticated and took its rate-limit
   * token with the MCP request; the route's hook and guard take both from the one-use token
   * (auth/internal-calls.ts) and apply everything else as for any request.
   */
  private async route(caller: Caller, requestId: string, method: string, url: string, body: Record<string, unknown> | undefined): Promise<RouteAnswer> {
    const token = this.internalCalls.begin(caller);
    try {
      const res = await this.fastify!.inject({
        method: method as 'GET',
        url,
        headers: {
          accept: 'application/json',
          'x-request-id': requestId,
          [INTERNAL_CALL_HEADER]: token,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      });
      const isJson = /^application\/(problem\+)?json/.test(String(res.headers['content-type'] ?? ''));
      return { status: res.statusCode, json: isJson && res.body !== '' ? JSON.parse(res.body) : undefined, text: res.body };
    } finally {
      this.internalCalls.end(token);
    }
  }

  /** Resource handlers fail as JSON-RPC errors (MCP has no isError for them), carrying the problem as data. */
  private async resource(sdk: McpSdk, caller: Caller, requestId: string, url: string): Promise<unknown> {
    const answer = await this.route(caller, requestId, 'GET', url, undefined);
    if (answer.status < 400) return answer.json;
    const problem = asProblem(answer);
    const code = problem.status === 404 || problem.code === 'invalid_report_id' ? RESOURCE_NOT_FOUND : problem.status < 500 ? INVALID_PARAMS : -32603;
    throw new sdk.types.McpError(code, `${problem.title}: ${problem.detail ?? ''}`.trim(), problem);
  }

  private describe(e: unknown, requestId: string, op: ToolOperation, instance: string): ProblemBody {
    return this.problems!.describe(e, { requestId, method: op.method, path: '/mcp', routed: true, instance, tool: op.operationId }).body;
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
