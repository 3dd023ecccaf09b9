import autocannon from 'autocannon';

export interface LoadResult {
  /** Latency of every response, in ms (autocannon's own summary has no p95). */
  latencies: number[];
  statuses: Record<string, number>;
  requests: number;
  errors: number;
  durationS: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  /** Stop after this many requests in all… */
  amount?: number;
  /** …or after this many seconds. */
  duration?: number;
  /** Requests per second across all connections (a steady offered load). */
  overallRate?: number;
  headers: Record<string, string>;
  /** The requests each connection cycles through; a body may be built per request. */
  requests: { method: 'GET' | 'POST'; path: string; body?: () => string }[];
}

/** Drives the service with autocannon and records every response's latency and status. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const config = {
    url: options.url,
    connections: options.connections,
    ...(options.amount !== undefined ? { amount: options.amount } : {}),
    ...(options.duration !== undefined ? { duration: options.duration } : {}),
    ...(options.overallRate !== undefined ? { overallRate: options.overallRate } : {}),
    headers: { 'content-type': 'application/json', ...options.headers },
    requests: options.requests.map((r) => ({
      method: r.method,
      path: r.path,
      ...(r.body ? { setupRequest: (req: Record<string, unknown>) => ({ ...req, body: r.body!() }) } : {}),
    })),
    setupClient: (client: { on(event: 'response', cb: (status: number, bytes: number, ms: number) => void): void }) => {
      client.on('response', (status, _bytes, ms) => {
        latencies.push(ms);
        statuses[status] = (statuses[status] ?? 0) + 1;
      });
    },
  } as autocannon.Options;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(config, (error: Error | null, r: autocannon.Result) => (error ? reject(error) : resolve(r)));
  });
  return { latencies, statuses, requests: result.requests.total, errors: result.errors + result.timeouts, durationS: result.duration };
}
