import { Prng } from './prng.js';

const HOUR_MS = 3_600_000;

/**
 * Relative activity by local hour of day: quiet nights, a morning ramp, late-morning and
 * mid-afternoon peaks with a lunch dip, a tail into the evening.
 */
export const HOUR_OF_DAY = [
  0.06, 0.04, 0.03, 0.03, 0.04, 0.07, 0.15, 0.35, 0.7, 0.95, 1.0, 1.0,
  0.8, 0.85, 1.0, 1.0, 0.92, 0.7, 0.45, 0.32, 0.25, 0.18, 0.12, 0.08,
];

/** Relative activity by local day of week, Sunday first (Date#getUTCDay order). */
export const DAY_OF_WEEK = [0.22, 0.95, 1.05, 1.05, 1.0, 0.85, 0.28];

export interface RhythmOptions {
  /** First hour of the window (ms since epoch, a whole hour). */
  startMs: number;
  hours: number;
  utcOffsetHours: number;
  /** Seeds the day-to-day noise and the one busy "launch day". */
  seed: number;
  label: string;
}

/**
 * Weight of every hour of the window: business hours × weekday × a gentle growth trend × ±15 %
 * day-to-day noise, plus one launch day at twice the traffic. Fed to width_bucket() as
 * thresholds, it places events with daily and hourly rhythms in one set-based pass.
 */
export function businessHourWeights(o: RhythmOptions): number[] {
  const rng = new Prng(o.seed, `rhythm:${o.label}`);
  const days = Math.ceil(o.hours / 24) + 2;
  const noise = Array.from({ length: days }, () => 0.85 + 0.3 * rng.next());
  const launchDay = Math.floor(rng.next() * days);
  const offsetMs = o.utcOffsetHours * HOUR_MS;
  const firstLocalDay = Math.floor((o.startMs + offsetMs) / 86_400_000);
  const weights: number[] = [];
  for (let h = 0; h < o.hours; h++) {
    const local = new Date(o.startMs + h * HOUR_MS + offsetMs);
    const day = Math.floor((o.startMs + h * HOUR_MS + offsetMs) / 86_400_000) - firstLocalDay;
    const trend = 0.8 + (0.4 * h) / Math.max(1, o.hours - 1);
    const launch = day === launchDay ? 2 : 1;
    weights.push(HOUR_OF_DAY[local.getUTCHours()] * DAY_OF_WEEK[local.getUTCDay()] * trend * noise[day] * launch);
  }
  return weights;
}

/** Scheduled work does not sleep: every hour weighs the same. */
export function flatHourWeights(hours: number): number[] {
  return Array.from({ length: hours }, () => 1);
}
