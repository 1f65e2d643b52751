import { z } from 'zod';
import { NewProjectId } from './projects.js';
import { DEFAULT_OS_PATCH, OsPatchSettings } from './os-patch.js';
import { Text } from './text.js';
import { validationFailed, type ErrorDetail } from './errors.js';
import { ResourceName, ValuesText, type Cloud } from './packs.js';
import { DEFAULT_HEALTH, HealthSettings } from './health.js';
import type { ResolvedLayer } from './profiles.js';
import { checkRolloutSettings } from './plan.js';

export const NODE_ROLES = ['controlPlane', 'worker'] as const;

export const NodePool = z.strictObject({
  name: ResourceName,
  role: z.enum(NODE_ROLES),
  count: z.int().min(0).max(1000),
  instanceType: z.string().regex(/^[A-Za-z0-9._-]{2,64}$/, 'an instance type or VM size such as m6i.large or Standard_D4s_v5'),
  zones: z.array(z.string().regex(/^[a-z0-9-]{1,40}$/, 'a zone name such as us-east-1a, or 1 on Azure')).min(1).max(6),
  diskGiB: z.int().min(20).max(16384).default(50),
  /** How a rolling replacement moves through the pool (the control plane always goes one node at a time). */
  rollout: z
    .strictObject({
      /** Nodes launched beyond the pool's count during a rollout. @default 1 */
      maxSurge: z.int().min(0).max(1000).optional(),
      /** Nodes out of service at once during a rollout. @default 0 */
      maxUnavailable: z.int().min(0).max(1000).optional(),
    })
    .optional(),
  /** Node repair: replace a node NotReady for longer than the threshold (as Cluster API's MachineHealthCheck). */
  repair: z
    .strictObject({
      /** @default true */
      enabled: z.boolean().optional(),
      /** Minutes a node may be NotReady before it is replaced. @default 10 */
      notReadyMinutes: z.int().min(2).max(1440).optional(),
      /** No repair at all in a pool with more than this share of nodes unhealthy (the cloud is probably at fault). @default 40 */
      maxUnhealthyPercent: z.int().min(1).max(100).optional(),
    })
    .optional(),
});
export type NodePool = z.infer<typeof NodePool>;

const Cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'an IPv4 CIDR such as 203.0.113.0/24')
  .refine((c) => {
    const [ip, bits] = c.split('/');
    return Number(bits) <= 32 && ip!.split('.').every((o) => Number(o) <= 255);
  }, 'an IPv4 CIDR such as 203.0.113.0/24: octets 0-255, prefix 0-32');

export const ApiAccess = z.strictObject({
  /** Give the API load balancer a public address. */
  public: z.boolean().default(false),
  /** Who may reach the Kubernetes API; nothing is open to 0.0.0.0/0 unless listed here. */
  allowedCidrs: z.array(Cidr).max(50).default([]),
});
export type ApiAccess = z.infer<typeof ApiAccess>;

const CloudId = z.string().regex(/^[A-Za-z0-9/._:-]{3,400}$/, 'a cloud resource id such as vpc-0abc… or an Azure resource id');
const SubnetsByZone = z.record(z.string().regex(/^[a-z0-9-]{1,40}$/, 'a zone name'), CloudId);

/** How the nodes are networked. Fixed at creation: moving a running cluster's nodes is a new cluster. */
export const NetworkSettings = z.strictObject({
  /**
   * natGateway: nodes in private subnets, egress through NAT (made with public subnets, an internet
   * gateway and route tables); publicIp: nodes in public subnets with their own public address.
   */
  nodeEgress: z.enum(['natGateway', 'publicIp']).default('natGateway'),
  /** One NAT gateway for the cluster, or one per zone so a zone's outage leaves the others' egress. */
  natGateways: z.enum(['single', 'perZone']).optional(),
  /** Bring your own network: Strata makes only security groups and the API load balancer in it, and deletes nothing else. */
  existing: z
    .strictObject({
      /** AWS vpc-…; Azure: the virtual network's resource id. */
      networkId: CloudId,
      /** Zone → the subnet that zone's nodes live in; every zone of every pool needs one. */
      subnets: SubnetsByZone,
      /** AWS, with apiAccess.public: zone → a public subnet for the internet-facing API load balancer. */
      loadBalancerSubnets: SubnetsByZone.optional(),
    })
    .optional(),
});
export type NetworkSettings = z.infer<typeof NetworkSettings>;
export const DEFAULT_NETWORK: NetworkSettings = { nodeEgress: 'natGateway' };

