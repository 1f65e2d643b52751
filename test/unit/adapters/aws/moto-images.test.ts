import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  type CreateImageCommandInput,
  type Tag,
} from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG_BAKE, TAG_CLUSTER, TAG_IMAGE_SIGNATURE, type BuilderSpec, type CopyImageSpec, type CreateImageSpec } from '../../../../core/cloud.js';
import { bakedImageName } from '../../../../core/images.js';
import { Ec2Provider } from '../../../../adapters/cloud/aws/ec2-provider.js';
import { startMoto, type Moto } from '../../../moto.js';

/**
 * A bake's cloud side against moto, one server for the file: builder, image, copy into a second
 * region, clean-up, read back with the emulator's own Describe calls. What moto does not check
 * (client tokens, pending images, a builder not yet stopped) is in images-mock.test.ts.
 */
const REGION = 'us-east-1';
const COPY_REGION = 'us-west-2';
const SIGNATURE = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const BAKE = 'img-0123456789abcdef01234567-a1';
const NAME = bakedImageName('ubuntu-k8s', SIGNATURE);

let moto: Moto;
let ec2: EC2Client;
let ec2West: EC2Client;
let ssm: SSMClient;
let provider: Ec2Provider;
let west: Ec2Provider;
/** Every EC2 command the providers sent, by region. */
const sent: Record<string, string[]> = { [REGION]: [], [COPY_REGION]: [] };
let baseImageId: string;
let subnetId: string;
let groupId: string;

/**
 * An EC2 client on moto that records its commands and drops CreateImage's snapshot tag
 * specification: moto raises NotImplementedError for it (EC2 takes it; images-mock.test.ts checks
 * that it is sent).
 */
function motoEc2(region: string): EC2Client {
  const client = new EC2Client({ region, endpoint: moto.endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent[region]!.push(context.commandName!);
      const input = args.input as CreateImageCommandInput;
      if (context.commandName === 'CreateImageCommand' && input.TagSpecifications) {
        const TagSpecifications = input.TagSpecifications.filter((t) => t.ResourceType !== 'snapshot');
        return next({ ...args, input: { ...input, TagSpecifications } as typeof args.input });
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordAndAdaptForMoto' },
  );
  return client;
}

function providerIn(region: string, client: EC2Client): Ec2Provider {
  const config = { region, endpoint: moto.endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } };
  return new Ec2Provider({
    ec2: client,
    elb: new ElasticLoadBalancingV2Client(config),
    classicElb: new ElasticLoadBalancingClient(config),
    iam: new IAMClient(config),
    ssm: new SSMClient(config),
    region,
  });
}

beforeAll(async () => {
  moto = await startMoto();
  ec2 = motoEc2(REGION);
  ec2West = motoEc2(COPY_REGION);
  ssm = new SSMClient({ region: REGION, endpoint: moto.endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });
  provider = providerIn(REGION, ec2);
  west = providerIn(COPY_REGION, ec2West);
  baseImageId = (await ec2.send(new DescribeImagesCommand({}))).Images![0]!.ImageId!;
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }))).Vpc!.VpcId!;
  subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.30.0.0/20', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
  groupId = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'builders', Description: 'builders' }))).GroupId!;
}, 60_000);
afterAll(() => moto?.stop());

