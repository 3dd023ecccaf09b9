import { publicIdSql } from '#src/common/ids/public-id.js';
import { type Aggregation, type DimensionDef, type FieldType, type MeasureDef, TOP_OTHER_LABEL } from '#src/reporting/catalog/catalog.js';
import { rollupOf, type RollupSpec, storedColumnsRead } from '#src/reporting/catalog/rollup.js';
import { type ServedBy, wholeHours } from './report-query.plan.js';
import type { ResolvedFilter, ResolvedQuery } from './report-query.types.js';

export interface CompiledColumn {
  name: string;
  kind: 'dimension' | 'measure';
  time: boolean;
}

export interface CompiledQuery {
  sql: string;
  params: unknown[];
  columns: CompiledColumn[];
}

const PARAM_TYPE: Record<FieldType, string> = { string: 'text', id: 'uuid', number: 'numeric', time: 'timestamptz', boolean: 'boolean' };

class Params {
  readonly values: unknown[] = [];
  add(value: unknown, type?: string): string {
    this.values.push(value);
    return type ? `$${this.values.length}::${type}` : `$${this.values.length}`;
  }
}

const q = (name: string) => `"${name}"`;

function dimensionSql(d: DimensionDef, tz: string, timeColumn: string): string {
  if (d.type === 'time') return `date_trunc('${d.granularity}', f.${timeColumn}, ${tz})`;
  if (d.type === 'id') return publicIdSql(d.idPrefix!, `f.${d.column}`);
  return `f.${d.column}`;
}

const AGGREGATE: Record<Aggregation, (m: MeasureDef) => string> = {
  count: () => 'count(*)',
  sum: (m) => `coalesce(sum(f.${m.column}), 0)`,
  avg: (m) => `avg(f.${m.column})::float8`,
  p50: (m) => `percentile_cont(0.5) WITHIN GROUP (ORDER BY f.${m.column})`,
  p95: (m) => `percentile_cont(0.95) WITHIN GROUP (ORDER BY f.${m.column})`,
  count_distinct: (m) => `count(DISTINCT f.${m.column})`,
  count_if: (m) => `count(*) FILTER (WHERE ${m.condition})`,
  sum_if: (m) => `coalesce(sum(f.${m.column}) FILTER (WHERE ${m.condition}), 0)`,
};

/** Null semantics: neq / not_in keep rows whose value is null; eq / in never match null. */
function filterSql(f: ResolvedFilter, p: Params): string {
  const col = `f.${f.field.column}`;
  const type = PARAM_TYPE[f.field.type];
  switch (f.op) {
    case 'eq': return `${col} = ${p.add(f.value, type)}`;
    case 'neq': return `${col} IS DISTINCT FROM ${p.add(f.value, type)}`;
    case 'gt': return `${col} > ${p.add(f.value, type)}`;
    case 'gte': return `${col} >= ${p.add(f.value, type)}`;
    case 'lt': return `${col} < ${p.add(f.value, type)}`;
    case 'lte': return `${col} <= ${p.add(f.value, type)}`;
    case 'in': return `${col} = ANY(${p.add(f.value, `${type}[]`)})`;
    case 'not_in': return `(${col} IS NULL OR ${col} <> ALL(${p.add(f.value, `${type}[]`)}))`;
    case 'is_null': return f.value ? `${col} IS NULL` : `${col} IS NOT NULL`;
  }
}

/**
 * The only code that assembles report SQL (STYLE §4). Identifiers come from the catalog; every
 * value is a bound parameter; the org scope is always the first predicate. Fetches limit + 1 rows
 * so the runner can tell whether the result was truncated.
 *
 * `source` is the planner's choice (report-query.plan.ts): the facts, or the dataset's hourly
 * rollup — the same SELECT over rollup rows, with each measure re-aggregated from the stored sums
 * and counts, the hour standing in for the fact time, and only rows that still hold facts — or
 * both (`rollup+facts`): the same SELECT over rollup-shaped rows from both (hybridSource), for
 * each range the query reads (its own, and with compare the previous one).
 *
 * The SPEC §11 options wrap the aggregated SELECT of a range (`aggregated(from, to)`) in CTEs, in
 * this order: top (the kept values, computed over the current range, decide each row's label
 * before aggregation, so an "(other)" row aggregates its own facts) → fill → compare (the same
 * aggregated SELECT over the previous range, paired by bucket position) → cumulative (a window
 * over the final rows) → order and limit. A query without options is the bare aggregated SELECT.
 */
