import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteNatGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  EC2ServiceException,
  ModifyVpcAttributeCommand,
  ReleaseAddressCommand,
  ReplaceRouteCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type Address,
  type AttachmentStatus,
  type Filter,
  type Instance,
  type InternetGateway,
  type IpPermission,
  type NatGateway,
  type Route,
  type RouteTable,
  type Subnet,
  type Tag,
  type Vpc,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2ServiceException,
  DescribeTargetGroupAttributesCommand,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
  SetSubnetsCommand,
  type Listener,
  type LoadBalancer,
  type TargetGroup,
  type TargetHealth,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  IAMServiceException,
  ListRolePoliciesCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  type InstanceProfile,
  type Role,
} from '@aws-sdk/client-iam';
import type { AwsStub } from 'aws-sdk-client-mock';

/**
 * A small AWS behind aws-sdk-client-mock: EC2 (network, security groups, instances), ELBv2 (network
 * load balancers, target groups, listeners, targets) and IAM (roles, inline policies, instance
 * profiles). Resources are stored as created; Describe* honours tag and attribute filters (and
 * refuses a filter name EC2 does not know); every call refuses what the service refuses, with its
 * code and text: duplicates, unknown ids, and deletes while something depends on the resource
 * (DependencyViolation, ResourceInUse, DeleteConflict, InvalidIPAddress.InUse).
 *
 * What the services finish in the background (a NAT gateway becoming available or deleted, an
 * instance running or terminated, a load balancer active, a deleted load balancer's interfaces
 * released, a new instance profile reaching EC2) happens only when the test calls `tick()`.
 */

export const ACCOUNT = '123456789012';

const fault = { $fault: 'client' as const, $metadata: {} };
export const ec2Error = (name: string, message: string) => new EC2ServiceException({ name, message, ...fault });
export const elbError = (name: string, message: string) => new ElasticLoadBalancingV2ServiceException({ name, message, ...fault });
export const iamError = (name: string, message: string) => new IAMServiceException({ name, message, ...fault });

/** Ingress as `proto from-to <- source` lines, for exact comparison whatever the grouping. */
export function ruleLines(perms: readonly IpPermission[] | undefined, names: Record<string, string> = {}): string[] {
  return (perms ?? [])
    .flatMap((p) => {
      const ports = `${p.IpProtocol} ${p.FromPort}-${p.ToPort}`;
      return [
        ...(p.UserIdGroupPairs ?? []).map((g) => `${ports} <- ${names[g.GroupId!] ?? g.GroupId}`),
        ...(p.IpRanges ?? []).map((r) => `${ports} <- ${r.CidrIp}`),
        ...(p.Ipv6Ranges ?? []).map((r) => `${ports} <- ${r.CidrIpv6}`),
      ];
    })
    .sort();
}

/** One ingress permission from one source (a group id or a CIDR), as EC2 keeps them. */
export interface Rule {
  readonly IpProtocol: string;
  readonly FromPort: number;
  readonly ToPort: number;
  readonly source: string;
  readonly Description?: string;
}
const ruleLine = (r: Rule) => `${r.IpProtocol} ${r.FromPort}-${r.ToPort} <- ${r.source}`;

export interface FakeGroup {
  GroupId: string;
  GroupName: string;
  Description: string;
  VpcId: string;
  Tags: Tag[];
  rules: Rule[];
}

/** A network interface: what holds a subnet, security groups and (with a public address) the internet gateway. */
export interface Eni {
  readonly NetworkInterfaceId: string;
  readonly VpcId: string;
  readonly SubnetId: string;
  readonly Groups: string[];
  /** The NAT gateway, load balancer or instance it belongs to; anything else is someone else's. */
  readonly owner: string;
  readonly publicIp?: string;
  /** A deleted load balancer's interface: released at the next tick. */
  lingering?: boolean;
}

interface FakeNat {
  NatGatewayId: string;
  SubnetId: string;
  VpcId: string;
  State: 'pending' | 'available' | 'deleting' | 'deleted' | 'failed';
  Tags: Tag[];
  AllocationId: string;
  eni?: string;
  FailureCode?: string;
  FailureMessage?: string;
}

interface FakeTargetGroup extends TargetGroup {
  attributes: Record<string, string>;
  targets: { Id: string; Port: number; draining?: boolean }[];
  settings: string;
}

type Impl = (input: any) => unknown;
/** Runs instead of the call, once: `proceed()` makes the call; what the hook returns or throws is the answer. */
export type Hook = (input: any, proceed: () => any) => unknown;

const NAT_LIVE = ['pending', 'available'];
const INSTANCE_LIVE = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

