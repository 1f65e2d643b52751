import type { NodePatchResult } from '../../../core/os-patch.js';

/**
 * Bounds of the wait before the workflow looks at a pool's patchNodes command again. Each look is
 * a task and three state transitions, and the agent runs the pool's loop (and writes each node's
 * events) by itself, so looking only matters once the command may have ended; the run's record
 * takes the agent's progress at each look, at least every LOOK_MAX_SECONDS.
 */
export const LOOK_MIN_SECONDS = 60;
export const LOOK_MAX_SECONDS = 600;

/** Statuses a node of the command is finished with. */
const FINISHED = new Set<NodePatchResult['status']>(['patched', 'failed', 'notReady', 'skipped']);

/** The middle patch time of the run's nodes finished so far, in ms; undefined before any. */
export function nodePaceMs(nodes: readonly NodePatchResult[]): number | undefined {
  const took = nodes
    .filter((n) => FINISHED.has(n.status) && n.status !== 'skipped' && n.startedAt && n.finishedAt)
    .map((n) => Date.parse(n.finishedAt!) - Date.parse(n.startedAt!))
    .filter((ms) => ms >= 0)
    .sort((a, b) => a - b);
  return took.length ? took[Math.floor((took.length - 1) / 2)] : undefined;
}

/**
 * Seconds until the next look at a pool's command: when its nodes would be done at the pace the
 * run's finished nodes set, estimated on the early side (the next node starts when the first slot
 * frees), between LOOK_MIN_SECONDS and LOOK_MAX_SECONDS. Before any node of the run has finished
 * there is no pace: a minute. No node starts past the window's end or after one did not come back,
 * so only those in flight count then.
 */
export function nextLookSeconds(run: { readonly nodes: readonly NodePatchResult[]; readonly windowEndsAt: string }, commandNodes: readonly string[], concurrency: number, now: number): number {
  const pace = nodePaceMs(run.nodes);
  if (pace === undefined) return LOOK_MIN_SECONDS;
  const mine = new Set(commandNodes);
  const nodes = run.nodes.filter((n) => mine.has(n.node));
  const windowEnd = Date.parse(run.windowEndsAt);
  const halted = nodes.some((n) => n.status === 'notReady') || now >= windowEnd;
  const pending = halted ? 0 : nodes.filter((n) => n.status === 'pending').length;
  const inFlight = nodes.filter((n) => n.status === 'patching').map((n) => Math.max(0, (n.startedAt ? Date.parse(n.startedAt) : now) + pace - now));
  const remaining = pending ? (inFlight.length ? Math.min(...inFlight) : 0) + Math.ceil(pending / Math.max(1, concurrency)) * pace : Math.max(0, ...inFlight);
  // Past the window's end the agent starts nothing: the command ends once the nodes then in flight do.
  const bounded = now < windowEnd ? Math.min(remaining, windowEnd - now + pace) : remaining;
  return Math.min(LOOK_MAX_SECONDS, Math.max(LOOK_MIN_SECONDS, Math.ceil(bounded / 1000)));
}
