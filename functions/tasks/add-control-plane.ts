import { planNodes } from '../../core/provisioning.js';
import { getSnapshot } from '../../adapters/dynamodb/telemetry-store.js';
import { clusterStep, DONE, waitFor } from './cluster-step.js';
import { launchNode } from './launch-node.js';
import { markApiEndpoint } from './api-endpoint.js';

/**
 * ControlPlaneNodeAdded per control-plane node. The first node runs `kubeadm init`; the others
 * join once its agent has reported, that is once there is an API server to join (they bring the
 * cluster's CAs in their bootstrap bundle and pin its hash, known since provisioning began).
 */
export const handler = clusterStep(async (ctx) => {
  const nodes = planNodes(ctx.cluster).filter((n) => n.role === 'controlPlane');
  let pending = false;
  for (const node of nodes) {
    const type = `ControlPlaneNodeAdded/${node.name}`;
    const current = await ctx.condition(type);
    if (current?.status === 'True') continue;
    if (node.index > 0 && !(await getSnapshot(ctx.cluster.id))) {
      await ctx.mark(type, 'Unknown', 'WaitingForFirstControlPlane', `waiting for ${nodes[0]!.name} to initialise the cluster`);
      pending = true;
      continue;
    }
    ctx.charge = type;
    const instance = await launchNode(ctx, node);
    // An attempt is a launch: a booting instance found again is the same attempt.
    const launched = current?.reason !== 'InstanceBooting';
    if (instance.state === 'running') {
      await ctx.mark(type, 'True', 'InstanceRunning', `${instance.instanceId} (${instance.instanceType}) running in ${instance.zone}`, launched);
    } else {
      await ctx.mark(type, 'Unknown', 'InstanceBooting', `${instance.instanceId} is ${instance.state}`, launched);
      pending = true;
    }
  }
  // Launched nodes are behind the load balancer; what its health checks say is the endpoint's state.
  await markApiEndpoint(ctx);
  return pending ? waitFor(5) : DONE;
});