export function compileReportQuery(query: ResolvedQuery, orgId: string, rowLimit: number = query.limit + 1, source: ServedBy = 'facts'): CompiledQuery {
  const rollup = source === 'facts' ? undefined : rollupOf(query.dataset);
  const timeColumn = rollup ? 'hour' : query.dataset.time_column;
  const measureSql = (m: MeasureDef | 'row_count') => {
    if (!rollup) return m === 'row_count' ? 'count(*)' : AGGREGATE[m.aggregation](m);
    const sql = rollup.aggregates.get(m === 'row_count' ? m : m.name);
    if (!sql) throw new Error(`the ${query.dataset.name} rollup does not store ${m === 'row_count' ? m : m.name}`);
    return sql;
  };
  const p = new Params();
  const org = p.add(orgId, 'uuid');
  const from = p.add(query.from, 'timestamptz');
  const to = p.add(query.to, 'timestamptz');
  const tz = query.dimensions.some((d) => d.type === 'time') ? p.add(query.timezone, 'text') : '';
  const table = rollup ? rollup.table : query.dataset.table;
  const filters = query.filters.map((f) => filterSql(f, p));
  // The stored columns the query's aggregates read (a rollup+facts source carries only these).
  const read = source === 'rollup+facts' ? storedColumnsRead(rollup!, [...(query.rowCountOnly ? ['row_count'] : query.measures.map((m) => m.name)), ...(query.top ? [query.top.by] : [])]) : new Set<string>();
  /** The rows of a range, aliased `f`, and the conditions that select them (a rollup+facts source applies its own inside). */
  const rangeRows = (fromP: string, toP: string, range: { from: Date; to: Date }): { rows: string; where: string[] } =>
    source === 'rollup+facts'
      ? { rows: hybridSource(query.dataset.table, query.dataset.time_column, rollup!, p, org, { fromP, toP, ...range }, filters, read), where: [] }
      : { rows: `${table} f`, where: [`f.org_id = ${org}`, `f.${timeColumn} >= ${fromP}`, `f.${timeColumn} < ${toP}`, ...(rollup ? ['f.row_count > 0'] : []), ...filters] };
  const whereSql = (conditions: string[], sep: string) => (conditions.length > 0 ? `${sep}WHERE ${conditions.join(sep === ' ' ? ' AND ' : `${sep}  AND `)}` : '');
  const current = { from: query.from, to: query.to };
  const ctes: string[] = [];

  // top: the kept values (raw column values, so a fact matches without formatting), as an array
  // and a null flag, each an uncorrelated sublink read once per statement (init plans), not a
  // join per fact.
  let topLabel: string | undefined;
  const topWhere: string[] = [];
  if (query.top) {
    const t = query.top;
    const col = `f.${t.dimension.column}`;
    const by = t.by === 'row_count' ? 'row_count' : query.measures.find((m) => m.name === t.by)!;
    const rows = rangeRows(from, to, current);
    ctes.push(
      `top_values AS (SELECT ${col} AS v FROM ${rows.rows}${whereSql(rows.where, ' ')} GROUP BY 1 ` +
        `ORDER BY ${measureSql(by)} DESC NULLS LAST, (${dimensionSql(t.dimension, tz, timeColumn)}) COLLATE "C" ASC NULLS LAST LIMIT ${p.add(t.n, 'int')})`,
    );
    const kept = `(${col} = ANY(ARRAY(SELECT v FROM top_values WHERE v IS NOT NULL)) OR (${col} IS NULL AND EXISTS (SELECT FROM top_values WHERE v IS NULL)))`;
    if (t.other) topLabel = `CASE WHEN ${kept} THEN ${dimensionSql(t.dimension, tz, timeColumn)} ELSE ${p.add(TOP_OTHER_LABEL, 'text')} END`;
    else topWhere.push(kept);
  }

  const select: string[] = [];
  for (const d of query.dimensions) select.push(`${d === query.top?.dimension && topLabel ? topLabel : dimensionSql(d, tz, timeColumn)} AS ${q(d.name)}`);
  const base: { name: string; def: MeasureDef | 'row_count' }[] = query.rowCountOnly ? [{ name: 'row_count', def: 'row_count' }] : query.measures.map((m) => ({ name: m.name, def: m }));
  for (const m of base) select.push(`${measureSql(m.def)} AS ${q(m.name)}`);
  const groupBy = query.dimensions.length > 0 ? `\nGROUP BY ${query.dimensions.map((_, i) => i + 1).join(', ')}` : '';
  const aggregated = (fromP: string, toP: string, range: { from: Date; to: Date }) => {
    const rows = rangeRows(fromP, toP, range);
    return `SELECT ${select.join(', ')}\nFROM ${rows.rows}${whereSql([...rows.where, ...topWhere], '\n')}${groupBy}`;
  };

  const columns: CompiledColumn[] = query.dimensions.map((d) => ({ name: d.name, kind: 'dimension', time: d.type === 'time' }));
  for (const m of base) {
    columns.push({ name: m.name, kind: 'measure', time: false });
    if (query.cumulative?.includes(m.name)) columns.push({ name: `${m.name}_cumulative`, kind: 'measure', time: false });
    if (query.compare) columns.push({ name: `${m.name}_previous`, kind: 'measure', time: false }, { name: `${m.name}_change`, kind: 'measure', time: false });
  }

  const options = query.top || query.fill || query.compare || query.cumulative;
  let stage = 'r';
  if (options) ctes.push(`r AS (\n${aggregated(from, to, current)}\n)`);
  if (query.fill === 'zero') {
    const filled = zeroFilled(query, base, stage, from, to, tz);
    ctes.push(...filled.ctes, `filled AS (${filled.select})`);
    stage = 'filled';
  }
  if (query.compare) {
    const prevFrom = p.add(query.compare.from, 'timestamptz');
    const prevTo = p.add(query.compare.to, 'timestamptz');
    ctes.push(`p AS (\n${aggregated(prevFrom, prevTo, query.compare)}\n)`);
    ctes.push(...compared(query, base, stage, 'p', { from, to }, { from: prevFrom, to: prevTo }, tz));
    stage = 'compared';
  }

  const position = (name: string) => columns.findIndex((c) => c.name === name) + 1;
  const order: string[] = [];
  const used = new Set<number>();
  const push = (pos: number, dir: 'ASC' | 'DESC') => {
    if (used.has(pos)) return;
    used.add(pos);
    order.push(`${pos} ${dir}${dir === 'ASC' ? ' NULLS LAST' : ' NULLS FIRST'}`);
  };
  if (query.orderBy.length > 0) {
    for (const o of query.orderBy) push(position(o.column), o.direction === 'desc' ? 'DESC' : 'ASC');
  } else if (columns.some((c) => c.time)) {
    columns.forEach((c, i) => c.time && push(i + 1, 'ASC'));
  } else if (query.dimensions.length > 0) {
    push(query.dimensions.length + 1, 'DESC');
  }
  // Ties break on every dimension, so the order is always deterministic.
  query.dimensions.forEach((_, i) => push(i + 1, 'ASC'));
  const orderBy = order.length > 0 ? `\nORDER BY ${order.join(', ')}` : '';

  // Built once: a rollup+facts source adds its own parameters, which must all be used.
  let body: string;
  if (!options) body = aggregated(from, to, current);
  else {
    const cells = columns.map((c) => (c.name.endsWith('_cumulative') && query.cumulative?.includes(c.name.slice(0, -'_cumulative'.length)) ? `${runningTotal(query, c.name.slice(0, -'_cumulative'.length))} AS ${q(c.name)}` : `s.${q(c.name)}`));
    body = `WITH ${ctes.join(',\n')}\nSELECT ${cells.join(', ')}\nFROM ${stage} s`;
  }
  const sql = `${body}${orderBy}\nLIMIT ${p.add(rowLimit, 'int')}`;
  return { sql, params: p.values, columns };
}

