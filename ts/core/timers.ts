/**
 * Timers for caller-given durations. setTimeout and setInterval keep their
 * delay in a signed 32-bit integer: a delay above 2^31 − 1 ms (24.8 days),
 * Infinity included, fires at once (every ~4 ms for an interval). A longer
 * budget is no budget at all, so these start no timer for it.
 */
import { ElexError } from './errors.ts';

/** The longest delay setTimeout honours, in ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Checks a caller's duration option: undefined, or a number of ms ≥ 0
 * (> 0 with `positive`); Infinity means no limit. Anything else is
 * INVALID_ARGUMENT naming the option (NaN or a string would otherwise be
 * read as "no limit", a negative number as "already over").
 */
export function checkDuration(name: string, v: unknown, positive = false): void {
  if (v !== undefined && (typeof v !== 'number' || !(positive ? v > 0 : v >= 0)))
    throw new ElexError(
      'INVALID_ARGUMENT',
      `${name} must be a number of ms ${positive ? '> 0' : '≥ 0'} (Infinity: no limit), got ${String(v)}`,
    );
}

/** Whether a timer of `ms` would ever fire: a finite delay of at most MAX_TIMER_MS. */
export function timerNeeded(ms: number | undefined): ms is number {
  return ms !== undefined && Number.isFinite(ms) && ms <= MAX_TIMER_MS;
}

/** `work`, or `late()` thrown if it has not settled within `ms` (no timer when it could never fire). */
export function inTime<T>(work: Promise<T>, ms: number | undefined, late: () => Error): Promise<T> {
  if (!timerNeeded(ms)) return work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const overdue = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
  });
  return Promise.race([work, overdue]).finally(() => clearTimeout(timer));
}
