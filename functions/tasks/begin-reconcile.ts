import { isDeepStrictEqual } from 'node:util';
import { indexesAfter, type Plan } from '../../core/plan.js';
import { updateClusterStatus } from '../../adapters/dynamodb/clusters-store.js';
import { getPlan, startPlan } from '../../adapters/dynamodb/plans-store.js';
import { cancelledSteps, clusterPlan } from '../commons/cluster-plan.js';
import { getPatchLock } from '../../adapters/dynamodb/patch-runs-store.js';
import { clusterStep, DONE, STOP, waitFor, type ClusterStepContext } from './cluster-step.js';
import { clock } from '../../core/clock.js';

/**
 * The plan of a new generation of a running cluster, computed once from the nodes as they are and
 * kept: the steps the workflow then runs are the ones the API previewed. A plan still running for
 * an older generation is superseded here, at its step boundary, and its remaining steps that the
 * new plan does not keep are recorded as cancelled.
 */
export const handler = clusterStep(async (ctx) => {
  const { cluster, input } = ctx;
  const existing = await getPlan(input.tenantId, cluster.id);
  if (existing && existing.generation > input.generation) return STOP;
  if (existing?.generation === input.generation) {
    await takeIndexes(ctx, existing); // a retried step: the plan is made
    return DONE;
  }
  // A patch run and a reconcile never run at once: this one waits for the run to give the lock back.
  const patching = await getPatchLock(input.tenantId, cluster.id);
  if (patching) {
    await ctx.event('Normal', 'ReconcileWaiting', `generation ${input.generation} waits for OS patch run ${patching.runId} to finish (a patch run and a reconcile never run at once)`, undefined, `ReconcileWaiting#g${input.generation}#${patching.runId}`);
    return waitFor(30);
  }
  const plan = await clusterPlan(input.tenantId, cluster, await ctx.revision());
  const cancelled = existing?.state === 'Running' ? cancelledSteps(existing, plan) : [];
  const now = clock.date().toISOString();
  const kept = await startPlan(input.tenantId, cluster.id, input.generation, plan, cancelled, now);
  if (kept.generation !== input.generation) return STOP;
  await takeIndexes(ctx, kept);

  const count = (kind: string) => plan.steps.filter((s) => s.kind === kind).length;
  await ctx.event('Normal', 'ReconcileStarted', `applying generation ${input.generation} to ${cluster.name}: ${plan.steps.length} step(s), ${count('launch')} launch(es), ${count('drain')} drain(s), ${count('terminate')} termination(s)`, undefined, `ReconcileStarted#g${input.generation}`);
  if (existing?.state === 'Running') {
    await ctx.event('Normal', 'PlanSuperseded', `generation ${input.generation} supersedes generation ${existing.generation}'s plan after ${existing.cursor} of ${existing.steps.length} step(s); ${cancelled.length} step(s) cancelled`, undefined, `PlanSuperseded#g${input.generation}`);
  }
  // New pools start Unknown; removed pools' conditions go once their nodes have (FinishReconcile).
  const current = await ctx.conditions();
  const have = new Set(current.map((c) => c.type));
  const pools = cluster.nodePools.filter((p) => p.role === 'worker').map((p) => `WorkerPoolReady/${p.name}`).filter((t) => !have.has(t));
  await ctx.set(...pools.map((type) => ({ type, status: 'Unknown' as const, reason: 'NotStarted', message: 'not started yet' })));
  return DONE;
});

/** The node indexes a plan launches are taken for good, so no later node reuses a name. */
async function takeIndexes(ctx: ClusterStepContext, plan: Pick<Plan, 'steps'>): Promise<void> {
  const { cluster, input } = ctx;
  const next = indexesAfter(plan, cluster.status?.nextNodeIndex);
  if (isDeepStrictEqual(next, cluster.status?.nextNodeIndex ?? {})) return;
  await updateClusterStatus(input.tenantId, cluster.id, { status: { ...cluster.status, nextNodeIndex: next } });
}
