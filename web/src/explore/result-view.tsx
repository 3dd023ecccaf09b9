import { useMemo, useState } from 'preact/hooks';
import type { Dataset, ReportResult } from '../api/types.js';
import { Chart, type ChartSeries } from '../components/chart.js';
import { formatChange, formatCount, formatInstant, formatLag, formatValue, valueKind, type ValueKind } from '../format.js';
import { columnRoles } from './options.js';

const GRAINS = ['hour', 'day', 'week', 'month'] as const;
type Grain = (typeof GRAINS)[number];
const MAX_SERIES = 8;

export interface Shaped {
  timeDim: Grain | null;
  otherDims: string[];
  /** What the chart can draw: the measures and their running totals (m_cumulative). */
  measures: string[];
  /** Every measure column: a measure's value or a column SPEC §11 added after it. */
  roles: ReturnType<typeof columnRoles>;
}

export function shape(result: ReportResult): Shaped {
  const dims = result.columns.filter((c) => c.kind === 'dimension').map((c) => c.name);
  const timeDim = (dims.find((d) => (GRAINS as readonly string[]).includes(d)) ?? null) as Grain | null;
  const roles = columnRoles(result.columns.filter((c) => c.kind === 'measure').map((c) => c.name));
  const measures = [...roles].filter(([, r]) => r.role === 'value' || r.role === 'cumulative').map(([name]) => name);
  return { timeDim, otherDims: dims.filter((d) => d !== timeDim), measures, roles };
}

/** The top option's merged row: its dimension value is the catalog's other_label. */
export const OTHER_LABEL = '(other)';

const comboLabel = (row: Record<string, unknown>, dims: string[]) => dims.map((d) => (row[d] === null || row[d] === undefined ? '(none)' : String(row[d]))).join(' · ');

/**
 * The chart's data, straight from the rows: over time, one series per combination of the other
 * dimensions (the largest MAX_SERIES by the charted measure); without time, bars by combination.
 */
/**
 * A bucket without a row means no facts: zero for counts and sums, unknown (a gap) for averages
 * and percentiles.
 */
const ADDITIVE = new Set(['count', 'sum', 'count_if', 'sum_if']);

export function chartData(result: ReportResult, measure: string, additive = false): { x: string[]; series: ChartSeries[]; hidden: number; kind: 'time' | 'category' | 'none' } {
  const { timeDim, otherDims, roles } = shape(result);
  const rows = result.rows as Record<string, unknown>[];
  // SPEC §11 compare: m_previous sits on the current row, paired with it by bucket position.
  const previous = roles.get(`${measure}_previous`)?.role === 'previous' ? `${measure}_previous` : null;
  const running = roles.get(measure)?.role === 'cumulative';
  const isOther = (r: Record<string, unknown>) => otherDims.some((d) => r[d] === OTHER_LABEL);
  if (timeDim) {
    const x = [...new Set(rows.map((r) => String(r[timeDim])))].sort((a, b) => Date.parse(a) - Date.parse(b));
    const at = new Map(x.map((v, i) => [v, i]));
    const byCombo = new Map<string, { values: (number | null)[]; prev: (number | null)[]; other: boolean }>();
    for (const r of rows) {
      const label = otherDims.length ? comboLabel(r, otherDims) : measure;
      let s = byCombo.get(label);
      if (!s) byCombo.set(label, (s = { values: new Array<number | null>(x.length).fill(additive && !running ? 0 : null), prev: new Array<number | null>(x.length).fill(null), other: isOther(r) }));
      const i = at.get(String(r[timeDim]))!;
      s.values[i] = (r[measure] as number | null) ?? null;
      if (previous) s.prev[i] = (r[previous] as number | null) ?? null;
    }
    // A running total holds its value over a bucket without facts (0 before the first).
    if (running) for (const s of byCombo.values()) s.values.forEach((v, i) => (s.values[i] = v ?? (i > 0 ? s.values[i - 1] : 0)));
    const total = (v: (number | null)[]) => v.reduce<number>((sum, n) => sum + (n ?? 0), 0);
    const all = [...byCombo.entries()].map(([label, s]) => ({ label, ...s }));
    // The "(other)" series is always drawn, last; the largest of the rest fill the other places.
    const others = all.filter((s) => s.other);
    const rest = all.filter((s) => !s.other);
    const room = MAX_SERIES - others.length;
    const kept = [...(rest.length > room ? [...rest].sort((a, b) => total(b.values) - total(a.values)).slice(0, room) : rest), ...others];
    const series: ChartSeries[] = kept.flatMap((s) => [
      { label: s.label, values: s.values, ...(s.other ? { other: true as const } : {}) },
      ...(previous ? [{ label: `${s.label} (previous)`, values: s.prev, previous: true as const, ...(s.other ? { other: true as const } : {}) }] : []),
    ]);
    return { x, series, hidden: all.length - kept.length, kind: 'time' };
  }
  if (otherDims.length) {
    const values = (m: string) => rows.map((r) => (r[m] as number | null) ?? null);
    return {
      x: rows.map((r) => comboLabel(r, otherDims)),
      series: [{ label: measure, values: values(measure) }, ...(previous ? [{ label: `${measure} (previous)`, values: values(previous), previous: true as const }] : [])],
      hidden: 0,
      kind: 'category',
    };
  }
  return { x: [], series: [], hidden: 0, kind: 'none' };
}