const Region = z.string().regex(/^[a-z0-9-]{2,40}$/, 'a region name such as us-east-1 or westeurope');
/** Pack name → values (YAML text) that override the profile's for this cluster only. */
const Overrides = z.record(ResourceName, ValuesText);

export const CreateClusterInput = z
  .strictObject({
    name: ResourceName,
    projectId: NewProjectId,
    profileId: Text(64, 1),
    /** Defaults to the profile's latest revision. */
    profileRevision: z.int().positive().optional(),
    cloudAccountId: Text(64, 1),
    region: Region,
    nodePools: z.array(NodePool).min(1).max(50),
    overrides: Overrides.default({}),
    /** OS patching (core/os-patch.ts): a schedule in the cluster's time zone with a window, patch on boot, reboots. */
    osPatch: OsPatchSettings.default(DEFAULT_OS_PATCH),
    apiAccess: ApiAccess.default({ public: false, allowedCidrs: [] }),
    network: NetworkSettings.default(DEFAULT_NETWORK),
    /** Heartbeat and usage thresholds of the health checks. */
    healthChecks: HealthSettings.default(DEFAULT_HEALTH),
  })
  .meta({ id: 'CreateClusterInput' });
export type CreateClusterInput = z.infer<typeof CreateClusterInput>;

export const UpdateClusterInput = z
  .strictObject({
    /** The cluster version you read; a stale one is refused with 409. */
    version: z.int().positive(),
    profileRevision: z.int().positive().optional(),
    nodePools: z.array(NodePool).min(1).max(50).optional(),
    overrides: Overrides.optional(),
    osPatch: OsPatchSettings.optional(),
    apiAccess: ApiAccess.optional(),
    healthChecks: HealthSettings.optional(),
    /** Fixed at creation: refused with a 400 saying so. */
    network: z
      .never({ error: "a cluster's network is fixed at creation: its nodes cannot move to another network; create a new cluster" })
      .optional(),
  })
  .meta({ id: 'UpdateClusterInput' });
export type UpdateClusterInput = z.infer<typeof UpdateClusterInput>;

export { PHASES, SPEC_FIELDS, publicCluster, type Cluster, type ClusterStatus, type ConditionSummary, type Phase } from './cluster-record.js';

const AZURE_ZONES = new Set(['1', '2', '3']);

