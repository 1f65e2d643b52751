import type { IpPermission } from '@aws-sdk/client-ec2';

import { API_PORT } from '../../../core/cloud.js';

/**
 * The cluster network Strata makes: private (node) subnets are /20 slices of 10.0.0.0–10.0.191.255
 * (12 zones at most), public subnets /22 slices of 10.0.192.0/18 (NAT gateways and load balancers
 * need few addresses).
 */
export const VPC_CIDR = '10.0.0.0/16';
export const PRIVATE_SUBNET_SLOTS = 12;
export const PUBLIC_SUBNET_SLOTS = 16;
export const privateSubnetCidr = (slot: number) => `10.0.${slot * 16}.0/20`;
export const publicSubnetCidr = (slot: number) => `10.0.${192 + slot * 4}.0/22`;

export type RuleSource = { readonly groupId: string } | { readonly cidr: string };

/** One ingress permission: a port range from one source. */
export interface IngressRule {
  readonly protocol: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly source: RuleSource;
  readonly description?: string;
}

export interface ClusterGroups {
  readonly controlPlane: string;
  readonly workers: string;
  /** The API load balancer's group. */
  readonly apiLoadBalancer: string;
}

const tcp = (port: number, toPort = port) => ({ protocol: 'tcp', fromPort: port, toPort });
const udp = (port: number) => ({ protocol: 'udp', fromPort: port, toPort: port });

/**
 * The ingress of the three groups, after the kubeadm port table: nodes reach each other only through
 * group references, never open CIDRs. The API load balancer has its own group (an NLB's groups can
 * only be set when it is made, so it always gets one): the user's allowed networks and the nodes
 * reach it on 6443, and it reaches the control plane — its target group does not preserve client
 * IPs (the hairpin: a control-plane node routed back to itself would time out), so every flow it
 * forwards, health checks included, comes from the load balancer's group. NodePorts are open to the
 * VPC's CIDR for Service load balancers made in-cluster. Egress stays the AWS default (all), which
 * nodes need to pull images and packages.
 */
export function clusterIngress(
  groups: ClusterGroups,
  apiAllowedCidrs: readonly string[],
  vpcCidr: string,
  /** Public addresses the nodes leave from (NAT gateways): an internet-facing load balancer sees these, not their groups. */
  nodeEgressIps: readonly string[] = [],
): Record<keyof ClusterGroups, IngressRule[]> {
  const cp = { groupId: groups.controlPlane };
  const workers = { groupId: groups.workers };
  const lb = { groupId: groups.apiLoadBalancer };
  // The CNI's node-to-node traffic, both ways between every node: VXLAN on the IANA port (Calico),
  // VXLAN on the Linux default port (Flannel, Cilium), and BGP peering (Calico).
  // Between every node: the kubelet API (metrics-server and Prometheus scrape every node, as the
  // control plane does), Calico's Typha, and the node exporter of the monitoring packs.
  const overlay: IngressRule[] = [cp, workers].flatMap((source) => [
    { ...udp(4789), source, description: 'VXLAN overlay' },
    { ...udp(8472), source, description: 'VXLAN overlay (Linux default port)' },
    { ...tcp(179), source, description: 'BGP between nodes' },
    { ...tcp(10250), source, description: 'kubelet API between nodes' },
    { ...tcp(5473), source, description: 'Calico Typha' },
    { ...tcp(9100), source, description: 'node exporter' },
  ]);
  return {
    controlPlane: [
      { ...tcp(API_PORT), source: workers, description: 'Kubernetes API from workers' },
      { ...tcp(API_PORT), source: cp, description: 'Kubernetes API from control-plane nodes' },
      { ...tcp(API_PORT), source: lb, description: 'Kubernetes API through its load balancer' },
      { ...tcp(2379, 2380), source: cp, description: 'etcd clients and peers' },
      ...overlay,
    ],
    workers: [
      { ...tcp(30000, 32767), source: { cidr: vpcCidr }, description: 'NodePort services through load balancers' },
      ...overlay,
    ],
    apiLoadBalancer: [
      { ...tcp(API_PORT), source: cp, description: 'Kubernetes API from control-plane nodes' },
      { ...tcp(API_PORT), source: workers, description: 'Kubernetes API from workers' },
      ...nodeEgressIps.map((ip) => ({ ...tcp(API_PORT), source: { cidr: `${ip}/32` }, description: 'Kubernetes API from the nodes, through their NAT gateway' })),
      ...apiAllowedCidrs.map((cidr) => ({ ...tcp(API_PORT), source: { cidr }, description: 'Kubernetes API from an allowed network' })),
    ],
  };
}

/** Identity of a rule, whatever its description: two rules with one key are one permission. */
export function ruleKey(r: IngressRule): string {
  const from = 'groupId' in r.source ? `sg:${r.source.groupId}` : `cidr:${r.source.cidr}`;
  return `${r.protocol}/${r.fromPort}-${r.toPort}/${from}`;
}

/** Rules as EC2 permissions, one permission per protocol and port range. */
export function toIpPermissions(rules: readonly IngressRule[]): IpPermission[] {
  const byPorts = new Map<string, IpPermission>();
  for (const r of rules) {
    const k = `${r.protocol}/${r.fromPort}-${r.toPort}`;
    let p = byPorts.get(k);
    if (!p) {
      p = { IpProtocol: r.protocol, FromPort: r.fromPort, ToPort: r.toPort };
      byPorts.set(k, p);
    }
    const Description = r.description;
    if ('groupId' in r.source) (p.UserIdGroupPairs ??= []).push({ GroupId: r.source.groupId, Description });
    else if (r.source.cidr.includes(':')) (p.Ipv6Ranges ??= []).push({ CidrIpv6: r.source.cidr, Description });
    else (p.IpRanges ??= []).push({ CidrIp: r.source.cidr, Description });
  }
  return [...byPorts.values()];
}

/** EC2 permissions (as DescribeSecurityGroups returns them) as single rules. */
export function fromIpPermissions(perms: readonly IpPermission[] | undefined): IngressRule[] {
  return (perms ?? []).flatMap((p) => {
    const base = { protocol: p.IpProtocol ?? '-1', fromPort: p.FromPort ?? -1, toPort: p.ToPort ?? -1 };
    return [
      ...(p.UserIdGroupPairs ?? []).flatMap((g) => (g.GroupId ? [{ ...base, source: { groupId: g.GroupId } }] : [])),
      ...(p.IpRanges ?? []).flatMap((r) => (r.CidrIp ? [{ ...base, source: { cidr: r.CidrIp } }] : [])),
      ...(p.Ipv6Ranges ?? []).flatMap((r) => (r.CidrIpv6 ? [{ ...base, source: { cidr: r.CidrIpv6 } }] : [])),
    ];
  });
}

/**
 * API rules from networks no longer allowed. Only these are revoked: other rules on the groups may
 * belong to in-cluster controllers (a load-balancer controller adds NodePort rules to node groups).
 */
export function staleApiRules(existing: readonly IngressRule[], desired: readonly IngressRule[]): IngressRule[] {
  const wanted = new Set(desired.map(ruleKey));
  return existing.filter(
    (r) => r.protocol === 'tcp' && r.fromPort === API_PORT && r.toPort === API_PORT && 'cidr' in r.source && !wanted.has(ruleKey(r)),
  );
}