export function ResultView({ result, dataset, timeZone }: { result: ReportResult; dataset: Dataset | undefined; timeZone: string }) {
  const shaped = shape(result);
  const [picked, setPicked] = useState<string | null>(null);
  const [stacked, setStacked] = useState(false);
  const measure = picked && shaped.measures.includes(picked) ? picked : shaped.measures[0];
  // m_previous and m_cumulative read like m (m_change is a signed percentage: cellText).
  const baseOf = (m: string) => shaped.roles.get(m)?.base ?? m;
  const kindOf = (m: string): ValueKind => valueKind(dataset?.measures.find((x) => x.name === baseOf(m)), baseOf(m));
  const additive = ADDITIVE.has(dataset?.measures.find((m) => m.name === baseOf(measure))?.aggregation ?? (baseOf(measure) === 'row_count' ? 'count' : ''));
  const data = useMemo(() => chartData(result, measure, additive), [result, measure, additive]);
  const hasPrevious = data.series.some((s) => s.previous);
  // Stacked bars add up the current range's series; the previous range's are not stacked on them.
  const drawn = stacked && data.kind === 'time' ? data.series.filter((s) => !s.previous) : data.series;
  const rows = result.rows as Record<string, unknown>[];
  const prev = result.previous_time_range;

  return (
    <section class="result" aria-label="Result">
      <p class="freshness" data-testid="freshness">
        <span>As of <time dateTime={result.as_of}>{formatInstant(result.as_of, timeZone)}</time></span>
        <span>{formatLag(result.freshness_lag_ms)}</span>
        <span>served by <strong data-testid="served-by">{result.served_by}</strong></span>
        <span>{formatCount(rows.length)} rows{result.truncated ? ' (truncated: raise the limit)' : ''}</span>
        {prev ? (
          <span data-testid="previous-range">
            compared with <time dateTime={prev.from}>{formatInstant(prev.from, timeZone)}</time> – <time dateTime={prev.to}>{formatInstant(prev.to, timeZone)}</time>
          </span>
        ) : null}
      </p>
      {rows.length === 0 ? (
        <div class="empty" data-testid="empty">
          <strong>No data for this query.</strong>
          <p>
            Widen the time range or remove filters. If the service is new, load demo data with <code>npm run seed</code>, or send
            records to <code>POST /v1/ingest/…</code>; the projector makes them visible within a second.
          </p>
        </div>
      ) : (
        <>
          {data.kind === 'none' ? (
            <div class="kpis">
              {shaped.measures.map((m) => (
                <div class="kpi" key={m}>
                  <span class="kpi-label">{m}</span>
                  <span class="kpi-value">{formatValue(kindOf(m), rows[0][m])}</span>
                  {shaped.roles.get(`${m}_previous`)?.role === 'previous' ? (
                    <span class="kpi-previous">
                      previous {formatValue(kindOf(m), rows[0][`${m}_previous`])} ({formatChange(rows[0][`${m}_change`])})
                    </span>
                  ) : null}
                </div>
              ))}
            </div>
          ) : (
            <>
              <div class="chart-controls">
                {shaped.measures.length > 1 ? (
                  <label>
                    Chart measure{' '}
                    <select value={measure} onChange={(e) => setPicked(e.currentTarget.value)}>
                      {shaped.measures.map((m) => (
                        <option key={m}>{m}</option>
                      ))}
                    </select>
                  </label>
                ) : null}
                {data.kind === 'time' ? (
                  <label class="check">
                    <input type="checkbox" checked={stacked} onChange={(e) => setStacked(e.currentTarget.checked)} /> Stacked bars
                  </label>
                ) : null}
                {hasPrevious ? (
                  <span class="hint">{stacked && data.kind === 'time' ? 'Stacked bars show the current range only.' : data.kind === 'category' ? 'Lighter, right of each bar: the previous range.' : 'Dashed, lighter: the previous range, bucket by bucket.'}</span>
                ) : null}
                {data.hidden > 0 ? <span class="hint">Charting the {data.series.length} largest of {data.series.length + data.hidden} series; the table has all.</span> : null}
              </div>
              <Chart
                x={data.x}
                series={drawn}
                kind={data.kind === 'category' ? 'category' : stacked ? 'stacked' : 'line'}
                valueKind={kindOf(measure)}
                timeZone={timeZone}
                grain={shaped.timeDim ?? undefined}
                title={`${measure} ${shaped.timeDim ? `by ${shaped.timeDim}` : `by ${shaped.otherDims.join(', ')}`}`}
              />
            </>
          )}
          <ResultTable result={result} timeZone={timeZone} kindOf={kindOf} timeDim={shaped.timeDim} roles={shaped.roles} />
        </>
      )}
    </section>
  );
}

