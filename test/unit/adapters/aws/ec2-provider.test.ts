import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  EC2ServiceException,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type Filter,
  type Instance,
  type IpPermission,
  type SecurityGroup,
  type Subnet,
  type Tag,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudError, type InfraSpec, type InstanceSpec } from '../../../../core/cloud.js';
import { assumeRoleCredentials, sessionName } from '../../../../adapters/cloud/aws/credentials.js';
import { Ec2Provider, awsProvider } from '../../../../adapters/cloud/aws/ec2-provider.js';

const ec2Mock = mockClient(EC2Client);
const stsMock = mockClient(STSClient);
afterAll(() => {
  ec2Mock.restore();
  stsMock.restore();
});
beforeEach(() => {
  ec2Mock.reset();
  stsMock.reset();
});

const REGION = 'eu-west-1';
const CLUSTER = 'c-7f3a9d';
const provider = () => new Ec2Provider({ ec2: new EC2Client({ region: REGION }), region: REGION });

const ec2Error = (name: string, message: string) => new EC2ServiceException({ name, $fault: 'client', $metadata: {}, message });

const tag = (Key: string, Value: string): Tag => ({ Key, Value });

/** The inputs of every call of one command, in order. */
const inputs = <T>(command: abstract new (...args: any[]) => { input: T }): T[] =>
  ec2Mock.commandCalls(command as any).map((c) => c.args[0].input as T);

