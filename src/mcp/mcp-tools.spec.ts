import { chooseTools } from './mcp-tools.js';
import type { OpenApiDocument } from './openapi-tool-schema.js';

const KEY = [{ bearer: [] }];
const op = (operationId: string, security: unknown[] = KEY) => ({ operationId, security, responses: {} });

describe('which operations are MCP tools (SPEC §12)', () => {
  it('every authenticated GET is a read-only tool — one added later too (list_prices) — and only the named POSTs; no other write, no public route', () => {
    const doc: OpenApiDocument = {
      paths: {
        '/v1/reports/catalog': { get: op('get_report_catalog') },
        '/v1/reports/query': { post: op('run_report_query') },
        '/v1/reports/saved': { get: op('list_saved_reports'), post: op('create_saved_report') },
        '/v1/reports/saved/{report_id}': { get: op('get_saved_report'), patch: op('update_saved_report'), delete: op('delete_saved_report') },
        '/v1/reports/prices': { get: op('list_prices'), post: op('create_price') },
        '/v1/reports/prices/{price_id}': { delete: op('delete_price') },
        '/v1/keys': { get: op('list_api_keys'), post: op('create_api_key') },
        '/v1/keys/{key_id}': { delete: op('revoke_api_key') },
        '/v1/ingest/sessions': { post: op('ingest_sessions') },
        '/v1/reports/projector/run': { post: op('run_projector') },
        '/healthz': { get: op('get_healthz', []) },
      },
    };
    expect(chooseTools(doc)).toEqual([
      { operationId: 'get_report_catalog', readOnly: true },
      { operationId: 'run_report_query', readOnly: true },
      { operationId: 'list_saved_reports', readOnly: true },
      { operationId: 'create_saved_report', readOnly: false },
      { operationId: 'get_saved_report', readOnly: true },
      { operationId: 'list_prices', readOnly: true },
      { operationId: 'list_api_keys', readOnly: true },
    ]);
  });
});