/**
 * SPEC §15: the source rows of a `rollup+facts` query, in the rollup's shape (hour, covered
 * dimensions, stored columns): the rollup rows of the range's whole UTC hours, and for each
 * partial edge hour ([from, first whole hour), [end of the last whole hour, to)) one row per fact
 * holding what that fact adds to each stored column (`perFact`), its hour `hourOfFact`. The
 * rollup's aggregates over them equal the facts-only answer, because a rollup row is the sum of
 * its facts' per-fact values; the planner guarantees that time buckets over the hour equal
 * buckets over the fact time. Every branch is scoped by org first and filtered on its own, so
 * each reads only its range through its index. Built from the spec's columns, it covers any
 * column the rollup gains whose aggregate merges per-fact values as it merges stored ones; a
 * percentile's sketch (SPEC §15) comes from an edge fact as its single bucket.
 */
function hybridSource(
  factTable: string,
  timeColumn: string,
  rollup: RollupSpec,
  p: Params,
  org: string,
  range: { fromP: string; toP: string; from: Date; to: Date },
  filters: string[],
  read: ReadonlySet<string>,
): string {
  const { fromP: from, toP: to } = range;
  const { wholeFrom, wholeTo } = wholeHours(range.from, range.to);
  const dims = rollup.dimensions.map((d) => `f.${d.column}`);
  const wholeStart = wholeFrom.getTime() === range.from.getTime() ? from : p.add(wholeFrom, 'timestamptz');
  const wholeEnd = wholeTo.getTime() === range.to.getTime() ? to : p.add(wholeTo, 'timestamptz');
  const branch = (select: string[], table: string, where: string[]) => `  SELECT ${select.join(', ')}\n  FROM ${table} f\n  WHERE ${[`f.org_id = ${org}`, ...where, ...filters].join('\n    AND ')}`;
  // Only the stored columns the aggregates read: the planner does not prune a UNION ALL's unused
  // outputs, and a sketch is most of a rollup row's width.
  const columns = rollup.columns.filter((c) => read.has(c.name));
  const sketches = rollup.sketches.filter((k) => read.has(k.keys));
  const stored = [...columns.map((c) => `f.${c.name}`), ...sketches.flatMap((k) => [`f.${k.keys}`, `f.${k.counts}`])];
  const branches = [branch(['f.hour', ...dims, ...stored], rollup.table, [`f.hour >= ${wholeStart}`, `f.hour < ${wholeEnd}`, 'f.row_count > 0'])];
  const t = `f.${timeColumn}`;
  // A fact's sketch is its one bucket with a count of 1 (none when its value is unknown); the
  // quantile merges these with the hour-rows' sketches exactly as it merges hour-rows.
  const sketchOfFact = sketches.flatMap((k) => [
    `CASE WHEN f.${k.column} IS NULL THEN '{}'::int[] ELSE ARRAY[${k.keyOfFact}] END AS ${k.keys}`,
    `CASE WHEN f.${k.column} IS NULL THEN '{}'::int[] ELSE ARRAY[1] END AS ${k.counts}`,
  ]);
  const perFact = [`${rollup.hourOfFact} AS hour`, ...dims, ...columns.map((c) => `${c.perFact} AS ${c.name}`), ...sketchOfFact];
  if (wholeStart !== from) branches.push(branch(perFact, factTable, [`${t} >= ${from}`, `${t} < ${wholeStart}`]));
  if (wholeEnd !== to) branches.push(branch(perFact, factTable, [`${t} >= ${wholeEnd}`, `${t} < ${to}`]));
  return `(\n${branches.join('\n  UNION ALL\n')}\n) f`;
}

