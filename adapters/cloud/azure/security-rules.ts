import type { SecurityRule } from '@azure/arm-network';

/**
 * Inbound rules of the two network security groups, written against application security
 * groups (one per role) so that they name roles, never addresses.
 *
 * Azure's default rules allow every address of the virtual network in (AllowVnetInBound, 65000)
 * — the opposite of an AWS security group. So each group ends by denying the virtual network
 * (after letting Azure's load-balancer probes in), and the role rules above it open only:
 *
 * control plane: 6443 from workers, control plane and `apiAllowedCidrs` (and from nowhere else:
 *   the Internet is never a source unless a CIDR such as 0.0.0.0/0 is listed, and then only on 6443);
 *   with a public API also from the cluster's own egress address, since nodes reaching the public
 *   frontend arrive from their NAT gateway's IP, not their own; etcd 2379-2380 from the control
 *   plane only (an explicit deny before the node-to-node allow). The API load balancer passes
 *   clients' addresses through, so these rules judge the real client; its probes come from
 *   AzureLoadBalancer, allowed below.
 * both: node-to-node traffic among the cluster's own nodes (any protocol, so overlay, IP-in-IP
 *   and BGP pod networks, Calico's Typha, the kubelet API metrics-server and Prometheus scrape on
 *   every node, and the node exporter all work).
 */
export interface RuleInputs {
  readonly controlPlaneAsgId: string;
  readonly workersAsgId: string;
  readonly apiAllowedCidrs: readonly string[];
  /** Public addresses the cluster's own nodes leave from, when they reach the API by its public frontend. */
  readonly clusterEgressAddresses?: readonly string[];
}

export const PORT_API = '6443';
export const PORT_ETCD = '2379-2380';
export const PORT_KUBELET = '10250';

const asg = (id: string) => ({ id });

function allowTcp(name: string, priority: number, port: string, sources: string[], destinationAsgId: string, description: string): SecurityRule {
  return {
    name,
    description,
    priority,
    direction: 'Inbound',
    access: 'Allow',
    protocol: 'Tcp',
    sourcePortRange: '*',
    destinationPortRange: port,
    sourceApplicationSecurityGroups: sources.map(asg),
    destinationApplicationSecurityGroups: [asg(destinationAsgId)],
  };
}

function denyTcp(name: string, priority: number, port: string, description: string): SecurityRule {
  return {
    name,
    description,
    priority,
    direction: 'Inbound',
    access: 'Deny',
    protocol: 'Tcp',
    sourcePortRange: '*',
    destinationPortRange: port,
    sourceAddressPrefix: '*',
    destinationAddressPrefix: '*',
  };
}

function common(r: RuleInputs, destinationAsgId: string): SecurityRule[] {
  return [
    {
      name: 'allow-cluster-nodes',
      description: 'pod network and node-to-node traffic among the cluster nodes',
      priority: 300,
      direction: 'Inbound',
      access: 'Allow',
      protocol: '*',
      sourcePortRange: '*',
      destinationPortRange: '*',
      sourceApplicationSecurityGroups: [asg(r.controlPlaneAsgId), asg(r.workersAsgId)],
      destinationApplicationSecurityGroups: [asg(destinationAsgId)],
    },
    {
      name: 'allow-azure-load-balancer',
      description: 'health probes from the Azure platform (168.63.129.16), which the next rule would otherwise deny',
      priority: 4000,
      direction: 'Inbound',
      access: 'Allow',
      protocol: '*',
      sourcePortRange: '*',
      destinationPortRange: '*',
      sourceAddressPrefix: 'AzureLoadBalancer',
      destinationAddressPrefix: '*',
    },
    {
      name: 'deny-virtual-network',
      description: "override Azure's default AllowVnetInBound: only the rules above let anything in",
      priority: 4096,
      direction: 'Inbound',
      access: 'Deny',
      protocol: '*',
      sourcePortRange: '*',
      destinationPortRange: '*',
      sourceAddressPrefix: 'VirtualNetwork',
      destinationAddressPrefix: '*',
    },
  ];
}

export function controlPlaneRules(r: RuleInputs): SecurityRule[] {
  const cp = r.controlPlaneAsgId;
  const rules: SecurityRule[] = [
    allowTcp('allow-api-from-workers', 100, PORT_API, [r.workersAsgId], cp, 'Kubernetes API from the workers'),
    allowTcp('allow-api-from-control-plane', 110, PORT_API, [cp], cp, 'Kubernetes API among the control plane'),
    allowTcp('allow-etcd-from-control-plane', 120, PORT_ETCD, [cp], cp, 'etcd client and peer traffic, control plane only'),
  ];
  if (r.apiAllowedCidrs.length > 0) {
    rules.push({
      name: 'allow-api-from-allowed-cidrs',
      description: 'Kubernetes API from the CIDRs the cluster allows',
      priority: 140,
      direction: 'Inbound',
      access: 'Allow',
      protocol: 'Tcp',
      sourcePortRange: '*',
      destinationPortRange: PORT_API,
      sourceAddressPrefixes: [...r.apiAllowedCidrs],
      destinationApplicationSecurityGroups: [asg(cp)],
    });
  }
  if (r.clusterEgressAddresses && r.clusterEgressAddresses.length > 0) {
    rules.push({
      name: 'allow-api-from-cluster-egress',
      description: "Kubernetes API from the cluster's own nodes through the public frontend (their NAT gateway's address)",
      priority: 150,
      direction: 'Inbound',
      access: 'Allow',
      protocol: 'Tcp',
      sourcePortRange: '*',
      destinationPortRange: PORT_API,
      sourceAddressPrefixes: [...r.clusterEgressAddresses],
      destinationApplicationSecurityGroups: [asg(cp)],
    });
  }
  rules.push(
    denyTcp('deny-etcd', 200, PORT_ETCD, 'etcd from anything but the control plane'),
    ...common(r, cp),
  );
  return rules;
}

export function workerRules(r: RuleInputs): SecurityRule[] {
  return [
    ...common(r, r.workersAsgId),
  ];
}
