import {
  CopyImageCommand,
  CreateImageCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type Image,
  type Instance,
} from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { TAG_BAKE, TAG_IMAGE_SIGNATURE, type BuilderSpec, type CopyImageSpec, type CreateImageSpec } from '../../../../core/cloud.js';
import { Ec2Provider } from '../../../../adapters/cloud/aws/ec2-provider.js';
import { ec2Error } from './fake-aws.js';

/**
 * Node-image baking against mocked EC2 and SSM, for what moto-images.test.ts cannot check because
 * moto does not behave as EC2 does there: moto ignores client tokens (so CopyImage's and
 * RunInstances' must be seen in the request), makes every image available at once (so a pending
 * one is mocked), raises NotImplementedError for CreateImage's snapshot tag specification, stops an
 * instance at once (so a builder still running when the image is asked for is mocked), and never
 * answers IncorrectInstanceState, DependencyViolation, InvalidSnapshot.InUse, a race on an AMI
 * name or a parameter-not-found without text as EC2 and SSM do.
 */
const ec2Mock = mockClient(EC2Client);
const ssmMock = mockClient(SSMClient);
afterAll(() => {
  ec2Mock.restore();
  ssmMock.restore();
});
beforeEach(() => {
  ec2Mock.reset();
  ssmMock.reset();
});

const REGION = 'eu-west-1';
const SIGNATURE = 'f'.repeat(64);
const BAKE = 'img-00112233445566778899aabb-a2';
const NAME = `strata-ubuntu-k8s-${SIGNATURE.slice(0, 16)}`;

const provider = () =>
  new Ec2Provider({
    ec2: new EC2Client({ region: REGION }),
    elb: new ElasticLoadBalancingV2Client({ region: REGION }),
    classicElb: new ElasticLoadBalancingClient({ region: REGION }),
    iam: new IAMClient({ region: REGION }),
    ssm: new SSMClient({ region: REGION }),
    region: REGION,
  });

const inputs = <T>(command: abstract new (...args: any[]) => { input: T }): T[] => ec2Mock.commandCalls(command as any).map((c: any) => c.args[0].input as T);
const commands = () => ec2Mock.calls().map((c: any) => c.args[0].constructor.name as string);

const builder = (state: NonNullable<Instance['State']>['Name'], over: Partial<Instance> = {}): Instance => ({
  InstanceId: 'i-0b1',
  State: { Name: state },
  Tags: [
    { Key: TAG_BAKE, Value: BAKE },
    { Key: 'Name', Value: `strata-builder-${BAKE}` },
  ],
  ...over,
});
const reservation = (...instances: Instance[]) => ({ Reservations: instances.length ? [{ Instances: instances }] : [] });
const ami = (over: Partial<Image> = {}): Image => ({
  ImageId: 'ami-0new',
  Name: NAME,
  State: 'available',
  CreationDate: '2025-06-01T10:00:00.000Z',
  Tags: [{ Key: TAG_IMAGE_SIGNATURE, Value: SIGNATURE }],
  ...over,
});

const imageSpec: CreateImageSpec = { bakeId: BAKE, name: NAME, signature: SIGNATURE, description: 'Strata node image', tags: { 'strata:pack': 'ubuntu-k8s' } };
const copySpec: CopyImageSpec = {
  sourceRegion: 'us-east-1',
  sourceImageId: 'ami-0src',
  name: NAME,
  signature: SIGNATURE,
  description: 'Strata node image',
  idempotencyToken: `${BAKE}/copy/${REGION}`,
};