function ResultTable({ result, timeZone, kindOf, timeDim, roles }: { result: ReportResult; timeZone: string; kindOf: (m: string) => ValueKind; timeDim: Grain | null; roles: Shaped['roles'] }) {
  const rows = result.rows as Record<string, unknown>[];
  const dims = result.columns.filter((c) => c.kind === 'dimension').map((c) => c.name);
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label="Result rows">
      <table class="data" data-testid="result-table">
        <thead>
          <tr>
            {result.columns.map((c) => (
              <th key={c.name} scope="col" class={c.kind === 'measure' ? 'num' : ''}>
                {c.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i} class={dims.some((d) => d !== timeDim && r[d] === OTHER_LABEL) ? 'other-row' : undefined}>
              {result.columns.map((c) => {
                const v = r[c.name];
                if (c.kind === 'measure') {
                  const change = roles.get(c.name)?.role === 'change';
                  return (
                    <td key={c.name} class={change ? 'num change' : 'num'} data-value={v === null ? '' : String(v)}>
                      {change ? formatChange(v) : formatValue(kindOf(c.name), v)}
                    </td>
                  );
                }
                const text = v === null || v === undefined ? '(none)' : c.name === timeDim ? formatInstant(String(v), timeZone, timeDim) : String(v);
                return (
                  <td key={c.name} data-value={v === null || v === undefined ? '' : String(v)} title={v === OTHER_LABEL && c.name !== timeDim ? 'Every other value, merged into one row' : undefined}>
                    {text}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