/** Ingress as `proto from-to <- source` lines, for exact comparison whatever the grouping. */
function ruleLines(perms: readonly IpPermission[] | undefined, names: Record<string, string> = {}): string[] {
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

/**
 * A small EC2 network behind the mock: resources are stored as created, Describe* honours tag and
 * attribute filters, Authorize refuses duplicates and deletes refuse while something depends on them.
 */
function fakeNetwork() {
  const net = { vpcs: [] as Vpc[], subnets: [] as Subnet[], groups: [] as SecurityGroup[] };
  /** Runs first in the named call, once: what another actor does meanwhile (or throws instead). */
  const before: Partial<Record<'authorize' | 'createGroup', (input: any) => void>> = {};
  const hook = (name: keyof typeof before, input: unknown) => {
    const fn = before[name];
    delete before[name];
    fn?.(input);
  };
  let seq = 0;
  const id = (prefix: string) => `${prefix}-${String(++seq).padStart(8, '0')}`;
  const matches = (tags: Tag[] | undefined, filters: Filter[] | undefined, attrs: Record<string, string | undefined>) =>
    (filters ?? []).every((f) =>
      f.Name!.startsWith('tag:')
        ? (tags ?? []).some((t) => t.Key === f.Name!.slice(4) && f.Values!.includes(t.Value!))
        : f.Values!.includes(attrs[f.Name!]!),
    );
  const pairs = (perms: IpPermission[] | undefined) => ruleLines(perms);
  const group = (GroupId: string) => {
    const g = net.groups.find((x) => x.GroupId === GroupId);
    if (!g) throw ec2Error('InvalidGroup.NotFound', `The security group '${GroupId}' does not exist`);
    return g;
  };

  ec2Mock.on(DescribeVpcsCommand).callsFake((input) => ({ Vpcs: net.vpcs.filter((v) => matches(v.Tags, input.Filters, { 'vpc-id': v.VpcId })) }));
  ec2Mock.on(CreateVpcCommand).callsFake((input) => {
    const vpc = { VpcId: id('vpc'), CidrBlock: input.CidrBlock, State: 'pending' as const, Tags: input.TagSpecifications[0].Tags };
    net.vpcs.push(vpc);
    return { Vpc: vpc };
  });
  ec2Mock.on(DescribeSubnetsCommand).callsFake((input) => ({ Subnets: net.subnets.filter((s) => matches(s.Tags, input.Filters, { 'vpc-id': s.VpcId })) }));
  ec2Mock.on(CreateSubnetCommand).callsFake((input) => {
    const subnet = { SubnetId: id('subnet'), VpcId: input.VpcId, CidrBlock: input.CidrBlock, AvailabilityZone: input.AvailabilityZone, Tags: input.TagSpecifications[0].Tags };
    net.subnets.push(subnet);
    return { Subnet: subnet };
  });
  ec2Mock.on(DescribeSecurityGroupsCommand).callsFake((input) => ({
    SecurityGroups: structuredClone(net.groups.filter((g) => matches(g.Tags, input.Filters, { 'vpc-id': g.VpcId, 'group-name': g.GroupName }))),
  }));
  ec2Mock.on(CreateSecurityGroupCommand).callsFake((input) => {
    hook('createGroup', input);
    const g = { GroupId: id('sg'), GroupName: input.GroupName, VpcId: input.VpcId, Tags: input.TagSpecifications[0].Tags, IpPermissions: [] };
    net.groups.push(g);
    return { GroupId: g.GroupId };
  });
  ec2Mock.on(AuthorizeSecurityGroupIngressCommand).callsFake((input) => {
    hook('authorize', input);
    const g = group(input.GroupId);
    const have = new Set(pairs(g.IpPermissions));
    if (pairs(input.IpPermissions).some((line) => have.has(line))) {
      throw ec2Error('InvalidPermission.Duplicate', 'the specified rule already exists');
    }
    g.IpPermissions!.push(...structuredClone(input.IpPermissions as IpPermission[]));
    return {};
  });
  ec2Mock.on(RevokeSecurityGroupIngressCommand).callsFake((input) => {
    const g = group(input.GroupId);
    const gone = new Set(pairs(input.IpPermissions));
    g.IpPermissions = g.IpPermissions!.map((p) => ({
      ...p,
      UserIdGroupPairs: p.UserIdGroupPairs?.filter((x) => !gone.has(ruleLines([{ ...p, UserIdGroupPairs: [x], IpRanges: [], Ipv6Ranges: [] }])[0]!)),
      IpRanges: p.IpRanges?.filter((x) => !gone.has(ruleLines([{ ...p, UserIdGroupPairs: [], IpRanges: [x], Ipv6Ranges: [] }])[0]!)),
    }));
    return {};
  });
  ec2Mock.on(DeleteSecurityGroupCommand).callsFake((input) => {
    group(input.GroupId);
    const referrer = net.groups.find((g) => g.GroupId !== input.GroupId && pairs(g.IpPermissions).some((l) => l.endsWith(`<- ${input.GroupId}`)));
    if (referrer) throw ec2Error('DependencyViolation', `resource ${input.GroupId} has a dependent object`);
    net.groups = net.groups.filter((g) => g.GroupId !== input.GroupId);
    return {};
  });
  ec2Mock.on(DeleteSubnetCommand).callsFake((input) => {
    if (!net.subnets.some((s) => s.SubnetId === input.SubnetId)) throw ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${input.SubnetId}' does not exist`);
    net.subnets = net.subnets.filter((s) => s.SubnetId !== input.SubnetId);
    return {};
  });
  ec2Mock.on(DeleteVpcCommand).callsFake((input) => {
    if ([...net.subnets, ...net.groups].some((r) => r.VpcId === input.VpcId)) {
      throw ec2Error('DependencyViolation', `The vpc '${input.VpcId}' has dependencies and cannot be deleted.`);
    }
    net.vpcs = net.vpcs.filter((v) => v.VpcId !== input.VpcId);
    return {};
  });
  return Object.assign(net, { before });
}

const infraSpec = (overrides: Partial<InfraSpec> = {}): InfraSpec => ({
  clusterId: CLUSTER,
  clusterName: 'demo',
  zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  apiAllowedCidrs: [],
  publicApi: false,
  ...overrides,
});

const createCalls = () =>
  [CreateVpcCommand, CreateSubnetCommand, CreateSecurityGroupCommand, AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand].flatMap(
    (c) => ec2Mock.commandCalls(c as any),
  );

describe('credentials', () => {
  const account = { roleArn: 'arn:aws:iam::123456789012:role/strata', externalId: 'ext-4f1c' };
  const stsAnswer = (expiresAt: Date, key = 'ASIAEXAMPLE') => ({
    Credentials: { AccessKeyId: key, SecretAccessKey: 'secret', SessionToken: 'token', Expiration: expiresAt },
  });

  it('assumes the account role with its ExternalId, a session named for the cluster, for 15 minutes', async () => {
    stsMock.on(AssumeRoleCommand).resolves(stsAnswer(new Date(Date.now() + 900_000)));
    const credentials = await assumeRoleCredentials(account, { region: REGION, clusterId: CLUSTER })();

    expect(stsMock.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      { RoleArn: account.roleArn, ExternalId: 'ext-4f1c', RoleSessionName: `strata-${CLUSTER}`, DurationSeconds: 900 },
    ]);
    expect(credentials).toMatchObject({ accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' });
  });

  it('reuses the session until five minutes before it expires, then assumes the role again', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    stsMock
      .on(AssumeRoleCommand)
      .resolvesOnce(stsAnswer(new Date(now + 900_000), 'FIRST'))
      .resolves(stsAnswer(new Date(now + 1_800_000), 'SECOND'));
    const provide = assumeRoleCredentials(account, { region: REGION, clusterId: CLUSTER, now: () => now });

    const [a, b] = await Promise.all([provide(), provide()]);
    now += 9 * 60_000;
    const c = await provide();
    now += 2 * 60_000; // 4 minutes left
    const d = await provide();

    expect([a.accessKeyId, b.accessKeyId, c.accessKeyId, d.accessKeyId]).toEqual(['FIRST', 'FIRST', 'FIRST', 'SECOND']);
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('verifies access with a dry run: DryRunOperation is a yes, any other answer the provider’s own refusal', async () => {
    ec2Mock.on(DescribeInstancesCommand).rejectsOnce(ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.'));
    expect(await provider().verifyAccess()).toContain(REGION);
    expect(inputs(DescribeInstancesCommand)[0]).toMatchObject({ DryRun: true });
    ec2Mock.reset();
    ec2Mock.on(DescribeInstancesCommand).rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    await expect(provider().verifyAccess()).rejects.toMatchObject({ code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' });
  });

  it('keeps session names within the 64 characters STS allows', () => {
    expect(sessionName('x'.repeat(80))).toBe(`strata-${'x'.repeat(57)}`);
    expect(sessionName()).toBe('strata');
  });

  it('awsProvider signs EC2 calls with the assumed role', async () => {
    stsMock.on(AssumeRoleCommand).resolves(stsAnswer(new Date(Date.now() + 900_000)));
    const p = awsProvider(account, REGION, CLUSTER);
    const ec2: EC2Client = (p as any).ec2;

    expect(p).toBeInstanceOf(Ec2Provider);
    expect(await ec2.config.region()).toBe(REGION);
    expect(await (ec2.config.credentials as any)()).toMatchObject({ accessKeyId: 'ASIAEXAMPLE', sessionToken: 'token' });
    expect(stsMock.commandCalls(AssumeRoleCommand)[0]!.args[0].input).toMatchObject({ RoleArn: account.roleArn, ExternalId: account.externalId });
  });

  it('a provider made for one cluster refuses another', async () => {
    const p = awsProvider(account, REGION, CLUSTER);
    await expect(p.listInstances('c-other')).rejects.toMatchObject({ code: 'ClusterMismatch', retryable: false });
    expect(ec2Mock.calls()).toHaveLength(0);
  });
});

describe('resolveImage', () => {
  it('finds the AMI in the region', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-0abc', State: 'available' }] });

    await expect(provider().resolveImage('ami-0abc')).resolves.toEqual({ imageId: 'ami-0abc', region: REGION, copied: false });
    expect(inputs(DescribeImagesCommand)).toEqual([{ ImageIds: ['ami-0abc'] }]);
  });

  it('a missing AMI is InvalidAMIID.NotFound, which no retry fixes', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [] });

    const err = await provider().resolveImage('ami-0gone').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudError);
    expect(err).toMatchObject({ code: 'InvalidAMIID.NotFound', retryable: false });
    expect((err as Error).message).toContain('ami-0gone');
  });

  it("keeps EC2's own code and text when EC2 refuses the id", async () => {
    ec2Mock.on(DescribeImagesCommand).rejects(ec2Error('InvalidAMIID.Malformed', 'Invalid id: "ami-zz" (expecting "ami-...")'));

    await expect(provider().resolveImage('ami-zz')).rejects.toMatchObject({
      code: 'InvalidAMIID.Malformed',
      message: 'Invalid id: "ami-zz" (expecting "ami-...")',
      retryable: false,
    });
  });
});

describe('ensureInstance', () => {
  const spec: InstanceSpec = {
    clusterId: CLUSTER,
    pool: 'workers-a',
    role: 'worker',
    name: 'demo-workers-a-0',
    zone: 'eu-west-1a',
    subnetId: 'subnet-0a',
    securityGroupId: 'sg-0w',
    instanceType: 'm7g.large',
    imageId: 'ami-0abc',
    diskGiB: 80,
    userData: '#cloud-config\nruncmd: [kubeadm join api:6443]\n',
    idempotencyToken: 'c-7f3a9d/demo-workers-a-0/1',
    publicIp: false,
  };
  const launched: Instance = {
    InstanceId: 'i-0123',
    InstanceType: 'm7g.large',
    State: { Name: 'pending' },
    PrivateIpAddress: '10.0.3.17',
    Placement: { AvailabilityZone: 'eu-west-1a' },
    Tags: [tag('strata:cluster', CLUSTER), tag('strata:pool', 'workers-a'), tag('strata:role', 'worker'), tag('Name', spec.name)],
  };
  const expected = {
    instanceId: 'i-0123',
    name: spec.name,
    pool: 'workers-a',
    role: 'worker',
    zone: 'eu-west-1a',
    instanceType: 'm7g.large',
    state: 'pending',
    privateIp: '10.0.3.17',
  };

  beforeEach(() => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-0abc', State: 'available', RootDeviceName: '/dev/sda1' }] });
  });

  it('launches a hardened, tagged instance with the idempotency token as client token', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2Mock.on(RunInstancesCommand).resolves({ Instances: [launched] });

    await expect(provider().ensureInstance(spec)).resolves.toEqual(expected);

    expect(inputs(DescribeInstancesCommand)).toEqual([
      {
        Filters: [
          { Name: 'tag:strata:cluster', Values: [CLUSTER] },
          { Name: 'tag:Name', Values: [spec.name] },
          { Name: 'instance-state-name', Values: ['pending', 'running'] },
        ],
      },
    ]);
    const tags = [tag('strata:cluster', CLUSTER), tag('Name', spec.name), tag('strata:pool', 'workers-a'), tag('strata:role', 'worker')];
    const run = inputs(RunInstancesCommand);
    expect(run).toEqual([
      {
        ImageId: 'ami-0abc',
        InstanceType: 'm7g.large',
        MinCount: 1,
        MaxCount: 1,
        ClientToken: spec.idempotencyToken,
        NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0a', Groups: ['sg-0w'], AssociatePublicIpAddress: false, DeleteOnTermination: true }],
        MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 80, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true } }],
        UserData: Buffer.from(spec.userData).toString('base64'),
        TagSpecifications: [
          { ResourceType: 'instance', Tags: tags },
          { ResourceType: 'volume', Tags: tags },
        ],
      },
    ]);
    expect(Buffer.from(run[0]!.UserData!, 'base64').toString('utf8')).toBe(spec.userData);
  });

  it('returns the instance an earlier attempt launched without launching another', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ ...launched, State: { Name: 'running' } }] }] });

    await expect(provider().ensureInstance(spec)).resolves.toEqual({ ...expected, state: 'running' });
    expect(ec2Mock.commandCalls(RunInstancesCommand)).toHaveLength(0);
  });

  it('asks for a public address only when the spec does, and sizes the root device the image names', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-0abc', State: 'available', RootDeviceName: '/dev/xvda' }] });
    ec2Mock.on(DescribeInstancesCommand).resolves({});
    ec2Mock.on(RunInstancesCommand).resolves({ Instances: [launched] });

    await provider().ensureInstance({ ...spec, role: 'controlPlane', publicIp: true });

    const run = inputs(RunInstancesCommand)[0]!;
    expect(run.NetworkInterfaces![0]!.AssociatePublicIpAddress).toBe(true);
    expect(run.BlockDeviceMappings![0]!.DeviceName).toBe('/dev/xvda');
    expect(run.TagSpecifications![0]!.Tags).toContainEqual(tag('strata:role', 'controlPlane'));
  });

  it("surfaces a vCPU quota refusal with EC2's own code and message", async () => {
    const message = 'You have requested more vCPU capacity than your current vCPU limit of 32 allows for the instance bucket that the specified instance type belongs to.';
    ec2Mock.on(DescribeInstancesCommand).resolves({});
    ec2Mock.on(RunInstancesCommand).rejects(ec2Error('VcpuLimitExceeded', message));

    const err = await provider().ensureInstance(spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudError);
    expect(err).toMatchObject({ code: 'VcpuLimitExceeded', message, retryable: true });
  });

  it.each([
    ['InsufficientInstanceCapacity', true],
    ['RequestLimitExceeded', true],
    ['UnauthorizedOperation', false],
    ['InvalidParameterValue', false],
  ])('maps %s to a CloudError, retryable=%s', async (code, retryable) => {
    ec2Mock.on(DescribeInstancesCommand).resolves({});
    ec2Mock.on(RunInstancesCommand).rejects(ec2Error(code, `EC2 says ${code}`));

    await expect(provider().ensureInstance(spec)).rejects.toMatchObject({ name: 'CloudError', code, message: `EC2 says ${code}`, retryable });
  });
});

