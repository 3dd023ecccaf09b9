/**
 * SPEC §15 projection watermarks (migration 1732600000011): a counter per (org, source type)
 * that only ever grows, bumped by the projector in the transaction that writes the facts.
 * A dataset's watermark is the sum of its sources' counters: it moves whenever any of them does.
 */
export const WATERMARK_SQL = {
  /** $1 uuid[] org ids, $2 text[] source types (pairs); in key order so concurrent batches lock alike. */
  bump: `
    INSERT INTO reporting_watermarks AS w (org_id, source_type, version)
    SELECT DISTINCT t.org_id, t.source_type, 1 FROM unnest($1::uuid[], $2::text[]) AS t(org_id, source_type) ORDER BY 1, 2
    ON CONFLICT (org_id, source_type) DO UPDATE SET version = w.version + 1, updated_at = clock_timestamp()`,
  /** Every org's (or one org's, $1) counters of the source types $2: a rollup rebuild changes answers without projecting. */
  bumpExisting: `
    UPDATE reporting_watermarks SET version = version + 1, updated_at = clock_timestamp()
     WHERE ($1::uuid IS NULL OR org_id = $1) AND source_type = ANY($2::text[])`,
  /** A scalar subquery over the primary key: $1 org id, $2 the dataset's source types. */
  read: `(SELECT coalesce(sum(version), 0)::text FROM reporting_watermarks WHERE org_id = $1 AND source_type = ANY($2::text[]))`,
} as const;
