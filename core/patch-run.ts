import type { NodePool } from './clusters.js';
import { DEFAULT_OS_PATCH, type NodePatchResult, type OsPatchSettings, type PatchRun } from './os-patch.js';
import { rolloutFor } from './plan.js';

/**
 * The rules of one patch run: which nodes, in which order, how many at once, and what the agent's
 * reports make of the run. Pure: the patch-os workflow's tasks apply them.
 */

/** A failed node is tried again this many times in one run (a new command after a backoff) before the run gives it up. */
export const PATCH_ATTEMPTS = 3;

/** The settings of a cluster, stored ones from before frequencies included (their fields default). */
export function patchSettingsOf(stored: Partial<OsPatchSettings> | undefined): OsPatchSettings {
  return { ...DEFAULT_OS_PATCH, ...(stored ?? {}) } as OsPatchSettings;
}

/** A run's id: its time, so runs sort newest first and a schedule's time names one run only. */
export function patchRunId(trigger: PatchRun['trigger'], at: Date): string {
  const compact = at.toISOString().slice(0, 19).replace(/[-:]/g, '').toLowerCase();
  return `pr-${compact}${trigger === 'manual' ? 'm' : 's'}`;
}

/**
 * Nodes out at once while a pool is patched: its rollout's maxUnavailable, at least one, since
 * patching is in place (there is no surge node to keep capacity); the control plane one at a time.
 */
export function patchConcurrency(pool: Pick<NodePool, 'role' | 'rollout'>): number {
  if (pool.role === 'controlPlane') return 1;
  return Math.max(1, rolloutFor(pool).maxUnavailable);
}

/**
 * The nodes of a new run, control plane first, then the worker pools in their order, each pool's
 * nodes by name. A run that resumes a paused one takes only the nodes that one left.
 */
export function runNodes(pools: readonly Pick<NodePool, 'name' | 'role'>[], machines: readonly { name: string; pool: string; phase?: string }[], paused?: Pick<PatchRun, 'nodes'>): NodePatchResult[] {
  const live = machines.filter((m) => !m.phase);
  const order = [...pools.filter((p) => p.role === 'controlPlane'), ...pools.filter((p) => p.role !== 'controlPlane')];
  const left = paused ? new Set(paused.nodes.filter((n) => n.status === 'pending').map((n) => n.node)) : undefined;
  return order.flatMap((p) =>
    live
      .filter((m) => m.pool === p.name && (!left || left.has(m.name)))
      .map((m) => m.name)
      .sort()
      .map((node) => ({ node, status: 'pending' as const, packages: [], rebootRequired: false, rebooted: false })),
  );
}

/** The run's nodes with the agent's latest word on some of them. */
export function mergeNodes(nodes: readonly NodePatchResult[], reported: readonly NodePatchResult[]): NodePatchResult[] {
  const byName = new Map(reported.map((r) => [r.node, r]));
  return nodes.map((n) => byName.get(n.node) ?? n);
}

/** Statuses a pool is finished with (a failed node is, once its attempts are spent). */
const SETTLED = new Set(['patched', 'notReady', 'skipped']);

/** The first pool (in the run's order) with work left, and the nodes to patch in it; undefined when every pool is done. */
export function nextPool(run: Pick<PatchRun, 'nodes'>, poolOf: (node: string) => string | undefined, attempts: Readonly<Record<string, number>>): { pool: string; nodes: string[] } | undefined {
  const pools: string[] = [];
  for (const n of run.nodes) {
    const p = poolOf(n.node);
    if (p && !pools.includes(p)) pools.push(p);
  }
  for (const pool of pools) {
    const todo = run.nodes.filter((n) => poolOf(n.node) === pool && !SETTLED.has(n.status) && !(n.status === 'failed' && (attempts[pool] ?? 0) >= PATCH_ATTEMPTS));
    if (todo.length) return { pool, nodes: todo.map((n) => n.node) };
  }
  return undefined;
}

/** How a run that has nothing left to do ended. */
export function runOutcome(nodes: readonly NodePatchResult[]): { state: 'Succeeded' | 'Failed' | 'Paused'; message: string } {
  const count = (s: NodePatchResult['status']) => nodes.filter((n) => n.status === s).length;
  const patched = nodes.filter((n) => n.status === 'patched');
  const packages = patched.reduce((sum, n) => sum + n.packages.length, 0);
  const rebooted = patched.filter((n) => n.rebooted).length;
  const summary = `${patched.length} of ${nodes.length} node(s) patched, ${packages} package update(s), ${rebooted} reboot(s)`;
  const broken = nodes.filter((n) => n.status === 'failed' || n.status === 'notReady');
  if (broken.length) return { state: 'Failed', message: `${summary}; ${broken.map((n) => `${n.node} ${n.status === 'notReady' ? 'did not come back Ready' : 'failed'}${n.message ? `: ${n.message}` : ''}`).join('; ')}` };
  if (count('pending') > 0) return { state: 'Paused', message: `${summary}; the window ended with ${count('pending')} node(s) left for the next one` };
  return { state: 'Succeeded', message: summary };
}

