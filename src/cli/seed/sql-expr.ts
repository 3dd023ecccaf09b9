/**
 * SQL expression builders for set-based, reproducible generation. Randomness is a pure function
 * of (row key, salt, the org's hash seed): hashint8extended() is the hash PostgreSQL uses for
 * hash partitioning, so it is stable across platforms and versions — same flags, same rows,
 * whatever the chunking or the order in which chunks run.
 */

/**
 * Named, typed placeholders: `p.ref.name` is `$n::type` inside SQL, `p.values({...})` the matching
 * array. Every value reaches PostgreSQL as a bound parameter.
 */
export class NamedParams<N extends string> {
  readonly ref: Record<N, string>;
  private readonly names: N[];

  constructor(types: Record<N, string>) {
    this.names = Object.keys(types) as N[];
    this.ref = Object.fromEntries(this.names.map((n, i) => [n, `$${i + 1}::${types[n]}`])) as Record<N, string>;
  }

  values(values: Record<N, unknown>): unknown[] {
    return this.names.map((n) => values[n]);
  }
}

/** Salts below 512 name what a hash is for; +512 gives an independent second hash of the same key. */
const SECOND = 512;

/** A 64-bit hash of (key, salt) in this org. `seed` is a bigint SQL expression (a parameter). */
export const hash = (seed: string, key: string, salt: number) => `hashint8extended(${key}, ${seed} + ${salt})`;

/** Uniform in [0, 1) from the hash's low 53 bits. */
export const uniform = (seed: string, key: string, salt: number) =>
  `((${hash(seed, key, salt)} & 9007199254740991)::float8 / 9007199254740992.0)`;

/** Standard normal (Box–Muller) from two uniforms. */
export const normal = (seed: string, key: string, salt: number) =>
  `(sqrt(-2 * ln(1 - ${uniform(seed, key, salt)})) * cos(2 * pi() * ${uniform(seed, key, salt + SECOND)}))`;

/** Log-normal around a median, as a whole number ≥ `min`. */
export const logNormal = (seed: string, key: string, salt: number, median: string, sigma: number, min = 0) =>
  `greatest(${min}, floor(${median} * exp(${sigma} * ${normal(seed, key, salt)})))::bigint`;

/**
 * A deterministic UUIDv7 (RFC 9562): 48-bit millisecond time, version 7, 12 + 62 hashed bits and
 * the 10 variant. Ids sort by time like the platform's, and are reproducible from the seed.
 */
export const uuid7 = (seed: string, ms: string, key: string, salt: number) => {
  const a = hash(seed, key, salt);
  const b = hash(seed, key, salt + SECOND);
  return `(lpad(to_hex(${ms}), 12, '0') || '7' || lpad(to_hex(${a} & 4095), 3, '0') || to_hex(8 | ((${a} >> 12) & 3))
    || lpad(to_hex(${b} & 1152921504606846975), 15, '0'))::uuid`;
};

/**
 * Inverse CDF over the window's hours: `u` in [0, 1), `bucket` = width_bucket(u, weights). The hour
 * by its weight, then the same position inside the hour as inside its share of [0, 1) — so a
 * rising `u` gives a rising time. The last hour may be partial (`lastHourMs`).
 */
export const timeAt = (u: string, bucket: string, weights: string, startMs: string, lastHourMs: string) =>
  `(${startMs} + (${bucket} - 1)::bigint * 3600000 + floor(
     least(0.999999, greatest(0, (${u} - (${weights})[${bucket}]) / nullif(coalesce((${weights})[${bucket} + 1], 1.0) - (${weights})[${bucket}], 0)))
     * CASE WHEN ${bucket} = cardinality(${weights}) THEN ${lastHourMs} ELSE 3600000 END)::bigint)`;

/**
 * Stratified quantile of row i of n: one row per slice of [0, 1), jittered inside it. Rows in
 * index order are in time order, so a chunk's ids (UUIDv7, time first) land in one narrow range
 * of each B-tree instead of all over it — the bulk write stays fast as the tables grow.
 */
export const stratified = (seed: string, i: string, n: string, salt: number) => `((${i} - 1 + ${uniform(seed, i, salt)}) / ${n})`;

/** Milliseconds since the epoch → timestamptz. */
export const ts = (ms: string) => `(timestamptz 'epoch' + (${ms}) * interval '1 millisecond')`;
