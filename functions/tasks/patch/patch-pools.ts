import { COMMAND_KINDS, isFinal, type Command } from '../../../core/agent-commands.js';
import { backoffSeconds } from '../../../core/backoff.js';
import { newTimeId } from '../../../core/ids.js';
import type { NodePatchResult } from '../../../core/os-patch.js';
import { mergeNodes, nextPool, patchConcurrency, patchSettingsOf, PATCH_ATTEMPTS } from '../../../core/patch-run.js';
import { clock } from '../../../core/clock.js';
import { getCommand, issueCommand } from '../../../adapters/dynamodb/commands-store.js';
import { listMachines } from '../../../adapters/dynamodb/machines-store.js';
import { DONE, waitFor, type Verdict } from '../step.js';
import { nextLookSeconds } from './next-look.js';
import { patchStep, type PatchStepContext } from './patch-step.js';

/**
 * Pool by pool (control plane first), one patchNodes command each: the agent runs the pool's
 * node-by-node loop and the workflow waits on its result, so a node costs no state transitions of
 * its own, and it looks again when the pool would be done at the run's pace (nextLookSeconds). A
 * node that failed is tried again by a new command after a backoff, up to PATCH_ATTEMPTS; a node
 * that did not come back stops its pool; the window's end pauses the run at a node boundary.
 */
export const handler = patchStep(async (ctx) => {
  if (ctx.run?.state !== 'Running') return DONE;
  const machines = await listMachines(ctx.patch.tenantId, ctx.cluster.id);
  const poolOf = (node: string) => machines.find((m) => m.name === node)?.pool;
  for (;;) {
    const run = ctx.run!;
    const commands = run.commands ?? {};
    const open = Object.entries(commands)[0];
    if (open) {
      const verdict = await follow(ctx, open[0], open[1]);
      if (verdict) return verdict;
      continue;
    }
    const next = nextPool(run, poolOf, run.attempts ?? {});
    if (!next) return DONE;
    if (clock.date().toISOString() >= run.windowEndsAt) {
      await ctx.update({ state: 'Paused', message: `the window ended at ${run.windowEndsAt}; ${run.nodes.filter((n) => n.status === 'pending').length} node(s) are left for the next one` });
      return DONE;
    }
    // Nodes gone since the run began (scaled down, replaced) are skipped.
    const live = new Set(machines.filter((m) => !m.phase).map((m) => m.name));
    const gone = next.nodes.filter((n) => !live.has(n));
    if (gone.length) {
      await ctx.update({ nodes: run.nodes.map((n) => (gone.includes(n.node) ? { ...n, status: 'skipped', message: 'the node is gone' } : n)) });
      continue;
    }
    const pool = ctx.cluster.nodePools.find((p) => p.name === next.pool);
    const settings = patchSettingsOf(ctx.cluster.osPatch);
    const now = clock.date();
    const maxUnavailable = pool ? patchConcurrency(pool) : 1;
    const args = COMMAND_KINDS.patchNodes.args.parse({
      runId: run.id,
      pool: next.pool,
      nodes: next.nodes,
      maxUnavailable,
      rebootIfRequired: settings.rebootIfRequired,
      stopAt: run.windowEndsAt,
    });
    const command: Command = {
      id: newTimeId('cmd', now.getTime()),
      clusterId: ctx.cluster.id,
      kind: 'patchNodes',
      args,
      status: 'Pending',
      createdAt: now.toISOString(),
      // Past the window, the agent starts no node; give the last one time to finish.
      deadline: new Date(Math.max(now.getTime(), Date.parse(run.windowEndsAt)) + 2 * 3_600_000).toISOString(),
      updatedAt: now.toISOString(),
    };
    await issueCommand(ctx.patch.tenantId, command);
    const issued = await ctx.update({ commands: { [next.pool]: command.id }, nodes: run.nodes.map((n) => (next.nodes.includes(n.node) && n.status === 'failed' ? { ...n, status: 'pending' } : n)) });
    return waitFor(nextLookSeconds(issued, next.nodes, maxUnavailable, now.getTime()));
  }
});

/** The agent's word on a pool's command: undefined to go on with the next pool now, or how long to wait. */
async function follow(ctx: PatchStepContext, pool: string, commandId: string): Promise<Verdict | undefined> {
  const command = await getCommand(ctx.patch.tenantId, ctx.cluster.id, commandId);
  const reported = (command.result as { nodes?: NodePatchResult[]; stoppedAtWindowEnd?: boolean } | undefined) ?? {};
  const nodes = mergeNodes(ctx.run!.nodes, reported.nodes ?? []);
  if (!isFinal(command.status)) {
    const run = JSON.stringify(nodes) !== JSON.stringify(ctx.run!.nodes) ? await ctx.update({ nodes }) : ctx.run!;
    const args = command.args as { nodes: string[]; maxUnavailable: number };
    return waitFor(nextLookSeconds(run, args.nodes, args.maxUnavailable, clock.now()));
  }
  const { [pool]: _done, ...rest } = ctx.run!.commands ?? {};
  if (command.status === 'Succeeded') {
    await ctx.update({ nodes, commands: rest });
    if (reported.stoppedAtWindowEnd) {
      await ctx.update({ state: 'Paused', message: `the window ended at ${ctx.run!.windowEndsAt}: ${nodes.filter((n) => n.status === 'pending').length} node(s) are left for the next one` });
      return DONE;
    }
    return undefined;
  }
  // Failed or expired: a node that did not come back stops its pool; failed nodes are tried again.
  const notBack = nodes.find((n) => n.status === 'notReady' && ctx.run!.nodes.find((m) => m.node === n.node)?.status !== 'notReady');
  const inPool = new Set((command.args as { nodes: string[] }).nodes);
  if (notBack || nodes.some((n) => inPool.has(n.node) && n.status === 'notReady')) {
    const stopped = nodes.map((n) => (inPool.has(n.node) && n.status === 'pending' ? { ...n, status: 'skipped' as const, message: `pool ${pool} stopped: a node did not come back Ready` } : n));
    await ctx.update({ nodes: stopped, commands: rest });
    const node = nodes.find((n) => inPool.has(n.node) && n.status === 'notReady')!;
    await ctx.mark('OsPatched', 'False', 'NodeNotReady', `${node.node} did not come back Ready after its patch${node.message ? ` (${node.message})` : ''}: the run stopped for pool ${pool}`, true);
    return undefined;
  }
  const attempts = (ctx.run!.attempts?.[pool] ?? 0) + 1;
  const why = command.status === 'Expired' ? `the agent did not finish the command by ${command.deadline}` : (command.message ?? 'the agent reported a failure');
  // Nodes the command never reached (an expired command) are still to do.
  await ctx.update({ nodes, commands: rest, attempts: { ...(ctx.run!.attempts ?? {}), [pool]: attempts } });
  if (attempts >= PATCH_ATTEMPTS) {
    await ctx.mark('OsPatched', 'False', 'PatchFailed', `pool ${pool}: ${why}; given up after ${attempts} attempt(s)`, true);
    return undefined;
  }
  const wait = backoffSeconds(attempts, 0, 30);
  await ctx.mark('OsPatched', 'False', 'PatchFailed', `pool ${pool}: ${why}; attempt ${attempts} of ${PATCH_ATTEMPTS}, the failed node(s) are tried again in ${wait} s`, true);
  return waitFor(wait);
}
