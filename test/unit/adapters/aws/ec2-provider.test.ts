import {
  AllocateAddressCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
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
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
  ReleaseAddressCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type Instance,
  type Tag,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DescribeLoadBalancersCommand as DescribeClassicLoadBalancersCommand, ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudError, type InfraRefs, type InfraSpec, type InstanceSpec, type NodeRole } from '../../../../core/cloud.js';
import { nodePermissions, policyDocument } from '../../../../core/node-permissions.js';
import { assumeRoleCredentials, sessionName } from '../../../../adapters/cloud/aws/credentials.js';
import { Ec2Provider, awsProvider } from '../../../../adapters/cloud/aws/ec2-provider.js';
import { ec2Error, elbError, fakeAws, iamError, type FakeAws } from './fake-aws.js';

const ec2Mock = mockClient(EC2Client);
const elbMock = mockClient(ElasticLoadBalancingV2Client);
const iamMock = mockClient(IAMClient);
const stsMock = mockClient(STSClient);
// No Service load balancers here (the moto test makes some): Classic ELB answers an empty account.
const classicMock = mockClient(ElasticLoadBalancingClient);
const serviceMocks = [ec2Mock, elbMock, iamMock] as any[];
afterAll(() => {
  ec2Mock.restore();
  elbMock.restore();
  iamMock.restore();
  stsMock.restore();
  classicMock.restore();
});
beforeEach(() => {
  ec2Mock.reset();
  elbMock.reset();
  iamMock.reset();
  stsMock.reset();
  classicMock.reset();
  classicMock.on(DescribeClassicLoadBalancersCommand).resolves({ LoadBalancerDescriptions: [] });
});

const REGION = 'eu-west-1';
const CLUSTER = 'c-7f3a9d';
const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const LB_NAME = `${CLUSTER}-api`;
const ROLE_NAMES = { controlPlane: `strata-${CLUSTER}-control-plane`, worker: `strata-${CLUSTER}-workers` };
const PERMISSIONS = nodePermissions('aws', ['aws-ebs-csi']);

const provider = () =>
  new Ec2Provider({
    ec2: new EC2Client({ region: REGION }),
    elb: new ElasticLoadBalancingV2Client({ region: REGION }),
    classicElb: new ElasticLoadBalancingClient({ region: REGION }),
    iam: new IAMClient({ region: REGION }),
    region: REGION,
  });
const world = () => fakeAws({ ec2: ec2Mock, elb: elbMock, iam: iamMock }, REGION);

const tag = (Key: string, Value: string) => ({ Key, Value });
const clusterTags = (name: string) => [tag('strata:cluster', CLUSTER), tag('Name', name)];
/** The tags the Kubernetes cloud controller manager reads: the cluster's, and a subnet's load balancer role. */
const kubernetesTags = (subnetRole?: 'elb' | 'internal-elb') => [
  tag(`kubernetes.io/cluster/${CLUSTER}`, 'owned'),
  ...(subnetRole ? [tag(`kubernetes.io/role/${subnetRole}`, '1')] : []),
];

/** A cluster's infrastructure as the workflow asks for it: NAT egress through one gateway, identities with the EBS CSI driver. */
const infraSpec = (overrides: Partial<InfraSpec> = {}): InfraSpec => ({
  clusterId: CLUSTER,
  clusterName: 'demo',
  zones: ZONES,
  apiAllowedCidrs: [],
  publicApi: false,
  network: { nodeEgress: 'natGateway', natGateways: 'single' },
  nodeIdentity: { permissions: PERMISSIONS },
  ...overrides,
});

/** A node of the cluster, placed as the workflow places it. */
const nodeSpec = (refs: InfraRefs, role: NodeRole, index: number, zone = ZONES[index % ZONES.length]!): InstanceSpec => {
  const pool = role === 'controlPlane' ? 'cp' : 'workers';
  return {
    clusterId: CLUSTER,
    pool,
    role,
    name: `demo-${pool}-${index}`,
    zone,
    subnetId: refs.subnets[zone]!,
    securityGroupId: role === 'controlPlane' ? refs.controlPlaneSecurityGroupId : refs.workerSecurityGroupId,
    instanceType: 'm7g.large',
    imageId: 'ami-0abc',
    diskGiB: 80,
    userData: '#cloud-config\n',
    idempotencyToken: `${CLUSTER}/demo-${pool}-${index}/1`,
    publicIp: refs.nodePublicIp,
    identity: refs.nodeIdentity[role],
  };
};

/** The inputs of every call of one command, in order. */
const inputs = <T>(command: abstract new (...args: any[]) => { input: T }): T[] =>
  serviceMocks.flatMap((m) => m.commandCalls(command)).map((c: any) => c.args[0].input as T);

/** The calls that change something (anything but Describe*, Get*, List*), by command name. */
const writes = () =>
  serviceMocks
    .flatMap((m) => m.calls())
    .map((c: any) => String(c.args[0].constructor.name).replace(/Command$/, ''))
    .filter((name: string) => !/^(Describe|Get|List)/.test(name))
    .sort();

const resetHistory = () => serviceMocks.forEach((m) => m.resetHistory());

/** A thrown network error: the request may or may not have reached AWS. */
const lostAnswer = () => Object.assign(new Error('Socket timed out without establishing a connection'), { name: 'TimeoutError' });

/** Deletion passes, time passing between them, until nothing remains. */
async function deleteAll(p: Ec2Provider, w: FakeAws, maxPasses = 8) {
  const passes: { remaining: number; details: string[] }[] = [];
  for (let i = 0; i < maxPasses; i++) {
    const pass = await p.deleteClusterResources(CLUSTER);
    passes.push(pass);
    if (pass.remaining === 0) return passes;
    w.tick();
  }
  throw new Error(`still remaining after ${maxPasses} passes: ${JSON.stringify(passes.at(-1))}`);
}