/** SPEC §11 fill "zero": sums and counts of an empty bucket are 0; averages and percentiles stay null. */
const ZERO_WHEN_EMPTY: Record<Aggregation, boolean> = { count: true, sum: true, count_distinct: true, count_if: true, sum_if: true, avg: false, p50: false, p95: false };
const zeroWhenEmpty = (m: MeasureDef | 'row_count') => m === 'row_count' || ZERO_WHEN_EMPTY[m.aggregation];

/** The buckets of [from, to) in the zone, from the one holding `from` to the last starting before `to` (23- or 25-hour days where the zone has them). */
const bucketSeries = (g: string, from: string, to: string, tz: string) => `generate_series(date_trunc('${g}', ${from}, ${tz}), ${to} - interval '1 microsecond', interval '1 ${g}', ${tz})`;

/**
 * Every bucket of the range for each combination of the other dimensions present in the result:
 * the buckets come from generate_series in the query's zone (so a day is 23 or 25 hours where the
 * zone says so), and the aggregated rows are joined onto them. Validation guarantees exactly one
 * time bucket.
 */
function zeroFilled(query: ResolvedQuery, base: { name: string; def: MeasureDef | 'row_count' }[], source: string, from: string, to: string, tz: string): { ctes: string[]; select: string } {
  const time = query.dimensions.find((d) => d.type === 'time')!;
  const others = query.dimensions.filter((d) => d !== time);
  const series = `SELECT s AS ${q(time.name)} FROM ${bucketSeries(time.granularity!, from, to, tz)} s`;
  const combos = others.length > 0 ? `SELECT DISTINCT ${others.map((d) => q(d.name)).join(', ')} FROM ${source}` : 'SELECT';
  const on = [`r.${q(time.name)} = b.${q(time.name)}`, ...others.map((d) => `r.${q(d.name)} IS NOT DISTINCT FROM c.${q(d.name)}`)];
  const cells = query.dimensions.map((d) => (d === time ? `b.${q(d.name)}` : `c.${q(d.name)}`));
  for (const m of base) cells.push(zeroWhenEmpty(m.def) ? `coalesce(r.${q(m.name)}, 0) AS ${q(m.name)}` : `r.${q(m.name)}`);
  return { ctes: [`b AS (${series})`, `c AS (${combos})`], select: `SELECT ${cells.join(', ')}\nFROM b CROSS JOIN c\nLEFT JOIN ${source} r ON ${on.join(' AND ')}` };
}

