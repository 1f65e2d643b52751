import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, DescribeImagesCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceSpec } from '../../../../core/cloud.js';
import { Ec2Provider } from '../../../../adapters/cloud/aws/ec2-provider.js';
import { startMoto, type Moto } from '../../../moto.js';

/**
 * Removing one node against moto: what the adapter terminates (and what it leaves) is read back
 * with the emulator's own DescribeInstances.
 */
const REGION = 'us-east-1';
let moto: Moto;
let ec2: EC2Client;
let provider: Ec2Provider;
let imageId: string;
let subnetId: string;
let groupId: string;

beforeAll(async () => {
  moto = await startMoto();
  const client = { region: REGION, endpoint: moto.endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } };
  ec2 = new EC2Client(client);
  provider = new Ec2Provider({
    ec2,
    elb: new ElasticLoadBalancingV2Client(client),
    classicElb: new ElasticLoadBalancingClient(client),
    iam: new IAMClient(client),
    region: REGION,
  });
  imageId = (await ec2.send(new DescribeImagesCommand({}))).Images![0]!.ImageId!;
  // A bare network is enough to launch into; the cluster's own is another test's concern.
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
  subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.20.0.0/20', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
  groupId = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'nodes', Description: 'nodes' }))).GroupId!;
}, 60_000);
afterAll(() => moto?.stop());

const node = (clusterId: string, name: string): InstanceSpec => ({
  clusterId,
  pool: 'workers',
  role: 'worker',
  name,
  zone: 'us-east-1a',
  subnetId,
  securityGroupId: groupId,
  instanceType: 't3.medium',
  imageId,
  diskGiB: 20,
  userData: '#cloud-config\n{}\n',
  idempotencyToken: `${clusterId}/${name}/1`,
  publicIp: false,
  identity: '',
});

const stateOf = async (instanceId: string) =>
  (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0]!.Instances![0]!.State!.Name;

describe('terminateInstance against moto', () => {
  it('terminates one node of the cluster, the others stay; the node tells its image and launch time', async () => {
    const started = Date.now();
    const a = await provider.ensureInstance(node('cl-moto-a', 'a-workers-0'));
    const b = await provider.ensureInstance(node('cl-moto-a', 'a-workers-1'));
    expect(a.imageId).toBe(imageId);
    expect(new Date(a.launchedAt!).toISOString()).toBe(a.launchedAt);
    expect(Date.parse(a.launchedAt!)).toBeGreaterThan(started - 60_000);

    // As EC2 does, moto answers shutting-down; its instance is terminated at once.
    const gone = await provider.terminateInstance('cl-moto-a', a.instanceId);
    expect(gone).toMatchObject({ instanceId: a.instanceId, name: 'a-workers-0', pool: 'workers', imageId, state: 'shutting-down' });
    expect(await stateOf(a.instanceId)).toBe('terminated');
    expect(await stateOf(b.instanceId)).toBe('running');
    expect((await provider.listInstances('cl-moto-a')).map((i) => i.instanceId)).not.toContain(a.instanceId);
  });

  it('is idempotent: a node already terminated answers its state, one that never existed undefined', async () => {
    const a = await provider.ensureInstance(node('cl-moto-b', 'b-workers-0'));
    const first = await provider.terminateInstance('cl-moto-b', a.instanceId);
    const again = await provider.terminateInstance('cl-moto-b', a.instanceId);
    expect(first).toMatchObject({ state: 'shutting-down' });
    expect(again).toEqual({ ...first, state: 'terminated' });
    expect(await provider.terminateInstance('cl-moto-b', 'i-0123456789abcdef0')).toBeUndefined();
  });

  it("refuses an instance of another cluster, or of no cluster, and leaves it running", async () => {
    const theirs = await provider.ensureInstance(node('cl-moto-other', 'other-workers-0'));
    const untagged = (await ec2.send(new RunInstancesCommand({ ImageId: imageId, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: subnetId })))
      .Instances![0]!.InstanceId!;

    for (const id of [theirs.instanceId, untagged]) {
      await expect(provider.terminateInstance('cl-moto-c', id)).rejects.toMatchObject({ name: 'CloudError', code: 'InstanceNotOwned', retryable: false });
      expect(await stateOf(id)).toBe('running');
    }
  });
});
