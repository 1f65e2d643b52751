import { runInstancesInput } from './run-instances.js';
import {
  CopyImageCommand,
  CreateImageCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type _InstanceType,
  type EC2Client,
  type Filter,
  type Image,
  type Instance,
  type Tag,
} from '@aws-sdk/client-ec2';
import {
  CloudError,
  TAG_BAKE,
  TAG_IMAGE_SIGNATURE,
  TAG_NAME,
  type BakedImage,
  type BuilderInfo,
  type BuilderSpec,
  type CopyImageSpec,
  type CreateImageSpec,
} from '../../../core/cloud.js';
import { mapped, tagSpec, tagValue, tolerate } from './calls.js';
import { hasCode, toCloudError } from './errors.js';

/**
 * Node-image baking on EC2: a builder instance customizes the base image and stops; its disk becomes
 * an AMI tagged with the signature of what made it; other regions get copies of that AMI. Everything
 * is found again by its tags (TAG_BAKE on the builder, TAG_IMAGE_SIGNATURE on the images) or by the
 * AMI's name, which is unique per account and region, so every call may be repeated.
 *
 * Builders carry no cluster tag: deleting a cluster never takes a bake's builder with it.
 */

/** What the image functions act through: the account's EC2 client, bound to `region`. */
export interface ImageContext {
  readonly ec2: EC2Client;
  readonly region: string;
}

/** Every instance state but terminated: a builder that is still there. */
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

export const builderName = (bakeId: string) => `strata-builder-${bakeId}`;

/**
 * The newest image of this account tagged with the signature, pending or available, in one
 * DescribeImages call. Failed and deregistered images are not found.
 */
export async function findImage(ctx: ImageContext, signature: string): Promise<BakedImage | undefined> {
  const images = await describeOwnImages(ctx, [
    { Name: `tag:${TAG_IMAGE_SIGNATURE}`, Values: [signature] },
    { Name: 'state', Values: ['available', 'pending'] },
  ]);
  // The tag and state are checked again here, whatever the endpoint made of the filters.
  const [newest] = images.filter((i) => tagValue(i.Tags, TAG_IMAGE_SIGNATURE) === signature && (i.State === 'available' || i.State === 'pending'));
  return newest && toBakedImage(newest, ctx.region);
}

/** One image by id; undefined when there is none (or it is deregistered). */
export async function describeImage(ctx: ImageContext, imageId: string): Promise<BakedImage | undefined> {
  const image = await describeImageById(ctx, imageId);
  return image && toBakedImage(image, ctx.region);
}

/**
 * The bake's builder: found by its TAG_BAKE tag when an earlier call launched it (a lost answer, a
 * retried step), otherwise launched with the bake's idempotency token as the client token. It stops
 * itself when its user data is done (instance-initiated shutdown is stop), so its disk is kept.
 * `baseImageOf` answers the base image (which must be available) when one is to be launched.
 */
export async function launchBuilder(ctx: ImageContext, spec: BuilderSpec, baseImageOf: () => Promise<Image>): Promise<BuilderInfo> {
  const existing = await findBuilder(ctx, spec.bakeId);
  if (existing) return toBuilderInfo(existing);
  // Asked only for a launch: its root device is the one to size.
  const baseImage = await baseImageOf();
  const tags: Tag[] = [
    { Key: TAG_BAKE, Value: spec.bakeId },
    { Key: TAG_NAME, Value: builderName(spec.bakeId) },
  ];
  const out = await mapped(
    ctx.ec2.send(
      new RunInstancesCommand({
        ...runInstancesInput({
          imageId: spec.baseImageId,
          rootDeviceName: baseImage.RootDeviceName,
          instanceType: spec.instanceType,
          idempotencyToken: spec.idempotencyToken,
          subnetId: spec.subnetId,
          securityGroupId: spec.securityGroupId,
          publicIp: spec.publicIp,
          diskGiB: spec.diskGiB,
          userData: spec.userData,
          tags,
        }),
        // The bake powers the builder off when it is done: stopped, its disk becomes the image.
        InstanceInitiatedShutdownBehavior: 'stop',
      }),
    ),
  );
  const instance = out.Instances?.[0];
  if (!instance) throw new CloudError('InternalError', `RunInstances for the builder of ${spec.bakeId} returned no instance`);
  return toBuilderInfo(instance);
}

/** The builder as EC2 sees it now; undefined once it is terminated (or never was). */
export async function builderStatus(ctx: ImageContext, bakeId: string): Promise<BuilderInfo | undefined> {
  const builder = await findBuilder(ctx, bakeId);
  return builder && toBuilderInfo(builder);
}

/** Stops the builder; one already stopping, stopped or going is left as it is. */
export async function stopBuilder(ctx: ImageContext, bakeId: string): Promise<BuilderInfo | undefined> {
  const builder = await findBuilder(ctx, bakeId);
  if (!builder) return undefined;
  const state = builder.State?.Name;
  if (state !== 'pending' && state !== 'running') return toBuilderInfo(builder);
  // A pending builder answers IncorrectInstanceState: a CloudError the step retries.
  const out = await tolerate(ctx.ec2.send(new StopInstancesCommand({ InstanceIds: [builder.InstanceId!] })), 'InvalidInstanceID.NotFound');
  if (!out) return undefined;
  const now = out.StoppingInstances?.find((s) => s.InstanceId === builder.InstanceId)?.CurrentState?.Name;
  return { ...toBuilderInfo(builder), state: now ?? 'stopping' };
}