const byName = <T extends { Tags?: Tag[] }>(items: readonly T[], name: string) => items.find((i) => i.Tags?.some((t) => t.Key === 'Name' && t.Value === name));

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

  it('awsProvider signs EC2, ELB, IAM and SSM calls with the assumed role', async () => {
    stsMock.on(AssumeRoleCommand).resolves(stsAnswer(new Date(Date.now() + 900_000)));
    const p = awsProvider(account, REGION, CLUSTER);

    expect(p).toBeInstanceOf(Ec2Provider);
    expect((p as any).ssm).toBeInstanceOf(SSMClient);
    for (const client of [(p as any).ec2, (p as any).elb, (p as any).iam, (p as any).ssm]) {
      expect(await client.config.region()).toBe(REGION);
      expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'ASIAEXAMPLE', sessionToken: 'token' });
    }
    expect(stsMock.commandCalls(AssumeRoleCommand)[0]!.args[0].input).toMatchObject({ RoleArn: account.roleArn, ExternalId: account.externalId });
  });

  it('without an SSM client, reads parameters with the EC2 client\'s region and credentials', async () => {
    const credentials = { accessKeyId: 'AKIDEC2', secretAccessKey: 'secret' };
    const p = new Ec2Provider({
      ec2: new EC2Client({ region: REGION, credentials }),
      elb: new ElasticLoadBalancingV2Client({ region: REGION }),
      classicElb: new ElasticLoadBalancingClient({ region: REGION }),
      iam: new IAMClient({ region: REGION }),
      region: REGION,
    });
    const ssm = (p as any).ssm as SSMClient;
    expect(await ssm.config.region()).toBe(REGION);
    expect(await ssm.config.credentials()).toMatchObject(credentials);
  });

  it('a provider made for one cluster refuses another', async () => {
    const p = awsProvider(account, REGION, CLUSTER);
    await expect(p.listInstances('c-other')).rejects.toMatchObject({ code: 'ClusterMismatch', retryable: false });
    await expect(p.ensureInfrastructure(infraSpec({ clusterId: 'c-other' }))).rejects.toMatchObject({ code: 'ClusterMismatch', retryable: false });
    await expect(p.registerApiTargets('c-other', ['i-1'])).rejects.toMatchObject({ code: 'ClusterMismatch' });
    await expect(p.deleteClusterResources('c-other')).rejects.toMatchObject({ code: 'ClusterMismatch' });
    await expect(p.terminateInstance('c-other', 'i-1')).rejects.toMatchObject({ code: 'ClusterMismatch', retryable: false });
    expect(serviceMocks.flatMap((m) => m.calls())).toHaveLength(0);
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
    identity: ROLE_NAMES.worker,
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

  describe('against EC2 answers', () => {
    beforeEach(() => {
      ec2Mock.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-0abc', State: 'available', RootDeviceName: '/dev/sda1' }] });
    });

    it('launches a hardened, tagged instance with the idempotency token as client token and the node identity', async () => {
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
      const tags = [
        tag('strata:cluster', CLUSTER),
        tag('Name', spec.name),
        tag('strata:pool', 'workers-a'),
        tag('strata:role', 'worker'),
        tag(`kubernetes.io/cluster/${CLUSTER}`, 'owned'),
      ];
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
          IamInstanceProfile: { Name: ROLE_NAMES.worker },
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

    it('an instance profile EC2 does not see yet is retryable (IAM is eventually consistent); any other InvalidParameterValue is not', async () => {
      const profileMessage = `Value (${ROLE_NAMES.worker}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`;
      const otherMessage = "Value (m7g.nano) for parameter instanceType is invalid. Invalid value 'm7g.nano' for InstanceType.";
      ec2Mock.on(DescribeInstancesCommand).resolves({});
      ec2Mock.on(RunInstancesCommand).rejectsOnce(ec2Error('InvalidParameterValue', profileMessage)).rejectsOnce(ec2Error('InvalidParameterValue', otherMessage));

      const first = await provider().ensureInstance(spec).catch((e: unknown) => e);
      const second = await provider().ensureInstance(spec).catch((e: unknown) => e);

      expect(first).toBeInstanceOf(CloudError);
      expect(first).toMatchObject({ code: 'InvalidParameterValue', retryable: true });
      expect((first as Error).message).toContain(profileMessage);
      expect(second).toMatchObject({ code: 'InvalidParameterValue', message: otherMessage, retryable: false });
    });
  });

  describe('against the fake EC2 and IAM', () => {
    it('launches with a profile made a moment ago once IAM has propagated it', async () => {
      const w = world();
      const p = provider();
      const refs = await p.ensureInfrastructure(infraSpec());
      const node = nodeSpec(refs, 'worker', 0);

      // The profile exists in IAM but has not reached EC2 yet.
      await expect(p.ensureInstance(node)).rejects.toMatchObject({ code: 'InvalidParameterValue', retryable: true });
      w.tick();
      const info = await p.ensureInstance(node);

      expect(w.liveInstances()).toHaveLength(1);
      expect(w.liveInstances()[0]).toMatchObject({ InstanceId: info.instanceId, IamInstanceProfile: { Arn: `arn:aws:iam::123456789012:instance-profile/strata/${ROLE_NAMES.worker}` } });
    });

    it('retries a launch whose answer was lost with the same client token and gets the same instance', async () => {
      const w = world();
      const p = provider();
      const refs = await p.ensureInfrastructure(infraSpec());
      w.tick();
      const node = nodeSpec(refs, 'controlPlane', 0);
      // EC2 launched the instance but the answer never arrived, and the retry's describe does not show it yet.
      w.once('RunInstances', (_input, proceed) => {
        proceed();
        throw lostAnswer();
      });

      await expect(p.ensureInstance(node)).rejects.toMatchObject({ code: 'TimeoutError', retryable: true });
      w.once('DescribeInstances', () => ({ Reservations: [] }));
      const info = await p.ensureInstance(node);

      const runs = inputs(RunInstancesCommand);
      expect(runs).toHaveLength(2);
      expect(runs.map((r) => r.ClientToken)).toEqual([node.idempotencyToken, node.idempotencyToken]);
      expect(runs.map((r) => r.IamInstanceProfile)).toEqual([{ Name: ROLE_NAMES.controlPlane }, { Name: ROLE_NAMES.controlPlane }]);
      expect(w.liveInstances().map((i) => i.InstanceId)).toEqual([info.instanceId]);
      expect(info).toMatchObject({ name: 'demo-cp-0', role: 'controlPlane', zone: 'eu-west-1a', state: 'pending' });
    });
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

describe('terminateInstance', () => {
  const LAUNCHED = new Date('2025-03-04T05:06:07Z');
  const instance = (state: string, cluster = CLUSTER): Instance => ({
    InstanceId: 'i-0abc',
    ImageId: 'ami-0abc',
    LaunchTime: LAUNCHED,
    InstanceType: 'm7g.large',
    State: { Name: state as 'running' },
    PrivateIpAddress: '10.0.3.17',
    Placement: { AvailabilityZone: 'eu-west-1a' },
    Tags: [tag('strata:cluster', cluster), tag('Name', 'demo-workers-0'), tag('strata:pool', 'workers'), tag('strata:role', 'worker')],
  });
  const described = (...instances: Instance[]) => ({ Reservations: instances.length ? [{ Instances: instances }] : [] });

  it("finds the instance among the cluster's by id, terminates it, and answers it shutting-down with its image and launch time", async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves(described(instance('running')));
    ec2Mock.on(TerminateInstancesCommand).resolves({ TerminatingInstances: [{ InstanceId: 'i-0abc', PreviousState: { Name: 'running' }, CurrentState: { Name: 'shutting-down' } }] });

    expect(await provider().terminateInstance(CLUSTER, 'i-0abc')).toEqual({
      instanceId: 'i-0abc',
      name: 'demo-workers-0',
      pool: 'workers',
      role: 'worker',
      zone: 'eu-west-1a',
      instanceType: 'm7g.large',
      state: 'shutting-down',
      privateIp: '10.0.3.17',
      imageId: 'ami-0abc',
      launchedAt: '2025-03-04T05:06:07.000Z',
    });
    expect(inputs(DescribeInstancesCommand)).toEqual([
      {
        Filters: [
          { Name: 'tag:strata:cluster', Values: [CLUSTER] },
          { Name: 'instance-id', Values: ['i-0abc'] },
        ],
        NextToken: undefined,
      },
    ]);
    expect(inputs(TerminateInstancesCommand)).toEqual([{ InstanceIds: ['i-0abc'] }]);
  });

  it('leaves an instance already shutting down or terminated as it is, and answers its state', async () => {
    for (const state of ['shutting-down', 'terminated']) {
      ec2Mock.on(DescribeInstancesCommand).resolves(described(instance(state)));
      expect(await provider().terminateInstance(CLUSTER, 'i-0abc')).toMatchObject({ instanceId: 'i-0abc', state });
    }
    expect(ec2Mock.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it('an instance that is gone answers undefined: not described any more, or gone between the describe and the terminate', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves(described());
    expect(await provider().terminateInstance(CLUSTER, 'i-0abc')).toBeUndefined();
    expect(ec2Mock.commandCalls(TerminateInstancesCommand)).toHaveLength(0);

    ec2Mock.on(DescribeInstancesCommand).resolves(described(instance('running')));
    ec2Mock.on(TerminateInstancesCommand).rejects(ec2Error('InvalidInstanceID.NotFound', "The instance ID 'i-0abc' does not exist"));
    expect(await provider().terminateInstance(CLUSTER, 'i-0abc')).toBeUndefined();
  });

  it("refuses an instance of another cluster, even from an endpoint that ignores the tag filter, and never terminates it", async () => {
    // The first describe (with the cluster's filter) returns it anyway; the second, by id alone, too.
    ec2Mock.on(DescribeInstancesCommand).resolves(described(instance('running', 'c-other')));
    await expect(provider().terminateInstance(CLUSTER, 'i-0abc')).rejects.toMatchObject({
      name: 'CloudError',
      code: 'InstanceNotOwned',
      retryable: false,
      message: expect.stringContaining('i-0abc'),
    });
    expect(inputs(DescribeInstancesCommand).map((i) => i.Filters)).toEqual([
      [
        { Name: 'tag:strata:cluster', Values: [CLUSTER] },
        { Name: 'instance-id', Values: ['i-0abc'] },
      ],
      [{ Name: 'instance-id', Values: ['i-0abc'] }],
    ]);
    expect(ec2Mock.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it("termination protection is EC2's own refusal, which no retry fixes", async () => {
    const message = "The instance 'i-0abc' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.";
    ec2Mock.on(DescribeInstancesCommand).resolves(described(instance('running')));
    ec2Mock.on(TerminateInstancesCommand).rejects(ec2Error('OperationNotPermitted', message));
    await expect(provider().terminateInstance(CLUSTER, 'i-0abc')).rejects.toMatchObject({ code: 'OperationNotPermitted', message, retryable: false });
  });

  it('against the fake EC2: terminates only that node of the cluster', async () => {
    const w = world();
    const p = provider();
    const refs = await p.ensureInfrastructure(infraSpec());
    w.tick();
    const [a, b] = [await p.ensureInstance(nodeSpec(refs, 'worker', 0)), await p.ensureInstance(nodeSpec(refs, 'worker', 1))];
    expect(await p.terminateInstance(CLUSTER, a.instanceId)).toMatchObject({ instanceId: a.instanceId, state: 'shutting-down', imageId: 'ami-0abc' });
    expect(w.liveInstances().map((i) => [i.InstanceId, i.State?.Name])).toEqual([
      [a.instanceId, 'shutting-down'],
      [b.instanceId, 'pending'],
    ]);
  });
});

describe('ensureInfrastructure', () => {
  /** The three groups' ids, and their names for rule lines. */
  function groupIds(w: FakeAws) {
    const ids = { cp: w.groupNamed('demo-control-plane').GroupId, workers: w.groupNamed('demo-workers').GroupId, lb: w.groupNamed('demo-api-lb').GroupId };
    return { ...ids, names: { [ids.cp]: 'cp', [ids.workers]: 'workers', [ids.lb]: 'lb' } };
  }

  /** Ingress as authorized through the API, with group ids replaced by `cp`, `workers` and `lb`. */
  function authorized(w: FakeAws) {
    const { cp, workers, lb, names } = groupIds(w);
    const of = (groupId: string) =>
      inputs(AuthorizeSecurityGroupIngressCommand)
        .filter((i) => i.GroupId === groupId)
        .flatMap((i) => i.IpPermissions ?? []);
    const lines = (groupId: string) => {
      const perms = of(groupId);
      return perms.flatMap((p) => {
        const ports = `${p.IpProtocol} ${p.FromPort}-${p.ToPort}`;
        return [...(p.UserIdGroupPairs ?? []).map((g) => `${ports} <- ${names[g.GroupId!]}`), ...(p.IpRanges ?? []).map((r) => `${ports} <- ${r.CidrIp}`)];
      });
    };
    return { controlPlane: lines(cp).sort(), workers: lines(workers).sort(), apiLoadBalancer: lines(lb).sort() };
  }

  const overlay = ['udp 4789-4789', 'udp 8472-8472', 'tcp 179-179', 'tcp 10250-10250', 'tcp 5473-5473', 'tcp 9100-9100'].flatMap((p) => [`${p} <- cp`, `${p} <- workers`]);

  it('creates a tagged VPC with DNS hostnames, a public and a private subnet per zone and the three security groups', async () => {
    const w = world();

    const refs = await provider().ensureInfrastructure(infraSpec());

    expect(inputs(DescribeVpcsCommand)).toEqual([{ Filters: [{ Name: 'tag:strata:cluster', Values: [CLUSTER] }, { Name: 'tag:Name', Values: ['demo'] }] }]);
    expect(inputs(CreateVpcCommand)).toEqual([{ CidrBlock: '10.0.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: clusterTags('demo') }] }]);
    const vpcId = w.ec2.vpcs[0]!.VpcId!;
    expect(inputs(ModifyVpcAttributeCommand)).toEqual([{ VpcId: vpcId, EnableDnsHostnames: { Value: true } }]);
    expect(w.ec2.vpcAttributes.get(vpcId)).toEqual({ EnableDnsHostnames: true, EnableDnsSupport: true });
    const subnet = (name: string, zone: string, CidrBlock: string, role: 'elb' | 'internal-elb') => ({
      VpcId: vpcId,
      AvailabilityZone: zone,
      CidrBlock,
      TagSpecifications: [{ ResourceType: 'subnet', Tags: [...clusterTags(name), ...kubernetesTags(role)] }],
    });
    expect(inputs(CreateSubnetCommand)).toEqual([
      // Public subnets are /22 slots of 10.0.192.0/18, private (node) subnets /20 slots from 10.0.0.0.
      ...ZONES.map((z, i) => subnet(`demo-public-${z}`, z, `10.0.${192 + i * 4}.0/22`, 'elb')),
      ...ZONES.map((z, i) => subnet(`demo-${z}`, z, `10.0.${i * 16}.0/20`, 'internal-elb')),
    ]);
    expect(inputs(DescribeSecurityGroupsCommand)[0]!.Filters).toEqual([
      { Name: 'tag:strata:cluster', Values: [CLUSTER] },
      { Name: 'tag:Name', Values: ['demo-control-plane', 'demo-workers', 'demo-api-lb'] },
      { Name: 'vpc-id', Values: [vpcId] },
    ]);
    const group = (name: string, Description: string, nodes: boolean) => ({
      GroupName: name,
      Description,
      VpcId: vpcId,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [...clusterTags(name), ...(nodes ? kubernetesTags() : [])] }],
    });
    // The nodes' groups carry the cloud controller manager's cluster tag; the load balancer's does not.
    expect(inputs(CreateSecurityGroupCommand)).toEqual([
      group('demo-control-plane', 'Strata cluster demo: control plane', true),
      group('demo-workers', 'Strata cluster demo: workers', true),
      group('demo-api-lb', 'Strata cluster demo: Kubernetes API load balancer', false),
    ]);
    const subnetIds = (prefix: string) => Object.fromEntries(ZONES.map((z) => [z, byName(w.ec2.subnets, `${prefix}${z}`)!.SubnetId]));
    const lb = w.elb.loadBalancers[0]!;
    expect(refs).toEqual({
      networkId: vpcId,
      subnets: subnetIds('demo-'),
      publicSubnets: subnetIds('demo-public-'),
      networkManaged: true,
      natGatewayIds: [w.ec2.natGateways[0]!.NatGatewayId],
      nodePublicIp: false,
      controlPlaneSecurityGroupId: w.groupNamed('demo-control-plane').GroupId,
      workerSecurityGroupId: w.groupNamed('demo-workers').GroupId,
      loadBalancerId: lb.LoadBalancerArn,
      apiEndpoint: lb.DNSName,
      apiPort: 6443,
      nodeIdentity: ROLE_NAMES,
      // A new NAT gateway routes only once available: the step waits for it.
      pending: [`NAT gateway ${w.ec2.natGateways[0]!.NatGatewayId} is pending`],
    });
  });

  it('opens exactly the kubeadm ports, between the groups, the API through its load balancer, and nothing to the internet', async () => {
    const w = world();

    await provider().ensureInfrastructure(infraSpec());

    const rules = authorized(w);
    expect(rules.controlPlane).toEqual(
      ['tcp 6443-6443 <- workers', 'tcp 6443-6443 <- cp', 'tcp 6443-6443 <- lb', 'tcp 2379-2380 <- cp', ...overlay].sort(),
    );
    expect(rules.workers).toEqual(['tcp 30000-32767 <- 10.0.0.0/16', ...overlay].sort());
    expect(rules.apiLoadBalancer).toEqual(['tcp 6443-6443 <- cp', 'tcp 6443-6443 <- workers']);
    expect(Object.values(rules).flat().filter((r) => r.includes('0.0.0.0/0'))).toEqual([]);
    // Each group is settled in one call, and what EC2 holds is what was asked for.
    expect(inputs(AuthorizeSecurityGroupIngressCommand)).toHaveLength(3);
    const { cp, workers, lb, names } = groupIds(w);
    expect([w.ingress(cp, names), w.ingress(workers, names), w.ingress(lb, names)]).toEqual([rules.controlPlane, rules.workers, rules.apiLoadBalancer]);
  });

  it.each(['203.0.113.0/24', '0.0.0.0/0'])('opens an allowed network (%s) to the API port of the load balancer only', async (cidr) => {
    const w = world();

    await provider().ensureInfrastructure(infraSpec({ apiAllowedCidrs: [cidr], publicApi: true }));

    const rules = authorized(w);
    expect(Object.values(rules).flat().filter((r) => r.endsWith(`<- ${cidr}`))).toEqual([`tcp 6443-6443 <- ${cidr}`]);
    expect(rules.apiLoadBalancer).toContain(`tcp 6443-6443 <- ${cidr}`);
  });

  it('a second run finds everything by its tags and makes nothing', async () => {
    const w = world();
    const p = provider();
    const spec = infraSpec({ apiAllowedCidrs: ['203.0.113.0/24'], publicApi: true });
    const first = await p.ensureInfrastructure(spec);
    w.tick();
    const before = w.snapshot();
    resetHistory();

    const second = await p.ensureInfrastructure(spec);

    // The same, but for the NAT gateway, available since.
    const { pending, ...made } = first;
    expect(pending).toEqual([expect.stringMatching(/^NAT gateway nat-\w+ is pending$/)]);
    expect(second).toEqual(made);
    expect(w.snapshot()).toEqual(before);
    // A settled pass reads and changes nothing: role policies and target group attributes are compared first.
    expect(writes()).toEqual([]);
    expect(w.ec2.vpcs).toHaveLength(1);
    expect(w.ec2.subnets).toHaveLength(6);
    expect(w.ec2.groups.filter((g) => g.GroupName !== 'default')).toHaveLength(3);
    expect(w.elb.targetGroups).toHaveLength(1);
  });

  it('follows a change of allowed networks on the load balancer group: adds the new, revokes the dropped, leaves the rest', async () => {
    const w = world();
    const p = provider();
    await p.ensureInfrastructure(infraSpec({ apiAllowedCidrs: ['203.0.113.0/24'] }));
    const { lb, names } = groupIds(w);
    resetHistory();

    await p.ensureInfrastructure(infraSpec({ apiAllowedCidrs: ['198.51.100.0/24'] }));

    expect(inputs(AuthorizeSecurityGroupIngressCommand)).toEqual([
      {
        GroupId: lb,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 6443, ToPort: 6443, IpRanges: [{ CidrIp: '198.51.100.0/24', Description: 'Kubernetes API from an allowed network' }] }],
      },
    ]);
    expect(inputs(RevokeSecurityGroupIngressCommand)).toEqual([
      { GroupId: lb, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 6443, ToPort: 6443, IpRanges: [{ CidrIp: '203.0.113.0/24' }] }] },
    ]);
    expect(w.ingress(lb, names)).toEqual(['tcp 6443-6443 <- 198.51.100.0/24', 'tcp 6443-6443 <- cp', 'tcp 6443-6443 <- workers']);
  });

  it('leaves rules an in-cluster controller added to the groups', async () => {
    const w = world();
    const p = provider();
    await p.ensureInfrastructure(infraSpec({ apiAllowedCidrs: ['203.0.113.0/24'] }));
    const { workers, lb } = groupIds(w);
    // A load-balancer controller opens a NodePort to its load balancer's network; someone adds a CIDR on another port.
    w.groupNamed('demo-workers').rules.push({ IpProtocol: 'tcp', FromPort: 31080, ToPort: 31080, source: '192.0.2.0/24' });
    w.groupNamed('demo-api-lb').rules.push({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, source: '192.0.2.0/24' });
    resetHistory();

    await p.ensureInfrastructure(infraSpec({ apiAllowedCidrs: [] }));

    expect(inputs(RevokeSecurityGroupIngressCommand)).toEqual([
      { GroupId: lb, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 6443, ToPort: 6443, IpRanges: [{ CidrIp: '203.0.113.0/24' }] }] },
    ]);
    expect(w.ingress(workers)).toContain('tcp 31080-31080 <- 192.0.2.0/24');
    expect(w.ingress(lb)).toContain('tcp 443-443 <- 192.0.2.0/24');
  });

  it("a new zone's subnets take free CIDRs, join the zone's route tables, and the existing ones stay", async () => {
    const w = world();
    const p = provider();
    await p.ensureInfrastructure(infraSpec({ zones: ['eu-west-1a', 'eu-west-1b'] }));
    resetHistory();

    const refs = await p.ensureInfrastructure(infraSpec({ zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] }));

    expect(inputs(CreateSubnetCommand)).toEqual([
      expect.objectContaining({ AvailabilityZone: 'eu-west-1c', CidrBlock: '10.0.200.0/22' }),
      expect.objectContaining({ AvailabilityZone: 'eu-west-1c', CidrBlock: '10.0.32.0/20' }),
    ]);
    expect(Object.keys(refs.subnets).sort()).toEqual(ZONES);
    const associated = (tableName: string) => byName(w.ec2.routeTables, tableName)!.Associations!.map((a) => a.SubnetId);
    expect(associated('demo-public')).toContain(refs.publicSubnets!['eu-west-1c']);
    expect(associated('demo-private')).toContain(refs.subnets['eu-west-1c']);
    expect(writes().filter((c) => /Nat|Address|Vpc|InternetGateway/.test(c))).toEqual([]);
  });

  it('a new zone listed first takes the first free CIDRs, never one in use', async () => {
    const w = world();
    const p = provider();
    await p.ensureInfrastructure(infraSpec({ zones: ['eu-west-1a', 'eu-west-1b'] }));
    resetHistory();

    // The new zone comes first: its own slot (0) is eu-west-1a's, so it gets the first free one.
    await p.ensureInfrastructure(infraSpec({ zones: ['eu-west-1c', 'eu-west-1a', 'eu-west-1b'] }));

    expect(inputs(CreateSubnetCommand)).toEqual([
      expect.objectContaining({ AvailabilityZone: 'eu-west-1c', CidrBlock: '10.0.200.0/22' }),
      expect.objectContaining({ AvailabilityZone: 'eu-west-1c', CidrBlock: '10.0.32.0/20' }),
    ]);
    expect(new Set(w.ec2.subnets.map((s) => s.CidrBlock)).size).toBe(6);
  });

  it('with a single NAT gateway, a change in the order of zones makes no second one', async () => {
    const w = world();
    const p = provider();
    await p.ensureInfrastructure(infraSpec({ zones: ['eu-west-1a', 'eu-west-1b'] }));
    w.tick();
    const nat = w.liveNatGateways()[0]!.NatGatewayId;
    resetHistory();

    await p.ensureInfrastructure(infraSpec({ zones: ['eu-west-1c', 'eu-west-1a', 'eu-west-1b'] }));

    expect(inputs(CreateNatGatewayCommand)).toEqual([]);
    expect(inputs(AllocateAddressCommand)).toEqual([]);
    expect(w.liveNatGateways().map((n) => n.NatGatewayId)).toEqual([nat]);
    expect(w.defaultRoute('demo-private')).toMatchObject({ NatGatewayId: nat, State: 'active' });
  });

  it('a retry after a lost CreateVpc answer still switches DNS hostnames on', async () => {
    const w = world();
    const p = provider();
    w.once('CreateVpc', (_input, proceed) => {
      proceed();
      throw lostAnswer();
    });

    await expect(p.ensureInfrastructure(infraSpec())).rejects.toMatchObject({ code: 'TimeoutError', retryable: true });
    await p.ensureInfrastructure(infraSpec());

    expect(w.ec2.vpcs).toHaveLength(1);
    expect(w.ec2.vpcAttributes.get(w.ec2.vpcs[0]!.VpcId!)!.EnableDnsHostnames).toBe(true);
  });

  it('treats a rule added concurrently (InvalidPermission.Duplicate) as success and adds the rest one by one', async () => {
    const w = world();
    const p = provider();
    await p.ensureInfrastructure(infraSpec());
    const lb = w.groupNamed('demo-api-lb');
    // Another attempt added one of the two new rules between our describe and our authorize.
    w.once('AuthorizeSecurityGroupIngress', (_input, proceed) => {
      lb.rules.push({ IpProtocol: 'tcp', FromPort: 6443, ToPort: 6443, source: '203.0.113.0/24' });
      return proceed();
    });
    resetHistory();

    await expect(p.ensureInfrastructure(infraSpec({ apiAllowedCidrs: ['203.0.113.0/24', '198.51.100.0/24'] }))).resolves.toBeDefined();

    expect(w.ingress(lb.GroupId).filter((l) => /<- \d/.test(l))).toEqual(['tcp 6443-6443 <- 198.51.100.0/24', 'tcp 6443-6443 <- 203.0.113.0/24']);
    // The batch failed as a whole, then each rule went alone: 203.0.113.0/24 as a tolerated duplicate.
    const lines = (i: { IpPermissions?: any[] }) =>
      (i.IpPermissions ?? []).flatMap((perm) => (perm.IpRanges ?? []).map((r: any) => `${perm.IpProtocol} ${perm.FromPort}-${perm.ToPort} <- ${r.CidrIp}`)).sort();
    expect(inputs(AuthorizeSecurityGroupIngressCommand).map(lines)).toEqual([
      ['tcp 6443-6443 <- 198.51.100.0/24', 'tcp 6443-6443 <- 203.0.113.0/24'],
      ['tcp 6443-6443 <- 203.0.113.0/24'],
      ['tcp 6443-6443 <- 198.51.100.0/24'],
    ]);
  });

  it('uses the security group a concurrent attempt created (InvalidGroup.Duplicate)', async () => {
    const w = world();
    w.once('CreateSecurityGroup', (input, proceed) => {
      w.ec2.groups.push({ GroupId: 'sg-raced', GroupName: input.GroupName, Description: input.Description, VpcId: input.VpcId, Tags: input.TagSpecifications[0].Tags, rules: [] });
      return proceed();
    });

    const refs = await provider().ensureInfrastructure(infraSpec());

    expect(refs.controlPlaneSecurityGroupId).toBe('sg-raced');
    expect(w.ec2.groups.filter((g) => g.GroupName !== 'default')).toHaveLength(3);
    expect(w.ingress('sg-raced')).toContain('tcp 2379-2380 <- sg-raced');
  });

  it('refuses a cluster of no zone, or of more zones than the network has slots, before making anything', async () => {
    world();
    await expect(provider().ensureInfrastructure(infraSpec({ zones: [] }))).rejects.toMatchObject({ code: 'InvalidParameterValue', retryable: false });
    const many = Array.from({ length: 13 }, (_, i) => `eu-west-1${String.fromCharCode(97 + i)}`);
    await expect(provider().ensureInfrastructure(infraSpec({ zones: many }))).rejects.toMatchObject({ code: 'InvalidParameterValue', retryable: false });
    expect(writes()).toEqual([]);
  });
});

describe('ensureInfrastructure: node egress', () => {
  it('routes the public subnets through an internet gateway attached to the VPC', async () => {
    const w = world();

    const refs = await provider().ensureInfrastructure(infraSpec());

    expect(inputs(CreateInternetGatewayCommand)).toEqual([{ TagSpecifications: [{ ResourceType: 'internet-gateway', Tags: clusterTags('demo-igw') }] }]);
    const igw = w.ec2.internetGateways[0]!;
    expect(inputs(AttachInternetGatewayCommand)).toEqual([{ InternetGatewayId: igw.InternetGatewayId, VpcId: refs.networkId }]);
    const publicTable = byName(w.ec2.routeTables, 'demo-public')!;
    expect(publicTable.Tags).toEqual(clusterTags('demo-public'));
    expect(w.defaultRoute('demo-public')).toMatchObject({ GatewayId: igw.InternetGatewayId, State: 'active' });
    expect(publicTable.Associations!.map((a) => a.SubnetId).sort()).toEqual(Object.values(refs.publicSubnets!).sort());
  });

  it("'single': one NAT gateway with its Elastic IP in the first zone, and one private route table for every private subnet", async () => {
    const w = world();

    const refs = await provider().ensureInfrastructure(infraSpec({ network: { nodeEgress: 'natGateway', natGateways: 'single' } }));

    const eip = w.ec2.addresses[0]!;
    expect(w.ec2.addresses).toHaveLength(1);
    expect(inputs(AllocateAddressCommand)).toEqual([{ Domain: 'vpc', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: clusterTags('demo-nat') }] }]);
    expect(inputs(CreateNatGatewayCommand)).toEqual([
      {
        SubnetId: refs.publicSubnets!['eu-west-1a'],
        AllocationId: eip.AllocationId,
        ConnectivityType: 'public',
        // The name of a single gateway does not follow its zone; the token counts failed gateways (none).
        ClientToken: `${CLUSTER}-demo-nat-0`,
        TagSpecifications: [{ ResourceType: 'natgateway', Tags: clusterTags('demo-nat') }],
      },
    ]);
    const nat = w.ec2.natGateways[0]!.NatGatewayId;
    expect(refs.natGatewayIds).toEqual([nat]);
    const privateTables = w.ec2.routeTables.filter((t) => t.Tags?.some((x) => x.Key === 'Name' && x.Value!.startsWith('demo-private')));
    expect(privateTables).toHaveLength(1);
    expect(privateTables[0]!.Associations!.map((a) => a.SubnetId).sort()).toEqual(Object.values(refs.subnets).sort());
    expect(w.defaultRoute('demo-private')).toMatchObject({ NatGatewayId: nat, State: 'active' });
  });

  it("'perZone': a NAT gateway, an Elastic IP and a private route table per zone, each zone routed through its own", async () => {
    const w = world();

    const refs = await provider().ensureInfrastructure(infraSpec({ network: { nodeEgress: 'natGateway', natGateways: 'perZone' } }));

    expect(w.ec2.addresses).toHaveLength(3);
    expect(inputs(CreateNatGatewayCommand).map((i) => [i.SubnetId, i.ClientToken])).toEqual(ZONES.map((z) => [refs.publicSubnets![z], `${CLUSTER}-demo-nat-${z}-0`]));
    expect(new Set(inputs(CreateNatGatewayCommand).map((i) => i.AllocationId)).size).toBe(3);
    expect(refs.natGatewayIds).toHaveLength(3);
    for (const zone of ZONES) {
      const nat = w.ec2.natGateways.find((n) => n.SubnetId === refs.publicSubnets![zone])!;
      expect(byName(w.ec2.routeTables, `demo-private-${zone}`)!.Associations!.map((a) => a.SubnetId)).toEqual([refs.subnets[zone]]);
      expect(w.defaultRoute(`demo-private-${zone}`)).toMatchObject({ NatGatewayId: nat.NatGatewayId, State: 'active' });
    }
    expect(byName(w.ec2.routeTables, 'demo-private')).toBeUndefined();
  });

  it("'publicIp': nodes in the public subnets with their own address, no NAT gateway and no private subnet", async () => {
    const w = world();

    const refs = await provider().ensureInfrastructure(infraSpec({ network: { nodeEgress: 'publicIp', natGateways: 'single' } }));

    expect(inputs(CreateNatGatewayCommand)).toEqual([]);
    expect(inputs(AllocateAddressCommand)).toEqual([]);
    expect(inputs(CreateSubnetCommand).map((i) => i.CidrBlock)).toEqual(['10.0.192.0/22', '10.0.196.0/22', '10.0.200.0/22']);
    expect(refs).toMatchObject({ nodePublicIp: true, natGatewayIds: [], networkManaged: true });
    expect(refs.subnets).toEqual(refs.publicSubnets);
    expect(w.ec2.routeTables.filter((t) => t.Tags?.length)).toHaveLength(1);
    // The (internal) API load balancer lives where the nodes do.
    expect(inputs(CreateLoadBalancerCommand)[0]).toMatchObject({ Scheme: 'internal', Subnets: Object.values(refs.publicSubnets!) });
  });

  it('a NAT gateway whose CreateNatGateway answer was lost is not made twice: the retry carries the same client token', async () => {
    const w = world();
    const p = provider();
    w.once('CreateNatGateway', (_input, proceed) => {
      proceed();
      throw lostAnswer();
    });

    await expect(p.ensureInfrastructure(infraSpec())).rejects.toMatchObject({ code: 'TimeoutError', retryable: true });
    // EC2 is eventually consistent: the retry's describe does not show the new NAT gateway yet.
    w.once('DescribeNatGateways', () => ({ NatGateways: [] }));
    const refs = await p.ensureInfrastructure(infraSpec());

    const creates = inputs(CreateNatGatewayCommand);
    expect(creates).toHaveLength(2);
    expect(creates[1]).toEqual(creates[0]);
    expect(creates[0]!.ClientToken).toBe(`${CLUSTER}-demo-nat-0`);
    expect(w.ec2.natGateways).toHaveLength(1);
    expect(w.ec2.addresses).toHaveLength(1);
    expect(refs.natGatewayIds).toEqual([w.ec2.natGateways[0]!.NatGatewayId]);
  });

  it('a NAT gateway that failed is replaced, and the private subnets route through a working one', async () => {
    const w = world();
    const p = provider();
    await p.ensureInfrastructure(infraSpec());
    const failed = w.ec2.natGateways[0]!.NatGatewayId;
    w.ec2.natFailures.set(failed, ['InternalError', `Network interface eni-0, created and used internally by this NAT gateway is in an invalid state. Please try again.`]);
    w.tick();
    expect(w.defaultRoute('demo-private')).toMatchObject({ NatGatewayId: failed, State: 'blackhole' });

    const refs = await p.ensureInfrastructure(infraSpec());

    expect(refs.natGatewayIds).not.toContain(failed);
    expect(w.liveNatGateways()).toHaveLength(1);
    w.tick();
    expect(w.defaultRoute('demo-private')).toMatchObject({ NatGatewayId: w.liveNatGateways()[0]!.NatGatewayId, State: 'active' });
  });
});

describe('ensureInfrastructure: a network the cluster brings', () => {
  /** The customer's VPC, untagged: public subnets through an internet gateway, private ones through their own NAT gateway. */
  function customerNetwork(w: FakeAws) {
    const api = w.api;
    const vpcId = api.CreateVpc({ CidrBlock: '172.31.0.0/16' }).Vpc.VpcId as string;
    const igwId = api.CreateInternetGateway({}).InternetGateway.InternetGatewayId as string;
    api.AttachInternetGateway({ InternetGatewayId: igwId, VpcId: vpcId });
    const subnets = (cidr: (i: number) => string) =>
      Object.fromEntries(ZONES.map((zone, i) => [zone, api.CreateSubnet({ VpcId: vpcId, AvailabilityZone: zone, CidrBlock: cidr(i) }).Subnet.SubnetId as string]));
    const publicSubnets = subnets((i) => `172.31.${100 + i}.0/24`);
    const privateSubnets = subnets((i) => `172.31.${i * 16}.0/20`);
    const table = (route: Record<string, string>, members: string[]) => {
      const id = api.CreateRouteTable({ VpcId: vpcId }).RouteTable.RouteTableId as string;
      if (Object.keys(route).length) api.CreateRoute({ RouteTableId: id, DestinationCidrBlock: '0.0.0.0/0', ...route });
      for (const SubnetId of members) api.AssociateRouteTable({ RouteTableId: id, SubnetId });
      return id;
    };
    const publicTable = table({ GatewayId: igwId }, Object.values(publicSubnets));
    const AllocationId = api.AllocateAddress({ Domain: 'vpc' }).AllocationId as string;
    const natId = api.CreateNatGateway({ SubnetId: publicSubnets['eu-west-1a'], AllocationId }).NatGateway.NatGatewayId as string;
    const privateTable = table({ NatGatewayId: natId }, Object.values(privateSubnets));
    const mainTable = w.ec2.routeTables.find((t) => t.VpcId === vpcId && t.Associations?.some((a) => a.Main))!.RouteTableId!;
    w.tick();
    return { vpcId, igwId, natId, publicSubnets, privateSubnets, publicTable, privateTable, mainTable };
  }

  const byoSpec = (net: ReturnType<typeof customerNetwork>, overrides: Partial<InfraSpec> = {}, loadBalancerSubnets?: Record<string, string>) =>
    infraSpec({
      network: { nodeEgress: 'natGateway', natGateways: 'single', existing: { networkId: net.vpcId, subnets: net.privateSubnets, ...(loadBalancerSubnets ? { loadBalancerSubnets } : {}) } },
      ...overrides,
    });

  const networkMaking = [
    'AllocateAddress',
    'AssociateRouteTable',
    'AttachInternetGateway',
    'CreateInternetGateway',
    'CreateNatGateway',
    'CreateRoute',
    'CreateRouteTable',
    'CreateSubnet',
    'CreateVpc',
    'ModifyVpcAttribute',
    'ReplaceRoute',
  ];

  it('makes only security groups, node identities and the load balancer in it', async () => {
    const w = world();
    const net = customerNetwork(w);

    const refs = await provider().ensureInfrastructure(byoSpec(net));

    expect(writes().filter((c) => networkMaking.includes(c))).toEqual([]);
    expect(refs).toMatchObject({ networkId: net.vpcId, subnets: net.privateSubnets, networkManaged: false, natGatewayIds: [], nodePublicIp: false });
    expect(refs).not.toHaveProperty('publicSubnets');
    expect(inputs(CreateSecurityGroupCommand).map((i) => [i.GroupName, i.VpcId])).toEqual([
      ['demo-control-plane', net.vpcId],
      ['demo-workers', net.vpcId],
      ['demo-api-lb', net.vpcId],
    ]);
    // NodePorts follow the network's own range.
    expect(w.ingress(refs.workerSecurityGroupId)).toContain('tcp 30000-32767 <- 172.31.0.0/16');
    expect(inputs(CreateLoadBalancerCommand)[0]).toMatchObject({ Scheme: 'internal', Subnets: Object.values(net.privateSubnets) });
  });

  it("refuses a node subnet whose route table has no default route, or only a blackhole, as SubnetHasNoRouteOut (not retryable)", async () => {
    const w = world();
    const net = customerNetwork(w);
    const isolated = net.privateSubnets['eu-west-1b']!;
    const assoc = w.ec2.routeTables.find((t) => t.RouteTableId === net.privateTable)!.Associations!.find((a) => a.SubnetId === isolated)!;
    w.api.DisassociateRouteTable({ AssociationId: assoc.RouteTableAssociationId });
    const bare = w.api.CreateRouteTable({ VpcId: net.vpcId }).RouteTable.RouteTableId;
    w.api.AssociateRouteTable({ RouteTableId: bare, SubnetId: isolated });

    const err = await provider().ensureInfrastructure(byoSpec(net)).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(CloudError);
    expect(err).toMatchObject({ code: 'SubnetHasNoRouteOut', retryable: false });
    expect((err as Error).message).toContain(isolated);
    expect(writes()).toEqual([]);

    // The customer's NAT gateway is deleted: its routes remain, as blackholes.
    w.api.DisassociateRouteTable({ AssociationId: w.ec2.routeTables.find((t) => t.RouteTableId === bare)!.Associations![0]!.RouteTableAssociationId });
    w.api.AssociateRouteTable({ RouteTableId: net.privateTable, SubnetId: isolated });
    w.api.DeleteNatGateway({ NatGatewayId: net.natId });
    w.tick();
    await expect(provider().ensureInfrastructure(byoSpec(net))).rejects.toMatchObject({ code: 'SubnetHasNoRouteOut', retryable: false });
  });

  it("a subnet without a route table of its own takes the VPC's main one", async () => {
    const w = world();
    const net = customerNetwork(w);
    const loose = net.privateSubnets['eu-west-1c']!;
    const assoc = w.ec2.routeTables.find((t) => t.RouteTableId === net.privateTable)!.Associations!.find((a) => a.SubnetId === loose)!;
    w.api.DisassociateRouteTable({ AssociationId: assoc.RouteTableAssociationId });

    // The main table has only the local route: no way out.
    await expect(provider().ensureInfrastructure(byoSpec(net))).rejects.toMatchObject({ code: 'SubnetHasNoRouteOut', message: expect.stringContaining(loose) });

    w.api.CreateRoute({ RouteTableId: net.mainTable, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: net.natId });
    await expect(provider().ensureInfrastructure(byoSpec(net))).resolves.toMatchObject({ subnets: net.privateSubnets });
  });

  it('a public API needs load balancer subnets routed to an internet gateway, and gets an internet-facing load balancer there', async () => {
    const w = world();
    const net = customerNetwork(w);

    // Subnets that reach out only through NAT cannot hold an internet-facing load balancer.
    const err = await provider()
      .ensureInfrastructure(byoSpec(net, { publicApi: true }, net.privateSubnets))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SubnetHasNoRouteOut', retryable: false });
    expect((err as Error).message).toContain('load balancer subnet');

    const refs = await provider().ensureInfrastructure(byoSpec(net, { publicApi: true }, net.publicSubnets));
    expect(refs.publicSubnets).toEqual(net.publicSubnets);
    expect(inputs(CreateLoadBalancerCommand)).toEqual([expect.objectContaining({ Scheme: 'internet-facing', Subnets: Object.values(net.publicSubnets) })]);
  });

  it('refuses a network that does not exist, or a subnet in another zone, not retryable', async () => {
    const w = world();
    const net = customerNetwork(w);

    await expect(
      provider().ensureInfrastructure(infraSpec({ network: { nodeEgress: 'natGateway', natGateways: 'single', existing: { networkId: 'vpc-0gone', subnets: net.privateSubnets } } })),
    ).rejects.toMatchObject({ code: 'InvalidVpcID.NotFound', retryable: false });
    const swapped = { ...net.privateSubnets, 'eu-west-1a': net.privateSubnets['eu-west-1b']! };
    await expect(
      provider().ensureInfrastructure(infraSpec({ network: { nodeEgress: 'natGateway', natGateways: 'single', existing: { networkId: net.vpcId, subnets: swapped } } })),
    ).rejects.toMatchObject({ code: 'InvalidParameterValue', retryable: false, message: expect.stringContaining('not eu-west-1a') });
    expect(writes()).toEqual([]);
  });

  it('deletion removes what Strata made in it and never the network itself', async () => {
    const w = world();
    const net = customerNetwork(w);
    const p = provider();
    const refs = await p.ensureInfrastructure(byoSpec(net));
    w.tick();
    const cp = await p.ensureInstance(nodeSpec(refs, 'controlPlane', 0));
    await p.registerApiTargets(CLUSTER, [cp.instanceId]);
    w.tick();
    const customer = () => ({
      vpcs: w.ec2.vpcs.map((v) => v.VpcId),
      subnets: w.ec2.subnets.map((s) => s.SubnetId),
      tables: w.ec2.routeTables.map((t) => [t.RouteTableId, t.Associations?.length]),
      igws: w.ec2.internetGateways.map((g) => [g.InternetGatewayId, g.Attachments?.length]),
      nats: w.liveNatGateways().map((n) => n.NatGatewayId),
      addresses: w.ec2.addresses.map((a) => a.AllocationId),
    });
    const before = customer();
    resetHistory();

    const passes = await deleteAll(p, w);

    expect(passes.at(-1)).toEqual({ remaining: 0, details: [] });
    expect(customer()).toEqual(before);
    const networkDeletes = ['DeleteVpc', 'DeleteSubnet', 'DeleteRouteTable', 'DisassociateRouteTable', 'DeleteInternetGateway', 'DetachInternetGateway', 'DeleteNatGateway', 'ReleaseAddress'];
    expect(writes().filter((c) => networkDeletes.includes(c))).toEqual([]);
    expect(w.ec2.groups.filter((g) => g.VpcId === net.vpcId).map((g) => g.GroupName)).toEqual(['default']);
    expect(w.elb.loadBalancers).toEqual([]);
    expect(w.elb.targetGroups).toEqual([]);
    expect([...w.iam.roles.keys()]).toEqual([]);
  });
});

describe('ensureInfrastructure: the API load balancer', () => {
  it('an internal network load balancer in the private subnets, in its own group, forwarding TCP 6443 to a target group that does not preserve client IPs', async () => {
    const w = world();

    const refs = await provider().ensureInfrastructure(infraSpec());

    const lbGroup = w.groupNamed('demo-api-lb').GroupId;
    const lbTags = [tag('strata:cluster', CLUSTER), tag('Name', 'demo-api')];
    expect(inputs(CreateLoadBalancerCommand)).toEqual([
      {
        Name: LB_NAME,
        Type: 'network',
        Scheme: 'internal',
        IpAddressType: 'ipv4',
        Subnets: ZONES.map((z) => refs.subnets[z]),
        SecurityGroups: [lbGroup],
        Tags: lbTags,
      },
    ]);
    expect(inputs(CreateTargetGroupCommand)).toEqual([
      {
        Name: LB_NAME,
        Protocol: 'TCP',
        Port: 6443,
        VpcId: refs.networkId,
        TargetType: 'instance',
        HealthCheckProtocol: 'TCP',
        HealthCheckPort: '6443',
        HealthCheckIntervalSeconds: 10,
        HealthyThresholdCount: 3,
        UnhealthyThresholdCount: 3,
        Tags: lbTags,
      },
    ]);
    const [lb] = w.elb.loadBalancers;
    const [tg] = w.elb.targetGroups;
    expect(tg!.attributes).toMatchObject({ 'preserve_client_ip.enabled': 'false', 'deregistration_delay.timeout_seconds': '30' });
    expect(inputs(CreateListenerCommand)).toEqual([
      { LoadBalancerArn: lb!.LoadBalancerArn, Protocol: 'TCP', Port: 6443, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg!.TargetGroupArn }] },
    ]);
    expect(refs).toMatchObject({ loadBalancerId: lb!.LoadBalancerArn, apiEndpoint: lb!.DNSName, apiPort: 6443 });
    expect(refs.apiEndpoint).toMatch(/^internal-/);
  });

  it('an internet-facing one in the public subnets when the API is public', async () => {
    const w = world();

    const refs = await provider().ensureInfrastructure(infraSpec({ publicApi: true, apiAllowedCidrs: ['203.0.113.0/24'] }));

    expect(inputs(CreateLoadBalancerCommand)).toEqual([
      expect.objectContaining({ Scheme: 'internet-facing', Subnets: ZONES.map((z) => refs.publicSubnets![z]), SecurityGroups: [w.groupNamed('demo-api-lb').GroupId] }),
    ]);
    expect(refs.apiEndpoint).not.toMatch(/^internal-/);
  });

  it("a public one admits the NAT gateways' addresses, which is what it sees of the nodes, and keeps them when the allowed networks change", async () => {
    const w = world();
    const p = provider();
    const spec = (apiAllowedCidrs: string[]) => infraSpec({ publicApi: true, apiAllowedCidrs, network: { nodeEgress: 'natGateway', natGateways: 'perZone' } });
    await p.ensureInfrastructure(spec(['203.0.113.0/24']));
    const lb = w.groupNamed('demo-api-lb').GroupId;
    const natRules = w.ec2.addresses.map((a) => `tcp 6443-6443 <- ${a.PublicIp}/32`).sort();
    expect(natRules).toHaveLength(3);
    expect(w.ingress(lb).filter((l) => l.endsWith('/32'))).toEqual(natRules);

    await p.ensureInfrastructure(spec([]));

    expect(w.ingress(lb).filter((l) => !l.includes('<- sg-'))).toEqual(natRules);
  });

  it("refuses a load balancer of that name without the cluster's tag, and leaves it alone", async () => {
    const w = world();
    const strangerVpc = w.api.CreateVpc({ CidrBlock: '192.168.0.0/16' }).Vpc.VpcId;
    const strangerSubnet = w.api.CreateSubnet({ VpcId: strangerVpc, AvailabilityZone: 'eu-west-1a', CidrBlock: '192.168.0.0/24' }).Subnet.SubnetId;
    w.api.CreateLoadBalancer({ Name: LB_NAME, Type: 'network', Scheme: 'internal', Subnets: [strangerSubnet], Tags: [tag('team', 'payments')] });
    const before = JSON.stringify(w.elb);

    const err = await provider().ensureInfrastructure(infraSpec()).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(CloudError);
    expect(err).toMatchObject({ code: 'ResourceNotOwned', retryable: false });
    expect((err as Error).message).toContain(LB_NAME);
    expect(inputs(DescribeTagsCommand)).toEqual([{ ResourceArns: [w.elb.loadBalancers[0]!.LoadBalancerArn] }]);
    expect(writes().filter((c) => /LoadBalancer|TargetGroup|Listener|Targets/.test(c))).toEqual([]);
    expect(JSON.stringify(w.elb)).toBe(before);
  });

  it('refuses to change the scheme of the load balancer it made (LoadBalancerSchemeFixed)', async () => {
    world();
    const p = provider();
    await p.ensureInfrastructure(infraSpec({ publicApi: false }));
    resetHistory();

    await expect(p.ensureInfrastructure(infraSpec({ publicApi: true }))).rejects.toMatchObject({ code: 'LoadBalancerSchemeFixed', retryable: false });
    expect(writes().filter((c) => /LoadBalancer|TargetGroup|Listener/.test(c))).toEqual([]);
  });

  it('puts control-plane instances behind it on 6443 and takes them out, registering twice changing nothing', async () => {
    const w = world();
    const p = provider();
    const refs = await p.ensureInfrastructure(infraSpec());
    w.tick();
    const a = await p.ensureInstance(nodeSpec(refs, 'controlPlane', 0));
    const b = await p.ensureInstance(nodeSpec(refs, 'controlPlane', 1));
    const tgArn = w.elb.targetGroups[0]!.TargetGroupArn;

    await p.registerApiTargets(CLUSTER, [a.instanceId, b.instanceId]);
    await p.registerApiTargets(CLUSTER, [a.instanceId]);
    await p.deregisterApiTargets(CLUSTER, [b.instanceId]);
    await p.registerApiTargets(CLUSTER, []);

    expect(inputs(RegisterTargetsCommand)).toEqual([
      { TargetGroupArn: tgArn, Targets: [{ Id: a.instanceId, Port: 6443 }, { Id: b.instanceId, Port: 6443 }] },
      { TargetGroupArn: tgArn, Targets: [{ Id: a.instanceId, Port: 6443 }] },
    ]);
    expect(inputs(DeregisterTargetsCommand)).toEqual([{ TargetGroupArn: tgArn, Targets: [{ Id: b.instanceId, Port: 6443 }] }]);
    w.tick();
    expect(w.elb.targetGroups[0]!.targets).toEqual([{ Id: a.instanceId, Port: 6443 }]);
    // Taking out an instance that is not (or no longer) behind it is done already.
    await expect(p.deregisterApiTargets(CLUSTER, [b.instanceId])).resolves.toBeUndefined();
  });

  it('registering before the target group exists is a retryable TargetGroupNotFound', async () => {
    world();
    await expect(provider().registerApiTargets(CLUSTER, ['i-1'])).rejects.toMatchObject({ code: 'TargetGroupNotFound', retryable: true });
    await expect(provider().deregisterApiTargets(CLUSTER, ['i-1'])).resolves.toBeUndefined();
  });

  it("apiEndpointStatus reports the load balancer's state and each target's health", async () => {
    const w = world();
    const p = provider();
    await expect(p.apiEndpointStatus(CLUSTER)).resolves.toBeUndefined();
    const refs = await p.ensureInfrastructure(infraSpec());
    w.tick();
    const nodes = [];
    for (const i of [0, 1, 2]) nodes.push(await p.ensureInstance(nodeSpec(refs, 'controlPlane', i)));
    w.tick();
    w.elb.loadBalancers[0]!.State = { Code: 'provisioning' };
    await p.registerApiTargets(
      CLUSTER,
      nodes.map((n) => n.instanceId),
    );

    expect(await p.apiEndpointStatus(CLUSTER)).toEqual({
      endpoint: refs.apiEndpoint,
      port: 6443,
      state: 'provisioning',
      targets: nodes.map((n) => ({ instanceId: n.instanceId, health: 'initial', reason: 'Target registration is in progress' })),
    });

    w.tick();
    w.elb.health[nodes[0]!.instanceId] = { State: 'healthy' };
    w.elb.health[nodes[1]!.instanceId] = { State: 'unhealthy', Reason: 'Target.FailedHealthChecks', Description: 'Health checks failed' };
    w.elb.health[nodes[2]!.instanceId] = { State: 'unhealthy.draining', Reason: 'Target.FailedHealthChecks' };
    expect(await p.apiEndpointStatus(CLUSTER)).toEqual({
      endpoint: refs.apiEndpoint,
      port: 6443,
      state: 'active',
      targets: [
        { instanceId: nodes[0]!.instanceId, health: 'healthy', reason: undefined },
        { instanceId: nodes[1]!.instanceId, health: 'unhealthy', reason: 'Health checks failed' },
        { instanceId: nodes[2]!.instanceId, health: 'unhealthy', reason: 'Target.FailedHealthChecks' },
      ],
    });

    await p.deregisterApiTargets(CLUSTER, [nodes[2]!.instanceId]);
    w.elb.loadBalancers[0]!.State = { Code: 'failed', Reason: 'capacity' };
    const status = await p.apiEndpointStatus(CLUSTER);
    expect(status!.state).toBe('failed');
    expect(status!.targets[2]).toEqual({ instanceId: nodes[2]!.instanceId, health: 'draining', reason: 'Target deregistration is in progress' });
  });

  it("a zone added later is enabled on the load balancer, so the control-plane nodes there take traffic", async () => {
    const w = world();
    const p = provider();
    await p.ensureInfrastructure(infraSpec({ zones: ['eu-west-1a', 'eu-west-1b'] }));
    const refs = await p.ensureInfrastructure(infraSpec({ zones: ZONES }));
    w.tick();
    const node = await p.ensureInstance(nodeSpec(refs, 'controlPlane', 2, 'eu-west-1c'));
    await p.registerApiTargets(CLUSTER, [node.instanceId]);
    w.tick();

    expect(w.elb.loadBalancers[0]!.AvailabilityZones!.map((z) => z.SubnetId)).toEqual(ZONES.map((z) => refs.subnets[z]));
    expect((await p.apiEndpointStatus(CLUSTER))!.targets).toEqual([{ instanceId: node.instanceId, health: 'initial', reason: 'Target registration is in progress' }]);
  });
});

