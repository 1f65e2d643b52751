import {
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  DescribeListenersCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateLoadBalancerCommand as CreateClassicLoadBalancerCommand,
  DescribeLoadBalancersCommand as DescribeClassicLoadBalancersCommand,
  ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing';
import { GetInstanceProfileCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfraSpec } from '../../../../core/cloud.js';
import { nodePermissions } from '../../../../core/node-permissions.js';
import { Ec2Provider } from '../../../../adapters/cloud/aws/ec2-provider.js';
import { startMoto, type Moto } from '../../../moto.js';
import { awsInventory, countsOf } from '../../../aws-inventory.js';

/**
 * The AWS adapter against moto, a real EC2, ELBv2 and IAM emulator: what it makes is read back
 * with the emulator's own Describe calls, not with the adapter's.
 */
const REGION = 'us-east-1';
let moto: Moto;
let ec2: EC2Client;
let elb: ElasticLoadBalancingV2Client;
let iam: IAMClient;
let classic: ElasticLoadBalancingClient;
let provider: Ec2Provider;
let imageId: string;

beforeAll(async () => {
  moto = await startMoto();
  const client = { region: REGION, endpoint: moto.endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } };
  ec2 = new EC2Client(client);
  elb = new ElasticLoadBalancingV2Client(client);
  iam = new IAMClient(client);
  classic = new ElasticLoadBalancingClient(client);
  provider = new Ec2Provider({ ec2, elb, classicElb: classic, iam, region: REGION });
  imageId = (await ec2.send(new DescribeImagesCommand({}))).Images![0]!.ImageId!;
}, 60_000);
afterAll(() => moto?.stop());

const spec = (clusterId: string, over: Partial<InfraSpec> = {}): InfraSpec => ({
  clusterId,
  clusterName: clusterId,
  zones: ['us-east-1a', 'us-east-1b'],
  apiAllowedCidrs: ['203.0.113.0/24'],
  publicApi: false,
  network: { nodeEgress: 'natGateway', natGateways: 'single' },
  nodeIdentity: { permissions: nodePermissions('aws', ['aws-ebs-csi']) },
  ...over,
});

const inventory = (clusterId: string) => awsInventory({ ec2, elb }, clusterId);
const counts = countsOf;

