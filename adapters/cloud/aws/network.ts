import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  ModifyVpcAttributeCommand,
  ReplaceRouteCommand,
  type EC2Client,
  type Filter,
  type NatGateway,
  type RouteTable,
  type Subnet,
} from '@aws-sdk/client-ec2';
import { CloudError, TAG_CLUSTER, TAG_NAME, type ExistingNetwork, type InfraSpec } from '../../../core/cloud.js';
import { clusterFilter, kubernetesTags, mapped, nameFilter, resourceTags, tagSpec, tagValue, tolerate } from './calls.js';
import { PRIVATE_SUBNET_SLOTS, PUBLIC_SUBNET_SLOTS, VPC_CIDR, privateSubnetCidr, publicSubnetCidr } from './security-rules.js';

/** What the rest of the infrastructure is placed in. */
export interface ClusterNetwork {
  readonly vpcId: string;
  /** The VPC's primary CIDR (NodePort rules are scoped to it). */
  readonly vpcCidr: string;
  /** Zone → subnet its nodes are launched in. */
  readonly nodeSubnets: Record<string, string>;
  /** Zone → public subnet (NAT gateways, internet-facing load balancer). */
  readonly publicSubnets: Record<string, string>;
  /** The subnets of the API load balancer: one per zone. */
  readonly loadBalancerSubnets: string[];
  readonly natGatewayIds: string[];
  /** The NAT gateways' public addresses: what nodes reach an internet-facing API load balancer from. */
  readonly natPublicIps: string[];
  /** What the cloud is still making (a NAT gateway takes a minute or two to route). */
  readonly pending?: string[];
  readonly managed: boolean;
  readonly nodePublicIp: boolean;
}

const ANYWHERE = '0.0.0.0/0';

/**
 * The cluster's network, after Cluster API Provider AWS's default layout: a VPC, per zone a private
 * subnet for nodes and a public one for NAT gateways and an internet-facing load balancer, an
 * internet gateway with a public route table, and NAT gateways (one, or one per zone) each with an
 * Elastic IP and a private route table whose default route goes through it. With nodeEgress
 * publicIp the nodes live in the public subnets with their own address and no NAT is made.
 */
