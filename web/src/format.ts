// Number and time formatting in one place (SPEC §13): every table cell, axis and tooltip uses these.
import type { Measure } from './api/types.js';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const seconds = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

export const formatCount = (n: number) => integer.format(n);

/** Durations: below a second in ms, else seconds with two decimals (850 ms, 1.25 s). */
export function formatDuration(ms: number): string {
  return Math.abs(ms) < 1000 ? `${integer.format(ms)} ms` : `${seconds.format(ms / 1000)} s`;
}

export const formatUsd = (n: number) => usd.format(n);

/** How a measure's values read: by its unit from the catalog, else by its name. */
export type ValueKind = 'count' | 'tokens' | 'duration' | 'usd' | 'number';

export function valueKind(measure: Pick<Measure, 'name' | 'unit' | 'type'> | undefined, name: string): ValueKind {
  const unit = measure?.unit ?? '';
  if (unit === 'ms' || name.endsWith('_ms')) return 'duration';
  if (unit === 'USD' || unit === 'usd' || name.endsWith('_usd')) return 'usd';
  if (unit === 'tokens' || name.includes('tokens')) return 'tokens';
  if (measure?.type === 'integer' || name.endsWith('_count') || name === 'row_count') return 'count';
  return 'number';
}

export function formatValue(kind: ValueKind, v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  switch (kind) {
    case 'duration':
      return formatDuration(v);
    case 'usd':
      return formatUsd(v);
    case 'tokens':
    case 'count':
      return formatCount(v);
    default:
      return decimal.format(v);
  }
}

type Grain = 'hour' | 'day' | 'week' | 'month' | 'instant';
// Building an Intl.DateTimeFormat costs far more than using one: one per (zone, grain).
const timeFormats = new Map<string, Intl.DateTimeFormat>();

/** Time bucket labels in the query's zone, at the bucket's grain. */
export function formatInstant(iso: string, timeZone: string, grain: Grain = 'instant'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  let f = timeFormats.get(`${timeZone} ${grain}`);
  if (!f) {
    const opts: Intl.DateTimeFormatOptions =
      grain === 'month'
        ? { year: 'numeric', month: 'short' }
        : grain === 'day' || grain === 'week'
          ? { year: 'numeric', month: 'short', day: 'numeric' }
          : { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    f = new Intl.DateTimeFormat('en-GB', { ...opts, timeZone });
    timeFormats.set(`${timeZone} ${grain}`, f);
  }
  return f.format(d);
}

export function formatLag(ms: number | null): string {
  if (ms === null) return 'unknown';
  if (ms === 0) return 'up to date';
  return `${formatDuration(ms)} behind`;
}

const percent = new Intl.NumberFormat('en-US', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: 'exceptZero' });

/** A compare's `m_change` (a ratio: 0.125 = 12.5 % up) as a signed percentage; null (no previous value) as —. */
export function formatChange(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  return percent.format(v).replace('-', '−');
}
