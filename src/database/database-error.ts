/**
 * A failure to reach or start a database, said in one line: what failed, the likely cause, what
 * to do (SPEC §15a). main.ts and the CLI print the message alone, without a stack trace.
 */
export class DatabaseStartError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, ' ').trim());
    this.name = 'DatabaseStartError';
  }
}

/** host:port/database of a URL, never its password. */
export function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return 'the configured server';
  }
}

const VIA_URL = 'check DATABASE_URL, or unset it to use the embedded PostgreSQL under DATA_DIR';

/**
 * The one-line form of an error met while connecting to `url`, or null when the error is not
 * about reaching the database (a bug, which keeps its stack trace). `where` names the server
 * ("DATABASE_URL" or "the embedded PostgreSQL") so the advice fits.
 */
export function databaseErrorLine(e: unknown, url: string, embedded = false): string | null {
  if (e instanceof DatabaseStartError) return e.message;
  if (!(e instanceof Error)) return null;
  const err = e as Error & { code?: string; errno?: string; syscall?: string; hostname?: string };
  const target = describeTarget(url);
  const which = embedded ? 'the embedded PostgreSQL' : `PostgreSQL at ${target}`;
  const advice = embedded ? "restart Factline (LOG_LEVEL=debug shows the server's log), or set DATABASE_URL" : VIA_URL;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `Cannot reach ${which}: connection refused (no server listens there) — start it, ${advice}.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Cannot reach ${which}: host "${err.hostname ?? target}" not found — ${VIA_URL}.`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `Cannot reach ${which}: no route or no answer (${err.code}) — check the host, the network or a firewall; ${advice}.`;
    case 'ECONNRESET':
      return `Cannot reach ${which}: the connection was reset — is it a PostgreSQL server, and does it accept this client (pg_hba.conf, SSL)? ${advice}.`;
    case '28P01':
    case '28000':
      return `${which} refused the login (${err.message}) — check the user and password in ${embedded ? 'DATA_DIR/pg.secret' : 'DATABASE_URL'}.`;
    case '3D000':
      return `${which}: ${err.message} — create it (createdb) or fix the database name in DATABASE_URL.`;
    case '53300':
      return `${which} has no free connection slot (${err.message}) — close other clients or raise max_connections; lower DB_POOL_SIZE.`;
    case '57P03':
      return `${which} is not accepting connections yet (${err.message}) — wait for it to finish starting, then retry.`;
    default:
      break;
  }
  if (/timeout/i.test(err.message) && /connect/i.test(err.message)) {
    return `Cannot reach ${which}: no answer within the connection timeout — check the host and port, ${advice}.`;
  }
  if (/SSL|self[- ]signed|certificate/i.test(err.message)) {
    return `Cannot connect to ${which}: ${err.message} — check the sslmode and certificates in DATABASE_URL.`;
  }
  if (typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) && err.code.startsWith('08')) {
    return `Cannot connect to ${which}: ${err.message} — ${advice}.`;
  }
  return null;
}