describe('findImage and describeImage', () => {
  it('asks once, for its own images with the signature that are available or pending, and answers the newest', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({
      Images: [ami({ ImageId: 'ami-0old', CreationDate: '2025-01-01T00:00:00.000Z' }), ami({ ImageId: 'ami-0newest', CreationDate: '2025-07-01T00:00:00.000Z' })],
    });

    await expect(provider().findImage(SIGNATURE)).resolves.toEqual({ imageId: 'ami-0newest', name: NAME, region: REGION, state: 'available', signature: SIGNATURE });
    expect(inputs(DescribeImagesCommand)).toEqual([
      {
        Owners: ['self'],
        Filters: [
          { Name: `tag:${TAG_IMAGE_SIGNATURE}`, Values: [SIGNATURE] },
          { Name: 'state', Values: ['available', 'pending'] },
        ],
      },
    ]);
  });

  it('reports an image EC2 is still making as pending (moto makes images available at once)', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [ami({ State: 'pending' })] });

    await expect(provider().findImage(SIGNATURE)).resolves.toMatchObject({ imageId: 'ami-0new', state: 'pending' });
    await expect(provider().describeImage('ami-0new')).resolves.toMatchObject({ imageId: 'ami-0new', state: 'pending' });
  });

  it('never finds a failed image by signature, whatever the endpoint made of the filter; by id it is failed, with the reason', async () => {
    const failed = ami({ State: 'failed', StateReason: { Code: 'Server.InternalError', Message: 'Server.InternalError: Internal error on snapshot' } });
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [failed] });

    await expect(provider().findImage(SIGNATURE)).resolves.toBeUndefined();
    await expect(provider().describeImage('ami-0new')).resolves.toEqual({
      imageId: 'ami-0new',
      name: NAME,
      region: REGION,
      state: 'failed',
      signature: SIGNATURE,
      message: 'Server.InternalError: Internal error on snapshot',
    });
  });

  it('an image that is gone is undefined; a malformed id is an error no retry fixes', async () => {
    ec2Mock.on(DescribeImagesCommand, { ImageIds: ['ami-0gone'] }).rejects(ec2Error('InvalidAMIID.NotFound', "The image id '[ami-0gone]' does not exist"));
    ec2Mock.on(DescribeImagesCommand, { ImageIds: ['ami-0dereg'] }).resolves({ Images: [ami({ ImageId: 'ami-0dereg', State: 'deregistered' })] });
    ec2Mock.on(DescribeImagesCommand, { ImageIds: ['ami-zz'] }).rejects(ec2Error('InvalidAMIID.Malformed', 'Invalid id: "ami-zz" (expecting "ami-...")'));

    await expect(provider().describeImage('ami-0gone')).resolves.toBeUndefined();
    await expect(provider().describeImage('ami-0dereg')).resolves.toBeUndefined();
    await expect(provider().describeImage('ami-zz')).rejects.toMatchObject({ name: 'CloudError', code: 'InvalidAMIID.Malformed', retryable: false });
  });
});

describe('launchBuilder', () => {
  const spec: BuilderSpec = {
    bakeId: BAKE,
    baseImageId: 'ami-0base',
    instanceType: 't4g.medium',
    subnetId: 'subnet-0a',
    securityGroupId: 'sg-0b',
    diskGiB: 30,
    userData: '#!/bin/bash\nbake\npoweroff\n',
    idempotencyToken: `${BAKE}/builder`,
    publicIp: true,
  };

  it('launches with the client token, IMDSv2, an encrypted gp3 root of the base image, stop on shutdown, and the bake tag', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves(reservation());
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-0base', State: 'available', RootDeviceName: '/dev/xvda' }] });
    ec2Mock.on(RunInstancesCommand).resolves({ Instances: [builder('pending')] });

    await expect(provider().launchBuilder(spec)).resolves.toEqual({ instanceId: 'i-0b1', state: 'pending' });
    const tags = [
      { Key: TAG_BAKE, Value: BAKE },
      { Key: 'Name', Value: `strata-builder-${BAKE}` },
    ];
    expect(inputs(RunInstancesCommand)).toEqual([
      {
        ImageId: 'ami-0base',
        InstanceType: 't4g.medium',
        MinCount: 1,
        MaxCount: 1,
        ClientToken: `${BAKE}/builder`,
        NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0a', Groups: ['sg-0b'], AssociatePublicIpAddress: true, DeleteOnTermination: true }],
        MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 30, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true } }],
        InstanceInitiatedShutdownBehavior: 'stop',
        UserData: Buffer.from(spec.userData).toString('base64'),
        TagSpecifications: [
          { ResourceType: 'instance', Tags: tags },
          { ResourceType: 'volume', Tags: tags },
        ],
      },
    ]);
    expect(inputs(DescribeInstancesCommand)[0]!.Filters).toEqual([
      { Name: `tag:${TAG_BAKE}`, Values: [BAKE] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
    ]);
  });

  it('answers the builder already there without asking about the base image or launching', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves(reservation(builder('running')));

    await expect(provider().launchBuilder(spec)).resolves.toEqual({ instanceId: 'i-0b1', state: 'running' });
    expect(commands()).toEqual(['DescribeInstancesCommand']);
  });

  it('a base image that is gone is an error no retry fixes', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves(reservation());
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [] });

    await expect(provider().launchBuilder(spec)).rejects.toMatchObject({ code: 'InvalidAMIID.NotFound', retryable: false });
    expect(inputs(RunInstancesCommand)).toEqual([]);
  });
});

