import { DEFAULT_NETWORK } from '../../core/clusters.js';
import { nodePermissions } from '../../core/node-permissions.js';
import { clusterZones } from '../../core/provisioning.js';
import { updateClusterStatus } from '../../adapters/dynamodb/clusters-store.js';
import { clusterStep, DONE, waitFor } from './cluster-step.js';

/**
 * InfrastructureCreated: the network (or checks of the one the cluster brings), egress for its
 * nodes, their identities, the security groups and the API load balancer.
 */
export const handler = clusterStep(async (ctx) => {
  const { cluster, input } = ctx;
  ctx.charge = 'InfrastructureCreated';
  const [account, revision] = await Promise.all([ctx.account(), ctx.revision()]);
  const network = cluster.network ?? DEFAULT_NETWORK;
  const existingIdentities = account.spec.type === 'local' ? undefined : account.spec.nodeIdentities;
  const infra = await (await ctx.provider()).ensureInfrastructure({
    clusterId: cluster.id,
    clusterName: cluster.name,
    zones: clusterZones(cluster),
    apiAllowedCidrs: cluster.apiAccess.allowedCidrs,
    publicApi: cluster.apiAccess.public,
    network: { nodeEgress: network.nodeEgress, natGateways: network.natGateways ?? 'single', existing: network.existing },
    nodeIdentity: { existing: existingIdentities, permissions: nodePermissions(cluster.cloud, revision.layers.map((l) => l.name)) },
  });
  await updateClusterStatus(input.tenantId, cluster.id, { status: { ...cluster.status, infrastructure: infra, apiEndpoint: infra.apiEndpoint } });
  if (infra.pending?.length) {
    // Nodes launched now could not reach out: wait until the cloud says it routes.
    await ctx.mark('InfrastructureCreated', 'Unknown', 'WaitingForCloud', `${infra.pending.join('; ')}; nodes are launched once it is available`);
    return waitFor(5);
  }
  const egress = infra.nodePublicIp ? 'nodes with public IPs' : infra.natGatewayIds.length ? `egress through ${infra.natGatewayIds.join(', ')}` : 'egress through the network’s own route';
  await ctx.mark(
    'InfrastructureCreated',
    'True',
    'InfrastructureReady',
    `${infra.networkManaged ? 'network' : 'existing network'} ${infra.networkId}, ${Object.keys(infra.subnets).length} zone(s), ${egress}; API load balancer ${infra.apiEndpoint}:${infra.apiPort}`,
    true,
  );
  return DONE;
});
