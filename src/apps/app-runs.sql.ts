import { RUN_HOUR } from '#src/ingest/ingest.sql.js';

/**
 * Every statement of the app-run history (SPEC §7), in one place. Values are always $n
 * parameters; every statement is scoped by org_id. The window is [$3 from, $4 now], both ends
 * inclusive, and the page and the histogram use the very same predicate so they agree.
 *
 * The page walks app_runs_org_app_created_idx (org_id, app_id, created_at DESC, id DESC) INCLUDE
 * (status) newest first from the cursor (the row comparison is an index bound) and stops after
 * limit + 1 rows: ~0.3 ms at 1M runs of one app. The histogram reads whole hours from
 * app_run_hourly and only the two edge hours from that index.
 */
/** $1 org, $2 app. */
export const APP_EXISTS_SQL = `SELECT 1 AS found FROM apps WHERE org_id = $1 AND id = $2`;

/**
 * created_at leaves the database with all six fractional digits so that the keyset cursor is
 * exact (JS dates hold milliseconds only); the service trims the trailing zeros.
 * The channel is joined by its own key only: a channel that has since been removed from the app
 * leaves its runs listed, with a null name and type, rather than hiding them from the page while
 * the histogram still counts them.
 */
const PAGE_SELECT = `
  SELECT r.id, r.app_id, r.channel_id, c.name AS channel_name, c.type AS channel_type, r.status,
         to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS created_at,
         to_char(r.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS completed_at
  FROM app_runs r
  LEFT JOIN app_channels c ON c.org_id = r.org_id AND c.id = r.channel_id
  WHERE r.org_id = $1 AND r.app_id = $2 AND r.created_at >= $3::timestamptz AND r.created_at <= $4::timestamptz`;
const PAGE_ORDER = `ORDER BY r.created_at DESC, r.id DESC`;

/** First page. $1 org, $2 app, $3 from, $4 now, $5 limit + 1. */
export const FIRST_PAGE_SQL = `${PAGE_SELECT}
  ${PAGE_ORDER}
  LIMIT $5`;

/**
 * Later pages: strictly after the previous page's last row in (created_at DESC, id DESC) order.
 * The row comparison matches the index's column order and directions, so it is an index bound.
 * $1 org, $2 app, $3 from, $4 now, $5 limit + 1, $6 last created_at, $7 last id.
 */
export const NEXT_PAGE_SQL = `${PAGE_SELECT}
    AND (r.created_at, r.id) < ($6::timestamptz, $7::uuid)
  ${PAGE_ORDER}
  LIMIT $5`;

/**
 * One row per hour from the hour containing $3 through the hour containing $4, ascending,
 * zero-filled. Every run of the window falls in exactly one of these hours, so the buckets sum to
 * the runs of the window. $1 org, $2 app, $3 from, $4 now.
 *
 * Hours strictly inside the window are read from app_run_hourly (kept by the app-run ingest in
 * the same transaction as the runs, so one snapshot sees both agree); only the two edge hours,
 * which the window cuts, are counted from app_runs — two short index range scans whatever the
 * window's size. Hours are UTC, binned with date_bin (plain arithmetic on the instant, whatever
 * the session TimeZone).
 */
const FIRST_HOUR = RUN_HOUR('$3::timestamptz');
const LAST_HOUR = RUN_HOUR('$4::timestamptz');

export const HOURLY_BUCKETS_SQL = `
  WITH inner_hours AS (
    SELECT h.hour, h.ok, h.err, h.running FROM app_run_hourly h
    WHERE h.org_id = $1 AND h.app_id = $2 AND h.hour > ${FIRST_HOUR} AND h.hour < ${LAST_HOUR}
  ),
  -- The bounds are expressions of the parameters (not columns of a joined CTE) so that they
  -- are index conditions: each edge reads only its own hour of the index.
  edge_runs AS (
    SELECT r.created_at, r.status FROM app_runs r
    WHERE r.org_id = $1 AND r.app_id = $2 AND r.created_at >= $3::timestamptz AND r.created_at <= $4::timestamptz
      AND r.created_at < ${FIRST_HOUR} + interval '1 hour'
    UNION ALL
    SELECT r.created_at, r.status FROM app_runs r
    WHERE r.org_id = $1 AND r.app_id = $2 AND r.created_at <= $4::timestamptz
      AND r.created_at >= greatest(${LAST_HOUR}, ${FIRST_HOUR} + interval '1 hour', $3::timestamptz)
  ),
  counts AS (
    SELECT hour, ok, err, running FROM inner_hours
    UNION ALL
    SELECT ${RUN_HOUR('created_at')}, count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status = 'err'),
           count(*) FILTER (WHERE status = 'running')
    FROM edge_runs GROUP BY 1
  )
  SELECT to_char(g.hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS hour,
         coalesce(sum(c.ok), 0)::int AS ok, coalesce(sum(c.err), 0)::int AS err, coalesce(sum(c.running), 0)::int AS running
  FROM generate_series(${FIRST_HOUR}, ${LAST_HOUR}, interval '1 hour') AS g(hour)
  LEFT JOIN counts c ON c.hour = g.hour
  GROUP BY g.hour
  ORDER BY g.hour`;
