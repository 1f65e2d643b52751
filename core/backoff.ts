/** Capped exponential backoff, in whole seconds (Step Functions Wait states take integers). */
export function backoffSeconds(attempt: number, baseSeconds = 5, capSeconds = 300): number {
  const n = Math.max(1, attempt);
  return Math.min(capSeconds, baseSeconds * 2 ** Math.min(n - 1, 20));
}
