import type { LoadBalancer, LoadBalancerHealthPerRule, NetworkInterface } from '@azure/arm-network';
import { API_PORT, type ApiEndpointStatus } from '../../../core/cloud.js';

/**
 * The Kubernetes API's load balancer, after Cluster API Provider Azure: a Standard Load Balancer
 * with one frontend, one backend pool of the control-plane NICs, a TCP probe on 6443 and a rule
 * 6443 → 6443. Internal by default (frontend in the nodes' subnet); public with a static public IP
 * and a DNS label when the API is public. Who may connect is the control-plane NSG's business
 * (security-rules.ts): Azure's load balancer passes the client's address through, so the NSG sees it.
 */
export const LB_FRONTEND = 'api';
export const LB_POOL = 'control-plane';
export const LB_PROBE = 'api';
export const LB_RULE = 'api';

/** The load balancer's name: in a per-cluster group it needs no cluster in it, in a shared one it does. */
export const apiLoadBalancerName = (clusterId: string, sharedGroup: boolean) => (sharedGroup ? `strata-${clusterId}-api` : 'api');

/** The private name of an internal endpoint; nodes map it in /etc/hosts (InfraRefs.apiHosts). */
export const internalApiName = (clusterId: string) => `api.${clusterId}.strata.internal`;

/** A public endpoint's DNS label: unique per region because cluster ids are. */
export const apiDnsLabel = (clusterId: string) => `strata-${clusterId}`;

export interface ApiLoadBalancerInput {
  /** The load balancer's own resource id: sub-resources reference each other by id. */
  readonly id: string;
  readonly location: string;
  readonly tags: Record<string, string>;
  /** Zones an internal frontend spans. */
  readonly zones: readonly string[];
  readonly frontend: { readonly subnetId: string } | { readonly publicIpId: string };
}

export function apiLoadBalancer(input: ApiLoadBalancerInput): LoadBalancer {
  const ref = (kind: string, name: string) => ({ id: `${input.id}/${kind}/${name}` });
  const isPublic = 'publicIpId' in input.frontend;
  return {
    location: input.location,
    tags: input.tags,
    sku: { name: 'Standard', tier: 'Regional' },
    frontendIPConfigurations: [
      'publicIpId' in input.frontend
        ? { name: LB_FRONTEND, publicIPAddress: { id: input.frontend.publicIpId } }
        : {
            name: LB_FRONTEND,
            subnet: { id: input.frontend.subnetId },
            privateIPAllocationMethod: 'Dynamic',
            privateIPAddressVersion: 'IPv4',
            ...(input.zones.length > 0 ? { zones: [...input.zones] } : {}),
          },
    ],
    backendAddressPools: [{ name: LB_POOL }],
    probes: [{ name: LB_PROBE, protocol: 'Tcp', port: API_PORT, intervalInSeconds: 5, probeThreshold: 2 }],
    loadBalancingRules: [
      {
        name: LB_RULE,
        protocol: 'Tcp',
        frontendPort: API_PORT,
        backendPort: API_PORT,
        frontendIPConfiguration: ref('frontendIPConfigurations', LB_FRONTEND),
        backendAddressPool: ref('backendAddressPools', LB_POOL),
        probe: ref('probes', LB_PROBE),
        enableFloatingIP: false,
        enableTcpReset: true,
        idleTimeoutInMinutes: 4,
        loadDistribution: 'Default',
        // Nodes leave through the NAT gateway or their own address, never through the API's frontend.
        ...(isPublic ? { disableOutboundSnat: true } : {}),
      },
    ],
  };
}

export const poolIdOf = (loadBalancerId: string) => `${loadBalancerId}/backendAddressPools/${LB_POOL}`;

const same = (a: string | undefined, b: string) => a?.toLowerCase() === b.toLowerCase();

/**
 * The NIC with its primary ipConfiguration in (or out of) the pool, or undefined when it already
 * is as asked: then nothing is sent.
 */
export function withPoolMembership(nic: NetworkInterface, poolId: string, member: boolean): NetworkInterface | undefined {
  const configs = nic.ipConfigurations ?? [];
  const primary = configs.find((c) => c.primary) ?? configs[0];
  if (!primary) return undefined;
  const pools = primary.loadBalancerBackendAddressPools ?? [];
  if (pools.some((p) => same(p.id, poolId)) === member) return undefined;
  const next = member ? [...pools, { id: poolId }] : pools.filter((p) => !same(p.id, poolId));
  return { ...nic, ipConfigurations: configs.map((c) => (c === primary ? { ...c, loadBalancerBackendAddressPools: next } : c)) };
}

/** Succeeded → active, Failed → failed, anything else (Updating, Deleting…) → provisioning. */
export function endpointState(provisioningState: string | undefined): ApiEndpointStatus['state'] {
  if (provisioningState === 'Succeeded') return 'active';
  if (provisioningState === 'Failed') return 'failed';
  return 'provisioning';
}

type Target = ApiEndpointStatus['targets'][number];

/**
 * Each registered target's health as the rule-health API reports it. `Up` is healthy; `Down` is
 * unhealthy, except reason `NA` (not probed yet), which is initial; a target the answer leaves out
 * is initial too. Nothing is ever healthy unless Azure said `Up`.
 */
export function targetHealth(
  targets: readonly { readonly instanceId: string; readonly ipConfigurationId: string }[],
  health: LoadBalancerHealthPerRule | undefined,
  unavailable?: string,
): Target[] {
  const byConfig = new Map((health?.loadBalancerBackendAddresses ?? []).map((a) => [a.networkInterfaceIPConfigurationId?.toLowerCase(), a]));
  return targets.map(({ instanceId, ipConfigurationId }): Target => {
    const found = byConfig.get(ipConfigurationId.toLowerCase());
    if (!found) return { instanceId, health: 'initial', reason: unavailable ?? 'the load balancer has not reported this backend yet' };
    const reason = found.reason ? { reason: found.reason } : {};
    if (found.state === 'Up') return { instanceId, health: 'healthy', ...reason };
    if (found.state === 'Down' && found.reason !== 'NA') return { instanceId, health: 'unhealthy', ...reason };
    return { instanceId, health: 'initial', reason: found.reason === 'NA' ? 'not probed yet' : `state ${found.state ?? 'unknown'}` };
  });
}