/** Start and end of an IPv4 CIDR as numbers. */
function cidrRange(cidr: string): [number, number] {
  const [ip, bits] = cidr.split('/');
  const start = ip!.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(bits));
  if (start % size !== 0) throw ec2Error('InvalidParameterValue', `Value (${cidr}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
  return [start, start + size - 1];
}
const ipString = (n: number) => [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
const within = (inner: string, outer: string) => {
  const [a, b] = cidrRange(inner);
  const [c, d] = cidrRange(outer);
  return a >= c && b <= d;
};
const overlaps = (x: string, y: string) => {
  const [a, b] = cidrRange(x);
  const [c, d] = cidrRange(y);
  return a <= d && c <= b;
};

export interface FakeAwsMocks {
  readonly ec2: AwsStub<any, any, any>;
  readonly elb: AwsStub<any, any, any>;
  readonly iam: AwsStub<any, any, any>;
}

export function fakeAws(mocks: FakeAwsMocks, region = 'eu-west-1') {
  let seq = 0;
  const hex = (width = 17) => (++seq).toString(16).padStart(width, '0');
  const id = (prefix: string) => `${prefix}-${hex()}`;
  const tagsOf = (specs: { ResourceType?: string; Tags?: Tag[] }[] | undefined, type: string): Tag[] =>
    structuredClone(specs?.find((s) => s.ResourceType === type)?.Tags ?? []);

  const ec2 = {
    vpcs: [] as Vpc[],
    vpcAttributes: new Map<string, { EnableDnsHostnames: boolean; EnableDnsSupport: boolean }>(),
    subnets: [] as Subnet[],
    groups: [] as FakeGroup[],
    internetGateways: [] as InternetGateway[],
    natGateways: [] as FakeNat[],
    natTokens: new Map<string, { natId: string; params: string }>(),
    addresses: [] as Address[],
    routeTables: [] as RouteTable[],
    instances: [] as Instance[],
    instanceTokens: new Map<string, { instanceId: string; params: string }>(),
    enis: [] as Eni[],
    /** NAT gateways that fail at the next tick instead of becoming available: id → [code, message]. */
    natFailures: new Map<string, [string, string]>(),
  };
  const elb = {
    loadBalancers: [] as LoadBalancer[],
    targetGroups: [] as FakeTargetGroup[],
    listeners: [] as Listener[],
    tags: new Map<string, Tag[]>(),
    /** Health the load balancer reports for an in-service target, by instance id (default: initial). */
    health: {} as Record<string, TargetHealth>,
  };
  const iam = {
    roles: new Map<string, { role: Role; policies: Map<string, string> }>(),
    profiles: new Map<string, { profile: InstanceProfile; visibleToEc2: boolean }>(),
  };
  const hooks = new Map<string, Hook[]>();

  // ---- filters -------------------------------------------------------------------------------------

  const matches = (tags: readonly Tag[] | undefined, filters: readonly Filter[] | undefined, attrs: Record<string, unknown>) =>
    (filters ?? []).every((f) => {
      const values = f.Values ?? [];
      if (f.Name!.startsWith('tag:')) return (tags ?? []).some((t) => t.Key === f.Name!.slice(4) && values.includes(t.Value!));
      if (!(f.Name! in attrs)) throw ec2Error('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
      const have = attrs[f.Name!];
      return (Array.isArray(have) ? have : [have]).some((v) => typeof v === 'string' && values.includes(v));
    });

  // ---- lookups -------------------------------------------------------------------------------------

  const vpc = (VpcId: string) => {
    const v = ec2.vpcs.find((x) => x.VpcId === VpcId);
    if (!v) throw ec2Error('InvalidVpcID.NotFound', `The vpc ID '${VpcId}' does not exist`);
    return v;
  };
  const subnet = (SubnetId: string) => {
    const s = ec2.subnets.find((x) => x.SubnetId === SubnetId);
    if (!s) throw ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${SubnetId}' does not exist`);
    return s;
  };
  const group = (GroupId: string) => {
    const g = ec2.groups.find((x) => x.GroupId === GroupId);
    if (!g) throw ec2Error('InvalidGroup.NotFound', `The security group '${GroupId}' does not exist`);
    return g;
  };
  const igw = (InternetGatewayId: string) => {
    const g = ec2.internetGateways.find((x) => x.InternetGatewayId === InternetGatewayId);
    if (!g) throw ec2Error('InvalidInternetGatewayID.NotFound', `The internetGateway ID '${InternetGatewayId}' does not exist`);
    return g;
  };
  const table = (RouteTableId: string) => {
    const t = ec2.routeTables.find((x) => x.RouteTableId === RouteTableId);
    if (!t) throw ec2Error('InvalidRouteTableID.NotFound', `The routeTable ID '${RouteTableId}' does not exist`);
    return t;
  };
  const address = (AllocationId: string) => {
    const a = ec2.addresses.find((x) => x.AllocationId === AllocationId);
    if (!a) throw ec2Error('InvalidAllocationID.NotFound', `The allocation ID '${AllocationId}' does not exist`);
    return a;
  };
  const attachedIgw = (VpcId: string) => ec2.internetGateways.find((g) => g.Attachments?.some((a) => a.VpcId === VpcId));
  const dependents = (VpcId: string) => ({
    subnets: ec2.subnets.filter((s) => s.VpcId === VpcId),
    groups: ec2.groups.filter((g) => g.VpcId === VpcId && g.GroupName !== 'default'),
    tables: ec2.routeTables.filter((t) => t.VpcId === VpcId && !t.Associations?.some((a) => a.Main)),
    igw: attachedIgw(VpcId),
  });
  const dependencyViolation = (kind: string, resourceId: string) =>
    ec2Error('DependencyViolation', `The ${kind} '${resourceId}' has dependencies and cannot be deleted.`);

  const flatten = (perms: readonly IpPermission[] | undefined): Rule[] =>
    (perms ?? []).flatMap((p) => {
      const base = { IpProtocol: p.IpProtocol!, FromPort: p.FromPort!, ToPort: p.ToPort! };
      return [
        ...(p.UserIdGroupPairs ?? []).map((g) => ({ ...base, source: g.GroupId!, Description: g.Description })),
        ...(p.IpRanges ?? []).map((r) => ({ ...base, source: r.CidrIp!, Description: r.Description })),
        ...(p.Ipv6Ranges ?? []).map((r) => ({ ...base, source: r.CidrIpv6!, Description: r.Description })),
      ];
    });
  /** Rules as DescribeSecurityGroups returns them: one permission per protocol and port range. */
  const render = (rules: readonly Rule[]): IpPermission[] => {
    const byPorts = new Map<string, IpPermission>();
    for (const r of rules) {
      const key = `${r.IpProtocol}/${r.FromPort}/${r.ToPort}`;
      let p = byPorts.get(key);
      if (!p) byPorts.set(key, (p = { IpProtocol: r.IpProtocol, FromPort: r.FromPort, ToPort: r.ToPort, UserIdGroupPairs: [], IpRanges: [], Ipv6Ranges: [], PrefixListIds: [] }));
      if (r.source.startsWith('sg-')) p.UserIdGroupPairs!.push({ GroupId: r.source, UserId: ACCOUNT, Description: r.Description });
      else if (r.source.includes(':')) p.Ipv6Ranges!.push({ CidrIpv6: r.source, Description: r.Description });
      else p.IpRanges!.push({ CidrIp: r.source, Description: r.Description });
    }
    return [...byPorts.values()];
  };

  /** A route's state as EC2 reports it: blackhole once its target is gone. */
  const routeState = (t: RouteTable, r: Route): Route => {
    let live = true;
    if (r.NatGatewayId) live = ec2.natGateways.some((n) => n.NatGatewayId === r.NatGatewayId && NAT_LIVE.includes(n.State));
    else if (r.GatewayId?.startsWith('igw-')) live = attachedIgw(t.VpcId!)?.InternetGatewayId === r.GatewayId;
    return { ...r, State: live ? 'active' : 'blackhole' };
  };

  const natView = (n: FakeNat): NatGateway => {
    const a = ec2.addresses.find((x) => x.AllocationId === n.AllocationId);
    return {
      NatGatewayId: n.NatGatewayId,
      SubnetId: n.SubnetId,
      VpcId: n.VpcId,
      State: n.State,
      ConnectivityType: 'public',
      Tags: n.Tags,
      NatGatewayAddresses: [{ AllocationId: n.AllocationId, PublicIp: a?.PublicIp, NetworkInterfaceId: n.eni, IsPrimary: true }],
      ...(n.FailureCode ? { FailureCode: n.FailureCode, FailureMessage: n.FailureMessage } : {}),
    };
  };
  const releaseNat = (n: FakeNat) => {
    ec2.enis = ec2.enis.filter((e) => e.NetworkInterfaceId !== n.eni);
    const a = ec2.addresses.find((x) => x.AllocationId === n.AllocationId && x.NetworkInterfaceId === n.eni);
    if (a) {
      delete a.AssociationId;
      delete a.NetworkInterfaceId;
      delete a.PrivateIpAddress;
    }
    delete n.eni;
  };

  let publicIps = 0;
  const nextPublicIp = () => `198.18.${Math.floor(++publicIps / 250)}.${publicIps % 250}`;
  const newEni = (SubnetId: string, Groups: string[], owner: string, publicIp?: string): Eni => {
    const e = { NetworkInterfaceId: id('eni'), VpcId: subnet(SubnetId).VpcId!, SubnetId, Groups, owner, ...(publicIp ? { publicIp } : {}) };
    ec2.enis.push(e);
    return e;
  };

  // ---- EC2 -----------------------------------------------------------------------------------------

  const ec2Api = {
    DescribeVpcs(input: any) {
      for (const VpcId of input.VpcIds ?? []) vpc(VpcId);
      return {
        Vpcs: ec2.vpcs.filter((v) => (!input.VpcIds || input.VpcIds.includes(v.VpcId)) && matches(v.Tags, input.Filters, { 'vpc-id': v.VpcId, 'cidr-block': v.CidrBlock })),
      };
    },
    CreateVpc(input: any) {
      cidrRange(input.CidrBlock);
      const v: Vpc = { VpcId: id('vpc'), CidrBlock: input.CidrBlock, State: 'available', IsDefault: false, Tags: tagsOf(input.TagSpecifications, 'vpc') };
      ec2.vpcs.push(v);
      ec2.vpcAttributes.set(v.VpcId!, { EnableDnsHostnames: false, EnableDnsSupport: true });
      // Every VPC comes with a default security group and a main route table, neither tagged.
      ec2.groups.push({ GroupId: id('sg'), GroupName: 'default', Description: 'default VPC security group', VpcId: v.VpcId!, Tags: [], rules: [] });
      const main = id('rtb');
      ec2.routeTables.push({
        RouteTableId: main,
        VpcId: v.VpcId,
        Routes: [{ DestinationCidrBlock: input.CidrBlock, GatewayId: 'local', Origin: 'CreateRouteTable' }],
        Associations: [{ Main: true, RouteTableId: main, RouteTableAssociationId: id('rtbassoc'), AssociationState: { State: 'associated' } }],
        Tags: [],
      });
      return { Vpc: v };
    },
    ModifyVpcAttribute(input: any) {
      const attrs = ec2.vpcAttributes.get(vpc(input.VpcId).VpcId!)!;
      const given = ['EnableDnsHostnames', 'EnableDnsSupport', 'EnableNetworkAddressUsageMetrics'].filter((k) => input[k] !== undefined);
      if (given.length !== 1) throw ec2Error('InvalidParameterCombination', 'Fields for multiple attribute types specified: only one attribute can be modified at a time');
      if (input.EnableDnsHostnames) attrs.EnableDnsHostnames = input.EnableDnsHostnames.Value;
      if (input.EnableDnsSupport) attrs.EnableDnsSupport = input.EnableDnsSupport.Value;
      return {};
    },
    DescribeVpcAttribute(input: any) {
      const attrs = ec2.vpcAttributes.get(vpc(input.VpcId).VpcId!)!;
      if (input.Attribute === 'enableDnsHostnames') return { VpcId: input.VpcId, EnableDnsHostnames: { Value: attrs.EnableDnsHostnames } };
      return { VpcId: input.VpcId, EnableDnsSupport: { Value: attrs.EnableDnsSupport } };
    },
    DeleteVpc(input: any) {
      vpc(input.VpcId);
      const d = dependents(input.VpcId);
      if (d.subnets.length || d.groups.length || d.tables.length || d.igw) throw dependencyViolation('vpc', input.VpcId);
      ec2.vpcs = ec2.vpcs.filter((v) => v.VpcId !== input.VpcId);
      ec2.groups = ec2.groups.filter((g) => g.VpcId !== input.VpcId);
      ec2.routeTables = ec2.routeTables.filter((t) => t.VpcId !== input.VpcId);
      return {};
    },

    DescribeSubnets(input: any) {
      return {
        Subnets: ec2.subnets.filter((s) =>
          matches(s.Tags, input.Filters, { 'vpc-id': s.VpcId, 'subnet-id': s.SubnetId, 'availability-zone': s.AvailabilityZone, 'cidr-block': s.CidrBlock }),
        ),
      };
    },
    CreateSubnet(input: any) {
      const v = vpc(input.VpcId);
      if (!within(input.CidrBlock, v.CidrBlock!)) throw ec2Error('InvalidSubnet.Range', `The CIDR '${input.CidrBlock}' is invalid.`);
      if (ec2.subnets.some((s) => s.VpcId === input.VpcId && overlaps(s.CidrBlock!, input.CidrBlock))) {
        throw ec2Error('InvalidSubnet.Conflict', `The CIDR '${input.CidrBlock}' conflicts with another subnet`);
      }
      const s: Subnet = {
        SubnetId: id('subnet'),
        VpcId: input.VpcId,
        CidrBlock: input.CidrBlock,
        AvailabilityZone: input.AvailabilityZone,
        State: 'available',
        MapPublicIpOnLaunch: false,
        Tags: tagsOf(input.TagSpecifications, 'subnet'),
      };
      ec2.subnets.push(s);
      return { Subnet: s };
    },
    DeleteSubnet(input: any) {
      subnet(input.SubnetId);
      if (ec2.enis.some((e) => e.SubnetId === input.SubnetId)) throw dependencyViolation('subnet', input.SubnetId);
      ec2.subnets = ec2.subnets.filter((s) => s.SubnetId !== input.SubnetId);
      for (const t of ec2.routeTables) t.Associations = t.Associations?.filter((a) => a.SubnetId !== input.SubnetId);
      return {};
    },

    DescribeInternetGateways(input: any) {
      return {
        InternetGateways: ec2.internetGateways.filter((g) =>
          matches(g.Tags, input.Filters, { 'internet-gateway-id': g.InternetGatewayId, 'attachment.vpc-id': (g.Attachments ?? []).map((a) => a.VpcId) }),
        ),
      };
    },
    CreateInternetGateway(input: any) {
      const g: InternetGateway = { InternetGatewayId: id('igw'), OwnerId: ACCOUNT, Attachments: [], Tags: tagsOf(input.TagSpecifications, 'internet-gateway') };
      ec2.internetGateways.push(g);
      return { InternetGateway: g };
    },
    AttachInternetGateway(input: any) {
      const g = igw(input.InternetGatewayId);
      vpc(input.VpcId);
      if (g.Attachments!.length) throw ec2Error('Resource.AlreadyAssociated', `resource ${input.InternetGatewayId} is already attached to network ${g.Attachments![0]!.VpcId}`);
      const other = attachedIgw(input.VpcId);
      if (other) throw ec2Error('Resource.AlreadyAssociated', `resource ${input.VpcId} is already attached to network ${other.InternetGatewayId}`);
      // EC2 reports an attached internet gateway as 'available', whatever the SDK's type says.
      g.Attachments = [{ VpcId: input.VpcId, State: 'available' as AttachmentStatus }];
      return {};
    },
    DetachInternetGateway(input: any) {
      const g = igw(input.InternetGatewayId);
      if (!g.Attachments!.some((a) => a.VpcId === input.VpcId)) throw ec2Error('Gateway.NotAttached', `resource ${input.InternetGatewayId} is not attached to network ${input.VpcId}`);
      if (ec2.enis.some((e) => e.VpcId === input.VpcId && e.publicIp)) {
        throw ec2Error(
          'DependencyViolation',
          `Network ${input.VpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
        );
      }
      g.Attachments = [];
      return {};
    },
    DeleteInternetGateway(input: any) {
      const g = igw(input.InternetGatewayId);
      if (g.Attachments!.length) throw dependencyViolation('internetGateway', input.InternetGatewayId);
      ec2.internetGateways = ec2.internetGateways.filter((x) => x !== g);
      return {};
    },

    DescribeAddresses(input: any) {
      for (const AllocationId of input.AllocationIds ?? []) address(AllocationId);
      return {
        Addresses: ec2.addresses.filter(
          (a) =>
            (!input.AllocationIds || input.AllocationIds.includes(a.AllocationId)) &&
            matches(a.Tags, input.Filters, { 'allocation-id': a.AllocationId, 'public-ip': a.PublicIp, domain: a.Domain, 'association-id': a.AssociationId }),
        ),
      };
    },
    AllocateAddress(input: any) {
      const a: Address = { AllocationId: id('eipalloc'), PublicIp: nextPublicIp(), Domain: input.Domain ?? 'vpc', Tags: tagsOf(input.TagSpecifications, 'elastic-ip') };
      ec2.addresses.push(a);
      return { AllocationId: a.AllocationId, PublicIp: a.PublicIp, Domain: a.Domain };
    },
    ReleaseAddress(input: any) {
      const a = address(input.AllocationId);
      if (a.AssociationId) throw ec2Error('InvalidIPAddress.InUse', `Address ${a.PublicIp} is in use.`);
      ec2.addresses = ec2.addresses.filter((x) => x !== a);
      return {};
    },

    DescribeNatGateways(input: any) {
      return {
        NatGateways: ec2.natGateways
          .filter(
            (n) =>
              (!input.NatGatewayIds || input.NatGatewayIds.includes(n.NatGatewayId)) &&
              matches(n.Tags, input.Filter, { state: n.State, 'vpc-id': n.VpcId, 'subnet-id': n.SubnetId, 'nat-gateway-id': n.NatGatewayId }),
          )
          .map(natView),
      };
    },
    CreateNatGateway(input: any) {
      const params = JSON.stringify({ SubnetId: input.SubnetId, AllocationId: input.AllocationId, ConnectivityType: input.ConnectivityType ?? 'public' });
      if (input.ClientToken) {
        const earlier = ec2.natTokens.get(input.ClientToken);
        if (earlier && earlier.params !== params) {
          throw ec2Error('IdempotentParameterMismatch', 'Client token already used before with different parameters.');
        }
        // The same token and parameters: EC2 answers with the NAT gateway the first request made, whatever its state now.
        if (earlier) return { ClientToken: input.ClientToken, NatGateway: natView(ec2.natGateways.find((n) => n.NatGatewayId === earlier.natId)!) };
      }
      const s = subnet(input.SubnetId);
      const a = address(input.AllocationId);
      const n: FakeNat = { NatGatewayId: id('nat'), SubnetId: s.SubnetId!, VpcId: s.VpcId!, State: 'pending', Tags: tagsOf(input.TagSpecifications, 'natgateway'), AllocationId: a.AllocationId! };
      ec2.natGateways.push(n);
      if (input.ClientToken) ec2.natTokens.set(input.ClientToken, { natId: n.NatGatewayId, params });
      // EC2 accepts the request and fails the gateway afterwards when it cannot work.
      if (a.AssociationId) {
        Object.assign(n, { State: 'failed', FailureCode: 'Resource.AlreadyAssociated', FailureMessage: `Elastic IP address [${a.AllocationId}] is already associated` });
      } else if (!attachedIgw(s.VpcId!)) {
        Object.assign(n, { State: 'failed', FailureCode: 'Gateway.NotAttached', FailureMessage: `Network ${s.VpcId} has no Internet gateway attached` });
      } else {
        const e = newEni(s.SubnetId!, [], n.NatGatewayId, a.PublicIp);
        n.eni = e.NetworkInterfaceId;
        Object.assign(a, { AssociationId: id('eipassoc'), NetworkInterfaceId: e.NetworkInterfaceId, PrivateIpAddress: '10.0.192.10' });
      }
      return { ClientToken: input.ClientToken, NatGateway: natView(n) };
    },
    DeleteNatGateway(input: any) {
      const n = ec2.natGateways.find((x) => x.NatGatewayId === input.NatGatewayId && x.State !== 'deleted');
      if (!n) throw ec2Error('NatGatewayNotFound', `The Nat Gateway ${input.NatGatewayId} was not found`);
      if (n.State === 'failed') n.State = 'deleted';
      else n.State = 'deleting';
      return { NatGatewayId: n.NatGatewayId };
    },

    DescribeRouteTables(input: any) {
      return {
        RouteTables: ec2.routeTables
          .filter((t) =>
            matches(t.Tags, input.Filters, {
              'vpc-id': t.VpcId,
              'route-table-id': t.RouteTableId,
              'association.subnet-id': (t.Associations ?? []).map((a) => a.SubnetId),
              'association.main': (t.Associations ?? []).map((a) => String(Boolean(a.Main))),
            }),
          )
          .map((t) => ({ ...t, Routes: t.Routes!.map((r) => routeState(t, r)) })),
      };
    },
    CreateRouteTable(input: any) {
      const v = vpc(input.VpcId);
      const t: RouteTable = {
        RouteTableId: id('rtb'),
        VpcId: input.VpcId,
        Routes: [{ DestinationCidrBlock: v.CidrBlock, GatewayId: 'local', Origin: 'CreateRouteTable' }],
        Associations: [],
        Tags: tagsOf(input.TagSpecifications, 'route-table'),
      };
      ec2.routeTables.push(t);
      return { RouteTable: { ...t, Routes: t.Routes!.map((r) => routeState(t, r)) } };
    },
    CreateRoute(input: any) {
      const t = table(input.RouteTableId);
      if (input.GatewayId) {
        igw(input.GatewayId);
        if (attachedIgw(t.VpcId!)?.InternetGatewayId !== input.GatewayId) {
          throw ec2Error('InvalidParameterValue', `route table ${t.RouteTableId} and network gateway ${input.GatewayId} belong to different networks`);
        }
      }
      if (input.NatGatewayId && !ec2.natGateways.some((n) => n.NatGatewayId === input.NatGatewayId)) {
        throw ec2Error('InvalidNatGatewayID.NotFound', `The natGateway ID '${input.NatGatewayId}' does not exist`);
      }
      if (t.Routes!.some((r) => r.DestinationCidrBlock === input.DestinationCidrBlock)) {
        throw ec2Error('RouteAlreadyExists', `The route identified by ${input.DestinationCidrBlock} already exists.`);
      }
      t.Routes!.push({
        DestinationCidrBlock: input.DestinationCidrBlock,
        ...(input.GatewayId ? { GatewayId: input.GatewayId } : {}),
        ...(input.NatGatewayId ? { NatGatewayId: input.NatGatewayId } : {}),
        Origin: 'CreateRoute',
      });
      return { Return: true };
    },
    ReplaceRoute(input: any) {
      const t = table(input.RouteTableId);
      const i = t.Routes!.findIndex((r) => r.DestinationCidrBlock === input.DestinationCidrBlock);
      if (i < 0) throw ec2Error('InvalidParameterValue', `There is no route defined for '${input.DestinationCidrBlock}' in the route table. Use CreateRoute instead.`);
      t.Routes![i] = {
        DestinationCidrBlock: input.DestinationCidrBlock,
        ...(input.GatewayId ? { GatewayId: input.GatewayId } : {}),
        ...(input.NatGatewayId ? { NatGatewayId: input.NatGatewayId } : {}),
        Origin: 'CreateRoute',
      };
      return {};
    },
    AssociateRouteTable(input: any) {
      const t = table(input.RouteTableId);
      const s = subnet(input.SubnetId);
      if (s.VpcId !== t.VpcId) throw ec2Error('InvalidParameterValue', `Route table ${t.RouteTableId} and subnet ${s.SubnetId} belong to different networks`);
      if (ec2.routeTables.some((x) => x.Associations?.some((a) => a.SubnetId === input.SubnetId))) {
        throw ec2Error('Resource.AlreadyAssociated', `the specified association for route table ${t.RouteTableId} conflicts with an existing association`);
      }
      const AssociationId = id('rtbassoc');
      t.Associations!.push({ Main: false, RouteTableId: t.RouteTableId, SubnetId: input.SubnetId, RouteTableAssociationId: AssociationId, AssociationState: { State: 'associated' } });
      return { AssociationId, AssociationState: { State: 'associated' } };
    },
    DisassociateRouteTable(input: any) {
      const t = ec2.routeTables.find((x) => x.Associations?.some((a) => a.RouteTableAssociationId === input.AssociationId));
      if (!t) throw ec2Error('InvalidAssociationID.NotFound', `The association ID '${input.AssociationId}' does not exist`);
      if (t.Associations!.find((a) => a.RouteTableAssociationId === input.AssociationId)!.Main) {
        throw ec2Error('InvalidParameterValue', 'cannot disassociate the main route table association');
      }
      t.Associations = t.Associations!.filter((a) => a.RouteTableAssociationId !== input.AssociationId);
      return {};
    },
    DeleteRouteTable(input: any) {
      const t = table(input.RouteTableId);
      if (t.Associations!.length) throw dependencyViolation('routeTable', input.RouteTableId);
      ec2.routeTables = ec2.routeTables.filter((x) => x !== t);
      return {};
    },

    DescribeSecurityGroups(input: any) {
      return {
        SecurityGroups: ec2.groups
          .filter((g) => matches(g.Tags, input.Filters, { 'vpc-id': g.VpcId, 'group-name': g.GroupName, 'group-id': g.GroupId }))
          .map((g) => ({ GroupId: g.GroupId, GroupName: g.GroupName, Description: g.Description, VpcId: g.VpcId, OwnerId: ACCOUNT, Tags: g.Tags, IpPermissions: render(g.rules) })),
      };
    },
    CreateSecurityGroup(input: any) {
      vpc(input.VpcId);
      if (ec2.groups.some((g) => g.VpcId === input.VpcId && g.GroupName === input.GroupName)) {
        throw ec2Error('InvalidGroup.Duplicate', `The security group '${input.GroupName}' already exists for VPC '${input.VpcId}'`);
      }
      const g: FakeGroup = { GroupId: id('sg'), GroupName: input.GroupName, Description: input.Description, VpcId: input.VpcId, Tags: tagsOf(input.TagSpecifications, 'security-group'), rules: [] };
      ec2.groups.push(g);
      return { GroupId: g.GroupId };
    },
    AuthorizeSecurityGroupIngress(input: any) {
      const g = group(input.GroupId);
      const rules = flatten(input.IpPermissions);
      for (const r of rules) if (r.source.startsWith('sg-')) group(r.source);
      const have = new Set(g.rules.map(ruleLine));
      const dup = rules.find((r, i) => have.has(ruleLine(r)) || rules.findIndex((x) => ruleLine(x) === ruleLine(r)) !== i);
      if (dup) {
        throw ec2Error('InvalidPermission.Duplicate', `the specified rule "peer: ${dup.source}, ${dup.IpProtocol.toUpperCase()}, from port: ${dup.FromPort}, to port: ${dup.ToPort}, ALLOW" already exists`);
      }
      g.rules.push(...rules);
      return { Return: true };
    },
    RevokeSecurityGroupIngress(input: any) {
      const g = group(input.GroupId);
      const gone = new Set(flatten(input.IpPermissions).map(ruleLine));
      const kept = g.rules.filter((r) => !gone.has(ruleLine(r)));
      if (kept.length === g.rules.length) throw ec2Error('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
      g.rules = kept;
      return { Return: true };
    },
    DeleteSecurityGroup(input: any) {
      const g = group(input.GroupId);
      if (g.GroupName === 'default') throw ec2Error('CannotDelete', `the specified group: "${g.GroupId}" name: "default" cannot be deleted by a user`);
      const referrer = ec2.groups.some((x) => x !== g && x.rules.some((r) => r.source === g.GroupId));
      if (referrer || ec2.enis.some((e) => e.Groups.includes(g.GroupId))) {
        throw ec2Error('DependencyViolation', `resource ${g.GroupId} has a dependent object`);
      }
      ec2.groups = ec2.groups.filter((x) => x !== g);
      return {};
    },

    DescribeImages(input: any) {
      return { Images: (input.ImageIds ?? []).map((ImageId: string) => ({ ImageId, State: 'available', RootDeviceName: '/dev/xvda' })) };
    },
    DescribeInstances(input: any) {
      if (input.DryRun) throw ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
      const found = ec2.instances.filter((i) =>
        matches(i.Tags, input.Filters, { 'instance-state-name': i.State?.Name, 'vpc-id': i.VpcId, 'subnet-id': i.SubnetId, 'instance-id': i.InstanceId }),
      );
      return { Reservations: found.length ? [{ ReservationId: id('r'), Instances: found }] : [] };
    },
    RunInstances(input: any) {
      const params = JSON.stringify({ ...input, ClientToken: undefined });
      const earlier = input.ClientToken ? ec2.instanceTokens.get(input.ClientToken) : undefined;
      if (earlier && earlier.params !== params) throw ec2Error('IdempotentParameterMismatch', `Arguments on this idempotent request are inconsistent with arguments used in previous request(s).`);
      if (earlier) return { Instances: [ec2.instances.find((i) => i.InstanceId === earlier.instanceId)!] };
      const nic = input.NetworkInterfaces?.[0] ?? {};
      const s = subnet(nic.SubnetId);
      for (const g of nic.Groups ?? []) {
        if (group(g).VpcId !== s.VpcId) throw ec2Error('InvalidParameter', `Security group ${g} and subnet ${s.SubnetId} belong to different networks.`);
      }
      const profile = input.IamInstanceProfile?.Name;
      if (profile !== undefined && !iam.profiles.get(profile)?.visibleToEc2) {
        throw ec2Error('InvalidParameterValue', `Value (${profile}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`);
      }
      const instanceId = `i-${hex()}`;
      const publicIp = nic.AssociatePublicIpAddress ? nextPublicIp() : undefined;
      const e = newEni(s.SubnetId!, nic.Groups ?? [], instanceId, publicIp);
      const [start] = cidrRange(s.CidrBlock!);
      const instance: Instance = {
        InstanceId: instanceId,
        ImageId: input.ImageId,
        InstanceType: input.InstanceType,
        State: { Name: 'pending', Code: 0 },
        Placement: { AvailabilityZone: s.AvailabilityZone },
        SubnetId: s.SubnetId,
        VpcId: s.VpcId,
        PrivateIpAddress: ipString(start + 10 + ec2.instances.length),
        ...(publicIp ? { PublicIpAddress: publicIp } : {}),
        NetworkInterfaces: [{ NetworkInterfaceId: e.NetworkInterfaceId, SubnetId: s.SubnetId, VpcId: s.VpcId }],
        ...(profile ? { IamInstanceProfile: { Arn: iam.profiles.get(profile)!.profile.Arn } } : {}),
        ClientToken: input.ClientToken,
        Tags: tagsOf(input.TagSpecifications, 'instance'),
      };
      ec2.instances.push(instance);
      if (input.ClientToken) ec2.instanceTokens.set(input.ClientToken, { instanceId, params });
      return { ReservationId: id('r'), Instances: [instance] };
    },
    TerminateInstances(input: any) {
      const found = (input.InstanceIds as string[]).map((instanceId) => {
        const i = ec2.instances.find((x) => x.InstanceId === instanceId);
        if (!i) throw ec2Error('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
        return i;
      });
      return {
        TerminatingInstances: found.map((i) => {
          const PreviousState = i.State;
          if (i.State!.Name !== 'terminated') i.State = { Name: 'shutting-down', Code: 32 };
          return { InstanceId: i.InstanceId, PreviousState, CurrentState: i.State };
        }),
      };
    },
  } satisfies Record<string, Impl>;

  // ---- ELBv2 ---------------------------------------------------------------------------------------

  const lbArn = (name: string) => `arn:aws:elasticloadbalancing:${region}:${ACCOUNT}:loadbalancer/net/${name}/${hex(16)}`;
  const tgArn = (name: string) => `arn:aws:elasticloadbalancing:${region}:${ACCOUNT}:targetgroup/${name}/${hex(16)}`;
  const loadBalancer = (arn: string) => {
    const lb = elb.loadBalancers.find((x) => x.LoadBalancerArn === arn);
    if (!lb) throw elbError('LoadBalancerNotFound', `Load balancer '${arn}' not found`);
    return lb;
  };
  const targetGroup = (arn: string) => {
    const tg = elb.targetGroups.find((x) => x.TargetGroupArn === arn);
    if (!tg) throw elbError('TargetGroupNotFound', `Target groups '${arn}' not found`);
    return tg;
  };
  const tgView = (tg: FakeTargetGroup): TargetGroup => {
    const { attributes: _a, targets: _t, settings: _s, ...view } = tg;
    return { ...view, LoadBalancerArns: elb.listeners.filter((l) => l.DefaultActions?.some((a) => a.TargetGroupArn === tg.TargetGroupArn)).map((l) => l.LoadBalancerArn!) };
  };
  const checkSubnets = (subnetIds: string[]) => {
    const subnets = subnetIds.map((s) => {
      const found = ec2.subnets.find((x) => x.SubnetId === s);
      if (!found) throw elbError('SubnetNotFound', `The subnet ID '${s}' is not valid`);
      return found;
    });
    if (new Set(subnets.map((s) => s.VpcId)).size > 1) throw elbError('InvalidConfigurationRequest', 'The subnets must all be in the same VPC');
    if (new Set(subnets.map((s) => s.AvailabilityZone)).size < subnets.length) {
      throw elbError('InvalidConfigurationRequest', 'You cannot specify multiple subnets in the same Availability Zone');
    }
    return subnets;
  };
  /** The interfaces a load balancer keeps in each of its subnets. */
  const placeInterfaces = (lb: LoadBalancer) => {
    for (const az of lb.AvailabilityZones ?? []) {
      if (!ec2.enis.some((e) => e.owner === lb.LoadBalancerArn && e.SubnetId === az.SubnetId)) {
        newEni(az.SubnetId!, lb.SecurityGroups ?? [], lb.LoadBalancerArn!, lb.Scheme === 'internet-facing' ? nextPublicIp() : undefined);
      }
    }
  };

  const elbApi = {
    DescribeLoadBalancers(input: any) {
      const missing = (input.Names ?? []).filter((n: string) => !elb.loadBalancers.some((lb) => lb.LoadBalancerName === n));
      if (missing.length) throw elbError('LoadBalancerNotFound', `Load balancers '[${missing.join(', ')}]' not found`);
      for (const arn of input.LoadBalancerArns ?? []) loadBalancer(arn);
      return {
        LoadBalancers: elb.loadBalancers.filter(
          (lb) => (!input.Names || input.Names.includes(lb.LoadBalancerName)) && (!input.LoadBalancerArns || input.LoadBalancerArns.includes(lb.LoadBalancerArn)),
        ),
      };
    },
    CreateLoadBalancer(input: any) {
      const subnets = checkSubnets(input.Subnets ?? []);
      if (subnets.length === 0) throw elbError('ValidationError', 'At least one subnet must be specified');
      const VpcId = subnets[0]!.VpcId!;
      for (const g of input.SecurityGroups ?? []) {
        const found = ec2.groups.find((x) => x.GroupId === g);
        if (!found || found.VpcId !== VpcId) throw elbError('InvalidSecurityGroup', `Security group '${g}' does not exist`);
      }
      const Scheme = input.Scheme ?? 'internet-facing';
      if (Scheme === 'internet-facing' && !attachedIgw(VpcId)) throw elbError('InvalidSubnet', `VPC ${VpcId} has no internet gateway`);
      const existing = elb.loadBalancers.find((lb) => lb.LoadBalancerName === input.Name);
      if (existing) {
        const same = existing.Scheme === Scheme && existing.Type === (input.Type ?? 'application') && JSON.stringify(existing.SecurityGroups) === JSON.stringify(input.SecurityGroups ?? []);
        if (!same) throw elbError('DuplicateLoadBalancerName', `A load balancer with the same name '${input.Name}' exists, but with different settings`);
        return { LoadBalancers: [existing] };
      }
      const arn = lbArn(input.Name);
      const lb: LoadBalancer = {
        LoadBalancerArn: arn,
        LoadBalancerName: input.Name,
        DNSName: `${Scheme === 'internal' ? 'internal-' : ''}${input.Name}-${arn.slice(-16)}.elb.${region}.amazonaws.com`,
        Scheme,
        Type: input.Type ?? 'application',
        IpAddressType: input.IpAddressType ?? 'ipv4',
        VpcId,
        State: { Code: 'provisioning' },
        AvailabilityZones: subnets.map((s) => ({ ZoneName: s.AvailabilityZone, SubnetId: s.SubnetId })),
        SecurityGroups: input.SecurityGroups ?? [],
      };
      elb.loadBalancers.push(lb);
      elb.tags.set(arn, structuredClone(input.Tags ?? []));
      placeInterfaces(lb);
      return { LoadBalancers: [lb] };
    },
    SetSubnets(input: any) {
      const lb = loadBalancer(input.LoadBalancerArn);
      const subnets = checkSubnets(input.Subnets ?? []);
      lb.AvailabilityZones = subnets.map((s) => ({ ZoneName: s.AvailabilityZone, SubnetId: s.SubnetId }));
      placeInterfaces(lb);
      return { AvailabilityZones: lb.AvailabilityZones };
    },
    DeleteLoadBalancer(input: any) {
      // Deleting a load balancer that is already gone succeeds.
      const lb = elb.loadBalancers.find((x) => x.LoadBalancerArn === input.LoadBalancerArn);
      if (!lb) return {};
      elb.loadBalancers = elb.loadBalancers.filter((x) => x !== lb);
      elb.listeners = elb.listeners.filter((l) => l.LoadBalancerArn !== lb.LoadBalancerArn);
      elb.tags.delete(lb.LoadBalancerArn!);
      // Its network interfaces stay a while after it is gone: they still hold subnets and groups.
      for (const e of ec2.enis) if (e.owner === lb.LoadBalancerArn) e.lingering = true;
      return {};
    },
    DescribeTags(input: any) {
      return {
        TagDescriptions: (input.ResourceArns as string[]).map((arn) => {
          const tags = elb.tags.get(arn);
          if (!tags) throw arn.includes(':targetgroup/') ? elbError('TargetGroupNotFound', `Target groups '${arn}' not found`) : elbError('LoadBalancerNotFound', `Load balancer '${arn}' not found`);
          return { ResourceArn: arn, Tags: tags };
        }),
      };
    },
    CreateTargetGroup(input: any) {
      vpc(input.VpcId);
      const settings = JSON.stringify([
        input.Protocol,
        input.Port,
        input.VpcId,
        input.TargetType ?? 'instance',
        input.HealthCheckProtocol,
        input.HealthCheckPort,
        input.HealthCheckIntervalSeconds,
        input.HealthyThresholdCount,
        input.UnhealthyThresholdCount,
      ]);
      const existing = elb.targetGroups.find((tg) => tg.TargetGroupName === input.Name);
      if (existing) {
        // The same name and settings answers with the existing group; other settings are refused.
        if (existing.settings !== settings) throw elbError('DuplicateTargetGroupName', `A target group with the same name '${input.Name}' exists, but with different settings`);
        return { TargetGroups: [tgView(existing)] };
      }
      const arn = tgArn(input.Name);
      const tg: FakeTargetGroup = {
        TargetGroupArn: arn,
        TargetGroupName: input.Name,
        Protocol: input.Protocol,
        Port: input.Port,
        VpcId: input.VpcId,
        TargetType: input.TargetType ?? 'instance',
        HealthCheckProtocol: input.HealthCheckProtocol ?? input.Protocol,
        HealthCheckPort: input.HealthCheckPort ?? 'traffic-port',
        HealthCheckIntervalSeconds: input.HealthCheckIntervalSeconds ?? 30,
        HealthyThresholdCount: input.HealthyThresholdCount ?? 5,
        UnhealthyThresholdCount: input.UnhealthyThresholdCount ?? 2,
        attributes: { 'deregistration_delay.timeout_seconds': '300', 'preserve_client_ip.enabled': 'true', 'proxy_protocol_v2.enabled': 'false' },
        targets: [],
        settings,
      };
      elb.targetGroups.push(tg);
      elb.tags.set(arn, structuredClone(input.Tags ?? []));
      return { TargetGroups: [tgView(tg)] };
    },
    DescribeTargetGroupAttributes(input: any) {
      const tg = targetGroup(input.TargetGroupArn);
      return { Attributes: Object.entries(tg.attributes).map(([Key, Value]) => ({ Key, Value })) };
    },
    ModifyTargetGroupAttributes(input: any) {
      const tg = targetGroup(input.TargetGroupArn);
      for (const a of input.Attributes ?? []) {
        if (!(a.Key in tg.attributes)) throw elbError('InvalidConfigurationRequest', `The attribute '${a.Key}' is not supported for target groups of type ${tg.Protocol}`);
        tg.attributes[a.Key] = a.Value;
      }
      return { Attributes: Object.entries(tg.attributes).map(([Key, Value]) => ({ Key, Value })) };
    },
    DescribeTargetGroups(input: any) {
      const missing = (input.Names ?? []).filter((n: string) => !elb.targetGroups.some((tg) => tg.TargetGroupName === n));
      if (missing.length) throw elbError('TargetGroupNotFound', `One or more target groups not found`);
      return { TargetGroups: elb.targetGroups.filter((tg) => !input.Names || input.Names.includes(tg.TargetGroupName)).map(tgView) };
    },
    DeleteTargetGroup(input: any) {
      const tg = elb.targetGroups.find((x) => x.TargetGroupArn === input.TargetGroupArn);
      if (!tg) return {};
      if (elb.listeners.some((l) => l.DefaultActions?.some((a) => a.TargetGroupArn === tg.TargetGroupArn))) {
        throw elbError('ResourceInUse', `Target group '${tg.TargetGroupArn}' is currently in use by a listener or a rule`);
      }
      elb.targetGroups = elb.targetGroups.filter((x) => x !== tg);
      elb.tags.delete(tg.TargetGroupArn!);
      return {};
    },
    DescribeListeners(input: any) {
      loadBalancer(input.LoadBalancerArn);
      return { Listeners: elb.listeners.filter((l) => l.LoadBalancerArn === input.LoadBalancerArn) };
    },
    CreateListener(input: any) {
      const lb = loadBalancer(input.LoadBalancerArn);
      if (elb.listeners.some((l) => l.LoadBalancerArn === lb.LoadBalancerArn && l.Port === input.Port)) {
        throw elbError('DuplicateListener', 'A listener already exists on this port for this load balancer');
      }
      for (const action of input.DefaultActions ?? []) {
        const tg = targetGroup(action.TargetGroupArn);
        if (tg.Protocol !== input.Protocol) throw elbError('IncompatibleProtocols', `The listener protocol ${input.Protocol} is incompatible with the target group protocol ${tg.Protocol}`);
        if (tg.VpcId !== lb.VpcId) throw elbError('InvalidConfigurationRequest', 'The target group and the load balancer are in different VPCs');
        const other = tgView(tg).LoadBalancerArns!.find((arn) => arn !== lb.LoadBalancerArn);
        if (other) throw elbError('TargetGroupAssociationLimit', `The target group '${tg.TargetGroupArn}' is already associated with a different load balancer`);
      }
      const l: Listener = {
        ListenerArn: `${lb.LoadBalancerArn!.replace(':loadbalancer/', ':listener/')}/${hex(16)}`,
        LoadBalancerArn: lb.LoadBalancerArn,
        Port: input.Port,
        Protocol: input.Protocol,
        DefaultActions: input.DefaultActions,
      };
      elb.listeners.push(l);
      return { Listeners: [l] };
    },
    RegisterTargets(input: any) {
      const tg = targetGroup(input.TargetGroupArn);
      for (const t of input.Targets as { Id: string; Port?: number }[]) {
        const instance = ec2.instances.find((i) => i.InstanceId === t.Id);
        if (!instance || instance.VpcId !== tg.VpcId || !['pending', 'running'].includes(instance.State!.Name!)) {
          throw elbError('InvalidTarget', `The following targets are not in a running state and cannot be registered: '${t.Id}'`);
        }
        const Port = t.Port ?? tg.Port!;
        const found = tg.targets.find((x) => x.Id === t.Id && x.Port === Port);
        if (found) delete found.draining;
        else tg.targets.push({ Id: t.Id, Port });
      }
      return {};
    },
    DeregisterTargets(input: any) {
      const tg = targetGroup(input.TargetGroupArn);
      for (const t of input.Targets as { Id: string; Port?: number }[]) {
        const found = tg.targets.find((x) => x.Id === t.Id && x.Port === (t.Port ?? tg.Port));
        if (!found) throw elbError('InvalidTarget', `The target '${t.Id}' is not registered in target group '${tg.TargetGroupArn}'`);
        found.draining = true;
      }
      return {};
    },
    DescribeTargetHealth(input: any) {
      const tg = targetGroup(input.TargetGroupArn);
      const lbs = elb.loadBalancers.filter((lb) => tgView(tg).LoadBalancerArns!.includes(lb.LoadBalancerArn!));
      return {
        TargetHealthDescriptions: tg.targets.map((t): { Target: { Id: string; Port: number }; TargetHealth: TargetHealth } => {
          const Target = { Id: t.Id, Port: t.Port };
          const instance = ec2.instances.find((i) => i.InstanceId === t.Id);
          if (t.draining) return { Target, TargetHealth: { State: 'draining', Reason: 'Target.DeregistrationInProgress', Description: 'Target deregistration is in progress' } };
          if (lbs.length === 0) return { Target, TargetHealth: { State: 'unused', Reason: 'Target.NotInUse', Description: 'Target group is not configured to receive traffic from the load balancer' } };
          if (instance?.State?.Name !== 'running' && instance?.State?.Name !== 'pending') {
            return { Target, TargetHealth: { State: 'unused', Reason: 'Target.InvalidState', Description: `Target is in the ${instance?.State?.Name ?? 'terminated'} state` } };
          }
          const zone = instance.Placement?.AvailabilityZone;
          if (!lbs.some((lb) => lb.AvailabilityZones?.some((az) => az.ZoneName === zone))) {
            return { Target, TargetHealth: { State: 'unused', Reason: 'Target.NotInUse', Description: 'Target is in an Availability Zone that is not enabled for the load balancer' } };
          }
          return { Target, TargetHealth: elb.health[t.Id] ?? { State: 'initial', Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' } };
        }),
      };
    },
  } satisfies Record<string, Impl>;

  // ---- IAM -----------------------------------------------------------------------------------------

  const NAME = /^[\w+=,.@-]{1,64}$/;
  const roleOf = (RoleName: string) => {
    const r = iam.roles.get(RoleName);
    if (!r) throw iamError('NoSuchEntity', `The role with name ${RoleName} cannot be found.`);
    return r;
  };
  const profileOf = (name: string) => {
    const p = iam.profiles.get(name);
    if (!p) throw iamError('NoSuchEntity', `Instance Profile ${name} cannot be found.`);
    return p;
  };
  const checkPath = (path: string | undefined) => {
    if (path !== undefined && !/^\/([\x21-\x7e]+\/)?$/.test(path)) throw iamError('ValidationError', `The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`);
  };
  const checkPolicy = (doc: string) => {
    let parsed: any;
    try {
      parsed = JSON.parse(doc);
    } catch {
      throw iamError('MalformedPolicyDocument', 'Syntax errors in policy.');
    }
    const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
    for (const s of statements) {
      if (s?.Sid !== undefined && !/^[A-Za-z0-9]*$/.test(s.Sid)) throw iamError('MalformedPolicyDocument', 'Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*');
      if (!['Allow', 'Deny'].includes(s?.Effect)) throw iamError('MalformedPolicyDocument', 'Policy statement must contain a valid Effect');
      if (!s.Action?.length && !s.NotAction) throw iamError('MalformedPolicyDocument', 'Policy statement must contain actions.');
    }
    return parsed;
  };

  const iamApi = {
    GetRole(input: any) {
      const { role } = roleOf(input.RoleName);
      // IAM answers the trust policy URL-encoded.
      return { Role: { ...role, AssumeRolePolicyDocument: encodeURIComponent(role.AssumeRolePolicyDocument!) } };
    },
    CreateRole(input: any) {
      if (!NAME.test(input.RoleName)) throw iamError('ValidationError', `1 validation error detected: Value '${input.RoleName}' at 'roleName' failed to satisfy constraint`);
      checkPath(input.Path);
      checkPolicy(input.AssumeRolePolicyDocument);
      if (iam.roles.has(input.RoleName)) throw iamError('EntityAlreadyExists', `Role with name ${input.RoleName} already exists.`);
      const path = input.Path ?? '/';
      const role: Role = {
        RoleName: input.RoleName,
        RoleId: `AROA${hex(16).toUpperCase()}`,
        Path: path,
        Arn: `arn:aws:iam::${ACCOUNT}:role${path}${input.RoleName}`,
        CreateDate: new Date(0),
        AssumeRolePolicyDocument: input.AssumeRolePolicyDocument,
        Description: input.Description,
        Tags: structuredClone(input.Tags ?? []),
      };
      iam.roles.set(input.RoleName, { role, policies: new Map() });
      return { Role: role };
    },
    PutRolePolicy(input: any) {
      const r = roleOf(input.RoleName);
      checkPolicy(input.PolicyDocument);
      const policies = new Map(r.policies).set(input.PolicyName, input.PolicyDocument);
      // The inline policies of a role may total 10,240 characters, whitespace not counted.
      const size = [...policies.values()].reduce((n, doc) => n + doc.replace(/\s/g, '').length, 0);
      if (size > 10_240) throw iamError('LimitExceeded', `Maximum policy size of 10240 bytes exceeded for role ${input.RoleName}`);
      r.policies = policies;
      return {};
    },
    GetRolePolicy(input: any) {
      const doc = roleOf(input.RoleName).policies.get(input.PolicyName);
      if (doc === undefined) throw iamError('NoSuchEntity', `The role policy with name ${input.PolicyName} cannot be found.`);
      // IAM answers policy documents URL-encoded.
      return { RoleName: input.RoleName, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(doc) };
    },
    ListRolePolicies(input: any) {
      return { PolicyNames: [...roleOf(input.RoleName).policies.keys()], IsTruncated: false };
    },
    DeleteRolePolicy(input: any) {
      const r = roleOf(input.RoleName);
      if (!r.policies.delete(input.PolicyName)) throw iamError('NoSuchEntity', `The role policy with name ${input.PolicyName} cannot be found.`);
      return {};
    },
    DeleteRole(input: any) {
      const r = roleOf(input.RoleName);
      if ([...iam.profiles.values()].some((p) => p.profile.Roles!.some((x) => x.RoleName === input.RoleName))) {
        throw iamError('DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.');
      }
      if (r.policies.size) throw iamError('DeleteConflict', 'Cannot delete entity, must delete policies first.');
      iam.roles.delete(input.RoleName);
      return {};
    },
    GetInstanceProfile(input: any) {
      return { InstanceProfile: profileOf(input.InstanceProfileName).profile };
    },
    CreateInstanceProfile(input: any) {
      if (!NAME.test(input.InstanceProfileName)) throw iamError('ValidationError', `1 validation error detected: Value '${input.InstanceProfileName}' at 'instanceProfileName' failed to satisfy constraint`);
      checkPath(input.Path);
      if (iam.profiles.has(input.InstanceProfileName)) throw iamError('EntityAlreadyExists', `Instance Profile ${input.InstanceProfileName} already exists.`);
      const path = input.Path ?? '/';
      const profile: InstanceProfile = {
        InstanceProfileName: input.InstanceProfileName,
        InstanceProfileId: `AIPA${hex(16).toUpperCase()}`,
        Path: path,
        Arn: `arn:aws:iam::${ACCOUNT}:instance-profile${path}${input.InstanceProfileName}`,
        CreateDate: new Date(0),
        Roles: [],
        Tags: structuredClone(input.Tags ?? []),
      };
      iam.profiles.set(input.InstanceProfileName, { profile, visibleToEc2: false });
      return { InstanceProfile: profile };
    },
    AddRoleToInstanceProfile(input: any) {
      const p = profileOf(input.InstanceProfileName);
      const { role } = roleOf(input.RoleName);
      if (p.profile.Roles!.length) throw iamError('LimitExceeded', 'Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1');
      p.profile.Roles!.push(role);
      return {};
    },
    RemoveRoleFromInstanceProfile(input: any) {
      const p = profileOf(input.InstanceProfileName);
      if (!p.profile.Roles!.some((r) => r.RoleName === input.RoleName)) throw iamError('NoSuchEntity', `The role with name ${input.RoleName} cannot be found.`);
      p.profile.Roles = p.profile.Roles!.filter((r) => r.RoleName !== input.RoleName);
      return {};
    },
    DeleteInstanceProfile(input: any) {
      const p = profileOf(input.InstanceProfileName);
      if (p.profile.Roles!.length) throw iamError('DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.');
      iam.profiles.delete(input.InstanceProfileName);
      return {};
    },
  } satisfies Record<string, Impl>;

  // ---- wiring --------------------------------------------------------------------------------------

  const COMMANDS: [AwsStub<any, any, any>, Record<string, Impl>, Record<string, new (input: any) => any>][] = [
    [
      mocks.ec2,
      ec2Api,
      {
        AllocateAddressCommand,
        AssociateRouteTableCommand,
        AttachInternetGatewayCommand,
        AuthorizeSecurityGroupIngressCommand,
        CreateInternetGatewayCommand,
        CreateNatGatewayCommand,
        CreateRouteCommand,
        CreateRouteTableCommand,
        CreateSecurityGroupCommand,
        CreateSubnetCommand,
        CreateVpcCommand,
        DeleteInternetGatewayCommand,
        DeleteNatGatewayCommand,
        DeleteRouteTableCommand,
        DeleteSecurityGroupCommand,
        DeleteSubnetCommand,
        DeleteVpcCommand,
        DescribeAddressesCommand,
        DescribeImagesCommand,
        DescribeInstancesCommand,
        DescribeInternetGatewaysCommand,
        DescribeNatGatewaysCommand,
        DescribeRouteTablesCommand,
        DescribeSecurityGroupsCommand,
        DescribeSubnetsCommand,
        DescribeVpcAttributeCommand,
        DescribeVpcsCommand,
        DetachInternetGatewayCommand,
        DisassociateRouteTableCommand,
        ModifyVpcAttributeCommand,
        ReleaseAddressCommand,
        ReplaceRouteCommand,
        RevokeSecurityGroupIngressCommand,
        RunInstancesCommand,
        TerminateInstancesCommand,
      },
    ],
    [
      mocks.elb,
      elbApi,
      {
        CreateListenerCommand,
        CreateLoadBalancerCommand,
        CreateTargetGroupCommand,
        DeleteLoadBalancerCommand,
        DeleteTargetGroupCommand,
        DeregisterTargetsCommand,
        DescribeListenersCommand,
        DescribeLoadBalancersCommand,
        DescribeTagsCommand,
        DescribeTargetGroupAttributesCommand,
        DescribeTargetGroupsCommand,
        DescribeTargetHealthCommand,
        ModifyTargetGroupAttributesCommand,
        RegisterTargetsCommand,
        SetSubnetsCommand,
      },
    ],
    [
      mocks.iam,
      iamApi,
      {
        AddRoleToInstanceProfileCommand,
        CreateInstanceProfileCommand,
        CreateRoleCommand,
        DeleteInstanceProfileCommand,
        DeleteRoleCommand,
        DeleteRolePolicyCommand,
        GetInstanceProfileCommand,
        GetRoleCommand,
        GetRolePolicyCommand,
        ListRolePoliciesCommand,
        PutRolePolicyCommand,
        RemoveRoleFromInstanceProfileCommand,
      },
    ],
  ];
  for (const [mock, api, commands] of COMMANDS) {
    for (const [commandName, Command] of Object.entries(commands)) {
      const name = commandName.replace(/Command$/, '');
      const impl = api[name];
      if (!impl) throw new Error(`the fake has no ${name}`);
      // Answers are copies: what the caller does with them never changes the fake's state.
      mock.on(Command).callsFake((input: unknown) => {
        const run = () => structuredClone(impl(structuredClone(input)));
        const hook = hooks.get(name)?.shift();
        return hook ? hook(input, run) : run();
      });
    }
  }

  return {
    ec2,
    elb,
    iam,
    /** The services' own handlers, for arranging what a test starts from without recording calls. */
    api: { ...ec2Api, ...elbApi, ...iamApi },
    /** `hook` answers the next call of `command` (e.g. 'CreateNatGateway') instead of the fake. */
    once(command: string, hook: Hook) {
      hooks.set(command, [...(hooks.get(command) ?? []), hook]);
    },
    /** Time passes: what the services finish in the background is finished. */
    tick() {
      for (const n of ec2.natGateways) {
        const failure = ec2.natFailures.get(n.NatGatewayId);
        if (n.State === 'pending' && failure) {
          Object.assign(n, { State: 'failed', FailureCode: failure[0], FailureMessage: failure[1] });
          releaseNat(n);
        } else if (n.State === 'pending') n.State = 'available';
        else if (n.State === 'deleting') {
          n.State = 'deleted';
          releaseNat(n);
        }
      }
      for (const i of ec2.instances) {
        if (i.State!.Name === 'pending') i.State = { Name: 'running', Code: 16 };
        else if (i.State!.Name === 'shutting-down') {
          i.State = { Name: 'terminated', Code: 48 };
          ec2.enis = ec2.enis.filter((e) => e.owner !== i.InstanceId);
        }
      }
      for (const lb of elb.loadBalancers) if (lb.State?.Code === 'provisioning') lb.State = { Code: 'active' };
      ec2.enis = ec2.enis.filter((e) => !e.lingering);
      for (const tg of elb.targetGroups) tg.targets = tg.targets.filter((t) => !t.draining);
      for (const p of iam.profiles.values()) p.visibleToEc2 = true;
    },
    /** Ingress of a group as `proto from-to <- source` lines. */
    ingress(groupId: string, names: Record<string, string> = {}) {
      return ruleLines(render(group(groupId).rules), names);
    },
    groupNamed(name: string) {
      const g = ec2.groups.find((x) => x.GroupName === name);
      if (!g) throw new Error(`no security group ${name}`);
      return g;
    },
    /** The default route of a route table (by its Name tag), with its state. */
    defaultRoute(tableName: string) {
      const t = ec2.routeTables.find((x) => x.Tags?.some((tag) => tag.Key === 'Name' && tag.Value === tableName));
      const r = t?.Routes?.find((x) => x.DestinationCidrBlock === '0.0.0.0/0');
      return t && r ? routeState(t, r) : undefined;
    },
    liveNatGateways: () => ec2.natGateways.filter((n) => NAT_LIVE.includes(n.State)),
    liveInstances: () => ec2.instances.filter((i) => INSTANCE_LIVE.includes(i.State!.Name!)),
    /** Everything the fake holds, for before/after comparisons. */
    snapshot() {
      return JSON.stringify({
        ec2: { ...ec2, vpcAttributes: [...ec2.vpcAttributes], natTokens: [...ec2.natTokens], instanceTokens: [...ec2.instanceTokens], natFailures: [...ec2.natFailures] },
        elb: { ...elb, tags: [...elb.tags] },
        iam: { roles: [...iam.roles].map(([k, v]) => [k, v.role, [...v.policies]]), profiles: [...iam.profiles] },
      });
    },
  };
}

export type FakeAws = ReturnType<typeof fakeAws>;