const builderSpec = (): BuilderSpec => ({
  bakeId: BAKE,
  baseImageId,
  instanceType: 't3.medium',
  subnetId,
  securityGroupId: groupId,
  diskGiB: 30,
  userData: '#!/bin/bash\necho baking\npoweroff\n',
  idempotencyToken: `${BAKE}/builder`,
  publicIp: false,
});
const imageSpec: CreateImageSpec = {
  bakeId: BAKE,
  name: NAME,
  signature: SIGNATURE,
  description: 'Strata node image: Ubuntu 22.04, Kubernetes 1.31.4',
  tags: { 'strata:pack': 'ubuntu-k8s', 'strata:kubernetes': '1.31.4' },
};
const tagsOf = (tags: Tag[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]));
const builders = async () =>
  (await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${TAG_BAKE}`, Values: [BAKE] }] }))).Reservations!.flatMap((r) => r.Instances!);
const imageById = async (client: EC2Client, imageId: string) => (await client.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
const countSince = (region: string, from: number, command: string) => sent[region]!.slice(from).filter((c) => c === command).length;

describe('baking an image against moto', () => {
  it('launches, stops, images, copies and cleans up, every step idempotent', async () => {
    // The builder: launched once, found again by its tag (moto ignores client tokens).
    const launched = await provider.launchBuilder(builderSpec());
    const again = await provider.launchBuilder(builderSpec());
    expect(again.instanceId).toBe(launched.instanceId);
    const [builder, ...more] = await builders();
    expect(more).toEqual([]);
    expect(builder!.InstanceId).toBe(launched.instanceId);
    expect(builder!.ImageId).toBe(baseImageId);
    const tags = tagsOf(builder!.Tags);
    expect(tags).toMatchObject({ [TAG_BAKE]: BAKE, Name: `strata-builder-${BAKE}` });
    // Never a cluster's: deleting a cluster must not take a bake's builder.
    expect(Object.keys(tags).filter((k) => k === TAG_CLUSTER || k.startsWith('kubernetes.io/cluster/'))).toEqual([]);
    expect(builder!.MetadataOptions).toMatchObject({ HttpTokens: 'required' });
    const behavior = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: launched.instanceId, Attribute: 'instanceInitiatedShutdownBehavior' }));
    expect(behavior.InstanceInitiatedShutdownBehavior?.Value).toBe('stop');
    const volumes = (await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: `tag:${TAG_BAKE}`, Values: [BAKE] }] }))).Volumes!;
    expect(volumes.map((v) => v.Attachments?.[0]?.InstanceId)).toEqual([launched.instanceId]);
    expect(volumes[0]).toMatchObject({ Size: 30, VolumeType: 'gp3', Encrypted: true });
    expect(await provider.builderStatus(BAKE)).toMatchObject({ instanceId: launched.instanceId, state: 'running' });

    // As EC2 does, moto answers stopping; its instance is stopped at once. Stopping again changes nothing.
    expect(await provider.stopBuilder(BAKE)).toMatchObject({ instanceId: launched.instanceId, state: 'stopping' });
    expect(await provider.builderStatus(BAKE)).toMatchObject({ instanceId: launched.instanceId, state: 'stopped' });
    const stopCalls = sent[REGION]!.length;
    expect(await provider.stopBuilder(BAKE)).toMatchObject({ instanceId: launched.instanceId, state: 'stopped' });
    expect(countSince(REGION, stopCalls, 'StopInstancesCommand')).toBe(0);

    // The image: made once, found again by its name.
    const image = await provider.createImage(imageSpec);
    const fromCalls = sent[REGION]!.length;
    const image2 = await provider.createImage(imageSpec);
    expect(image2).toEqual(image);
    expect(countSince(REGION, fromCalls, 'CreateImageCommand')).toBe(0);
    expect(image).toMatchObject({ name: NAME, region: REGION, state: 'available', signature: SIGNATURE });
    const made = await imageById(ec2, image.imageId);
    expect(made!.Name).toBe(NAME);
    expect(tagsOf(made!.Tags)).toMatchObject({ [TAG_IMAGE_SIGNATURE]: SIGNATURE, [TAG_BAKE]: BAKE, Name: NAME, 'strata:pack': 'ubuntu-k8s', 'strata:kubernetes': '1.31.4' });
    expect((await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [NAME] }] }))).Images).toHaveLength(1);

    // Found by its signature in exactly one DescribeImages call.
    const before = sent[REGION]!.length;
    expect(await provider.findImage(SIGNATURE)).toEqual(image);
    expect(sent[REGION]!.slice(before)).toEqual(['DescribeImagesCommand']);
    expect(await provider.findImage('0'.repeat(64))).toBeUndefined();
    expect(await provider.describeImage(image.imageId)).toEqual(image);

    // Copied into a second region, where its signature finds it; a second copy is the first.
    const copySpec: CopyImageSpec = {
      sourceRegion: REGION,
      sourceImageId: image.imageId,
      name: NAME,
      signature: SIGNATURE,
      description: imageSpec.description,
      idempotencyToken: `${BAKE}/copy/${COPY_REGION}`,
    };
    expect(await west.findImage(SIGNATURE)).toBeUndefined();
    const copy = await west.copyImage(copySpec);
    expect(copy).toMatchObject({ name: NAME, region: COPY_REGION, signature: SIGNATURE });
    expect(copy.imageId).not.toBe(image.imageId);
    expect(await west.findImage(SIGNATURE)).toEqual(copy);
    expect(tagsOf((await imageById(ec2West, copy.imageId))!.Tags)).toMatchObject({ [TAG_IMAGE_SIGNATURE]: SIGNATURE });
    const westCalls = sent[COPY_REGION]!.length;
    expect(await west.copyImage(copySpec)).toEqual(copy);
    expect(countSince(COPY_REGION, westCalls, 'CopyImageCommand')).toBe(0);
    // The copy is the second region's alone: the first still has one image of the signature.
    expect(await provider.findImage(SIGNATURE)).toEqual(image);

    // The builder goes; a second time there is nothing left to terminate.
    expect(await provider.terminateBuilder(BAKE)).toMatchObject({ instanceId: launched.instanceId });
    expect((await builders()).map((i) => i.State!.Name)).toEqual(['terminated']);
    expect(await provider.builderStatus(BAKE)).toBeUndefined();
    const termCalls = sent[REGION]!.length;
    expect(await provider.terminateBuilder(BAKE)).toBeUndefined();
    expect(countSince(REGION, termCalls, 'TerminateInstancesCommand')).toBe(0);
    expect(await provider.stopBuilder(BAKE)).toBeUndefined();

    // Deleting the image deregisters it and deletes its snapshot; a second time is a no-op.
    const snapshots = made!.BlockDeviceMappings!.map((m) => m.Ebs!.SnapshotId!);
    expect(snapshots.length).toBeGreaterThan(0);
    await provider.deleteImage(image.imageId);
    expect(await provider.describeImage(image.imageId)).toBeUndefined();
    expect(await provider.findImage(SIGNATURE)).toBeUndefined();
    expect((await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [NAME] }] }))).Images).toEqual([]);
    const left = (await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots!.map((s) => s.SnapshotId);
    expect(left.filter((id) => snapshots.includes(id!))).toEqual([]);
    await expect(provider.deleteImage(image.imageId)).resolves.toBeUndefined();
    // The copy is its own image, in its own region.
    expect(await west.findImage(SIGNATURE)).toEqual(copy);
    await west.deleteImage(copy.imageId);
    expect(await west.findImage(SIGNATURE)).toBeUndefined();
  });

  it('refuses to make an image when the bake has no builder', async () => {
    await expect(provider.createImage({ ...imageSpec, bakeId: 'img-none-a1', name: 'strata-none-0000000000000000' })).rejects.toMatchObject({
      name: 'CloudError',
      code: 'BuilderNotFound',
      retryable: false,
    });
  });
});

describe('resolveImage with an SSM parameter against moto', () => {
  // moto ships the Amazon Linux public parameters (/aws/service/ami-amazon-linux-latest/...), whose
  // AMIs its EC2 knows, but not Canonical's (/aws/service/canonical/ubuntu/...); and it refuses a
  // PutParameter under /aws/ as AWS does. So: one real public parameter, and Canonical's path under
  // a prefix of our own, put here.
  it('reads a public parameter moto ships, then finds its AMI', async () => {
    const name = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64';
    const image = await provider.resolveImage(`resolve:ssm:${name}`);
    expect(image).toMatchObject({ region: REGION, copied: false });
    expect(image.imageId).toMatch(/^ami-/);
    expect((await imageById(ec2, image.imageId))!.Name).toMatch(/^al2023-ami-/);
  });

  it("reads a parameter shaped like Canonical's", async () => {
    const name = '/strata-test/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id';
    await ssm.send(new PutParameterCommand({ Name: name, Value: baseImageId, Type: 'String', DataType: 'aws:ec2:image' }));
    await expect(provider.resolveImage(`resolve:ssm:${name}`)).resolves.toEqual({ imageId: baseImageId, region: REGION, copied: false });
  });

  it('a missing parameter is ParameterNotFound, which no retry fixes', async () => {
    const name = '/aws/service/canonical/ubuntu/server/99.04/stable/current/amd64/hvm/ebs-gp2/ami-id';
    const err = await provider.resolveImage(`resolve:ssm:${name}`).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CloudError', code: 'ParameterNotFound', retryable: false });
    expect((err as Error).message).toContain(name);
  });
});