describe('ensureInfrastructure: node identities', () => {
  const statementsOf = (doc: string) => JSON.parse(doc) as { Version: string; Statement: { Sid: string }[] };

  it('a role per node role under /strata/, trusted by EC2, tagged, with exactly its permissions inline, in an instance profile of its name', async () => {
    const w = world();

    const refs = await provider().ensureInfrastructure(infraSpec());

    expect(refs.nodeIdentity).toEqual(ROLE_NAMES);
    const roles = inputs(CreateRoleCommand);
    expect(roles.map((r) => [r.RoleName, r.Path, r.Tags])).toEqual([
      [ROLE_NAMES.controlPlane, '/strata/', [tag('strata:cluster', CLUSTER)]],
      [ROLE_NAMES.worker, '/strata/', [tag('strata:cluster', CLUSTER)]],
    ]);
    for (const r of roles) {
      expect(JSON.parse(r.AssumeRolePolicyDocument!)).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      });
    }
    const policies = inputs(PutRolePolicyCommand);
    expect(policies.map((i) => [i.RoleName, i.PolicyName])).toEqual([
      [ROLE_NAMES.controlPlane, 'strata-node'],
      [ROLE_NAMES.worker, 'strata-node'],
    ]);
    const roundTrip = (x: unknown) => JSON.parse(JSON.stringify(x));
    expect(statementsOf(policies[0]!.PolicyDocument!)).toEqual(roundTrip(policyDocument(PERMISSIONS.controlPlane.aws)));
    expect(statementsOf(policies[1]!.PolicyDocument!)).toEqual(roundTrip(policyDocument(PERMISSIONS.worker.aws)));
    expect(statementsOf(policies[1]!.PolicyDocument!).Statement.map((s) => s.Sid)).toContain('EbsCsiCreate');
    expect(statementsOf(policies[0]!.PolicyDocument!).Statement.map((s) => s.Sid)).not.toContain('EbsCsiCreate');
    for (const role of ['controlPlane', 'worker'] as const) {
      const name = ROLE_NAMES[role];
      const { profile } = w.iam.profiles.get(name)!;
      expect(profile).toMatchObject({ Path: '/strata/', Tags: [tag('strata:cluster', CLUSTER)] });
      expect(profile.Roles!.map((r) => r.RoleName)).toEqual([name]);
      expect([...w.iam.roles.get(name)!.policies.keys()]).toEqual(['strata-node']);
    }
  });

  it("follows the profile: a pack added later changes the workers' policy, nothing else is made again", async () => {
    const w = world();
    const p = provider();
    await p.ensureInfrastructure(infraSpec({ nodeIdentity: { permissions: nodePermissions('aws', []) } }));
    const sids = () => statementsOf(w.iam.roles.get(ROLE_NAMES.worker)!.policies.get('strata-node')!).Statement.map((s) => s.Sid);
    expect(sids()).toEqual(['DescribeSelf', 'PullFromEcr']);
    resetHistory();

    await p.ensureInfrastructure(infraSpec());

    expect(sids()).toEqual(PERMISSIONS.worker.aws.map((s) => s.Sid));
    // Only the workers' policy differs from the profile's now.
    expect(writes().filter((c) => /Role|InstanceProfile/.test(c))).toEqual(['PutRolePolicy']);
  });

  it('identities the cloud account names are used as they are, without a single IAM call', async () => {
    world();
    const p = provider();
    const existing = { controlPlane: 'acme-k8s-control-plane', worker: 'acme-k8s-nodes' };

    const refs = await p.ensureInfrastructure(infraSpec({ nodeIdentity: { existing, permissions: PERMISSIONS } }));

    expect(refs.nodeIdentity).toEqual(existing);
    expect(iamMock.calls()).toHaveLength(0);
  });

  it("refuses a role of that name without the cluster's tag; deletion removes only the tagged identities", async () => {
    const w = world();
    const p = provider();
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    w.api.CreateRole({ RoleName: ROLE_NAMES.worker, Path: '/', AssumeRolePolicyDocument: trust, Tags: [tag('team', 'platform')] });
    w.api.PutRolePolicy({ RoleName: ROLE_NAMES.worker, PolicyName: 'theirs', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }] }) });
    w.api.CreateInstanceProfile({ InstanceProfileName: ROLE_NAMES.worker });
    w.api.AddRoleToInstanceProfile({ InstanceProfileName: ROLE_NAMES.worker, RoleName: ROLE_NAMES.worker });

    const err = await p.ensureInfrastructure(infraSpec()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ResourceNotOwned', retryable: false });
    expect((err as Error).message).toContain(ROLE_NAMES.worker);
    expect(inputs(PutRolePolicyCommand).map((i) => i.RoleName)).toEqual([ROLE_NAMES.controlPlane]);
    resetHistory();

    await deleteAll(p, w);

    for (const command of [DeleteRoleCommand, DeleteRolePolicyCommand, DeleteInstanceProfileCommand, RemoveRoleFromInstanceProfileCommand] as any[]) {
      const names = inputs<any>(command).map((i) => i.RoleName ?? i.InstanceProfileName);
      expect(names).not.toContain(ROLE_NAMES.worker);
    }
    expect(inputs(DeleteRoleCommand)).toEqual([{ RoleName: ROLE_NAMES.controlPlane }]);
    expect([...w.iam.roles.keys()]).toEqual([ROLE_NAMES.worker]);
    expect([...w.iam.roles.get(ROLE_NAMES.worker)!.policies.keys()]).toEqual(['theirs']);
    expect(w.iam.profiles.get(ROLE_NAMES.worker)!.profile.Roles!.map((r) => r.RoleName)).toEqual([ROLE_NAMES.worker]);
  });
});