describe('listInstances', () => {
  it('reads every page of the tagged, non-terminated instances', async () => {
    const instance = (id: string, name: string, role: string, state: 'running' | 'stopped'): Instance => ({
      InstanceId: id,
      InstanceType: 'm7g.large',
      State: { Name: state },
      PrivateIpAddress: `10.0.0.${id.length}`,
      Placement: { AvailabilityZone: 'eu-west-1b' },
      Tags: [tag('strata:cluster', CLUSTER), tag('Name', name), tag('strata:pool', role === 'controlPlane' ? 'cp' : 'workers'), tag('strata:role', role)],
    });
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [{ Instances: [instance('i-1', 'demo-cp-0', 'controlPlane', 'running')] }], NextToken: 'page-2' })
      .resolvesOnce({ Reservations: [{ Instances: [instance('i-22', 'demo-workers-0', 'worker', 'stopped')] }] });

    const list = await provider().listInstances(CLUSTER);

    const filters = [
      { Name: 'tag:strata:cluster', Values: [CLUSTER] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
    ];
    expect(inputs(DescribeInstancesCommand)).toEqual([
      { Filters: filters, NextToken: undefined },
      { Filters: filters, NextToken: 'page-2' },
    ]);
    expect(list).toEqual([
      { instanceId: 'i-1', name: 'demo-cp-0', pool: 'cp', role: 'controlPlane', zone: 'eu-west-1b', instanceType: 'm7g.large', state: 'running', privateIp: '10.0.0.3' },
      { instanceId: 'i-22', name: 'demo-workers-0', pool: 'workers', role: 'worker', zone: 'eu-west-1b', instanceType: 'm7g.large', state: 'stopped', privateIp: '10.0.0.4' },
    ]);
  });
});

