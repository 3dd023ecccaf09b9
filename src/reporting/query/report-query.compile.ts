import { publicIdSql } from '#src/common/ids/public-id.js';
import type { Aggregation, DatasetDef, DimensionDef, FieldType, MeasureDef } from '#src/reporting/catalog/catalog.js';
import { rollupOf, type RollupSpec } from '#src/reporting/catalog/rollup.js';
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
 * both (`rollup+facts`): the same SELECT over rollup-shaped rows from both (hybridSource).
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
  const select: string[] = [];
  const columns: CompiledColumn[] = [];
  for (const d of query.dimensions) {
    select.push(`${dimensionSql(d, tz, timeColumn)} AS ${q(d.name)}`);
    columns.push({ name: d.name, kind: 'dimension', time: d.type === 'time' });
  }
  if (query.rowCountOnly) {
    select.push(`${measureSql('row_count')} AS ${q('row_count')}`);
    columns.push({ name: 'row_count', kind: 'measure', time: false });
  }
  for (const m of query.measures) {
    select.push(`${measureSql(m)} AS ${q(m.name)}`);
    columns.push({ name: m.name, kind: 'measure', time: false });
  }
  const time = `f.${timeColumn}`;
  const filters = query.filters.map((f) => filterSql(f, p));
  const fromWhere = source === 'rollup+facts'
    ? hybridSource(query.dataset, rollup!, p, org, { from: query.from, to: query.to }, from, to, filters)
    : `${rollup ? rollup.table : query.dataset.table} f\nWHERE ${[`f.org_id = ${org}`, `${time} >= ${from}`, `${time} < ${to}`, ...(rollup ? ['f.row_count > 0'] : []), ...filters].join('\n  AND ')}`;
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
  const groupBy = query.dimensions.length > 0 ? `\nGROUP BY ${query.dimensions.map((_, i) => i + 1).join(', ')}` : '';
  const orderBy = order.length > 0 ? `\nORDER BY ${order.join(', ')}` : '';
  const aggregated = `SELECT ${select.join(', ')}\nFROM ${fromWhere}${groupBy}`;
  const body = query.fill === 'zero' ? zeroFilled(query, aggregated, from, to, tz) : aggregated;
  const sql = `${body}${orderBy}\nLIMIT ${p.add(rowLimit, 'int')}`;
  return { sql, params: p.values, columns };
}

/**
 * SPEC §15: the source rows of a `rollup+facts` query over `range` (bound as `from`, `to`), in
 * the rollup's shape (hour, covered dimensions, stored columns): the rollup rows of the range's
 * whole UTC hours, and for each partial edge hour ([from, first whole hour), [end of the last
 * whole hour, to)) one row per fact holding what that fact adds to each stored column
 * (`perFact`), its hour `hourOfFact`. The rollup's aggregates over them equal the facts-only
 * answer, because a rollup row is the sum of its facts' per-fact values; the planner guarantees
 * that time buckets over the hour equal buckets over the fact time. Every branch is scoped by
 * org first and filtered on its own, so each reads only its range through its index. Built from
 * the spec's columns, it covers any column the rollup gains whose aggregate merges per-fact
 * values as it merges stored ones.
 */
function hybridSource(dataset: DatasetDef, rollup: RollupSpec, p: Params, org: string, range: { from: Date; to: Date }, from: string, to: string, filters: string[]): string {
  const { wholeFrom, wholeTo } = wholeHours(range.from, range.to);
  const dims = rollup.dimensions.map((d) => `f.${d.column}`);
  const wholeStart = wholeFrom.getTime() === range.from.getTime() ? from : p.add(wholeFrom, 'timestamptz');
  const wholeEnd = wholeTo.getTime() === range.to.getTime() ? to : p.add(wholeTo, 'timestamptz');
  const branch = (select: string[], table: string, where: string[]) => `  SELECT ${select.join(', ')}\n  FROM ${table} f\n  WHERE ${[`f.org_id = ${org}`, ...where, ...filters].join('\n    AND ')}`;
  const branches = [branch(['f.hour', ...dims, ...rollup.columns.map((c) => `f.${c.name}`)], rollup.table, [`f.hour >= ${wholeStart}`, `f.hour < ${wholeEnd}`, 'f.row_count > 0'])];
  const t = `f.${dataset.time_column}`;
  const perFact = [`${rollup.hourOfFact} AS hour`, ...dims, ...rollup.columns.map((c) => `${c.perFact} AS ${c.name}`)];
  if (wholeStart !== from) branches.push(branch(perFact, dataset.table, [`${t} >= ${from}`, `${t} < ${wholeStart}`]));
  if (wholeEnd !== to) branches.push(branch(perFact, dataset.table, [`${t} >= ${wholeEnd}`, `${t} < ${to}`]));
  return `(\n${branches.join('\n  UNION ALL\n')}\n) f`;
}

/** SPEC §11 fill "zero": sums and counts of an empty bucket are 0; averages and percentiles stay null. */
const ZERO_WHEN_EMPTY: Record<Aggregation, boolean> = { count: true, sum: true, count_distinct: true, count_if: true, sum_if: true, avg: false, p50: false, p95: false };

/**
 * Every bucket of the range for each combination of the other dimensions present in the result:
 * the buckets come from generate_series in the query's zone (so a day is 23 or 25 hours where the
 * zone says so), from the bucket holding `from` to the last one starting before `to`, and the
 * aggregated rows are joined onto them. Validation guarantees exactly one time bucket.
 */
function zeroFilled(query: ResolvedQuery, aggregated: string, from: string, to: string, tz: string): string {
  const time = query.dimensions.find((d) => d.type === 'time')!;
  const others = query.dimensions.filter((d) => d !== time);
  const g = time.granularity!;
  const series = `SELECT s AS ${q(time.name)} FROM generate_series(date_trunc('${g}', ${from}, ${tz}), ${to} - interval '1 microsecond', interval '1 ${g}', ${tz}) s`;
  const combos = others.length > 0 ? `SELECT DISTINCT ${others.map((d) => q(d.name)).join(', ')} FROM r` : 'SELECT';
  const on = [`r.${q(time.name)} = b.${q(time.name)}`, ...others.map((d) => `r.${q(d.name)} IS NOT DISTINCT FROM c.${q(d.name)}`)];
  const cells = query.dimensions.map((d) => (d === time ? `b.${q(d.name)}` : `c.${q(d.name)}`));
  if (query.rowCountOnly) cells.push(`coalesce(r.${q('row_count')}, 0) AS ${q('row_count')}`);
  for (const m of query.measures) cells.push(ZERO_WHEN_EMPTY[m.aggregation] ? `coalesce(r.${q(m.name)}, 0) AS ${q(m.name)}` : `r.${q(m.name)}`);
  return `WITH r AS (\n${aggregated}\n), b AS (${series}), c AS (${combos})\nSELECT ${cells.join(', ')}\nFROM b CROSS JOIN c\nLEFT JOIN r ON ${on.join(' AND ')}`;
}
