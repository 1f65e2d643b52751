import { CloudError } from '../../core/cloud.js';
import { bakeId } from '../../core/bake-token.js';
import { clock } from '../../core/clock.js';
import { backoffSeconds } from '../../core/backoff.js';
import { bakedImageName, imageRecordId, type ImageRecord } from '../../core/images.js';
import { updateClusterStatus } from '../../adapters/dynamodb/clusters-store.js';
import { claimNewImage, getImage, imagesOfSignature, touchImage, updateImage } from '../../adapters/dynamodb/images-store.js';
import { startWorkflow } from '../../adapters/workflows/workflows.js';
import { clusterImage, type ClusterImage } from '../commons/cluster-image.js';
import { clusterStep, DONE, waitFor, type ClusterStepContext } from './cluster-step.js';

/** A Pending record whose bake has not moved for this long gets its execution started again (a start that was lost). */
const RESTART_AFTER_MS = 2 * 60_000;

/**
 * ImageReady ("Customizing Image"): the node image for this cloud and region. A pack used as it is
 * resolves its reference; one that needs customization finds the image of its signature, or waits
 * for the bake another cluster started, or claims the bake (one conditional write decides who) and
 * starts the bake-image workflow. Upgrades and node replacement come through here too.
 */
export const handler = clusterStep(async (ctx) => {
  const { cluster } = ctx;
  ctx.charge = 'ImageReady';
  const revision = await ctx.revision();
  const image = await clusterImage(ctx.input.tenantId, cluster, revision);
  const os = revision.layers.find((l) => l.layer === 'os')!;
  if (!image) throw new CloudError('OsPackNotFound', `OS pack ${os.name} ${os.version} is gone from its registry`, false);
  return image.decision.kind === 'asIs' ? useAsIs(ctx, image) : useBaked(ctx, image);
});

async function useAsIs(ctx: ClusterStepContext, image: ClusterImage) {
  const { cluster, input } = ctx;
  const { pack, baseRef } = image;
  if (!baseRef) {
    throw new CloudError('NoImageForRegion', `OS pack ${pack.name} ${pack.version} has no ${cluster.cloud} image for ${cluster.region}; publish a pack version with one and move the cluster to it`, false);
  }
  await ctx.mark('ImageReady', 'Unknown', 'Resolving', `resolving ${baseRef} in ${cluster.region}`);
  const found = await (await ctx.provider()).resolveImage(baseRef);
  await updateClusterStatus(input.tenantId, cluster.id, { status: { ...cluster.status, imageId: found.imageId, imageRef: image.identity } });
  await ctx.mark('ImageReady', 'True', 'ImageResolved', `${pack.name} ${pack.version}: image ${found.imageId} in ${found.region}${found.copied ? ' (copied)' : ''}`, true);
  return DONE;
}

async function useBaked(ctx: ClusterStepContext, image: ClusterImage) {
  const { cluster, input } = ctx;
  const signature = image.signature!;
  const id = imageRecordId(cluster.cloudAccountId, cluster.region, signature);
  const record = await getImage(input.tenantId, id);
  if (!record) return claim(ctx, image, id, undefined);
  switch (record.status) {
    case 'Available':
      return useAvailable(ctx, image, record);
    case 'Failed':
      return retryFailed(ctx, image, record);
    case 'Deleting':
      await ctx.mark('ImageReady', 'Unknown', 'ImageBeingDeleted', `image ${record.imageId ?? record.id} is being deleted; it is baked again once it is gone`);
      return waitFor(10);
    default:
      return waitForBake(ctx, record);
  }
}

/** One cloud call: the image is still there. Then the nodes use it. */
async function useAvailable(ctx: ClusterStepContext, image: ClusterImage, record: ImageRecord) {
  const { cluster, input } = ctx;
  const found = await (await ctx.provider()).describeImage(record.imageId!);
  if (!found || found.state === 'failed') {
    // Deregistered behind Strata's back: bake (or copy) it again.
    await updateImage(record, { status: 'Failed', failure: { code: 'ImageGone', message: `image ${record.imageId} is no longer in ${record.region}`, retryable: true, at: new Date(0).toISOString() } });
    return waitFor(1);
  }
  await updateClusterStatus(input.tenantId, cluster.id, { status: { ...cluster.status, imageId: found.imageId, imageRef: image.identity } });
  await touchImage(input.tenantId, record.id);
  const how = record.requestedBy === cluster.id ? (record.copiedFrom ? 'copied' : 'baked') : 'reused';
  // The transition to True is the event that says which image was reused (or baked, or copied).
  const what = how === 'reused' ? `reusing image ${found.imageId} (${record.id}) made for ${record.source.packName} ${record.source.packVersion}, no bake` : `image ${found.imageId} (${record.id}) ${how}`;
  await ctx.mark('ImageReady', 'True', how === 'reused' ? 'ImageReused' : how === 'copied' ? 'ImageCopied' : 'ImageBaked', `${image.pack.name} ${image.pack.version}: ${what} in ${found.region}, signature ${record.signature.slice(0, 12)}…`, true);
  return DONE;
}

/**
 * A failed bake is tried again when the cloud may do better now (a retryable failure, after a
 * backoff), or when the cluster changed after the failure. A playbook that failed stays failed
 * until then: baking it again would fail the same way.
 */