describe('ensureInfrastructure', () => {
  const clusterTags = (name: string) => [tag('strata:cluster', CLUSTER), tag('Name', name)];

  /** Ingress as authorized through the API, with group ids replaced by `cp` and `workers`. */
  function authorized(net: ReturnType<typeof fakeNetwork>) {
    const cp = net.groups.find((g) => g.GroupName === 'demo-control-plane')!.GroupId!;
    const workers = net.groups.find((g) => g.GroupName === 'demo-workers')!.GroupId!;
    const names = { [cp]: 'cp', [workers]: 'workers' };
    const of = (groupId: string) =>
      ruleLines(
        inputs(AuthorizeSecurityGroupIngressCommand)
          .filter((i) => i.GroupId === groupId)
          .flatMap((i) => i.IpPermissions ?? []),
        names,
      );
    return { controlPlane: of(cp), workers: of(workers) };
  }

  const overlay = ['udp 4789-4789', 'udp 8472-8472', 'tcp 179-179'].flatMap((p) => [`${p} <- cp`, `${p} <- workers`]);

  it('creates a tagged VPC, a subnet per zone and both security groups', async () => {
    const net = fakeNetwork();

    const refs = await provider().ensureInfrastructure(infraSpec());

    expect(inputs(DescribeVpcsCommand)).toEqual([
      { Filters: [{ Name: 'tag:strata:cluster', Values: [CLUSTER] }, { Name: 'tag:Name', Values: ['demo'] }] },
    ]);
    expect(inputs(CreateVpcCommand)).toEqual([{ CidrBlock: '10.0.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: clusterTags('demo') }] }]);
    const vpcId = net.vpcs[0]!.VpcId!;
    expect(inputs(CreateSubnetCommand)).toEqual(
      ['a', 'b', 'c'].map((z, i) => ({
        VpcId: vpcId,
        AvailabilityZone: `eu-west-1${z}`,
        CidrBlock: `10.0.${i * 16}.0/20`,
        TagSpecifications: [{ ResourceType: 'subnet', Tags: clusterTags(`demo-eu-west-1${z}`) }],
      })),
    );
    expect(inputs(DescribeSecurityGroupsCommand)[0]!.Filters).toEqual([
      { Name: 'tag:strata:cluster', Values: [CLUSTER] },
      { Name: 'tag:Name', Values: ['demo-control-plane', 'demo-workers'] },
      { Name: 'vpc-id', Values: [vpcId] },
    ]);
    expect(inputs(CreateSecurityGroupCommand)).toEqual([
      { GroupName: 'demo-control-plane', Description: 'Strata cluster demo: control plane', VpcId: vpcId, TagSpecifications: [{ ResourceType: 'security-group', Tags: clusterTags('demo-control-plane') }] },
      { GroupName: 'demo-workers', Description: 'Strata cluster demo: workers', VpcId: vpcId, TagSpecifications: [{ ResourceType: 'security-group', Tags: clusterTags('demo-workers') }] },
    ]);
    expect(refs).toEqual({
      networkId: vpcId,
      subnets: Object.fromEntries(net.subnets.map((s) => [s.AvailabilityZone, s.SubnetId])),
      controlPlaneSecurityGroupId: net.groups[0]!.GroupId,
      workerSecurityGroupId: net.groups[1]!.GroupId,
      apiEndpoint: `api.${CLUSTER}.${REGION}.strata.internal`,
    });
  });

  it('opens exactly the kubeadm ports, between the groups, and nothing to the internet', async () => {
    const net = fakeNetwork();

    await provider().ensureInfrastructure(infraSpec());

    const rules = authorized(net);
    expect(rules.controlPlane).toEqual(
      [
        'tcp 6443-6443 <- workers',
        'tcp 6443-6443 <- cp',
        'tcp 6443-6443 <- 10.0.0.0/16',
        'tcp 2379-2380 <- cp',
        'tcp 10250-10250 <- cp',
        ...overlay,
      ].sort(),
    );
    expect(rules.workers).toEqual(['tcp 10250-10250 <- cp', 'tcp 30000-32767 <- 10.0.0.0/16', ...overlay].sort());
    expect([...rules.controlPlane, ...rules.workers].filter((r) => r.includes('0.0.0.0/0'))).toEqual([]);
    // Each group is settled in one call.
    expect(inputs(AuthorizeSecurityGroupIngressCommand)).toHaveLength(2);
  });

  it.each(['203.0.113.0/24', '0.0.0.0/0'])('opens an allowed network (%s) to the API port only', async (cidr) => {
    const net = fakeNetwork();

    await provider().ensureInfrastructure(infraSpec({ apiAllowedCidrs: [cidr], publicApi: true }));

    const rules = authorized(net);
    expect([...rules.controlPlane, ...rules.workers].filter((r) => r.endsWith(`<- ${cidr}`))).toEqual([`tcp 6443-6443 <- ${cidr}`]);
    expect(rules.controlPlane).toContain(`tcp 6443-6443 <- ${cidr}`);
  });

  it('a second run finds everything by its tags and makes nothing', async () => {
    const net = fakeNetwork();
    const p = provider();
    const first = await p.ensureInfrastructure(infraSpec({ apiAllowedCidrs: ['203.0.113.0/24'] }));
    ec2Mock.resetHistory();

    const second = await p.ensureInfrastructure(infraSpec({ apiAllowedCidrs: ['203.0.113.0/24'] }));

    expect(second).toEqual(first);
    expect(createCalls()).toEqual([]);
    expect(net.vpcs).toHaveLength(1);
    expect(net.subnets).toHaveLength(3);
    expect(net.groups).toHaveLength(2);
  });

  it('follows a change of allowed networks: adds the new, revokes the dropped, leaves the rest', async () => {
    const net = fakeNetwork();
    const p = provider();
    await p.ensureInfrastructure(infraSpec({ apiAllowedCidrs: ['203.0.113.0/24'] }));
    const cp = net.groups[0]!.GroupId!;
    ec2Mock.resetHistory();

    await p.ensureInfrastructure(infraSpec({ apiAllowedCidrs: ['198.51.100.0/24'] }));

    expect(inputs(AuthorizeSecurityGroupIngressCommand)).toEqual([
      {
        GroupId: cp,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 6443, ToPort: 6443, IpRanges: [{ CidrIp: '198.51.100.0/24', Description: 'Kubernetes API from an allowed network' }] }],
      },
    ]);
    expect(inputs(RevokeSecurityGroupIngressCommand)).toEqual([
      { GroupId: cp, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 6443, ToPort: 6443, IpRanges: [{ CidrIp: '203.0.113.0/24' }] }] },
    ]);
  });

  it('a subnet for a new zone takes a free CIDR and the existing ones stay', async () => {
    const net = fakeNetwork();
    const p = provider();
    await p.ensureInfrastructure(infraSpec({ zones: ['eu-west-1a', 'eu-west-1b'] }));
    ec2Mock.resetHistory();

    // The new zone comes first: its own slot (0) is taken by eu-west-1a, so it gets the first free one.
    const refs = await p.ensureInfrastructure(infraSpec({ zones: ['eu-west-1c', 'eu-west-1a', 'eu-west-1b'] }));

    expect(inputs(CreateSubnetCommand)).toEqual([expect.objectContaining({ AvailabilityZone: 'eu-west-1c', CidrBlock: '10.0.32.0/20' })]);
    expect(Object.keys(refs.subnets).sort()).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    expect(new Set(net.subnets.map((s) => s.CidrBlock)).size).toBe(3);
  });

  it('treats a rule added concurrently (InvalidPermission.Duplicate) as success and adds the rest one by one', async () => {
    const net = fakeNetwork();
    const p = provider();
    await p.ensureInfrastructure(infraSpec());
    const cp = net.groups[0]!;
    // Another attempt added one of the two new rules between our describe and our authorize.
    net.before.authorize = () => {
      cp.IpPermissions!.push({ IpProtocol: 'tcp', FromPort: 6443, ToPort: 6443, IpRanges: [{ CidrIp: '203.0.113.0/24' }] });
      throw ec2Error('InvalidPermission.Duplicate', 'the specified rule "peer: 203.0.113.0/24, TCP, from port: 6443, to port: 6443, ALLOW" already exists');
    };
    ec2Mock.resetHistory();

    await expect(p.ensureInfrastructure(infraSpec({ apiAllowedCidrs: ['203.0.113.0/24', '198.51.100.0/24'] }))).resolves.toBeDefined();

    expect(ruleLines(cp.IpPermissions).filter((l) => /<- \d/.test(l))).toEqual([
      'tcp 6443-6443 <- 10.0.0.0/16',
      'tcp 6443-6443 <- 198.51.100.0/24',
      'tcp 6443-6443 <- 203.0.113.0/24',
    ]);
    // The batch failed as a whole, then each rule went alone: 203.0.113.0/24 as a tolerated duplicate.
    expect(inputs(AuthorizeSecurityGroupIngressCommand).map((i) => ruleLines(i.IpPermissions))).toEqual([
      ['tcp 6443-6443 <- 198.51.100.0/24', 'tcp 6443-6443 <- 203.0.113.0/24'],
      ['tcp 6443-6443 <- 203.0.113.0/24'],
      ['tcp 6443-6443 <- 198.51.100.0/24'],
    ]);
  });

  it('uses the security group a concurrent attempt created (InvalidGroup.Duplicate)', async () => {
    const net = fakeNetwork();
    net.before.createGroup = (input) => {
      net.groups.push({ GroupId: 'sg-raced', GroupName: input.GroupName, VpcId: input.VpcId, Tags: input.TagSpecifications[0].Tags, IpPermissions: [] });
      throw ec2Error('InvalidGroup.Duplicate', `The security group '${input.GroupName}' already exists for VPC '${input.VpcId}'`);
    };

    const refs = await provider().ensureInfrastructure(infraSpec());

    expect(refs.controlPlaneSecurityGroupId).toBe('sg-raced');
    expect(net.groups).toHaveLength(2);
  });
});

