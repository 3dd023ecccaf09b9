/**
 * Polls `probe` until `done` holds and returns the last value. No deadline of its own: a condition
 * that never comes fails the test at jest's timeout, never at a wall-clock guess here.
 */
export async function eventually<T>(probe: () => Promise<T>, done: (v: T) => boolean, everyMs = 50): Promise<T> {
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