/** Rules that need more than one field: pools, zones for the cloud, overrides for the profile. */
export function checkClusterShape(
  spec: { nodePools: NodePool[]; overrides: Record<string, string>; region: string; network?: NetworkSettings; apiAccess?: { public: boolean; allowedCidrs?: string[] } },
  cloud: Cloud,
  layers: readonly ResolvedLayer[],
  prefix = '',
): void {
  const details: ErrorDetail[] = [];
  const controlPlanes = spec.nodePools.filter((p) => p.role === 'controlPlane');
  if (controlPlanes.length !== 1) {
    details.push({ path: `${prefix}nodePools`, message: `exactly one controlPlane pool is needed, found ${controlPlanes.length}` });
  }
  const names = new Set<string>();
  spec.nodePools.forEach((pool, i) => {
    const at = `${prefix}nodePools[${i}]`;
    if (names.has(pool.name)) details.push({ path: `${at}.name`, message: `pool name ${pool.name} is used twice` });
    names.add(pool.name);
    if (pool.role === 'controlPlane' && (pool.count < 1 || pool.count % 2 === 0 || pool.count > 7)) {
      details.push({ path: `${at}.count`, message: 'a control plane needs 1, 3, 5 or 7 nodes so etcd keeps quorum' });
    }
    if (new Set(pool.zones).size !== pool.zones.length) details.push({ path: `${at}.zones`, message: 'a zone is listed twice' });
    pool.zones.forEach((zone, z) => {
      const ok = cloud === 'azure' ? AZURE_ZONES.has(zone) : zone.startsWith(spec.region) && zone.length > spec.region.length;
      if (!ok) {
        const want = cloud === 'azure' ? 'Azure zones are 1, 2 or 3' : `zones must be in region ${spec.region}, e.g. ${spec.region}a`;
        details.push({ path: `${at}.zones[${z}]`, message: `${zone}: ${want}` });
      }
    });
  });
  details.push(...checkRolloutSettings(spec.nodePools, prefix));
  details.push(...networkProblems(spec, cloud, prefix));
  const packNames = new Set(layers.map((l) => l.name));
  for (const name of Object.keys(spec.overrides)) {
    if (!packNames.has(name)) {
      details.push({ path: `${prefix}overrides.${name}`, message: `the profile revision has no pack named ${name}` });
    }
  }
  if (details.length) throw validationFailed(details);
}

/** A network the cluster brings must serve every zone its pools use; NAT settings are for a network Strata makes. */
function networkProblems(
  spec: { nodePools: NodePool[]; network?: NetworkSettings; apiAccess?: { public: boolean; allowedCidrs?: string[] } },
  cloud: Cloud,
  prefix: string,
): ErrorDetail[] {
  const network = spec.network;
  if (!network) return [];
  const at = `${prefix}network`;
  const details: ErrorDetail[] = [];
  if (network.nodeEgress === 'publicIp' && spec.apiAccess?.public && !spec.apiAccess.allowedCidrs?.includes('0.0.0.0/0')) {
    // A public load balancer sees the nodes' own public addresses, which exist only once they run.
    details.push({
      path: `${prefix}apiAccess.allowedCidrs`,
      message: 'nodes with public IPs reach a public API from addresses known only once they run: allow 0.0.0.0/0, keep the API internal, or use NAT egress (its addresses are allowed for you)',
    });
  }
  if (cloud === 'azure' && network.natGateways === 'perZone') {
    details.push({ path: `${at}.natGateways`, message: 'an Azure NAT gateway serves one zone of a subnet; Strata makes one per cluster there, so perZone is AWS only' });
  }
  if (network.nodeEgress === 'publicIp' && network.natGateways) {
    details.push({ path: `${at}.natGateways`, message: 'nodes with public IPs reach out directly: there is no NAT gateway to count' });
  }
  const existing = network.existing;
  if (!existing) return details;
  if (network.natGateways) details.push({ path: `${at}.natGateways`, message: 'Strata makes no NAT gateway in a network it does not own: the subnets must have their own route out' });
  for (const zone of new Set(spec.nodePools.flatMap((p) => p.zones))) {
    if (!existing.subnets[zone]) details.push({ path: `${at}.existing.subnets.${zone}`, message: `a pool runs in zone ${zone}: name the subnet its nodes go in` });
  }
  if (cloud === 'aws' && spec.apiAccess?.public && !existing.loadBalancerSubnets) {
    details.push({ path: `${at}.existing.loadBalancerSubnets`, message: 'a public API needs public subnets (a route to an internet gateway) for its load balancer' });
  }
  if (cloud !== 'aws' && existing.loadBalancerSubnets) {
    details.push({ path: `${at}.existing.loadBalancerSubnets`, message: 'only AWS places the API load balancer in subnets of its own' });
  }
  return details;
}