describe('stopBuilder and terminateBuilder', () => {
  it('stopping a builder still pending is IncorrectInstanceState, retried', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves(reservation(builder('pending')));
    ec2Mock.on(StopInstancesCommand).rejects(ec2Error('IncorrectInstanceState', "The instance 'i-0b1' is not in a state from which it can be stopped."));

    await expect(provider().stopBuilder(BAKE)).rejects.toMatchObject({
      name: 'CloudError',
      code: 'IncorrectInstanceState',
      message: "The instance 'i-0b1' is not in a state from which it can be stopped.",
      retryable: true,
    });
  });

  it('tells why a builder stopped (it powered itself off)', async () => {
    const stopped = builder('stopped', { StateReason: { Code: 'Client.InstanceInitiatedShutdown', Message: 'Client.InstanceInitiatedShutdown: Instance initiated shutdown' } });
    ec2Mock.on(DescribeInstancesCommand).resolves(reservation(stopped));

    await expect(provider().stopBuilder(BAKE)).resolves.toEqual({
      instanceId: 'i-0b1',
      state: 'stopped',
      message: 'Client.InstanceInitiatedShutdown: Instance initiated shutdown',
    });
    expect(inputs(StopInstancesCommand)).toEqual([]);
  });

  it('terminates every instance of the bake, and leaves alone one already going', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves(reservation(builder('stopped'), builder('running', { InstanceId: 'i-0b2' }), builder('shutting-down', { InstanceId: 'i-0b3' })));
    ec2Mock.on(TerminateInstancesCommand).resolves({ TerminatingInstances: [{ InstanceId: 'i-0b1', CurrentState: { Name: 'shutting-down' } }] });

    await expect(provider().terminateBuilder(BAKE)).resolves.toMatchObject({ state: 'shutting-down' });
    expect(inputs(TerminateInstancesCommand)).toEqual([{ InstanceIds: ['i-0b1', 'i-0b2'] }]);
  });
});

