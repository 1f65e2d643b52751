import { agentToken } from '../../core/agent-token.js';
import type { InstanceInfo } from '../../core/cloud.js';
import { kubeadmSecrets, userData, type PlannedNode } from '../../core/provisioning.js';
import { valuesOf } from '../../core/values.js';
import { recordMachine } from '../../adapters/dynamodb/machines-store.js';
import { platformSecret } from '../../adapters/secrets/platform-secret.js';
import type { StepContext } from './cluster-step.js';

/** Where agents reach Strata; the CDK stack and the local runtime set it. */
const agentApiUrl = () => process.env.AGENT_API_URL ?? 'http://127.0.0.1:8787';

/** Launch (or find) one planned node with its cloud-init, and remember it. */
export async function launchNode(ctx: StepContext, node: PlannedNode, caCertHash?: string): Promise<InstanceInfo> {
  const { cluster, input } = ctx;
  const infra = cluster.status?.infrastructure;
  const imageId = cluster.status?.imageId;
  if (!infra || !imageId) throw new Error('infrastructure and image must be ready before nodes are launched');
  const k8s = (await ctx.revision()).layers.find((l) => l.layer === 'k8s')!;
  const pack = (valuesOf(cluster.overrides[k8s.name] ?? k8s.values).pack ?? valuesOf(k8s.values).pack ?? {}) as Record<string, string>;
  const secret = await platformSecret();
  const { bootstrapToken, certificateKey } = kubeadmSecrets(secret, cluster.id);
  const data = userData({
    node,
    cluster,
    kubernetesVersion: k8s.version,
    apiEndpoint: infra.apiEndpoint,
    podCidr: pack.podCIDR ?? '192.168.0.0/16',
    serviceCidr: pack.serviceClusterIpRange ?? '10.96.0.0/12',
    bootstrapToken,
    certificateKey,
    caCertHash,
    agent: node.role === 'controlPlane' ? { apiUrl: agentApiUrl(), token: agentToken(secret, input.tenantId, cluster.id) } : undefined,
  });
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
    userData: data,
    idempotencyToken: node.idempotencyToken,
    publicIp: false,
  });
  await recordMachine(input.tenantId, cluster.id, instance);
  return instance;
}
