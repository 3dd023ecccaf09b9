import { Pool } from 'undici';

/**
 * An HTTP client for timing the service's fastest answers: undici's `request` on a keep-alive pool.
 * Node's global `fetch` (undici too, behind the WHATWG Request/Response/stream objects) adds
 * ~0.7 ms at p50 and more at p95 on this machine, a sixth of a 5 ms bar; benches that time
 * millisecond answers (cache.bench.ts) use this and report fetch beside it.
 */
export interface HttpClient {
  json(method: 'GET' | 'POST', path: string, key: string, body?: object): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

export function httpClient(baseUrl: string): HttpClient {
  const pool = new Pool(baseUrl, { connections: 4 });
  return {
    async json(method, path, key, body) {
      const res = await pool.request({
        method, path,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.statusCode, body: await res.body.json() };
    },
    close: () => pool.close(),
  };
}
