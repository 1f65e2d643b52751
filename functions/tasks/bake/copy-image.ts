import { bakedImageName } from '../../../core/images.js';
import { bakeStep } from './image-step.js';
import { DONE, waitFor } from '../step.js';

/** ImageCopied: an image of the same signature made in another region of the account is copied here instead of baked again. */
export const handler = bakeStep(async (ctx) => {
  const { image, input } = ctx;
  if (!image.copiedFrom) return DONE;
  ctx.charge = 'ImageCopied';
  const provider = await ctx.provider();
  if (!image.imageId) {
    const copy = await provider.copyImage({
      sourceRegion: image.copiedFrom.region,
      sourceImageId: image.copiedFrom.imageId,
      name: bakedImageName(image.source.packName, image.signature),
      signature: image.signature,
      description: `Strata ${image.source.packName} ${image.source.packVersion}, copied from ${image.copiedFrom.region}`,
      idempotencyToken: `strata-${image.id}-a${input.attempt}`,
    });
    await ctx.update({ imageId: copy.imageId, stage: 'copying', status: 'Copying' });
  }
  const now = await provider.describeImage(ctx.image.imageId!);
  if (!now) return ctx.fail('ImageNotFound', `the cloud no longer knows image ${ctx.image.imageId}`, true);
  if (now.state === 'failed') return ctx.fail('ImageCopyFailed', now.message ?? `the cloud failed to copy image ${now.imageId}`, true);
  if (now.state === 'pending') {
    await ctx.mark('ImageCopied', 'Unknown', 'CopyPending', `image ${now.imageId} is being copied from ${image.copiedFrom.region}`);
    return waitFor(10);
  }
  await ctx.mark('ImageCopied', 'True', 'ImageAvailable', `image ${now.imageId} copied from ${image.copiedFrom.imageId} in ${image.copiedFrom.region}`, true);
  return DONE;
});