export async function ensureManagedNetwork(ec2: EC2Client, spec: InfraSpec): Promise<ClusterNetwork> {
  const { clusterId, clusterName } = spec;
  const vpcId = await ensureVpc(ec2, clusterId, clusterName);
  const igwId = await ensureInternetGateway(ec2, clusterId, clusterName, vpcId);
  const subnets = await describeSubnets(ec2, [...clusterFilter(clusterId), { Name: 'vpc-id', Values: [vpcId] }]);
  const used = new Set(subnets.map((s) => s.CidrBlock));
  const byName = new Map(subnets.map((s) => [tagValue(s.Tags, TAG_NAME), s.SubnetId!]));
  const ensureSubnet = async (name: string, zone: string, cidrFor: (slot: number) => string, slots: number, preferred: number, role: 'public' | 'private') => {
    const existing = byName.get(name);
    if (existing) return existing;
    // The zone's own slot when free, so a fresh cluster's subnets follow zone order; never a CIDR in use.
    const slot = [preferred, ...Array.from({ length: slots }, (_, i) => i)].find((i) => i < slots && !used.has(cidrFor(i)));
    if (slot === undefined) throw new CloudError('InvalidParameterValue', `no free subnet range left in ${VPC_CIDR} for ${name}`, false);
    used.add(cidrFor(slot));
    const out = await mapped(
      ec2.send(
        new CreateSubnetCommand({
          VpcId: vpcId,
          AvailabilityZone: zone,
          CidrBlock: cidrFor(slot),
          TagSpecifications: [tagSpec('subnet', [...resourceTags(clusterId, name), ...kubernetesTags(clusterId, role)])],
        }),
      ),
    );
    return out.Subnet!.SubnetId!;
  };

  const publicSubnets: Record<string, string> = {};
  for (const [i, zone] of spec.zones.entries()) publicSubnets[zone] = await ensureSubnet(`${clusterName}-public-${zone}`, zone, publicSubnetCidr, PUBLIC_SUBNET_SLOTS, i, 'public');
  await ensureRouteTable(ec2, clusterId, vpcId, `${clusterName}-public`, { GatewayId: igwId }, Object.values(publicSubnets));

  if (spec.network.nodeEgress === 'publicIp') {
    return { vpcId, vpcCidr: VPC_CIDR, nodeSubnets: publicSubnets, publicSubnets, loadBalancerSubnets: Object.values(publicSubnets), natGatewayIds: [], natPublicIps: [], managed: true, nodePublicIp: true };
  }

  const nodeSubnets: Record<string, string> = {};
  for (const [i, zone] of spec.zones.entries()) nodeSubnets[zone] = await ensureSubnet(`${clusterName}-${zone}`, zone, privateSubnetCidr, PRIVATE_SUBNET_SLOTS, i, 'private');
  const perZone = spec.network.natGateways === 'perZone';
  const natZones = perZone ? spec.zones : spec.zones.slice(0, 1);
  const nats: Record<string, string> = {};
  const natPublicIps: string[] = [];
  const pending: string[] = [];
  for (const zone of natZones) {
    // A single gateway's name does not follow its zone: a new first zone must not make a second one.
    const nat = await ensureNatGateway(ec2, clusterId, perZone ? `${clusterName}-nat-${zone}` : `${clusterName}-nat`, publicSubnets[zone]!);
    nats[zone] = nat.id;
    natPublicIps.push(nat.publicIp);
    if (!nat.available) pending.push(`NAT gateway ${nat.id} is pending`);
  }
  if (perZone) {
    for (const zone of spec.zones) await ensureRouteTable(ec2, clusterId, vpcId, `${clusterName}-private-${zone}`, { NatGatewayId: nats[zone]! }, [nodeSubnets[zone]!]);
  } else {
    await ensureRouteTable(ec2, clusterId, vpcId, `${clusterName}-private`, { NatGatewayId: nats[natZones[0]!]! }, Object.values(nodeSubnets));
  }
  return {
    vpcId,
    vpcCidr: VPC_CIDR,
    nodeSubnets,
    publicSubnets,
    loadBalancerSubnets: Object.values(spec.publicApi ? publicSubnets : nodeSubnets),
    natGatewayIds: Object.values(nats),
    natPublicIps,
    managed: true,
    nodePublicIp: false,
    ...(pending.length ? { pending } : {}),
  };
}

/**
 * A network the cluster brings: Strata makes nothing in it but security groups and the load
 * balancer, and first checks that it can work — the VPC and subnets exist, each subnet is in its
 * zone, and has a default route out (NAT, an internet gateway, a transit gateway or an appliance).
 */