/**
 * Terminates every instance of the bake that is not terminated yet (one, unless someone launched
 * more with its tag). Undefined once none is left; otherwise the builder as the call left it.
 */
export async function terminateBuilder(ctx: ImageContext, bakeId: string): Promise<BuilderInfo | undefined> {
  const builders = await describeBuilders(ctx, bakeId);
  if (builders.length === 0) return undefined;
  const going = builders.filter((b) => b.State?.Name !== 'shutting-down').map((b) => b.InstanceId!);
  const first = builders[0]!;
  if (going.length === 0) return toBuilderInfo(first);
  const out = await tolerate(ctx.ec2.send(new TerminateInstancesCommand({ InstanceIds: going })), 'InvalidInstanceID.NotFound');
  if (!out) return undefined;
  const now = out.TerminatingInstances?.find((t) => t.InstanceId === first.InstanceId)?.CurrentState?.Name;
  return { ...toBuilderInfo(first), state: now === 'terminated' ? 'terminated' : 'shutting-down' };
}

/**
 * The image of the bake, made from its stopped builder. Idempotent by name (AMI names are unique per
 * account and region): an image of that name is the one an earlier call made. Tagged at creation
 * (image and snapshots) and again with CreateTags, as tags at creation do not always reach everything.
 */
export async function createImage(ctx: ImageContext, spec: CreateImageSpec): Promise<BakedImage> {
  const tags = imageTags(spec.name, spec.signature, { ...spec.tags, [TAG_BAKE]: spec.bakeId });
  const existing = await findByName(ctx, spec.name);
  if (existing) return ensureTagged(ctx, existing, tags);

  const builder = await findBuilder(ctx, spec.bakeId);
  if (!builder) throw new CloudError('BuilderNotFound', `the builder of bake ${spec.bakeId} is gone (no instance tagged ${TAG_BAKE}=${spec.bakeId}); bake again`, false);
  const state = builder.State?.Name;
  if (state !== 'stopped') {
    throw new CloudError('BuilderNotStopped', `the builder ${builder.InstanceId} of bake ${spec.bakeId} is ${state ?? 'in an unknown state'}, not stopped: stop it before its disk becomes the image`, true);
  }
  return register(ctx, spec.name, spec.signature, tags, async () => {
    const out = await ctx.ec2.send(
      new CreateImageCommand({
        InstanceId: builder.InstanceId,
        Name: spec.name,
        Description: spec.description,
        TagSpecifications: [tagSpec('image', tags), tagSpec('snapshot', tags)],
      }),
    );
    if (!out.ImageId) throw new CloudError('InternalError', `CreateImage of ${spec.name} returned no image id`);
    return out.ImageId;
  });
}

/**
 * Register an image (CreateImage, CopyImage), tag it again with CreateTags, and answer it as EC2
 * shows it. A name already taken in the region (a concurrent attempt, a copy whose tags never
 * arrived) is that image: it gets the tags and is answered instead.
 */
async function register(ctx: ImageContext, name: string, signature: string, tags: Tag[], call: () => Promise<string>): Promise<BakedImage> {
  let imageId: string;
  try {
    imageId = await call();
  } catch (err) {
    if (!hasCode(err, 'InvalidAMIName.Duplicate')) throw toCloudError(err);
    const raced = await findByName(ctx, name);
    if (!raced) throw toCloudError(err);
    return ensureTagged(ctx, raced, tags);
  }
  await tagImage(ctx, imageId, tags);
  return (await describeImage(ctx, imageId)) ?? { imageId, name, region: ctx.region, state: 'pending', signature };
}

/**
 * A copy of another region's image into this one, tagged with the signature. The copy already made
 * (found by signature) is returned as it is; otherwise CopyImage, whose client token makes a
 * repeated call return the same copy.
 */
export async function copyImage(ctx: ImageContext, spec: CopyImageSpec): Promise<BakedImage> {
  const found = await findImage(ctx, spec.signature);
  if (found) return found;
  const tags = imageTags(spec.name, spec.signature);
  return register(ctx, spec.name, spec.signature, tags, async () => {
    const out = await ctx.ec2.send(
      new CopyImageCommand({
        SourceRegion: spec.sourceRegion,
        SourceImageId: spec.sourceImageId,
        Name: spec.name,
        Description: spec.description,
        ClientToken: spec.idempotencyToken,
        CopyImageTags: true,
        TagSpecifications: [tagSpec('image', tags), tagSpec('snapshot', tags)],
      }),
    );
    if (!out.ImageId) throw new CloudError('InternalError', `CopyImage of ${spec.sourceImageId} from ${spec.sourceRegion} returned no image id`);
    return out.ImageId;
  });
}

