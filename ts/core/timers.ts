/**
 * Timers for caller-given durations. setTimeout and setInterval keep their
 * delay in a signed 32-bit integer: a delay above 2^31 − 1 ms (24.8 days),
 * Infinity included, fires at once (every ~4 ms for an interval). A longer
 * budget is no budget at all, so these start no timer for it.
 */

/** The longest delay setTimeout honours, in ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Whether a timer of `ms` would ever fire: a finite delay of at most MAX_TIMER_MS. */
export function timerNeeded(ms: number | undefined): ms is number {
  return ms !== undefined && Number.isFinite(ms) && ms <= MAX_TIMER_MS;
}
