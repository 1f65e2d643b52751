/** The backoff cap while a step has failed for less than an hour, and after. */
export const BACKOFF_CAP_SECONDS = 300;
export const LONG_BACKOFF_CAP_SECONDS = 1800;
const LONG_FAILURE_MS = 3600_000;

/**
 * Capped exponential backoff, in whole seconds (Step Functions Wait states take integers). After an
 * hour of failures the cap grows, so a cluster stuck for a day costs few transitions (bench/stuck).
 */
export function backoffSeconds(attempt: number, failingForMs = 0, baseSeconds = 5): number {
  const cap = failingForMs >= LONG_FAILURE_MS ? LONG_BACKOFF_CAP_SECONDS : BACKOFF_CAP_SECONDS;
  const n = Math.max(1, attempt);
  return Math.min(cap, baseSeconds * 2 ** Math.min(n - 1, 20));
}

/** An error about something made this recently may be the cloud's eventual consistency: retried whatever its code. */
export const CONSISTENCY_WINDOW_MS = 5 * 60_000;
