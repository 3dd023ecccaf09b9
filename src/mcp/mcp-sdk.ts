import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type * as McpTypes from '@modelcontextprotocol/sdk/types.js';
import type { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';

/** What the endpoint uses of `@modelcontextprotocol/sdk`. */
export interface McpSdk {
  Server: typeof Server;
  WebStandardStreamableHTTPServerTransport: typeof WebStandardStreamableHTTPServerTransport;
  types: typeof McpTypes;
  /** A Server builds a fresh Ajv (formats and all) unless given one: most of a small call's cost. One serves every request. */
  schemaValidator: AjvJsonSchemaValidator;
}

let loading: Promise<McpSdk> | undefined;

/**
 * The SDK (with its zod schemas and Ajv) is imported on the first MCP request, not at boot: a
 * service nobody asks over MCP starts, and answers its first REST request, without paying for it.
 */
export function loadMcpSdk(): Promise<McpSdk> {
  loading ??= (async () => {
    const [server, transport, types, ajv] = await Promise.all([
      import('@modelcontextprotocol/sdk/server/index.js'),
      import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'),
      import('@modelcontextprotocol/sdk/types.js'),
      import('@modelcontextprotocol/sdk/validation/ajv'),
    ]);
    return {
      Server: server.Server,
      WebStandardStreamableHTTPServerTransport: transport.WebStandardStreamableHTTPServerTransport,
      types,
      schemaValidator: new ajv.AjvJsonSchemaValidator(),
    };
  })();
  // A failed import is not kept: the next request tries again.
  loading.catch(() => (loading = undefined));
  return loading;
}
