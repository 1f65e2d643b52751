import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImagesCommand, DescribeInstanceAttributeCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type Moto } from '../moto.js';
import { awsInventory, countsOf, identityInventory } from '../aws-inventory.js';
import { eventually, startApi, type Api } from './harness.js';

/**
 * A cluster on the AWS path end to end: the local runtime's workflows call EC2, ELBv2, IAM and STS
 * on moto, a real AWS emulator, through the SDK's standard endpoint variables. No agent can run on
 * an emulated instance, so provisioning goes until the control plane waits for its agent.
 */
let api: Api;
let moto: Moto;
let ec2: EC2Client;
let elb: ElasticLoadBalancingV2Client;
let iam: IAMClient;
let profileId: string;
let accountId: string;
const ROLE = 'arn:aws:iam::123456789012:role/strata';

beforeAll(async () => {
  moto = await startMoto();
  for (const service of ['STS', 'EC2', 'ELASTIC_LOAD_BALANCING', 'ELASTIC_LOAD_BALANCING_V2', 'IAM']) process.env[`AWS_ENDPOINT_URL_${service}`] = moto.endpoint;
  api = await startApi({ workflowWaitMs: 50 });
  const client = { region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  ec2 = new EC2Client(client);
  elb = new ElasticLoadBalancingV2Client(client);
  iam = new IAMClient(client);

  // An OS pack whose image exists in the emulator's us-east-1, used as it is (it declares the Kubernetes it ships).
  const imageId = (await ec2.send(new DescribeImagesCommand({}))).Images![0]!.ImageId!;
  const registry = (await api.call('POST', '/v1/registries', { body: { name: 'team' } })).body.id;
  const os = await api.call('POST', `/v1/registries/${registry}/packs`, {
    body: { layer: 'os', name: 'team-ubuntu', version: '1.0.0', values: 'a: 1\n', os: { images: { aws: { 'us-east-1': imageId } }, skipK8sInstall: true, kubernetesVersion: '1.31.10', ansibleRoles: [] } },
  });
  expect(os.status).toBe(201);
  const layers = [{ registryId: registry, packId: os.body.id }, ...['pk-kubernetes-1-31-10', 'pk-calico-3-29-3', 'pk-aws-ebs-csi-1-44-0'].map((packId) => ({ registryId: 'public', packId }))];
  const profile = await api.call('POST', '/v1/profiles', { body: { name: 'on-aws', layers } });
  expect(profile.status).toBe(201);
  profileId = profile.body.id;
  accountId = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'aws', spec: { type: 'aws', roleArn: ROLE } } })).body.id;
}, 120_000);
afterAll(async () => {
  await api?.stop();
  await moto?.stop();
});

const conditionOf = async (id: string, type: string) => (await api.call('GET', `/v1/clusters/${id}/conditions`)).body.items.find((c: any) => c.type === type);

const inventory = async (id: string) => ({ ...(await awsInventory({ ec2, elb }, id)), ...(await identityInventory(iam, id)) });

