/**
 * The one reading of PostgreSQL and driver errors (SQLSTATE classes, Appendix A of the manual),
 * for the exception filter (which status) and the projector (burn an attempt, retry, or abort).
 */

/** The SQLSTATE (or Node network code) of an error from pg or from TypeORM wrapping pg; '' when none. */
export function pgErrorCode(error: unknown): string {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  if (!e || typeof e !== 'object') return '';
  return String(e.driverError?.code ?? e.code ?? '');
}

const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|ECONNREFUSED|ECONNRESET|the database system is (starting up|shutting down)|terminating connection/i;

/**
 * The database is away or out of resources, as opposed to a bad statement: class 08 (connection
 * exception), 53 (insufficient resources: too many connections, out of memory, disk full), 57P
 * (operator intervention: shutdown, crash, cannot connect now), a network error, or pg's own
 * messages for a dropped or unobtainable connection. Nothing is the request's or the row's fault.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = pgErrorCode(error);
  if (/^(08|53|57P)/.test(code) || NET_CODES.has(code)) return true;
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message);
}

/** A deadlock or serialization failure: the database chose this transaction as a conflict's victim; the same work may be repeated. */
export const isConflict = (error: unknown) => ['40P01', '40001'].includes(pgErrorCode(error));

/** query_canceled: the statement timeout (or a cancel request) stopped it. */
export const isStatementTimeout = (error: unknown) => pgErrorCode(error) === '57014';

export const isUniqueViolation = (error: unknown) => pgErrorCode(error) === '23505';

/** Class 22 (data exception): a value out of range or malformed for its type. */
export const isDataException = (error: unknown) => pgErrorCode(error).startsWith('22');