describe('createImage', () => {
  it('makes the image of a stopped builder, tagged at creation (image and snapshots) and again with CreateTags', async () => {
    ec2Mock.on(DescribeImagesCommand, { Owners: ['self'] }).resolves({ Images: [] });
    ec2Mock.on(DescribeInstancesCommand).resolves(reservation(builder('stopped')));
    ec2Mock.on(CreateImageCommand).resolves({ ImageId: 'ami-0new' });
    ec2Mock.on(DescribeImagesCommand, { ImageIds: ['ami-0new'] }).resolves({ Images: [ami({ State: 'pending' })] });

    await expect(provider().createImage(imageSpec)).resolves.toEqual({ imageId: 'ami-0new', name: NAME, region: REGION, state: 'pending', signature: SIGNATURE });
    const tags = [
      { Key: 'strata:pack', Value: 'ubuntu-k8s' },
      { Key: TAG_BAKE, Value: BAKE },
      { Key: TAG_IMAGE_SIGNATURE, Value: SIGNATURE },
      { Key: 'Name', Value: NAME },
    ];
    expect(inputs(CreateImageCommand)).toEqual([
      {
        InstanceId: 'i-0b1',
        Name: NAME,
        Description: 'Strata node image',
        TagSpecifications: [
          { ResourceType: 'image', Tags: tags },
          { ResourceType: 'snapshot', Tags: tags },
        ],
      },
    ]);
    expect(inputs(CreateTagsCommand)).toEqual([{ Resources: ['ami-0new'], Tags: tags }]);
    expect(inputs(DescribeImagesCommand)[0]).toEqual({ Owners: ['self'], Filters: [{ Name: 'name', Values: [NAME] }] });
  });

  it('a builder that is not stopped yet is a retryable error, and nothing is made', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [] });
    ec2Mock.on(DescribeInstancesCommand).resolves(reservation(builder('running')));

    const err = await provider().createImage(imageSpec).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CloudError', code: 'BuilderNotStopped', retryable: true });
    expect((err as Error).message).toMatch(/i-0b1 .* is running, not stopped/);
    expect(inputs(CreateImageCommand)).toEqual([]);
  });

  it('an image of that name is the one an earlier attempt made: given its missing tags, not made again', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [ami({ Tags: [] })] });

    await expect(provider().createImage(imageSpec)).resolves.toMatchObject({ imageId: 'ami-0new', signature: SIGNATURE });
    expect(inputs(CreateImageCommand)).toEqual([]);
    expect(inputs(DescribeInstancesCommand)).toEqual([]);
    expect(inputs(CreateTagsCommand)[0]!.Tags).toContainEqual({ Key: TAG_IMAGE_SIGNATURE, Value: SIGNATURE });
  });

  it('a concurrent attempt that registered the name first wins: its image is answered', async () => {
    ec2Mock.on(DescribeImagesCommand).resolvesOnce({ Images: [] }).resolves({ Images: [ami({ ImageId: 'ami-0raced' })] });
    ec2Mock.on(DescribeInstancesCommand).resolves(reservation(builder('stopped')));
    ec2Mock.on(CreateImageCommand).rejects(ec2Error('InvalidAMIName.Duplicate', `AMI name ${NAME} is already in use by AMI ami-0raced`));

    await expect(provider().createImage(imageSpec)).resolves.toMatchObject({ imageId: 'ami-0raced' });
  });

  it('a new image EC2 does not show yet is retried, not taken for missing', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [] });
    ec2Mock.on(DescribeInstancesCommand).resolves(reservation(builder('stopped')));
    ec2Mock.on(CreateImageCommand).resolves({ ImageId: 'ami-0new' });
    ec2Mock.on(CreateTagsCommand).rejects(ec2Error('InvalidAMIID.NotFound', "The image id '[ami-0new]' does not exist"));

    await expect(provider().createImage(imageSpec)).rejects.toMatchObject({ code: 'InvalidAMIID.NotFound', retryable: true });
  });
});

describe('copyImage', () => {
  it('copies with the client token, the source tags and the signature, then tags the copy (moto ignores client tokens)', async () => {
    ec2Mock.on(DescribeImagesCommand, { Owners: ['self'] }).resolves({ Images: [] });
    ec2Mock.on(CopyImageCommand).resolves({ ImageId: 'ami-0copy' });
    ec2Mock.on(DescribeImagesCommand, { ImageIds: ['ami-0copy'] }).resolves({ Images: [ami({ ImageId: 'ami-0copy', State: 'pending' })] });

    await expect(provider().copyImage(copySpec)).resolves.toEqual({ imageId: 'ami-0copy', name: NAME, region: REGION, state: 'pending', signature: SIGNATURE });
    const tags = [
      { Key: TAG_IMAGE_SIGNATURE, Value: SIGNATURE },
      { Key: 'Name', Value: NAME },
    ];
    expect(inputs(CopyImageCommand)).toEqual([
      {
        SourceRegion: 'us-east-1',
        SourceImageId: 'ami-0src',
        Name: NAME,
        Description: 'Strata node image',
        ClientToken: `${BAKE}/copy/${REGION}`,
        CopyImageTags: true,
        TagSpecifications: [
          { ResourceType: 'image', Tags: tags },
          { ResourceType: 'snapshot', Tags: tags },
        ],
      },
    ]);
    expect(inputs(CreateTagsCommand)).toEqual([{ Resources: ['ami-0copy'], Tags: tags }]);
  });

  it('a copy already in the region is answered as it is, pending or not', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [ami({ ImageId: 'ami-0copy', State: 'pending' })] });

    await expect(provider().copyImage(copySpec)).resolves.toMatchObject({ imageId: 'ami-0copy', state: 'pending' });
    expect(commands()).toEqual(['DescribeImagesCommand']);
  });

  it("a source image not ready to copy is EC2's IncorrectState, retried", async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [] });
    ec2Mock.on(CopyImageCommand).rejects(ec2Error('IncorrectState', 'Image ami-0src is in state pending and cannot be copied.'));

    await expect(provider().copyImage(copySpec)).rejects.toMatchObject({
      name: 'CloudError',
      code: 'IncorrectState',
      message: 'Image ami-0src is in state pending and cannot be copied.',
      retryable: true,
    });
  });
});