describe('deleteClusterResources', () => {
  /** A running cluster: infrastructure, a control-plane node behind the load balancer and a worker. */
  async function runningCluster(spec = infraSpec()) {
    const w = world();
    const p = provider();
    const refs = await p.ensureInfrastructure(spec);
    w.tick();
    const cp = await p.ensureInstance(nodeSpec(refs, 'controlPlane', 0));
    const worker = await p.ensureInstance(nodeSpec(refs, 'worker', 1));
    await p.registerApiTargets(CLUSTER, [cp.instanceId]);
    w.tick();
    resetHistory();
    return { w, p, refs, cp, worker };
  }

  const deletes = () => writes().filter((c) => /^(Delete|Detach|Disassociate|Release|Terminate|Deregister|Revoke|RemoveRole)/.test(c));

  it('takes the load balancer and the instances first, the network once they are gone, and a pass after the last finds nothing', async () => {
    const { w, p, refs, cp, worker } = await runningCluster();
    const vpc = refs.networkId;
    const nat = refs.natGatewayIds[0]!;
    const igw = w.ec2.internetGateways[0]!.InternetGatewayId!;
    const publicA = refs.publicSubnets!['eu-west-1a']!;

    const first = await p.deleteClusterResources(CLUSTER);
    expect(first).toEqual({
      remaining: 3,
      details: [`load balancer ${LB_NAME} is being deleted`, `instance ${cp.instanceId} (demo-cp-0) is terminating`, `instance ${worker.instanceId} (demo-workers-1) is terminating`],
    });
    // Targets out before the load balancer goes, then the instances; nothing of the network yet.
    expect(deletes()).toEqual(['DeleteLoadBalancer', 'DeregisterTargets', 'TerminateInstances']);
    expect(inputs(DeregisterTargetsCommand)).toEqual([{ TargetGroupArn: w.elb.targetGroups[0]!.TargetGroupArn, Targets: [{ Id: cp.instanceId, Port: 6443 }] }]);
    expect(inputs(TerminateInstancesCommand)).toEqual([{ InstanceIds: [cp.instanceId, worker.instanceId] }]);
    expect(inputs(DescribeInstancesCommand)[0]!.Filters).toContainEqual({ Name: 'tag:strata:cluster', Values: [CLUSTER] });
    resetHistory();

    const second = await p.deleteClusterResources(CLUSTER);
    expect(second.remaining).toBe(2);
    // Shutting-down instances need no second terminate; the target group goes once its load balancer has.
    expect(deletes()).toEqual(['DeleteTargetGroup', 'DeregisterTargets']);
    w.tick();
    resetHistory();

    const third = await p.deleteClusterResources(CLUSTER);
    const held = `The subnet '${publicA}' has dependencies and cannot be deleted.`;
    expect(third).toEqual({
      remaining: 4,
      details: [
        `NAT gateway ${nat} is being deleted`,
        `internet gateway ${igw}: Network ${vpc} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
        `subnet ${publicA} (eu-west-1a): ${held}`,
        `vpc ${vpc} waits for what is in it`,
      ],
    });
    expect(inputs(DeleteNatGatewayCommand)).toEqual([{ NatGatewayId: nat }]);
    // The Elastic IP stays while its NAT gateway holds it; the VPC is not even tried.
    expect(inputs(ReleaseAddressCommand)).toEqual([]);
    expect(inputs(DeleteVpcCommand)).toEqual([]);
    expect(inputs(DeleteRouteTableCommand)).toHaveLength(2);
    expect(inputs(DisassociateRouteTableCommand)).toHaveLength(6);
    expect(inputs(DeleteSecurityGroupCommand)).toHaveLength(3);
    expect(inputs(DeleteSubnetCommand)).toHaveLength(6);
    expect(inputs(DeleteRoleCommand).map((i) => i.RoleName)).toEqual([ROLE_NAMES.controlPlane, ROLE_NAMES.worker]);
    w.tick();
    resetHistory();

    const fourth = await p.deleteClusterResources(CLUSTER);
    expect(fourth).toEqual({ remaining: 0, details: [] });
    expect(deletes()).toEqual(['DeleteInternetGateway', 'DeleteSubnet', 'DeleteVpc', 'DetachInternetGateway', 'ReleaseAddress']);
    expect(inputs(DeleteSubnetCommand)).toEqual([{ SubnetId: publicA }]);
    expect([w.ec2.vpcs, w.ec2.subnets, w.ec2.groups, w.ec2.internetGateways, w.ec2.addresses, w.ec2.routeTables, w.elb.loadBalancers, w.elb.targetGroups]).toEqual([
      [],
      [],
      [],
      [],
      [],
      [],
      [],
      [],
    ]);
    expect([w.iam.roles.size, w.iam.profiles.size]).toEqual([0, 0]);
    resetHistory();

    const again = await p.deleteClusterResources(CLUSTER);
    expect(again).toEqual({ remaining: 0, details: [] });
    expect(writes()).toEqual([]);
  });

  it("reports what EC2 says still holds the subnets, the load balancer group and the internet gateway, and the next pass finishes", async () => {
    const w = world();
    const p = provider();
    const refs = await p.ensureInfrastructure(infraSpec({ publicApi: true }));
    w.tick();
    const lbGroup = w.groupNamed('demo-api-lb').GroupId;
    const igw = w.ec2.internetGateways[0]!.InternetGatewayId;

    const first = await p.deleteClusterResources(CLUSTER);

    // The deleted load balancer's interfaces linger in the public subnets with its group and public addresses.
    const subnetHeld = (zone: string) => {
      const id = refs.publicSubnets![zone];
      return `subnet ${id} (${zone}): The subnet '${id}' has dependencies and cannot be deleted.`;
    };
    expect(first).toEqual({
      remaining: 8,
      details: [
        `load balancer ${LB_NAME} is being deleted`,
        `NAT gateway ${refs.natGatewayIds[0]} is being deleted`,
        `internet gateway ${igw}: Network ${refs.networkId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
        `security group ${lbGroup} (demo-api-lb): resource ${lbGroup} has a dependent object`,
        ...ZONES.map(subnetHeld),
        `vpc ${refs.networkId} waits for what is in it`,
      ],
    });
    w.tick();
    resetHistory();

    await expect(p.deleteClusterResources(CLUSTER)).resolves.toEqual({ remaining: 0, details: [] });
    expect(inputs(DeleteVpcCommand)).toEqual([{ VpcId: refs.networkId }]);
    expect(w.ec2.vpcs).toEqual([]);
    resetHistory();

    await expect(p.deleteClusterResources(CLUSTER)).resolves.toEqual({ remaining: 0, details: [] });
    expect(writes()).toEqual([]);
  });

  it("an Elastic IP its NAT gateway still holds is left with EC2's own refusal (InvalidIPAddress.InUse) for a later pass", async () => {
    const w = world();
    const p = provider();
    await p.ensureInfrastructure(infraSpec());
    w.tick();
    const eip = w.ec2.addresses[0]!;
    // EC2 is eventually consistent: this pass's describe does not show the NAT gateway, which still holds its address.
    w.once('DescribeNatGateways', () => ({ NatGateways: [] }));

    const first = await p.deleteClusterResources(CLUSTER);

    expect(first.details).toContain(`Elastic IP ${eip.PublicIp}: Address ${eip.PublicIp} is in use.`);
    expect(w.ec2.addresses).toHaveLength(1);
    w.tick();
    const rest = await deleteAll(p, w);
    expect(rest.at(-1)).toEqual({ remaining: 0, details: [] });
    expect(w.ec2.addresses).toEqual([]);
  });

  it('reports what a dependency still holds and keeps the VPC for a later pass', async () => {
    const w = world();
    const p = provider();
    const refs = await p.ensureInfrastructure(infraSpec({ network: { nodeEgress: 'publicIp', natGateways: 'single' } }));
    const workers = refs.workerSecurityGroupId;
    const subnetB = refs.subnets['eu-west-1b']!;
    // A Service load balancer made in the cluster still has an interface with the workers group.
    w.ec2.enis.push({ NetworkInterfaceId: 'eni-0svc', VpcId: refs.networkId, SubnetId: subnetB, Groups: [workers], owner: 'k8s-service-lb' });
    await p.deleteClusterResources(CLUSTER);
    w.tick();
    resetHistory();

    const pass = await p.deleteClusterResources(CLUSTER);

    expect(pass).toEqual({
      remaining: 3,
      details: [
        `security group ${workers} (demo-workers): resource ${workers} has a dependent object`,
        `subnet ${subnetB} (eu-west-1b): The subnet '${subnetB}' has dependencies and cannot be deleted.`,
        `vpc ${refs.networkId} waits for what is in it`,
      ],
    });
    expect(inputs(DeleteVpcCommand)).toEqual([]);

    w.ec2.enis = w.ec2.enis.filter((e) => e.NetworkInterfaceId !== 'eni-0svc');
    await expect(p.deleteClusterResources(CLUSTER)).resolves.toEqual({ remaining: 0, details: [] });
  });

  it("never deletes what lacks the cluster's tag: an untagged subnet keeps the VPC, with EC2's own message, until its owner removes it", async () => {
    const w = world();
    const p = provider();
    const refs = await p.ensureInfrastructure(infraSpec({ network: { nodeEgress: 'publicIp', natGateways: 'single' } }));
    const theirs = w.api.CreateSubnet({ VpcId: refs.networkId, AvailabilityZone: 'eu-west-1a', CidrBlock: '10.0.128.0/20' }).Subnet.SubnetId;
    await p.deleteClusterResources(CLUSTER);
    w.tick();
    resetHistory();

    const pass = await p.deleteClusterResources(CLUSTER);

    expect(pass).toEqual({ remaining: 1, details: [`vpc ${refs.networkId}: The vpc '${refs.networkId}' has dependencies and cannot be deleted.`] });
    expect(inputs(DeleteSubnetCommand).map((i) => i.SubnetId)).toEqual(Object.values(refs.subnets));
    expect(w.ec2.subnets.map((s) => s.SubnetId)).toEqual([theirs]);

    w.api.DeleteSubnet({ SubnetId: theirs });
    await expect(p.deleteClusterResources(CLUSTER)).resolves.toEqual({ remaining: 0, details: [] });
    expect(w.ec2.vpcs).toEqual([]);
  });

  it("a stranger's load balancer of the cluster's name does not stop the deletion of what the cluster made", async () => {
    const w = world();
    const p = provider();
    const strangerVpc = w.api.CreateVpc({ CidrBlock: '192.168.0.0/16' }).Vpc.VpcId;
    const strangerSubnet = w.api.CreateSubnet({ VpcId: strangerVpc, AvailabilityZone: 'eu-west-1a', CidrBlock: '192.168.0.0/24' }).Subnet.SubnetId;
    w.api.CreateLoadBalancer({ Name: LB_NAME, Type: 'network', Scheme: 'internal', Subnets: [strangerSubnet], Tags: [tag('team', 'payments')] });
    await expect(p.ensureInfrastructure(infraSpec())).rejects.toMatchObject({ code: 'ResourceNotOwned' });

    const passes = await deleteAll(p, w);

    expect(passes.at(-1)).toEqual({ remaining: 0, details: [] });
    expect(w.ec2.vpcs.map((v) => v.VpcId)).toEqual([strangerVpc]);
    expect(w.elb.loadBalancers.map((lb) => lb.LoadBalancerName)).toEqual([LB_NAME]);
  });

  it('counts resources already gone (NotFound) as deleted', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({});
    ec2Mock.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [] });
    ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [{ AllocationId: 'eipalloc-gone', PublicIp: '198.18.0.9' }] });
    ec2Mock.on(ReleaseAddressCommand).rejects(ec2Error('InvalidAllocationID.NotFound', "The allocation ID 'eipalloc-gone' does not exist"));
    ec2Mock.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [{ InternetGatewayId: 'igw-gone', Attachments: [{ VpcId: 'vpc-gone', State: 'attached' }] }] });
    ec2Mock.on(DetachInternetGatewayCommand).rejects(ec2Error('InvalidInternetGatewayID.NotFound', "The internetGateway ID 'igw-gone' does not exist"));
    ec2Mock.on(DeleteInternetGatewayCommand).rejects(ec2Error('InvalidInternetGatewayID.NotFound', "The internetGateway ID 'igw-gone' does not exist"));
    ec2Mock
      .on(DescribeRouteTablesCommand)
      .resolves({ RouteTables: [{ RouteTableId: 'rtb-gone', Associations: [{ RouteTableAssociationId: 'rtbassoc-gone', SubnetId: 'subnet-gone', Main: false }] }] });
    ec2Mock.on(DisassociateRouteTableCommand).rejects(ec2Error('InvalidAssociationID.NotFound', "The association ID 'rtbassoc-gone' does not exist"));
    ec2Mock.on(DeleteRouteTableCommand).rejects(ec2Error('InvalidRouteTableID.NotFound', "The routeTable ID 'rtb-gone' does not exist"));
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-gone', GroupName: 'demo-workers' }] });
    ec2Mock.on(DeleteSecurityGroupCommand).rejects(ec2Error('InvalidGroup.NotFound', "The security group 'sg-gone' does not exist"));
    ec2Mock.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: 'subnet-gone' }] });
    ec2Mock.on(DeleteSubnetCommand).rejects(ec2Error('InvalidSubnetID.NotFound', "The subnet ID 'subnet-gone' does not exist"));
    ec2Mock.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-gone' }] });
    ec2Mock.on(DeleteVpcCommand).rejects(ec2Error('InvalidVpcID.NotFound', "The vpc ID 'vpc-gone' does not exist"));
    const tgArn = `arn:aws:elasticloadbalancing:${REGION}:123456789012:targetgroup/${LB_NAME}/0123`;
    elbMock.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ TargetGroupArn: tgArn, TargetGroupName: LB_NAME }] });
    elbMock.on(DescribeTagsCommand).resolves({ TagDescriptions: [{ ResourceArn: tgArn, Tags: [tag('strata:cluster', CLUSTER)] }] });
    elbMock.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
    // The account has no load balancer: the listing is empty and the API's by name is not found.
    elbMock.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [] });
    elbMock.on(DescribeLoadBalancersCommand, { Names: [LB_NAME] }).rejects(elbError('LoadBalancerNotFound', `Load balancers '[${LB_NAME}]' not found`));
    elbMock.on(DeleteTargetGroupCommand).rejects(elbError('TargetGroupNotFound', `Target groups '${tgArn}' not found`));
    const role = { RoleName: ROLE_NAMES.worker, Path: '/strata/', RoleId: 'AROA1', Arn: 'arn', CreateDate: new Date(0), Tags: [tag('strata:cluster', CLUSTER)] };
    iamMock.on(GetRoleCommand).rejects(iamError('NoSuchEntity', 'The role cannot be found.'));
    iamMock.on(GetRoleCommand, { RoleName: ROLE_NAMES.worker }).resolves({ Role: role });
    iamMock.on(GetInstanceProfileCommand).rejects(iamError('NoSuchEntity', 'Instance Profile cannot be found.'));
    iamMock.on(GetInstanceProfileCommand, { InstanceProfileName: ROLE_NAMES.worker }).resolves({
      InstanceProfile: { InstanceProfileName: ROLE_NAMES.worker, InstanceProfileId: 'AIPA1', Path: '/strata/', Arn: 'arn', CreateDate: new Date(0), Roles: [role], Tags: role.Tags },
    });
    const gone = iamError('NoSuchEntity', `The role with name ${ROLE_NAMES.worker} cannot be found.`);
    iamMock.on(RemoveRoleFromInstanceProfileCommand).rejects(gone);
    iamMock.on(DeleteInstanceProfileCommand).rejects(iamError('NoSuchEntity', `Instance Profile ${ROLE_NAMES.worker} cannot be found.`));
    iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['strata-node'] });
    iamMock.on(DeleteRolePolicyCommand).rejects(iamError('NoSuchEntity', 'The role policy with name strata-node cannot be found.'));
    iamMock.on(DeleteRoleCommand).rejects(gone);

    await expect(provider().deleteClusterResources(CLUSTER)).resolves.toEqual({ remaining: 0, details: [] });
    expect(writes()).toEqual([
      'DeleteInstanceProfile',
      'DeleteInternetGateway',
      'DeleteRole',
      'DeleteRolePolicy',
      'DeleteRouteTable',
      'DeleteSecurityGroup',
      'DeleteSubnet',
      'DeleteTargetGroup',
      'DeleteVpc',
      'DetachInternetGateway',
      'DisassociateRouteTable',
      'ReleaseAddress',
      'RemoveRoleFromInstanceProfile',
    ]);
  });
});