/**
 * SPEC §11 compare: the current rows (`current`), each with the previous range's row (`previous`)
 * of the same other dimensions and the bucket in the same position (its ordinal in the range's
 * bucket series). A missing previous row reads as the measure over no facts: 0 for sums and
 * counts, null for averages and percentiles. change = (m − previous) / previous in float8, null
 * when previous is 0 or null. Validation guarantees at most one time bucket.
 */
function compared(query: ResolvedQuery, base: { name: string; def: MeasureDef | 'row_count' }[], current: string, previous: string, cur: { from: string; to: string }, prev: { from: string; to: string }, tz: string): string[] {
  const time = query.dimensions.find((d) => d.type === 'time');
  const others = query.dimensions.filter((d) => d !== time);
  const ctes: string[] = [];
  let curName = current;
  let prevName = previous;
  const on = others.map((d) => `c.${q(d.name)} IS NOT DISTINCT FROM v.${q(d.name)}`);
  if (time) {
    const ordinal = (name: string, src: string, range: { from: string; to: string }) =>
      `${name} AS (SELECT x.*, k.n AS "__k" FROM ${src} x JOIN ${bucketSeries(time.granularity!, range.from, range.to, tz)} WITH ORDINALITY k(b, n) ON x.${q(time.name)} = k.b)`;
    ctes.push(ordinal('cur', current, cur), ordinal('prev', previous, prev));
    curName = 'cur';
    prevName = 'prev';
    on.unshift('c."__k" = v."__k"');
  }
  const cells = query.dimensions.map((d) => `c.${q(d.name)}`);
  for (const m of base) {
    const before = zeroWhenEmpty(m.def) ? `coalesce(v.${q(m.name)}, 0)` : `v.${q(m.name)}`;
    cells.push(`c.${q(m.name)}`, `${before} AS ${q(`${m.name}_previous`)}`, `(c.${q(m.name)}::float8 - (${before})::float8) / nullif((${before})::float8, 0) AS ${q(`${m.name}_change`)}`);
  }
  ctes.push(`compared AS (SELECT ${cells.join(', ')}\nFROM ${curName} c LEFT JOIN ${prevName} v ON ${on.length > 0 ? on.join(' AND ') : 'true'})`);
  return ctes;
}

/** SPEC §11 cumulative: the running total in bucket order per combination of the other dimensions (validation: exactly one time bucket). */
function runningTotal(query: ResolvedQuery, measure: string): string {
  const time = query.dimensions.find((d) => d.type === 'time')!;
  const others = query.dimensions.filter((d) => d !== time);
  const partition = others.length > 0 ? `PARTITION BY ${others.map((d) => `s.${q(d.name)}`).join(', ')} ` : '';
  return `sum(s.${q(measure)}) OVER (${partition}ORDER BY s.${q(time.name)} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`;
}
