import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { readFileSync } from 'node:fs';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Bench, Figure } from '../support/context.js';
import { round, summary, timed } from '../support/stats.js';

const DAY_MS = 86_400_000;
const TICKS_PER_SECOND = 100; // Linux USER_HZ

/** CPU time (user + system) the service process has used, in ms: less at the mercy of a busy machine than wall time. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}
const ACCEPT = 'application/json, text/event-stream';

/**
 * SPEC §16: run_report_query through MCP ≤ 1.2× the same query over HTTP. The query is §9's
 * 30-day day × model on the big org (served by the rollup). Both sides are one fetch of a JSON
 * POST, parsed, interleaved so both see the same machine: the MCP side is the JSON-RPC
 * `tools/call` the SDK's client sends, so the figure is the server's MCP overhead. The SDK's own
 * client (which also checks the result against the tool's output schema) is reported beside it.
 */
export const mcpBench: Bench = {
  name: 'mcp',
  async run(ctx, service): Promise<Figure[]> {
    const key = ctx.orgs.big.key;
    const query = {
      dataset: 'llm_generations',
      time_range: { from: new Date(ctx.end.getTime() - 30 * DAY_MS).toISOString(), to: ctx.end.toISOString() },
      dimensions: ['day', 'model'],
      measures: ['generation_count', 'total_tokens', 'avg_duration_ms'],
      limit: 10_000,
    };
    const post = async (path: string, body: unknown, accept = 'application/json') => {
      const res = await fetch(`${service.url}${path}`, {
        method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept }, body: JSON.stringify(body),
      });
      const parsed = (await res.json()) as Record<string, unknown>;
      if (res.status !== 200) throw new Error(`${path} → ${res.status} ${JSON.stringify(parsed)}`);
      return parsed;
    };
    const overHttp = async () => post('/v1/reports/query', query) as Promise<{ rows: unknown[]; served_by: string }>;
    let id = 0;
    const overMcp = async () => {
      const reply = (await post('/mcp', { jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name: 'run_report_query', arguments: query } }, ACCEPT)) as {
        result?: { isError?: boolean; structuredContent?: { rows: unknown[] } };
      };
      if (!reply.result || reply.result.isError) throw new Error(`tools/call failed: ${JSON.stringify(reply)}`);
      return reply.result.structuredContent!;
    };

    const sdk = new Client({ name: 'factline-bench', version: '1' });
    await sdk.connect(new StreamableHTTPClientTransport(new URL(`${service.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    await sdk.listTools();
    const overSdk = () => sdk.callTool({ name: 'run_report_query', arguments: query });
    try {
      const http = await overHttp();
      if (http.served_by !== 'rollup') throw new Error(`expected the rollup to serve day × model, got ${http.served_by}`);
      const mcp = await overMcp();
      if (JSON.stringify(mcp.rows) !== JSON.stringify(http.rows)) throw new Error('MCP and HTTP results differ');
      for (let i = 0; i < 5; i++) await Promise.all([overHttp(), overMcp(), overSdk()].map((p) => p.catch(() => undefined)));

      const httpMs: number[] = [];
      const mcpMs: number[] = [];
      const sdkMs: number[] = [];
      // The service's CPU down each path: the counter is cumulative (10 ms ticks), so summing its
      // change around each call attributes it without bias over many calls (nothing else runs there).
      const cpu = { http: 0, mcp: 0 };
      const measured = async (work: () => Promise<unknown>, into: number[], path?: 'http' | 'mcp') => {
        const before = cpuMs(service.pid);
        into.push((await timed(work)).ms);
        if (path) cpu[path] += cpuMs(service.pid) - before;
      };
      // The query is fast: enough samples that a p95 is not one unlucky request (quick mode has 20).
      const n = Math.max(ctx.scale.samples, 100);
      for (let i = 0; i < n; i++) {
        await measured(overHttp, httpMs, 'http');
        await measured(overMcp, mcpMs, 'mcp');
        await measured(overSdk, sdkMs);
      }
      const httpCpu = cpu.http / n;
      const mcpCpu = cpu.mcp / n;
      const h = summary(httpMs);
      const m = summary(mcpMs);
      const s = summary(sdkMs);
      const ms = (x: number) => `${round(x, 2)} ms`;
      return [
        {
          name: 'run_report_query through MCP',
          bar: '≤ 1.2 × the same query over HTTP',
          figure: `MCP tools/call p50 ${ms(m.p50)}, p95 ${ms(m.p95)} (n=${m.n}), service CPU ${ms(mcpCpu)} per call; SDK client p50 ${ms(s.p50)}, p95 ${ms(s.p95)}`,
          baseline: `POST /v1/reports/query p50 ${ms(h.p50)}, p95 ${ms(h.p95)}, service CPU ${ms(httpCpu)} per request`,
          ratio: round(m.p95 / h.p95, 3),
          ratioLabel: 'MCP p95 ÷ HTTP p95',
          pass: m.p95 <= 1.2 * h.p95,
          details: {
            http_p50_ms: h.p50, http_p95_ms: h.p95, mcp_p50_ms: m.p50, mcp_p95_ms: m.p95, sdk_p50_ms: s.p50, sdk_p95_ms: s.p95,
            mcp_p50_over_http_p50: m.p50 / h.p50, http_cpu_ms_per_request: httpCpu, mcp_cpu_ms_per_call: mcpCpu, mcp_cpu_over_http_cpu: mcpCpu / httpCpu,
            rows: http.rows.length,
          },
        },
      ];
    } finally {
      await sdk.close();
    }
  },
};