/** Deregisters the image and deletes its EBS snapshots; an image already gone is a no-op. */
export async function deleteImage(ctx: ImageContext, imageId: string): Promise<void> {
  const image = await describeImageById(ctx, imageId);
  if (!image) return;
  const snapshots = (image.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : []));
  // A snapshot can't be deleted while an image uses it: the image goes first.
  await tolerate(ctx.ec2.send(new DeregisterImageCommand({ ImageId: imageId })), 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable');
  for (const SnapshotId of snapshots) {
    await tolerate(ctx.ec2.send(new DeleteSnapshotCommand({ SnapshotId })), 'InvalidSnapshot.NotFound');
  }
}

/** An image as the port sees it. */
export function toBakedImage(image: Image, region: string): BakedImage {
  const state = image.State === 'available' ? 'available' : image.State === 'pending' ? 'pending' : 'failed';
  const signature = tagValue(image.Tags, TAG_IMAGE_SIGNATURE);
  const message = image.StateReason?.Message || (state === 'failed' ? `the image is ${image.State ?? 'in an unknown state'}` : undefined);
  return {
    imageId: image.ImageId!,
    name: image.Name ?? image.ImageId!,
    region,
    state,
    ...(signature ? { signature } : {}),
    ...(message ? { message } : {}),
  };
}

/** The image by id, or undefined when EC2 does not know it (or it is deregistered). */
export async function describeImageById(ctx: ImageContext, imageId: string): Promise<Image | undefined> {
  const out = await tolerate(ctx.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] })), 'InvalidAMIID.NotFound');
  const image = out?.Images?.find((i) => i.ImageId === imageId);
  return image && image.State !== 'deregistered' ? image : undefined;
}

/** The account's own images matching the filters, newest first. */
async function describeOwnImages(ctx: ImageContext, filters: Filter[]): Promise<Image[]> {
  const out = await mapped(ctx.ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: filters })));
  return (out.Images ?? []).sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''));
}

async function findByName(ctx: ImageContext, name: string): Promise<Image | undefined> {
  const images = await describeOwnImages(ctx, [{ Name: 'name', Values: [name] }]);
  return images.find((i) => i.Name === name && i.State !== 'deregistered');
}

/** An image found again (by name) gets the tags an interrupted call may not have given it. */
async function ensureTagged(ctx: ImageContext, image: Image, tags: Tag[]): Promise<BakedImage> {
  const missing = tags.filter((t) => tagValue(image.Tags, t.Key!) !== t.Value);
  if (missing.length) await tagImage(ctx, image.ImageId!, missing);
  return toBakedImage({ ...image, Tags: [...(image.Tags ?? []).filter((t) => !missing.some((m) => m.Key === t.Key)), ...missing] }, ctx.region);
}

/**
 * CreateTags on a new image. Right after CreateImage or CopyImage, EC2 may not know the id yet
 * (eventual consistency): that is retried, not a missing image. The retry finds the image again.
 */
async function tagImage(ctx: ImageContext, imageId: string, tags: Tag[]): Promise<void> {
  try {
    await ctx.ec2.send(new CreateTagsCommand({ Resources: [imageId], Tags: tags }));
  } catch (err) {
    const e = toCloudError(err);
    if (e.code === 'InvalidAMIID.NotFound') throw new CloudError(e.code, `${e.message} (the image ${imageId} was just made and is not visible yet; retrying)`, true);
    throw e;
  }
}

/** The signature, the name and the extra tags of an image (the signature and the name win). */
function imageTags(name: string, signature: string, extra: Readonly<Record<string, string>> = {}): Tag[] {
  const all = { ...extra, [TAG_IMAGE_SIGNATURE]: signature, [TAG_NAME]: name };
  return Object.entries(all).map(([Key, Value]) => ({ Key, Value }));
}

/** Every instance of the bake that is not terminated, newest first. */
async function describeBuilders(ctx: ImageContext, bakeId: string): Promise<Instance[]> {
  const filters: Filter[] = [
    { Name: `tag:${TAG_BAKE}`, Values: [bakeId] },
    { Name: 'instance-state-name', Values: LIVE_STATES },
  ];
  const instances: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const out = await mapped(ctx.ec2.send(new DescribeInstancesCommand({ Filters: filters, NextToken })));
    for (const r of out.Reservations ?? []) instances.push(...(r.Instances ?? []));
    NextToken = out.NextToken;
  } while (NextToken);
  // The tag and state are checked again here, whatever the endpoint made of the filters.
  return instances
    .filter((i) => tagValue(i.Tags, TAG_BAKE) === bakeId && LIVE_STATES.includes(i.State?.Name ?? ''))
    .sort((a, b) => new Date(b.LaunchTime ?? 0).getTime() - new Date(a.LaunchTime ?? 0).getTime());
}

/** The bake's builder: the newest of its instances that is not terminated. */
async function findBuilder(ctx: ImageContext, bakeId: string): Promise<Instance | undefined> {
  return (await describeBuilders(ctx, bakeId))[0];
}

function toBuilderInfo(i: Instance): BuilderInfo {
  const message = i.StateReason?.Message;
  return { instanceId: i.InstanceId!, state: i.State?.Name ?? 'pending', ...(message ? { message } : {}) };
}
