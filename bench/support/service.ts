import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (bench/ is compiled to dist/bench/support). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN_JS = path.join(ROOT, 'dist/src/main.js');

export interface Service {
  url: string;
  pid: number;
  /** Resident set size of the service process, in bytes. */
  rss(): number;
  stop(): Promise<void>;
}

/** Starts the built service (what `npm start` runs) as a child process on a free port. */
export async function startService(env: Record<string, string>): Promise<Service> {
  const child: ChildProcess = spawn(process.execPath, [MAIN_JS], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '10000000',
      // The benches time the query path: the result cache (SPEC §15) is off unless a bench turns it on (cache.bench.ts).
      REPORTING_QUERY_CACHE_MAX_ENTRIES: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${out}\n${err}`)), 120_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /Factline is listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`service exited (${code}) before listening:\n${out}\n${err}`)));
  });
  child.stdout!.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    pid: child.pid!,
    rss: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : Number.NaN;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
