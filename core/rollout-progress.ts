import type { PlanStep } from './plan.js';

/**
 * How far a pool's rollout has come, as WorkerPoolReady says it: "k of n updated", where a node
 * counts as updated once it is on the pool's spec and Ready. The nodes the plan launches are the
 * ones not updated yet until their waitReady step is done; every other node the pool keeps is on
 * spec already (the planner replaces any that is not).
 */
export function poolProgress(steps: readonly PlanStep[], cursor: number, pool: string, desired: number): { updated: number; desired: number } {
  let pending = 0;
  const launched = new Set<string>();
  steps.forEach((s, i) => {
    if (s.pool !== pool) return;
    if (s.kind === 'launch') launched.add(s.node);
    if (s.kind === 'waitReady' && launched.has(s.node) && i >= cursor) pending++;
  });
  return { updated: Math.max(0, desired - pending), desired };
}

/** One line for a step, as plans and conditions show it. */
export function describeStep(s: PlanStep): string {
  const what = { launch: 'launch', waitReady: 'wait for', drain: 'drain', terminate: 'terminate' }[s.kind];
  return `${what} ${s.node}${s.zone && s.kind === 'launch' ? ` in ${s.zone}` : ''} (${s.reason}${s.details?.length ? `: ${s.details.join(', ')}` : ''})`;
}