export async function checkExistingNetwork(ec2: EC2Client, spec: InfraSpec, existing: ExistingNetwork): Promise<ClusterNetwork> {
  const vpcs = await tolerate(ec2.send(new DescribeVpcsCommand({ VpcIds: [existing.networkId] })), 'InvalidVpcID.NotFound');
  const vpc = vpcs?.Vpcs?.[0];
  if (!vpc) throw new CloudError('InvalidVpcID.NotFound', `the cluster's network ${existing.networkId} does not exist in this region`, false);
  const publicNodes = spec.network.nodeEgress === 'publicIp';
  const nodeSubnets: Record<string, string> = {};
  for (const zone of spec.zones) nodeSubnets[zone] = existing.subnets[zone]!;
  const lbSubnets = spec.publicApi ? { ...existing.loadBalancerSubnets } : nodeSubnets;
  const wanted = [...new Set([...Object.values(nodeSubnets), ...Object.values(lbSubnets)])];
  const found = await describeSubnets(ec2, [{ Name: 'subnet-id', Values: wanted }]);
  const tables = await describeRouteTables(ec2, [{ Name: 'vpc-id', Values: [existing.networkId] }]);
  const check = (zone: string, subnetId: string, needsInternetGateway: boolean, what: string) => {
    const subnet = found.find((s) => s.SubnetId === subnetId);
    if (!subnet) throw new CloudError('InvalidSubnetID.NotFound', `${what} ${subnetId} for zone ${zone} does not exist`, false);
    if (subnet.VpcId !== existing.networkId) throw new CloudError('InvalidParameterValue', `${what} ${subnetId} is in ${subnet.VpcId}, not in the cluster's network ${existing.networkId}`, false);
    if (subnet.AvailabilityZone !== zone) throw new CloudError('InvalidParameterValue', `${what} ${subnetId} is in zone ${subnet.AvailabilityZone}, not ${zone}`, false);
    const out = defaultRoute(tables, subnetId);
    if (!out || (needsInternetGateway && !out.GatewayId?.startsWith('igw-'))) {
      const need = needsInternetGateway ? 'a default route (0.0.0.0/0) to an internet gateway' : 'a default route (0.0.0.0/0) out: a NAT gateway, internet gateway, transit gateway or appliance';
      throw new CloudError('SubnetHasNoRouteOut', `${what} ${subnetId} (${zone}) has no ${need}: nodes could not join, pull images or reach Strata`, false);
    }
  };
  for (const [zone, id] of Object.entries(nodeSubnets)) check(zone, id, publicNodes, 'node subnet');
  if (spec.publicApi) for (const [zone, id] of Object.entries(lbSubnets)) check(zone, id, true, 'load balancer subnet');
  return {
    vpcId: existing.networkId,
    vpcCidr: vpc.CidrBlock!,
    nodeSubnets,
    publicSubnets: spec.publicApi ? lbSubnets : {},
    loadBalancerSubnets: Object.values(lbSubnets),
    natGatewayIds: [],
    natPublicIps: [],
    managed: false,
    nodePublicIp: publicNodes,
  };
}

/** The active default route of a subnet: its own route table's, or else the VPC's main one. */
function defaultRoute(tables: RouteTable[], subnetId: string) {
  const table =
    tables.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId)) ?? tables.find((t) => t.Associations?.some((a) => a.Main));
  return table?.Routes?.find((r) => r.DestinationCidrBlock === ANYWHERE && r.State !== 'blackhole');
}

async function ensureVpc(ec2: EC2Client, clusterId: string, name: string): Promise<string> {
  const found = await mapped(ec2.send(new DescribeVpcsCommand({ Filters: [...clusterFilter(clusterId), nameFilter(name)] })));
  const vpcId =
    found.Vpcs?.[0]?.VpcId ??
    (await mapped(ec2.send(new CreateVpcCommand({ CidrBlock: VPC_CIDR, TagSpecifications: [tagSpec('vpc', resourceTags(clusterId, name))] })))).Vpc!.VpcId!;
  // Instances get DNS names (the cloud controller manager and kubelet's node addresses use them).
  // Checked on every pass: an earlier one may have made the VPC and lost the answer before this.
  const dns = await mapped(ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsHostnames' })));
  if (!dns.EnableDnsHostnames?.Value) await mapped(ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } })));
  return vpcId;
}

async function ensureInternetGateway(ec2: EC2Client, clusterId: string, name: string, vpcId: string): Promise<string> {
  const found = await mapped(ec2.send(new DescribeInternetGatewaysCommand({ Filters: clusterFilter(clusterId) })));
  let igw = found.InternetGateways?.[0];
  if (!igw) {
    const out = await mapped(ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: [tagSpec('internet-gateway', resourceTags(clusterId, `${name}-igw`))] })));
    igw = out.InternetGateway!;
  }
  if (!igw.Attachments?.some((a) => a.VpcId === vpcId)) {
    await tolerate(ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId, VpcId: vpcId })), 'Resource.AlreadyAssociated');
  }
  return igw.InternetGatewayId!;
}

/**
 * A NAT gateway with its own Elastic IP; a retry finds both by tag, and the client token covers a
 * lost answer. A gateway that failed (AWS gives up on it: its route turns blackhole) is replaced:
 * the token counts the failures, so the new request is not answered with the failed gateway.
 */
