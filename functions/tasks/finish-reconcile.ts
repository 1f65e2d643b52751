import { orphanedConditions } from '../../core/conditions.js';
import { phasesBefore } from '../../core/lifecycle.js';
import { updateClusterStatus } from '../../adapters/dynamodb/clusters-store.js';
import { listMachines } from '../../adapters/dynamodb/machines-store.js';
import { getPlan } from '../../adapters/dynamodb/plans-store.js';
import { clusterStep, DONE, STOP } from './cluster-step.js';

/** The generation is reconciled: the conditions of removed nodes and pools go, and the cluster records it. */
export const handler = clusterStep(async (ctx) => {
  const { cluster, input } = ctx;
  const [machines, plan] = await Promise.all([listMachines(input.tenantId, cluster.id), getPlan(input.tenantId, cluster.id)]);
  const nodes = machines.filter((m) => m.role === 'controlPlane').map((m) => m.name);
  const pools = cluster.nodePools.filter((p) => p.role === 'worker').map((p) => p.name);
  await ctx.apply([], orphanedConditions(await ctx.conditions(), { nodes, pools }));
  const moved = await updateClusterStatus(input.tenantId, cluster.id, { phase: 'Running', status: { ...cluster.status, observedGeneration: input.generation } }, phasesBefore('Running'));
  if (!moved) return STOP;
  const steps = plan?.generation === input.generation ? plan.steps.length : 0;
  await ctx.event('Normal', 'ReconcileSucceeded', `${cluster.name} is at generation ${input.generation} (${steps} step(s) run)`, undefined, `ReconcileSucceeded#g${input.generation}`);
  return DONE;
});