describe('deleteClusterResources', () => {
  const tagged = (id: string, state: 'running' | 'shutting-down'): Instance => ({
    InstanceId: id,
    State: { Name: state },
    Tags: [tag('strata:cluster', CLUSTER), tag('Name', `node-${id}`)],
  });

  it('terminates the instances first and leaves the network until they are gone, then removes it', async () => {
    const net = fakeNetwork();
    const p = provider();
    await p.ensureInfrastructure(infraSpec());
    ec2Mock.resetHistory();
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [{ Instances: [tagged('i-1', 'running'), tagged('i-2', 'running')] }] })
      .resolvesOnce({ Reservations: [{ Instances: [tagged('i-1', 'shutting-down'), tagged('i-2', 'shutting-down')] }] })
      .resolves({ Reservations: [] });
    ec2Mock.on(TerminateInstancesCommand).resolves({});

    const first = await p.deleteClusterResources(CLUSTER);
    expect(first).toEqual({ remaining: 2, details: ['instance i-1 (node-i-1) is terminating', 'instance i-2 (node-i-2) is terminating'] });
    expect(inputs(TerminateInstancesCommand)).toEqual([{ InstanceIds: ['i-1', 'i-2'] }]);
    expect(inputs(DescribeInstancesCommand)[0]!.Filters).toContainEqual({ Name: 'tag:strata:cluster', Values: [CLUSTER] });

    const second = await p.deleteClusterResources(CLUSTER);
    expect(second.remaining).toBe(2);
    // Shutting-down instances need no second terminate, and nothing of the network is touched yet.
    expect(inputs(TerminateInstancesCommand)).toHaveLength(1);
    expect(ec2Mock.commandCalls(DeleteSecurityGroupCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(DeleteSubnetCommand)).toHaveLength(0);

    const third = await p.deleteClusterResources(CLUSTER);
    expect(third).toEqual({ remaining: 0, details: [] });
    expect(inputs(DescribeSecurityGroupsCommand).at(-1)).toEqual({ Filters: [{ Name: 'tag:strata:cluster', Values: [CLUSTER] }] });
    expect(inputs(RevokeSecurityGroupIngressCommand)).toHaveLength(2);
    expect(inputs(DeleteSecurityGroupCommand)).toHaveLength(2);
    expect(inputs(DeleteSubnetCommand)).toHaveLength(3);
    expect(inputs(DeleteVpcCommand)).toHaveLength(1);
    expect([net.vpcs, net.subnets, net.groups]).toEqual([[], [], []]);
  });

  it('reports what a dependency still holds and keeps the VPC for a later pass', async () => {
    const net = fakeNetwork();
    const p = provider();
    await p.ensureInfrastructure(infraSpec());
    const workers = net.groups[1]!.GroupId!;
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    // A load balancer's network interface still uses the workers group.
    ec2Mock.on(DeleteSecurityGroupCommand, { GroupId: workers }).rejects(ec2Error('DependencyViolation', `resource ${workers} has a dependent object`));
    ec2Mock.resetHistory();

    const pass = await p.deleteClusterResources(CLUSTER);

    expect(pass).toEqual({
      remaining: 2,
      details: [`security group ${workers} (demo-workers): resource ${workers} has a dependent object`, `vpc ${net.vpcs[0]!.VpcId} waits for its subnets and security groups`],
    });
    expect(ec2Mock.commandCalls(DeleteVpcCommand)).toHaveLength(0);
  });

  it('counts resources already gone (NotFound) as deleted', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({});
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-gone', GroupName: 'demo-workers' }] });
    ec2Mock.on(DeleteSecurityGroupCommand).rejects(ec2Error('InvalidGroup.NotFound', "The security group 'sg-gone' does not exist"));
    ec2Mock.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: 'subnet-gone' }] });
    ec2Mock.on(DeleteSubnetCommand).rejects(ec2Error('InvalidSubnetID.NotFound', "The subnet ID 'subnet-gone' does not exist"));
    ec2Mock.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-gone' }] });
    ec2Mock.on(DeleteVpcCommand).rejects(ec2Error('InvalidVpcID.NotFound', "The vpc ID 'vpc-gone' does not exist"));

    await expect(provider().deleteClusterResources(CLUSTER)).resolves.toEqual({ remaining: 0, details: [] });
    expect(ec2Mock.commandCalls(DeleteVpcCommand)).toHaveLength(1);
  });
});