async function ensureNatGateway(ec2: EC2Client, clusterId: string, name: string, subnetId: string): Promise<{ id: string; publicIp: string; available: boolean }> {
  const found = await mapped(
    ec2.send(new DescribeNatGatewaysCommand({ Filter: [...clusterFilter(clusterId), nameFilter(name), { Name: 'state', Values: ['pending', 'available', 'failed'] }] })),
  );
  // The tags are checked here too: a filter an endpoint ignored must never hand over another cluster's gateway.
  const mine = (found.NatGateways ?? []).filter((n) => tagValue(n.Tags, TAG_CLUSTER) === clusterId && tagValue(n.Tags, TAG_NAME) === name);
  const live = mine.find((n) => n.State === 'pending' || n.State === 'available');
  const failures = mine.filter((n) => n.State === 'failed').length;
  const addresses = await mapped(ec2.send(new DescribeAddressesCommand({ Filters: [...clusterFilter(clusterId), nameFilter(name)] })));
  const address =
    addresses.Addresses?.[0] ??
    (await mapped(ec2.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: [tagSpec('elastic-ip', resourceTags(clusterId, name))] }))));
  const publicIp = address.PublicIp!;
  if (live) return { id: live.NatGatewayId!, publicIp, available: live.State === 'available' };
  const out = await mapped(
    ec2.send(
      new CreateNatGatewayCommand({
        SubnetId: subnetId,
        AllocationId: address.AllocationId!,
        ConnectivityType: 'public',
        ClientToken: `${clusterId}-${name}-${failures}`.slice(0, 64),
        TagSpecifications: [tagSpec('natgateway', resourceTags(clusterId, name))],
      }),
    ),
  );
  const nat = out.NatGateway as NatGateway;
  if (nat.State === 'failed') {
    throw new CloudError(nat.FailureCode ?? 'NatGatewayFailed', `NAT gateway ${nat.NatGatewayId} failed: ${nat.FailureMessage ?? 'no reason given'}; Strata makes another`);
  }
  return { id: nat.NatGatewayId!, publicIp, available: nat.State === 'available' };
}

/** A route table whose default route goes to `target`, associated with `subnetIds`. */
async function ensureRouteTable(
  ec2: EC2Client,
  clusterId: string,
  vpcId: string,
  name: string,
  target: { GatewayId: string } | { NatGatewayId: string },
  subnetIds: string[],
): Promise<string> {
  let [table] = await describeRouteTables(ec2, [...clusterFilter(clusterId), nameFilter(name), { Name: 'vpc-id', Values: [vpcId] }]);
  if (!table) {
    const out = await mapped(ec2.send(new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: [tagSpec('route-table', resourceTags(clusterId, name))] })));
    table = out.RouteTable!;
  }
  const RouteTableId = table.RouteTableId!;
  const current = table.Routes?.find((r) => r.DestinationCidrBlock === ANYWHERE);
  const targetId = 'GatewayId' in target ? target.GatewayId : target.NatGatewayId;
  if (!current) {
    await tolerate(ec2.send(new CreateRouteCommand({ RouteTableId, DestinationCidrBlock: ANYWHERE, ...target })), 'RouteAlreadyExists');
  } else if (current.GatewayId !== targetId && current.NatGatewayId !== targetId) {
    await mapped(ec2.send(new ReplaceRouteCommand({ RouteTableId, DestinationCidrBlock: ANYWHERE, ...target })));
  }
  const associated = new Set((table.Associations ?? []).map((a) => a.SubnetId));
  for (const SubnetId of subnetIds) {
    if (associated.has(SubnetId)) continue;
    // A subnet has one explicit table: Resource.AlreadyAssociated means a concurrent attempt did it.
    await tolerate(ec2.send(new AssociateRouteTableCommand({ RouteTableId, SubnetId })), 'Resource.AlreadyAssociated');
  }
  return RouteTableId;
}

export async function describeSubnets(ec2: EC2Client, Filters: Filter[]): Promise<Subnet[]> {
  return (await mapped(ec2.send(new DescribeSubnetsCommand({ Filters })))).Subnets ?? [];
}

export async function describeRouteTables(ec2: EC2Client, Filters: Filter[]): Promise<RouteTable[]> {
  return (await mapped(ec2.send(new DescribeRouteTablesCommand({ Filters })))).RouteTables ?? [];
}
