import { phasesBefore } from '../../core/lifecycle.js';
import { updateClusterStatus } from '../../adapters/dynamodb/clusters-store.js';
import { clusterStep, DONE, STOP } from './cluster-step.js';

/** Provisioning → Running once every milestone is True. */
export const handler = clusterStep(async (ctx) => {
  const { cluster, input } = ctx;
  const moved = await updateClusterStatus(input.tenantId, cluster.id, { phase: 'Running', status: { ...cluster.status, observedGeneration: input.generation } }, phasesBefore('Running'));
  if (!moved) return STOP;
  await ctx.event('Normal', 'ClusterRunning', `${cluster.name} is Running (generation ${input.generation})`, undefined, `ClusterRunning#g${input.generation}`);
  return DONE;
});
