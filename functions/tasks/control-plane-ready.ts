import { isReady } from '../../core/agent-protocol.js';
import { planNodes } from '../../core/provisioning.js';
import { getSnapshot } from '../../adapters/dynamodb/telemetry-store.js';
import { clusterStep, DONE, waitFor } from './cluster-step.js';
import { markApiEndpoint } from './api-endpoint.js';

/** ControlPlaneReady: the agent reports every control-plane node Ready. */
export const handler = clusterStep(async (ctx) => {
  const wanted = planNodes(ctx.cluster).filter((n) => n.role === 'controlPlane').map((n) => n.name);
  const report = (await getSnapshot(ctx.cluster.id))?.report;
  if (!report) {
    await ctx.mark('ControlPlaneReady', 'Unknown', 'WaitingForAgent', 'the cluster agent has not reported yet');
    return waitFor(5);
  }
  const ready = new Set(report.nodes.filter(isReady).map((n) => n.name));
  const missing = wanted.filter((n) => !ready.has(n));
  if (missing.length) {
    await ctx.mark('ControlPlaneReady', 'Unknown', 'NodesNotReady', `not Ready yet: ${missing.join(', ')}`);
    return waitFor(5);
  }
  if (!(await markApiEndpoint(ctx))) {
    await ctx.mark('ControlPlaneReady', 'Unknown', 'EndpointNotServing', 'every control-plane node is Ready; waiting for the API load balancer to pass its health checks');
    return waitFor(5);
  }
  await ctx.mark('ControlPlaneReady', 'True', 'ControlPlaneReady', `${wanted.length} control-plane node(s) Ready behind ${ctx.cluster.status?.apiEndpoint ?? 'the API endpoint'}`, true);
  return DONE;
});
