import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatInstant, formatValue, type ValueKind } from '../format.js';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** SPEC §11 compare: the previous range's values, aligned by bucket position, drawn dashed and lighter in its series' colour. */
  previous?: true;
  /** SPEC §11 top with other: the merged rest, always grey. */
  other?: true;
}

export interface ChartProps {
  /** Time: bucket starts (RFC 3339); category: labels. */
  x: string[];
  series: ChartSeries[];
  kind: 'line' | 'stacked' | 'category';
  valueKind: ValueKind;
  timeZone: string;
  grain?: 'hour' | 'day' | 'week' | 'month';
  title: string;
}

// Colour-blind-safe palette (Okabe–Ito), readable on both themes.
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#999999'];
/** 1, 2, 5, 10, 20, 50 … up to 5e15: tick steps for whole-number axes. */
const WHOLE_INCREMENTS = Array.from({ length: 16 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();

export const seriesColor = (i: number) => PALETTE[i % PALETTE.length];
const OTHER_COLOR = PALETTE[PALETTE.length - 1];

/** A previous series takes the colour of the series before it (its current one); "(other)" is grey. */
function seriesColors(series: ChartSeries[]): string[] {
  let c = -1;
  return series.map((s) => {
    if (!s.previous) c++;
    return s.other ? OTHER_COLOR : seriesColor(c);
  });
}

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

/**
 * The one chart component (cf. plausible's graph.tsx): line over time, stacked bars over time, or
 * bars by category — formatted axes and legend from format.ts, time axes in the query's zone. The
 * raw series handed to uPlot are also on the figure (`data-series`), the table below being the
 * accessible equivalent of the picture.
 */
export function Chart(props: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const scheme = useColorScheme();
  useEffect(() => {
    const el = host.current;
    if (!el || props.x.length === 0 || props.series.length === 0) return;
    const isTime = props.kind !== 'category';
    const xs = isTime ? props.x.map((v) => Date.parse(v) / 1000) : props.x.map((_, i) => i);
    // Stacked bars: each series is drawn at its running total, the tallest first, so each band shows.
    const drawn = props.kind === 'stacked' ? stack(props.series) : props.series.map((s) => s.values);
    const order = props.kind === 'stacked' ? props.series.map((_, i) => props.series.length - 1 - i) : props.series.map((_, i) => i);
    const axisStroke = cssVar('--muted');
    const grid = { stroke: cssVar('--grid'), width: 1 };
    const bars = uPlot.paths.bars!({ size: [0.8, 64], align: 0 });
    // Bars by category with a previous series: current left of the tick, previous right of it.
    const paired = props.kind === 'category' && props.series.some((s) => s.previous);
    const leftBars = uPlot.paths.bars!({ size: [0.4, 32], align: -1 });
    const rightBars = uPlot.paths.bars!({ size: [0.4, 32], align: 1 });
    const colors = seriesColors(props.series);
    const fmt = (v: number | null) => (v === null || v === undefined ? '—' : formatValue(props.valueKind, v));
    const opts: uPlot.Options = {
      width: el.clientWidth || 600,
      height: 280,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), props.timeZone),
      scales: { x: { time: isTime, ...(isTime ? {} : { range: (_u, min, max) => [min - 0.5, max + 0.5] }) } },
      legend: { live: true },
      cursor: { points: { show: props.kind === 'line' } },
      axes: [
        {
          stroke: axisStroke,
          grid,
          ticks: grid,
          ...(isTime ? {} : { values: (_u: uPlot, ticks: number[]) => ticks.map((t) => (Number.isInteger(t) ? truncate(props.x[t] ?? '', 14) : '')) }),
        },
        {
          stroke: axisStroke, grid, ticks: grid, size: axisWidth, values: (_u: uPlot, ticks: number[]) => ticks.map((t) => fmt(t)),
          // Counts and tokens are whole: fractional ticks (0.5, 1.5) would print as repeated integers.
          ...(props.valueKind === 'count' || props.valueKind === 'tokens' ? { incrs: WHOLE_INCREMENTS } : {}),
        },
      ],
      series: [
        { label: isTime ? 'Time' : 'Value', value: (_u, v) => (v === null ? '—' : isTime ? formatInstant(new Date(v * 1000).toISOString(), props.timeZone, props.grain) : props.x[v] ?? '') },
        ...order.map((i) => ({
          label: props.series[i].label,
          stroke: colors[i],
          fill: props.kind === 'line' ? undefined : colors[i],
          width: props.kind === 'line' ? 2 : 0,
          ...(props.series[i].previous ? { dash: [6, 4], alpha: props.kind === 'line' ? 0.6 : 0.45 } : {}),
          paths: props.kind === 'line' ? undefined : paired ? (props.series[i].previous ? rightBars : leftBars) : bars,
          points: { show: props.kind === 'line' && xs.length < 60 },
          // The legend shows the series' own value, not the stacked total it is drawn at.
          value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) => (idx === null ? '—' : fmt(props.series[i].values[idx] ?? null)),
        })),
      ],
    };
    const plot = new uPlot(opts, [xs, ...order.map((i) => drawn[i])] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: 280 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.x, props.series, props.kind, props.valueKind, props.timeZone, props.grain, scheme]);

  if (props.x.length === 0 || props.series.length === 0) return null;
  return (
    <figure class="chart" data-kind={props.kind} data-series={JSON.stringify({ x: props.x, series: props.series })}>
      <figcaption class="visually-hidden">{props.title} (the same numbers are in the table below)</figcaption>
      <div ref={host} class="chart-host" aria-hidden="true" />
    </figure>
  );
}

/** Canvas colours come from the theme's CSS variables, so the chart is redrawn when the system theme flips. */
function useColorScheme(): 'dark' | 'light' {
  const query = matchMedia('(prefers-color-scheme: dark)');
  const [dark, setDark] = useState(query.matches);
  useEffect(() => {
    const on = () => setDark(query.matches);
    query.addEventListener('change', on);
    return () => query.removeEventListener('change', on);
  }, []);
  return dark ? 'dark' : 'light';
}

function stack(series: ChartSeries[]): (number | null)[][] {
  const out: (number | null)[][] = [];
  const running = new Array<number>(series[0]?.values.length ?? 0).fill(0);
  for (const s of series) {
    out.push(s.values.map((v, i) => (running[i] += v ?? 0)));
  }
  return out;
}

/** The value axis is as wide as its longest label (1,500,000 tokens or $1,234.56 did not fit in a fixed 70 px). */
const axisWidth = (_u: uPlot, values: string[] | null) => Math.max(48, 16 + 7.5 * Math.max(0, ...(values ?? []).map((v) => v.length)));

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
