import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MAIN_JS, ROOT, spawnNode, type Spawned } from './processes.js';

const LISTENING = /Factline is listening on (http:\/\/[^\s]+)/;

/** The built service (dist/src/main.js) running as its own process, as production runs it. */
export interface ServiceProcess {
  url: string;
  pid: number;
  proc: Spawned;
  /** Every JSON log line the process wrote to stdout so far, parsed. */
  logLines(): Record<string, unknown>[];
  /** SIGTERM, and wait for a clean exit. */
  stop(): Promise<void>;
  /** SIGKILL: no shutdown hook runs, in-flight transactions die with their connections. */
  kill(): Promise<void>;
}

export interface ServiceOptions {
  /** Loads test/support/gc-on-signal.cjs: SIGUSR2 runs a full GC and reports memory (load test). */
  gcOnSignal?: boolean;
}

/**
 * Spawns the service on a free loopback port with the given environment (DATABASE_URL required)
 * and resolves once it prints its URL. The projector settings, log level and rate limit come
 * from `env`, as an operator would set them.
 */
export async function startService(env: Record<string, string>, options: ServiceOptions = {}): Promise<ServiceProcess> {
  const nodeOptions = options.gcOnSignal ? `--require "${path.join(ROOT, 'test/support/gc-on-signal.cjs')}"` : undefined;
  const proc = spawnNode(MAIN_JS, [], { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env, NODE_OPTIONS: nodeOptions });
  const [, url] = await proc.waitFor(LISTENING);
  const pid = proc.child.pid!;
  const ended = () => proc.child.exitCode !== null || proc.child.signalCode !== null;
  return {
    url,
    pid,
    proc,
    logLines: () =>
      proc
        .stdout()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    stop: async () => {
      if (!ended()) proc.child.kill('SIGTERM');
      await proc.exited;
    },
    kill: async () => {
      if (!ended()) proc.child.kill('SIGKILL');
      await proc.exited;
    },
  };
}

/** Resident set size of a process in bytes, from /proc (Linux). */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb[1]) * 1024;
}

export interface HttpResult {
  status: number;
  contentType: string | null;
  headers: Headers;
  text: string;
  /** The parsed body when it is JSON (problem+json included), else undefined. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One HTTP request to a spawned service; never throws on a status, only on a transport error. */
export async function http(base: string, method: string, path: string, options: { key?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  const contentType = res.headers.get('content-type');
  let parsed: unknown;
  if (contentType?.includes('json')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  return { status: res.status, contentType, headers: res.headers, text, body: parsed };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `probe` until `done` holds. Bounded in count (a stuck condition fails with the last value
 * instead of polling past the test); how long it took is never asserted on.
 */
export async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean, { everyMs = 100, tries = 900, what = 'condition' } = {}): Promise<T> {
  let v = await probe();
  for (let i = 0; i < tries && !done(v); i++) {
    await sleep(everyMs);
    v = await probe();
  }
  if (!done(v)) throw new Error(`${what} did not hold after ${tries} polls; last value: ${JSON.stringify(v)}`);
  return v;
}
