import type { AlertOp, AlertState } from './alert.entity.js';

const EVERY = /^([1-9][0-9]{0,3})([mh])$/;
/** One week: an alert that checks less often than that is a report, not an alert. */
export const MAX_EVERY_SECONDS = 7 * 24 * 3600;

/** `"<n><m|h>"` → seconds, or null when malformed or outside 1 minute … 1 week. */
export function parseEvery(every: string): number | null {
  const m = EVERY.exec(every);
  if (!m) return null;
  const seconds = Number(m[1]) * (m[2] === 'h' ? 3600 : 60);
  return seconds <= MAX_EVERY_SECONDS ? seconds : null;
}

/** The state a value puts the alert in. An unknown value (no data) breaches nothing: `ok`. */
export function stateFor(value: number | null, op: AlertOp, threshold: number): AlertState {
  if (value === null || !Number.isFinite(value)) return 'ok';
  const breached = op === 'gt' ? value > threshold : op === 'gte' ? value >= threshold : op === 'lt' ? value < threshold : value <= threshold;
  return breached ? 'firing' : 'ok';
}