describe('a cluster on AWS (moto)', () => {
  it('gets private nodes with NAT egress, an NLB endpoint with its control plane behind it, and is deleted without a trace', async () => {
    const made = await api.call('POST', '/v1/clusters', {
      body: {
        name: 'nlb',
        profileId,
        cloudAccountId: accountId,
        region: 'us-east-1',
        apiAccess: { public: false, allowedCidrs: ['203.0.113.0/24'] },
        nodePools: [
          { name: 'cp', role: 'controlPlane', count: 1, instanceType: 't3.medium', zones: ['us-east-1a'] },
          { name: 'workers', role: 'worker', count: 2, instanceType: 't3.medium', zones: ['us-east-1a', 'us-east-1b'] },
        ],
      },
    });
    expect(made.status).toBe(201);
    const id: string = made.body.id;
    expect(made.body.network).toEqual({ nodeEgress: 'natGateway' });

    // The control plane is launched and behind the load balancer; ControlPlaneReady waits for its agent.
    const waiting = await eventually(async () => {
      const c = await conditionOf(id, 'ControlPlaneReady');
      return c?.reason === 'WaitingForAgent' ? c : undefined;
    }, 'the control plane to wait for its agent', 60_000);
    expect(waiting.status).toBe('Unknown');
    expect(await conditionOf(id, 'ControlPlaneNodeAdded/nlb-cp-0')).toMatchObject({ status: 'True' });
    const cluster = (await api.call('GET', `/v1/clusters/${id}`)).body;
    expect(cluster.ready.status).toBe('Unknown');
    const infra = cluster.status.infrastructure;

    const inv = await inventory(id);
    expect(inv.instances).toHaveLength(1);
    const cp = inv.instances[0]!;
    const [lb] = inv.loadBalancers;
    expect(lb).toMatchObject({ Type: 'network', Scheme: 'internal', DNSName: infra.apiEndpoint });
    expect(cluster.status.apiEndpoint).toBe(lb!.DNSName);
    expect(infra).toMatchObject({ apiPort: 6443, loadBalancerId: lb!.LoadBalancerArn, networkManaged: true, nodePublicIp: false, natGatewayIds: [inv.nats[0]!.NatGatewayId] });
    const [tg] = (await elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lb!.LoadBalancerArn }))).TargetGroups!;
    const targets = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg!.TargetGroupArn }))).TargetHealthDescriptions!;
    expect(targets.map((t) => t.Target!.Id)).toEqual([cp.InstanceId]);
    expect(await conditionOf(id, 'ControlPlaneEndpointReady')).toMatchObject({
      status: 'True',
      message: `${lb!.DNSName}:6443: 1/1 control-plane target(s) healthy`,
    });
    expect(await conditionOf(id, 'InfrastructureCreated')).toMatchObject({ status: 'True', message: expect.stringContaining(`egress through ${inv.nats[0]!.NatGatewayId}`) });

    // The node is private, in a subnet whose default route is the NAT gateway, with its instance profile.
    expect(cp.PublicIpAddress).toBeUndefined();
    expect(Object.values(infra.subnets)).toContain(cp.SubnetId);
    const route = inv.tables.find((t) => t.Associations?.some((a) => a.SubnetId === cp.SubnetId))!.Routes!.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
    expect(route).toMatchObject({ NatGatewayId: inv.nats[0]!.NatGatewayId });
    expect(cp.IamInstanceProfile!.Arn).toMatch(new RegExp(`instance-profile/strata/${infra.nodeIdentity.controlPlane}$`));
    expect(inv.roles.map((r) => r.RoleName).sort()).toEqual([`strata-${id}-control-plane`, `strata-${id}-workers`]);

    // Its user data is one #cloud-config document; kubeadm's endpoint comes with the bundle it fetches.
    const userData = (await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: cp.InstanceId, Attribute: 'userData' }))).UserData!.Value!;
    expect(Buffer.from(userData, 'base64').toString('utf8')).toMatch(/^#cloud-config\n/);

    // Deletion removes everything it made, and a second pass finds nothing.
    expect((await api.call('DELETE', `/v1/clusters/${id}`)).status).toBe(202);
    await eventually(async () => ((await api.call('GET', `/v1/clusters/${id}`)).body.phase === 'Deleted' ? true : undefined), 'the cluster to be Deleted', 90_000, 200);
    expect(await conditionOf(id, 'InfrastructureDeleted')).toMatchObject({ status: 'True' });
    const left = await inventory(id);
    expect(countsOf(left)).toEqual({
      instances: 0,
      vpcs: 0,
      subnets: 0,
      igws: 0,
      nats: 0,
      eips: 0,
      tables: 0,
      groups: 0,
      loadBalancers: 0,
      roles: 0,
      profiles: 0,
    });
  }, 180_000);

  it('answers a CloudFormation template of the role Strata assumes, valid by cfn-lint', async () => {
    const account = (await api.call('GET', `/v1/cloudaccounts/${accountId}`)).body;
    const template = account.setupTemplate;
    const role = template.Resources.StrataProvisioningRole.Properties;
    expect(role.RoleName).toBe('strata');
    expect(role.AssumeRolePolicyDocument).toEqual(account.trustPolicy);
    const statements = role.Policies[0].PolicyDocument.Statement;
    expect(statements.find((s: any) => s.Sid === 'PassNodeRolesToEc2').Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
    expect(statements.flatMap((s: any) => s.Action)).toEqual(expect.arrayContaining(['ec2:CreateNatGateway', 'elasticloadbalancing:CreateLoadBalancer', 'iam:CreateInstanceProfile']));
    const file = join(mkdtempSync(join(tmpdir(), 'strata-cfn-')), 'setup.json');
    writeFileSync(file, JSON.stringify(template, null, 2));
    // cfn-lint exits non-zero on any error or warning.
    expect(() => execFileSync('cfn-lint', [file], { encoding: 'utf8' })).not.toThrow();
  });

  it('refuses what a load balancer or a network cannot become, naming the field', async () => {
    const body = (over: Record<string, unknown>) => ({
      name: 'refused',
      profileId,
      cloudAccountId: accountId,
      region: 'us-east-1',
      nodePools: [{ name: 'cp', role: 'controlPlane', count: 1, instanceType: 't3.medium', zones: ['us-east-1a'] }],
      ...over,
    });
    const missing = await api.call('POST', '/v1/clusters', { body: body({ network: { existing: { networkId: 'vpc-0abc', subnets: { 'us-east-1b': 'subnet-1' } } } }) });
    expect(missing.status).toBe(400);
    expect(missing.body.details.map((d: any) => d.path)).toEqual(['network.existing.subnets.us-east-1a']);
    const open = await api.call('POST', '/v1/clusters', { body: body({ apiAccess: { public: true, allowedCidrs: ['203.0.113.0/24'] }, network: { nodeEgress: 'publicIp' } }) });
    expect(open.status).toBe(400);
    expect(open.body.details.map((d: any) => d.path)).toEqual(['apiAccess.allowedCidrs']);
    const nat = await api.call('POST', '/v1/clusters', { body: body({ network: { natGateways: 'perZone', existing: { networkId: 'vpc-0abc', subnets: { 'us-east-1a': 'subnet-1' } } } }) });
    expect(nat.body.details.map((d: any) => d.path)).toEqual(['network.natGateways']);
  });
});
