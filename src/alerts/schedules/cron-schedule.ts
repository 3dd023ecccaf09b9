import { Cron } from 'croner';

/** `@daily`-style nicknames croner understands; anything else must have the classic five fields. */
const NICKNAMES = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/**
 * A 5-field cron expression (minute resolution: no seconds field, so no schedule fires more than
 * once a minute) or a nickname; null when croner cannot parse it. Returns croner's message otherwise.
 */
export function cronProblem(expression: string): string | null {
  const trimmed = expression.trim();
  if (!NICKNAMES.has(trimmed.toLowerCase()) && trimmed.split(/\s+/).length !== 5) {
    return 'cron must have five fields (minute hour day-of-month month day-of-week) or be a nickname such as @daily';
  }
  try {
    new Cron(trimmed, { paused: true, timezone: 'UTC' });
    return null;
  } catch (e) {
    return `cron does not parse: ${(e as Error).message}`.slice(0, 300);
  }
}

/**
 * The first tick strictly after `after`, in `timezone` (croner's DST rules, checked in
 * cron-schedule.spec.ts: a wall-clock time the spring-forward gap skips runs once, at the first
 * instant after the gap; one the fall-back overlap repeats runs once, at its first occurrence).
 */
export function nextTick(expression: string, timezone: string, after: Date): Date | null {
  const cron = new Cron(expression.trim(), { paused: true, timezone });
  return cron.nextRun(after);
}