async function retryFailed(ctx: ClusterStepContext, image: ClusterImage, record: ImageRecord) {
  const failure = record.failure!;
  const failedAt = Date.parse(failure.at);
  const changedSince = Date.parse(ctx.cluster.updatedAt) > failedAt;
  const due = failedAt + backoffSeconds(record.attempt, 0) * 1000 <= clock.now();
  if (changedSince || (failure.retryable && due)) return claim(ctx, image, record.id, record);
  throw new CloudError(failure.code, `baking the image failed: ${failure.message}`, failure.retryable);
}

async function waitForBake(ctx: ClusterStepContext, record: ImageRecord) {
  if (record.status === 'Pending' && clock.now() - Date.parse(record.updatedAt) > RESTART_AFTER_MS) await startBake(record);
  const what = record.copiedFrom ? `copying image ${record.copiedFrom.imageId} from ${record.copiedFrom.region}` : `baking ${record.name} (${record.stage ?? 'starting'})`;
  const by = record.requestedBy === ctx.cluster.id ? '' : `, started by cluster ${record.requestedBy}`;
  await ctx.mark('ImageReady', 'Unknown', record.copiedFrom ? 'CopyingImage' : 'CustomizingImage', `Customizing Image: ${what}, attempt ${record.attempt}${by}`);
  return waitFor(10);
}

/** Claim the bake (or copy) with one conditional write; whoever loses waits for the winner's. */
async function claim(ctx: ClusterStepContext, image: ClusterImage, id: string, failed: ImageRecord | undefined) {
  const { cluster, input } = ctx;
  const infra = cluster.status?.infrastructure;
  if (!infra) {
    await ctx.mark('ImageReady', 'Unknown', 'WaitingForNetwork', 'the builder runs in the cluster network, which is not made yet');
    return waitFor(10);
  }
  const signature = image.signature!;
  const source = (await imagesOfSignature(input.tenantId, cluster.cloudAccountId, signature)).find((r) => r.status === 'Available' && r.region !== cluster.region && r.imageId);
  if (!source && !image.baseRef) {
    throw new CloudError('NoImageForRegion', `OS pack ${image.pack.name} ${image.pack.version} has no ${cluster.cloud} base image for ${cluster.region}, and no image of its signature exists in another region to copy; publish a pack version with one`, false);
  }
  const now = clock.date().toISOString();
  const revision = await ctx.revision();
  const os = revision.layers.find((l) => l.layer === 'os')!;
  const zone = Object.keys(infra.subnets).sort()[0]!;
  const fields = {
    status: 'Pending' as const,
    stage: source ? ('copying' as const) : ('launchingBuilder' as const),
    requestedBy: cluster.id,
    execution: `${bakeId(id, (failed?.attempt ?? 0) + 1)}-t${clock.now().toString(36)}`,
    copiedFrom: source ? { region: source.region, imageId: source.imageId! } : undefined,
    recipe: source
      ? undefined
      : {
          baseImageRef: image.baseRef!,
          packName: image.pack.name,
          arch: image.pack.os.arch,
          kubernetesVersion: image.decision.kind === 'bake' ? image.decision.installKubernetes : undefined,
          roles: image.pack.os.ansibleRoles,
          subnetId: infra.subnets[zone]!,
          securityGroupId: infra.workerSecurityGroupId,
          publicIp: infra.nodePublicIp,
        },
  };
  let claimed: ImageRecord | undefined;
  if (!failed) {
    const record: ImageRecord = {
      id,
      tenantId: input.tenantId,
      signature,
      cloud: cluster.cloud,
      cloudAccountId: cluster.cloudAccountId,
      region: cluster.region,
      name: bakedImageName(image.pack.name, signature),
      ...fields,
      source: { registryId: os.registryId, packId: os.packId, packName: image.pack.name, packVersion: image.pack.version, profileId: cluster.profileId, profileRevision: cluster.profileRevision },
      contents: { kubernetesVersion: (image.decision.kind === 'bake' ? image.decision.installKubernetes : undefined) ?? image.pack.os.kubernetesVersion, roles: image.pack.os.ansibleRoles.map((r) => r.name), arch: image.pack.os.arch },
      attempt: 1,
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    if (await claimNewImage(stripUndefined(record))) claimed = record;
  } else {
    claimed = await updateImage(failed, stripUndefined({ ...fields, attempt: failed.attempt + 1 }), ['failure', 'customization', 'imageId', 'builderId', ...(source ? (['recipe'] as const) : (['copiedFrom'] as const))]);
  }
  if (!claimed) return waitFor(1); // another cluster claimed it first: wait for its bake
  await startBake(claimed);
  await ctx.event('Normal', source ? 'ImageCopyStarted' : 'ImageBakeStarted', source ? `copying image ${source.imageId} from ${source.region} (signature ${signature.slice(0, 12)}…)` : `baking ${claimed.name} for ${image.pack.name} ${image.pack.version} (attempt ${claimed.attempt})`, 'ImageReady');
  return waitForBake(ctx, claimed);
}

function startBake(record: ImageRecord) {
  return startWorkflow('bake', record.execution ?? bakeId(record.id, record.attempt), { tenantId: record.tenantId, imageId: record.id, attempt: record.attempt });
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
