import { patchSettingsOf } from '../../core/patch-run.js';
import { bootstrapTicket, userData } from '../../core/bootstrap.js';
import type { InstanceInfo } from '../../core/cloud.js';
import type { PlannedNode } from '../../core/provisioning.js';
import { ticketIssue } from '../../adapters/dynamodb/bootstrap-tickets-store.js';
import { recordMachine, recordNode } from '../../adapters/dynamodb/machines-store.js';
import type { NodeSpec } from '../../core/machines.js';
import { platformSecret } from '../../adapters/secrets/platform-secret.js';
import { agentApiUrl, agentRelease } from '../commons/agent-api-url.js';
import type { ClusterStepContext } from './cluster-step.js';
import { clock } from '../../core/clock.js';

/** The node as it will be launched: its pool's shape, the cluster's image and Kubernetes version now. */
export async function nodeSpec(ctx: ClusterStepContext, node: Omit<PlannedNode, 'idempotencyToken'>): Promise<NodeSpec> {
  const k8s = (await ctx.revision()).layers.find((l) => l.layer === 'k8s');
  const imageRef = ctx.cluster.status?.imageRef ?? ctx.cluster.status?.imageId ?? '';
  const { name, pool, role, index, zone, instanceType, diskGiB } = node;
  return { name, pool, role, index, zone, instanceType, diskGiB, imageRef, kubernetesVersion: k8s?.version ?? '' };
}

/** The client token of a node's launch, before the ticket's time is added (core/provisioning.ts planNodes spells it the same). */
export const launchToken = (clusterId: string, pool: string, index: number) => `${clusterId}-${pool}-${index}`.slice(0, 64);

/**
 * Launch (or find) one node, and remember it: recorded first, so a launch cut short is still a
 * node the reconciler knows of. Its user data carries a one-time ticket for its bootstrap bundle,
 * the same one on every retry while it is unused and fresh; the client token follows the ticket,
 * so a launch with a new ticket is a new request. `joinTokenId`: the bootstrap token made for it
 * in the cluster (nodes added after day one); without one it joins with the init token.
 */
export async function launchNode(ctx: ClusterStepContext, node: PlannedNode, opts: { joinTokenId?: string } = {}): Promise<InstanceInfo> {
  const { cluster, input } = ctx;
  const infra = cluster.status?.infrastructure;
  const imageId = cluster.status?.imageId;
  if (!infra || !imageId) throw new Error('infrastructure and image must be ready before nodes are launched');
  await recordNode(input.tenantId, cluster.id, await nodeSpec(ctx, node), opts);
  const hostAddress = infra.apiHosts?.[node.role];
  const issuedAt = await ticketIssue(input.tenantId, cluster.id, node.name, clock.date());
  const ticket = bootstrapTicket(await platformSecret(), { tenantId: input.tenantId, clusterId: cluster.id, node: node.name, issuedAt });
  const instance = await (await ctx.provider()).ensureInstance({
    clusterId: cluster.id,
    pool: node.pool,
    role: node.role,
    name: node.name,
    zone: node.zone,
    subnetId: infra.subnets[node.zone] ?? Object.values(infra.subnets)[0]!,
    securityGroupId: node.role === 'controlPlane' ? infra.controlPlaneSecurityGroupId : infra.workerSecurityGroupId,
    instanceType: node.instanceType,
    imageId,
    diskGiB: node.diskGiB,
    userData: userData(
      node,
      { url: `${agentApiUrl()}/agent/v1/bootstrap`, ticket },
      {
        // A joining control-plane node reaches the API through the load balancer until it serves it itself.
        apiHost: hostAddress
          ? { name: infra.apiEndpoint, address: hostAddress, ...(node.role === 'controlPlane' && node.index > 0 && infra.apiHosts?.join ? { joinAddress: infra.apiHosts.join } : {}) }
          : undefined,
        // The AWS cloud controller manager finds a node by its providerID, which the kubelet then takes from instance metadata.
        awsProviderId: cluster.cloud === 'aws',
        // Control-plane nodes fetch the agent unless their image carries this version.
        agent: agentRelease(),
        patchOnBoot: patchSettingsOf(cluster.osPatch).patchOnBoot,
      },
    ),
    idempotencyToken: `${node.idempotencyToken.slice(0, 56)}-${issuedAt.toString(36)}`,
    publicIp: infra.nodePublicIp,
    identity: infra.nodeIdentity[node.role],
  });
  await recordMachine(input.tenantId, cluster.id, instance);
  return instance;
}