describe('deleteImage', () => {
  const withSnapshots = ami({
    BlockDeviceMappings: [
      { DeviceName: '/dev/sda1', Ebs: { SnapshotId: 'snap-0a' } },
      { DeviceName: '/dev/sdb', VirtualName: 'ephemeral0' },
      { DeviceName: '/dev/sdc', Ebs: { SnapshotId: 'snap-0b' } },
    ],
  });

  it('deregisters the image, then deletes its snapshots', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [withSnapshots] });

    await provider().deleteImage('ami-0new');
    expect(commands()).toEqual(['DescribeImagesCommand', 'DeregisterImageCommand', 'DeleteSnapshotCommand', 'DeleteSnapshotCommand']);
    expect(inputs(DeregisterImageCommand)).toEqual([{ ImageId: 'ami-0new' }]);
    expect(inputs(DeleteSnapshotCommand)).toEqual([{ SnapshotId: 'snap-0a' }, { SnapshotId: 'snap-0b' }]);
  });

  it('what is already gone is done', async () => {
    ec2Mock.on(DescribeImagesCommand, { ImageIds: ['ami-0gone'] }).rejects(ec2Error('InvalidAMIID.NotFound', "The image id '[ami-0gone]' does not exist"));
    await provider().deleteImage('ami-0gone');
    expect(commands()).toEqual(['DescribeImagesCommand']);

    ec2Mock.reset();
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [withSnapshots] });
    ec2Mock.on(DeregisterImageCommand).rejects(ec2Error('InvalidAMIID.Unavailable', 'AMI ami-0new is no longer available'));
    ec2Mock.on(DeleteSnapshotCommand).rejects(ec2Error('InvalidSnapshot.NotFound', "The snapshot 'snap-0a' does not exist."));
    await expect(provider().deleteImage('ami-0new')).resolves.toBeUndefined();
  });

  it('a snapshot still in use (DependencyViolation, InvalidSnapshot.InUse) is a CloudError with its code, retried', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [withSnapshots] });
    ec2Mock.on(DeleteSnapshotCommand).rejects(ec2Error('InvalidSnapshot.InUse', 'The snapshot snap-0a is currently in use by ami-0other'));
    await expect(provider().deleteImage('ami-0new')).rejects.toMatchObject({ name: 'CloudError', code: 'InvalidSnapshot.InUse', retryable: true });

    ec2Mock.on(DeleteSnapshotCommand).rejects(ec2Error('DependencyViolation', 'The snapshot snap-0a has dependent volumes'));
    await expect(provider().deleteImage('ami-0new')).rejects.toMatchObject({ name: 'CloudError', code: 'DependencyViolation', message: 'The snapshot snap-0a has dependent volumes', retryable: true });
  });

  it('a role without the permission is UnauthorizedOperation, which no retry fixes', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [withSnapshots] });
    ec2Mock.on(DeregisterImageCommand).rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    await expect(provider().deleteImage('ami-0new')).rejects.toMatchObject({ code: 'UnauthorizedOperation', retryable: false });
  });
});

describe('resolveImage with resolve:ssm:', () => {
  const name = '/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id';

  it('reads the parameter, then the AMI it names', async () => {
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Name: name, Value: 'ami-0ubuntu', Type: 'String' } });
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-0ubuntu', State: 'available' }] });

    await expect(provider().resolveImage(`resolve:ssm:${name}`)).resolves.toEqual({ imageId: 'ami-0ubuntu', region: REGION, copied: false });
    expect(ssmMock.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).toEqual([{ Name: name }]);
    expect(inputs(DescribeImagesCommand)).toEqual([{ ImageIds: ['ami-0ubuntu'] }]);
  });

  it('SSM answers a missing parameter without text: the error names it, keeps the code, and is not retried', async () => {
    // The SDK fills an empty message with "UnknownError".
    ssmMock.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'UnknownError', $metadata: {} }));

    const err = await provider().resolveImage(`resolve:ssm:${name}`).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CloudError', code: 'ParameterNotFound', retryable: false });
    expect((err as Error).message).toBe(`Parameter ${name} not found in ${REGION}.`);
    expect(ec2Mock.calls()).toEqual([]);
  });
});
