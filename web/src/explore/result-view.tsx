import { useMemo, useState } from 'preact/hooks';
import type { Dataset, ReportResult } from '../api/types.js';
import { Chart, type ChartSeries } from '../components/chart.js';
import { formatCount, formatInstant, formatLag, formatValue, valueKind, type ValueKind } from '../format.js';

const GRAINS = ['hour', 'day', 'week', 'month'] as const;
type Grain = (typeof GRAINS)[number];
const MAX_SERIES = 8;

export interface Shaped {
  timeDim: Grain | null;
  otherDims: string[];
  measures: string[];
}

export function shape(result: ReportResult): Shaped {
  const dims = result.columns.filter((c) => c.kind === 'dimension').map((c) => c.name);
  const timeDim = (dims.find((d) => (GRAINS as readonly string[]).includes(d)) ?? null) as Grain | null;
  return { timeDim, otherDims: dims.filter((d) => d !== timeDim), measures: result.columns.filter((c) => c.kind === 'measure').map((c) => c.name) };
}

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
  const { timeDim, otherDims } = shape(result);
  const rows = result.rows as Record<string, unknown>[];
  if (timeDim) {
    const x = [...new Set(rows.map((r) => String(r[timeDim])))].sort((a, b) => Date.parse(a) - Date.parse(b));
    const at = new Map(x.map((v, i) => [v, i]));
    const byCombo = new Map<string, (number | null)[]>();
    for (const r of rows) {
      const label = otherDims.length ? comboLabel(r, otherDims) : measure;
      let values = byCombo.get(label);
      if (!values) byCombo.set(label, (values = new Array<number | null>(x.length).fill(additive ? 0 : null)));
      values[at.get(String(r[timeDim]))!] = (r[measure] as number | null) ?? null;
    }
    const total = (v: (number | null)[]) => v.reduce<number>((s, n) => s + (n ?? 0), 0);
    const all = [...byCombo.entries()].map(([label, values]) => ({ label, values }));
    const kept = all.length > MAX_SERIES ? [...all].sort((a, b) => total(b.values) - total(a.values)).slice(0, MAX_SERIES) : all;
    return { x, series: kept, hidden: all.length - kept.length, kind: 'time' };
  }
  if (otherDims.length) {
    return { x: rows.map((r) => comboLabel(r, otherDims)), series: [{ label: measure, values: rows.map((r) => (r[measure] as number | null) ?? null) }], hidden: 0, kind: 'category' };
  }
  return { x: [], series: [], hidden: 0, kind: 'none' };
}

export function ResultView({ result, dataset, timeZone }: { result: ReportResult; dataset: Dataset | undefined; timeZone: string }) {
  const shaped = shape(result);
  const [picked, setPicked] = useState<string | null>(null);
  const [stacked, setStacked] = useState(false);
  const measure = picked && shaped.measures.includes(picked) ? picked : shaped.measures[0];
  const kindOf = (m: string): ValueKind => valueKind(dataset?.measures.find((x) => x.name === m), m);
  const additive = ADDITIVE.has(dataset?.measures.find((m) => m.name === measure)?.aggregation ?? '');
  const data = useMemo(() => chartData(result, measure, additive), [result, measure, additive]);
  const rows = result.rows as Record<string, unknown>[];

  return (
    <section class="result" aria-label="Result">
      <p class="freshness" data-testid="freshness">
        <span>As of <time dateTime={result.as_of}>{formatInstant(result.as_of, timeZone)}</time></span>
        <span>{formatLag(result.freshness_lag_ms)}</span>
        <span>served by <strong data-testid="served-by">{result.served_by}</strong></span>
        <span>{formatCount(rows.length)} rows{result.truncated ? ' (truncated: raise the limit)' : ''}</span>
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
                {data.hidden > 0 ? <span class="hint">Charting the {data.series.length} largest of {data.series.length + data.hidden} series; the table has all.</span> : null}
              </div>
              <Chart
                x={data.x}
                series={data.series}
                kind={data.kind === 'category' ? 'category' : stacked ? 'stacked' : 'line'}
                valueKind={kindOf(measure)}
                timeZone={timeZone}
                grain={shaped.timeDim ?? undefined}
                title={`${measure} ${shaped.timeDim ? `by ${shaped.timeDim}` : `by ${shaped.otherDims.join(', ')}`}`}
              />
            </>
          )}
          <ResultTable result={result} timeZone={timeZone} kindOf={kindOf} timeDim={shaped.timeDim} />
        </>
      )}
    </section>
  );
}

function ResultTable({ result, timeZone, kindOf, timeDim }: { result: ReportResult; timeZone: string; kindOf: (m: string) => ValueKind; timeDim: Grain | null }) {
  const rows = result.rows as Record<string, unknown>[];
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
            <tr key={i}>
              {result.columns.map((c) => {
                const v = r[c.name];
                if (c.kind === 'measure') {
                  return (
                    <td key={c.name} class="num" data-value={v === null ? '' : String(v)}>
                      {formatValue(kindOf(c.name), v)}
                    </td>
                  );
                }
                const text = v === null || v === undefined ? '(none)' : c.name === timeDim ? formatInstant(String(v), timeZone, timeDim) : String(v);
                return (
                  <td key={c.name} data-value={v === null || v === undefined ? '' : String(v)}>
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