describe('the AWS adapter against moto', () => {
  it('makes private and public subnets, NAT egress, node identities and an internal NLB on 6443; deletes all of it', async () => {
    const id = 'cl-moto-nat';
    const refs = await provider.ensureInfrastructure(spec(id));
    const again = await provider.ensureInfrastructure(spec(id));
    expect(again).toEqual(refs);

    const inv = await inventory(id);
    expect(counts(inv)).toEqual({ vpcs: 1, subnets: 4, igws: 1, nats: 1, eips: 1, tables: 2, groups: 3, instances: 0, loadBalancers: 1 });
    // Nodes sit in the private subnets, whose default route goes through the NAT gateway in a public subnet.
    const nat = inv.nats[0]!;
    expect(refs.natGatewayIds).toEqual([nat.NatGatewayId]);
    expect(Object.values(refs.publicSubnets!)).toContain(nat.SubnetId);
    const routeOf = (subnetId: string) => inv.tables.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId))?.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
    for (const subnet of Object.values(refs.subnets)) expect(routeOf(subnet)).toMatchObject({ NatGatewayId: nat.NatGatewayId });
    for (const subnet of Object.values(refs.publicSubnets!)) expect(routeOf(subnet)).toMatchObject({ GatewayId: inv.igws[0]!.InternetGatewayId });
    expect(inv.igws[0]!.Attachments).toEqual([expect.objectContaining({ VpcId: refs.networkId })]);

    // The API endpoint is the internal NLB's DNS name: TCP 6443 with TCP health checks, no client-IP preservation.
    const lb = inv.loadBalancers[0]!;
    expect(refs).toMatchObject({ apiEndpoint: lb.DNSName, apiPort: 6443, loadBalancerId: lb.LoadBalancerArn, networkManaged: true, nodePublicIp: false });
    expect(lb).toMatchObject({ Type: 'network', Scheme: 'internal' });
    expect([...lb.AvailabilityZones!.map((z) => z.SubnetId)].sort()).toEqual(Object.values(refs.subnets).sort());
    const lbGroup = inv.groups.find((g) => g.GroupName === `${id}-api-lb`)!;
    expect(lb.SecurityGroups).toEqual([lbGroup.GroupId]);
    expect(lbGroup.IpPermissions!.flatMap((p) => p.IpRanges!.map((r) => `${p.FromPort} <- ${r.CidrIp}`))).toEqual(['6443 <- 203.0.113.0/24']);
    const [tg] = (await elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).TargetGroups!;
    expect(tg).toMatchObject({ Protocol: 'TCP', Port: 6443, HealthCheckProtocol: 'TCP', TargetType: 'instance', VpcId: refs.networkId });
    const attrs = (await elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg!.TargetGroupArn }))).Attributes!;
    expect(attrs).toContainEqual({ Key: 'preserve_client_ip.enabled', Value: 'false' });
    const listeners = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners!;
    expect(listeners.map((l) => [l.Protocol, l.Port, l.DefaultActions![0]!.TargetGroupArn])).toEqual([['TCP', 6443, tg!.TargetGroupArn]]);

    // Node identities: a role EC2 may assume in an instance profile of the same name, with the profile's permissions.
    for (const role of ['controlPlane', 'worker'] as const) {
      const name = refs.nodeIdentity[role];
      const profile = (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile!;
      expect(profile.Path).toBe('/strata/');
      expect(profile.Roles!.map((r) => r.RoleName)).toEqual([name]);
      const trust = JSON.parse(decodeURIComponent((await iam.send(new GetRoleCommand({ RoleName: name }))).Role!.AssumeRolePolicyDocument!));
      expect(trust.Statement[0].Principal).toEqual({ Service: 'ec2.amazonaws.com' });
      const policy = JSON.parse(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: 'strata-node' }))).PolicyDocument!));
      const actions = policy.Statement.flatMap((s: { Action: string[] }) => s.Action);
      expect(actions.includes('elasticloadbalancing:CreateLoadBalancer'), role).toBe(role === 'controlPlane');
      expect(actions.includes('ec2:CreateVolume'), role).toBe(role === 'worker');
    }

    // A control-plane instance launched with its identity, registered behind the load balancer.
    const node = await provider.ensureInstance({
      clusterId: id,
      pool: 'cp',
      role: 'controlPlane',
      name: `${id}-cp-0`,
      zone: 'us-east-1a',
      subnetId: refs.subnets['us-east-1a']!,
      securityGroupId: refs.controlPlaneSecurityGroupId,
      instanceType: 't3.medium',
      imageId,
      diskGiB: 20,
      userData: '#cloud-config\n{}\n',
      idempotencyToken: `${id}-cp-0-token`,
      publicIp: false,
      identity: refs.nodeIdentity.controlPlane,
    });
    await provider.registerApiTargets(id, [node.instanceId]);
    const health = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg!.TargetGroupArn }))).TargetHealthDescriptions!;
    expect(health.map((h) => [h.Target!.Id, h.Target!.Port])).toEqual([[node.instanceId, 6443]]);
    const status = (await provider.apiEndpointStatus(id))!;
    expect(status).toMatchObject({ endpoint: lb.DNSName, port: 6443, state: 'active', targets: [{ instanceId: node.instanceId }] });
    const [described] = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [node.instanceId] }))).Reservations![0]!.Instances!;
    expect(described!.IamInstanceProfile?.Arn).toContain(`instance-profile/strata/${refs.nodeIdentity.controlPlane}`);
    expect(described!.PublicIpAddress).toBeUndefined();

    // A Service of type LoadBalancer: the cloud controller manager made a Classic ELB, an NLB and a
    // security group for them, tagged for the cluster, and let the group into the workers' group.
    const owned = [{ Key: `kubernetes.io/cluster/${id}`, Value: 'owned' }];
    const ccmGroup = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: `k8s-elb-${id}`, Description: 'Security group for Kubernetes ELB', VpcId: refs.networkId, TagSpecifications: [{ ResourceType: 'security-group', Tags: owned }] }))).GroupId!;
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: refs.workerSecurityGroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 30000, ToPort: 32767, UserIdGroupPairs: [{ GroupId: ccmGroup }] }] }));
    await classic.send(
      new CreateClassicLoadBalancerCommand({ LoadBalancerName: 'a1b2c3-grafana', Listeners: [{ Protocol: 'TCP', LoadBalancerPort: 80, InstancePort: 31080 }], Subnets: Object.values(refs.publicSubnets!), SecurityGroups: [ccmGroup], Tags: owned }),
    );
    await elb.send(new CreateLoadBalancerCommand({ Name: 'k8s-shop-nlb', Type: 'network', Subnets: Object.values(refs.publicSubnets!), Tags: owned }));

    // Deletion: passes until nothing is left; one more pass finds nothing.
    let pass = await provider.deleteClusterResources(id);
    for (let i = 0; pass.remaining > 0 && i < 10; i++) pass = await provider.deleteClusterResources(id);
    expect(pass).toEqual({ remaining: 0, details: [] });
    expect(await provider.deleteClusterResources(id)).toEqual({ remaining: 0, details: [] });
    expect(counts(await inventory(id))).toEqual({ vpcs: 0, subnets: 0, igws: 0, nats: 0, eips: 0, tables: 0, groups: 0, instances: 0, loadBalancers: 0 });
    await expect(iam.send(new GetRoleCommand({ RoleName: refs.nodeIdentity.worker }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    expect((await classic.send(new DescribeClassicLoadBalancersCommand({}))).LoadBalancerDescriptions ?? []).toEqual([]);
    expect(((await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).map((l) => l.LoadBalancerName)).not.toContain('k8s-shop-nlb');
    await expect(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [ccmGroup] }))).rejects.toMatchObject({ name: 'InvalidGroup.NotFound' });
  });

  it('one NAT gateway per zone when asked; nodes with public IPs get none; a public API is internet-facing in public subnets', async () => {
    const zonal = await provider.ensureInfrastructure(spec('cl-moto-zonal', { network: { nodeEgress: 'natGateway', natGateways: 'perZone' } }));
    const inv = await inventory('cl-moto-zonal');
    expect(counts(inv)).toMatchObject({ nats: 2, eips: 2, tables: 3 });
    expect(new Set(inv.nats.map((n) => n.SubnetId))).toEqual(new Set(Object.values(zonal.publicSubnets!)));

    const open = await provider.ensureInfrastructure(spec('cl-moto-open', { publicApi: true, network: { nodeEgress: 'publicIp', natGateways: 'single' } }));
    const openInv = await inventory('cl-moto-open');
    expect(counts(openInv)).toMatchObject({ subnets: 2, nats: 0, eips: 0, tables: 1 });
    expect(open).toMatchObject({ nodePublicIp: true, natGatewayIds: [], subnets: open.publicSubnets });
    expect(openInv.loadBalancers[0]).toMatchObject({ Scheme: 'internet-facing' });
  });

  it("uses a network the cluster brings: checks its route out, makes only groups and the load balancer, and never deletes it", async () => {
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '172.31.0.0/16' }))).Vpc!.VpcId!;
    const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '172.31.0.0/20', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    const byo = spec('cl-moto-byo', { zones: ['us-east-1a'], network: { nodeEgress: 'natGateway', natGateways: 'single', existing: { networkId: vpcId, subnets: { 'us-east-1a': subnetId } } } });

    // The VPC's main route table has no default route yet: no node there could reach out.
    await expect(provider.ensureInfrastructure(byo)).rejects.toMatchObject({ code: 'SubnetHasNoRouteOut', retryable: false, message: expect.stringContaining(subnetId) });

    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    const table = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: table, SubnetId: subnetId }));

    const refs = await provider.ensureInfrastructure(byo);
    expect(refs).toMatchObject({ networkId: vpcId, subnets: { 'us-east-1a': subnetId }, networkManaged: false, natGatewayIds: [] });
    expect(counts(await inventory('cl-moto-byo'))).toEqual({ vpcs: 0, subnets: 0, igws: 0, nats: 0, eips: 0, tables: 0, groups: 3, instances: 0, loadBalancers: 1 });

    let pass = await provider.deleteClusterResources('cl-moto-byo');
    for (let i = 0; pass.remaining > 0 && i < 10; i++) pass = await provider.deleteClusterResources('cl-moto-byo');
    expect(pass.remaining).toBe(0);
    expect((await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs).toHaveLength(1);
    expect((await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))).Subnets).toHaveLength(1);
    expect((await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [table] }))).RouteTables).toHaveLength(1);
  });
});
