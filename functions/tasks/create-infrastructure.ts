import { clusterZones } from '../../core/provisioning.js';
import { updateClusterStatus } from '../../adapters/dynamodb/clusters-store.js';
import { clusterStep, DONE } from './cluster-step.js';

/** InfrastructureCreated: network, a subnet per zone, control-plane and worker security groups. */
export const handler = clusterStep(async (ctx) => {
  const { cluster, input } = ctx;
  ctx.charge = 'InfrastructureCreated';
  const infra = await (await ctx.provider()).ensureInfrastructure({
    clusterId: cluster.id,
    clusterName: cluster.name,
    zones: clusterZones(cluster),
    apiAllowedCidrs: cluster.apiAccess.allowedCidrs,
    publicApi: cluster.apiAccess.public,
  });
  await updateClusterStatus(input.tenantId, cluster.id, { status: { ...cluster.status, infrastructure: infra, apiEndpoint: infra.apiEndpoint } });
  await ctx.mark('InfrastructureCreated', 'True', 'InfrastructureReady', `network ${infra.networkId}, ${Object.keys(infra.subnets).length} zone(s), API ${infra.apiEndpoint}`, true);
  return DONE;
});