/** An event a command's progress makes. */
export interface ProgressEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  readonly subject: string;
}

/**
 * The events of a patchNodes report: each node that moved since the last report, in the order the
 * agent lists them: cordoned (its patch started), patched and uncordoned, failed, or not back.
 */
export function nodeTransitionEvents(before: readonly NodePatchResult[], after: readonly NodePatchResult[], runId: string): ProgressEvent[] {
  const was = new Map(before.map((n) => [n.node, n.status]));
  const out: ProgressEvent[] = [];
  for (const n of after) {
    const from = was.get(n.node) ?? 'pending';
    if (from === n.status) continue;
    if (n.status === 'patching') out.push({ type: 'Normal', reason: 'NodeCordonedForPatch', message: `${n.node} cordoned and drained for OS patch run ${runId}`, subject: n.node });
    if (n.status === 'patched') {
      const what = n.packages.length ? `${n.packages.length} package(s) updated (${n.packages.slice(0, 5).map((p) => `${p.name} ${p.to}`).join(', ')}${n.packages.length > 5 ? ', …' : ''})` : 'nothing to update';
      const reboot = n.rebooted ? ', rebooted' : n.rebootRequired ? ', a reboot is required (not allowed by the settings)' : '';
      out.push({ type: 'Normal', reason: 'NodePatched', message: `${n.node} patched: ${what}${reboot}; uncordoned`, subject: n.node });
    }
    if (n.status === 'failed') out.push({ type: 'Warning', reason: 'NodePatchFailed', message: `${n.node}: the OS patch failed${n.message ? `: ${n.message}` : ''}; uncordoned`, subject: n.node });
    if (n.status === 'notReady') out.push({ type: 'Warning', reason: 'NodeNotReadyAfterPatch', message: `${n.node} did not come back Ready after its patch${n.message ? `: ${n.message}` : ''}; the run stops for its pool`, subject: n.node });
  }
  return out;
}

/** What a patchNodes command answers: every node's part, and whether the window stopped it. */
export interface PatchNodesOutcome {
  readonly nodes: NodePatchResult[];
  readonly stoppedAtWindowEnd: boolean;
}

/**
 * The node-by-node loop of a patchNodes command, the real agent's and the simulated one's: at most
 * `maxUnavailable` nodes at once, in the order given; no node started past `stopAt`; none started
 * once a node did not come back (the rest are skipped). `patchOne` moves its node to patched,
 * failed or notReady. Answers the outcome and, when the command failed, why.
 */
export async function patchPoolLoop(
  nodes: readonly string[],
  opts: { readonly pool: string; readonly maxUnavailable: number; readonly stopAt: number; readonly now: () => number; readonly stopped: () => boolean },
  patchOne: (r: NodePatchResult, all: readonly NodePatchResult[]) => Promise<void>,
): Promise<{ outcome: PatchNodesOutcome; failure?: string }> {
  const results: NodePatchResult[] = nodes.map((node) => ({ node, status: 'pending', packages: [], rebootRequired: false, rebooted: false }));
  let halted: NodePatchResult | undefined;
  let stoppedAtWindowEnd = false;
  let next = 0;
  const worker = async () => {
    while (next < results.length && !halted && !opts.stopped()) {
      if (opts.now() >= opts.stopAt) {
        stoppedAtWindowEnd = true;
        return;
      }
      const r = results[next++]!;
      await patchOne(r, results);
      if (r.status === 'notReady') halted ??= r;
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.maxUnavailable, results.length) }, worker));
  if (halted) for (const r of results) if (r.status === 'pending') r.status = 'skipped';
  const outcome = { nodes: results, stoppedAtWindowEnd };
  if (halted) return { outcome, failure: `${halted.message}: no further node of pool ${opts.pool} was started` };
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length) return { outcome, failure: `patching failed on ${failed.length} node(s) of pool ${opts.pool}: ${failed.map((r) => `${r.node} (${r.message})`).join('; ')}`.slice(0, 2000) };
  if (opts.stopped() && results.some((r) => r.status === 'pending')) return { outcome, failure: 'the agent stopped during the patch run' };
  return { outcome };
}
