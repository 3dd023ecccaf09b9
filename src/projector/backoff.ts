/**
 * SPEC §5: next attempt after a failure = now + min(base·2^attempts, cap), with "equal jitter"
 * (half fixed, half random) so failed rows of one batch do not retry in lockstep.
 */
export function backoffMs(attempts: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(attempts, 40));
  return Math.round(exp / 2 + random() * (exp / 2));
}
