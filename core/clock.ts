/**
 * The one clock everything reads: workflow waits, backoff messages, health deadlines, tickets,
 * command deadlines, the scheduler and the simulated cloud. In AWS it is the system clock; the
 * local runtime injects its own, which tests move forward (advance) instead of sleeping, so
 * 10-minute thresholds and 1-hour expiries are testable in seconds.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves once the clock reads `at` (the local clock also wakes when a test moves it). */
  until?(at: number): Promise<void>;
}

const system: Clock = { now: () => Date.now() };
let current: Clock = system;

export const clock = {
  now: (): number => current.now(),
  date: (): Date => new Date(current.now()),
  until: (at: number): Promise<void> => current.until?.(at) ?? new Promise((resolve) => setTimeout(resolve, Math.max(0, at - current.now()))),
};

/** Use another clock (the local runtime's); the system clock without an argument. */
export function useClock(c: Clock = system): void {
  current = c;
}
