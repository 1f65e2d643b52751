/**
 * One OS patch run in AWS, counted: the agent patches each pool's nodes at most `concurrency` at a
 * time, each node taking `nodeMinutes`, and the patch-os workflow looks at the pool's command when
 * the task's own nextLookSeconds says (the same function PatchPools calls). Each look that waits is
 * PatchPools, its Choice and its Wait; BeginPatch and FinishPatch are a Task and a Choice each, then
 * the Succeed state.
 */
import type { NodePatchResult } from '../core/os-patch.js';
import { nextLookSeconds } from '../functions/tasks/patch/next-look.js';

export interface PatchRunModel {
  readonly minutes: number;
  /** PatchPools invocations that answered "look again". */
  readonly looks: number;
  readonly transitions: number;
  readonly tasks: number;
}

export function modelPatchRun(pools: readonly { readonly nodes: number; readonly concurrency: number }[], nodeMinutes: number): PatchRunModel {
  const nodeMs = nodeMinutes * 60_000;
  const t0 = Date.UTC(2026, 10, 1, 3);
  const iso = (ms: number) => new Date(ms).toISOString();
  const run = { windowEndsAt: iso(t0 + 24 * 3_600_000), nodes: [] as NodePatchResult[] };
  let now = t0;
  let looks = 0;
  for (const [p, pool] of pools.entries()) {
    const names = Array.from({ length: pool.nodes }, (_, i) => `p${p}-${i}`);
    // The agent's schedule: each node starts when a slot frees.
    const slots = Array.from({ length: Math.min(pool.concurrency, pool.nodes) }, () => now);
    const times = names.map((node) => {
      const slot = slots.indexOf(Math.min(...slots));
      const start = slots[slot]!;
      slots[slot] = start + nodeMs;
      return { node, start, end: start + nodeMs };
    });
    const ends = Math.max(...times.map((t) => t.end));
    const seen = (at: number): NodePatchResult[] =>
      times.map(({ node, start, end }) => ({
        node,
        status: at >= end ? 'patched' : at >= start ? 'patching' : 'pending',
        packages: [],
        rebootRequired: false,
        rebooted: false,
        ...(at >= start ? { startedAt: iso(start) } : {}),
        ...(at >= end ? { finishedAt: iso(end) } : {}),
      }));
    const before = run.nodes;
    // The look that issues the pool's command waits too; then one look per wait until it has ended.
    for (;;) {
      run.nodes = [...before, ...seen(now)];
      looks++;
      now += nextLookSeconds(run, names, pool.concurrency, now) * 1000;
      if (now >= ends) break;
    }
    run.nodes = [...before, ...seen(ends)];
  }
  // The last look finds the last command ended and answers done: a Task and its Choice.
  const transitions = 2 + looks * 3 + 2 + 2 + 1;
  return { minutes: (now - t0) / 60_000, looks, transitions, tasks: 1 + looks + 1 + 1 };
}
