import { CloudError } from '../../core/cloud.js';
import { updateClusterStatus } from '../../adapters/dynamodb/clusters-store.js';
import { osImageRef } from '../commons/cluster-plan.js';
import { clusterStep, DONE } from './cluster-step.js';

/** ImageReady: find the OS pack's image for this cloud and region. */
export const handler = clusterStep(async (ctx) => {
  const { cluster, input } = ctx;
  ctx.charge = 'ImageReady';
  const revision = await ctx.revision();
  const os = revision.layers.find((l) => l.layer === 'os')!;
  const ref = await osImageRef(input.tenantId, cluster, revision);
  if (!ref) {
    throw new CloudError('NoImageForRegion', `OS pack ${os.name} ${os.version} has no ${cluster.cloud} image for ${cluster.region}; publish a pack version with one and move the cluster to it`, false);
  }
  await ctx.mark('ImageReady', 'Unknown', 'Resolving', `resolving ${ref} in ${cluster.region}`);
  const image = await (await ctx.provider()).resolveImage(ref);
  await updateClusterStatus(input.tenantId, cluster.id, { status: { ...cluster.status, imageId: image.imageId, imageRef: ref } });
  await ctx.mark('ImageReady', 'True', 'ImageResolved', `${os.name} ${os.version}: image ${image.imageId} in ${image.region}${image.copied ? ' (copied)' : ''}`, true);
  return DONE;
});
