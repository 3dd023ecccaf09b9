import { ProblemException } from '#src/common/problem-details/problem.js';

/** Query slots take advisory locks in this key space (two-key form), apart from ingest's and backfill's. */
const QUERY_SLOT_LOCK = 1_717_920_004;

/**
 * The first free one of the org's N slots, locked until the end of the current transaction; no
 * row when all N are taken. Slot locks live in PostgreSQL, so the cap holds across every service
 * instance on the database, and a transaction that ends in any way (commit, rollback, a dropped
 * connection, a crashed instance) frees its slot. LIMIT 1 stops at the first lock taken.
 * $1 org id, $2 N. (hashtext may make two orgs share a slot key: about N² in 2³² per pair.)
 */
const TAKE_SLOT_SQL = `SELECT s FROM generate_series(0, $2::int - 1) s
  WHERE pg_try_advisory_xact_lock(${QUERY_SLOT_LOCK}, hashtext($1::text || ':' || s)) LIMIT 1`;

type Query = (sql: string, params: unknown[]) => Promise<unknown[]>;

/**
 * SPEC §8: at most N report queries of one org at once, over all instances; the next is a 503,
 * never a queue. Run as the first statement of the query's own transaction.
 */
export async function takeQuerySlot(query: Query, orgId: string, max: number): Promise<void> {
  const rows = await query(TAKE_SLOT_SQL, [orgId, max]);
  if (rows.length > 0) return;
  throw new ProblemException('query_concurrency_limited', `Your org already has ${max} report ${max === 1 ? 'query' : 'queries'} running (the cap); retry shortly.`, {
    retryAfterSeconds: 1,
    allowedActions: [{ rel: 'retry-later', hint: 'Retry after 1 s.' }],
  });
}
