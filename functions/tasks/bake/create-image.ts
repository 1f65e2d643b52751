import { bakeId } from '../../../core/bake-token.js';
import { bakedImageName } from '../../../core/images.js';
import { bakeStep } from './image-step.js';
import { DONE, waitFor } from '../step.js';

/** ImageCreated: stop the builder, make the image from its disk, tagged with the signature, and wait until the cloud says it is available. */
export const handler = bakeStep(async (ctx) => {
  const { image, input } = ctx;
  if (image.copiedFrom || !image.recipe) return DONE;
  ctx.charge = 'ImageCreated';
  const id = bakeId(image.id, input.attempt);
  const provider = await ctx.provider();
  if (!image.imageId) {
    const builder = await provider.builderStatus(id);
    if (!builder) return ctx.fail('BuilderStopped', 'the builder disappeared before its image was made', true);
    if (builder.state !== 'stopped') {
      if (builder.state === 'running') await provider.stopBuilder(id);
      await ctx.mark('ImageCreated', 'Unknown', 'StoppingBuilder', `builder ${builder.instanceId} is ${builder.state}; its disk becomes the image once stopped`);
      return waitFor(5);
    }
    const made = await provider.createImage({
      bakeId: id,
      name: bakedImageName(image.recipe.packName, image.signature),
      signature: image.signature,
      description: `Strata ${image.source.packName} ${image.source.packVersion}${image.contents.kubernetesVersion ? `, Kubernetes ${image.contents.kubernetesVersion}` : ''}${image.contents.roles.length ? `, roles ${image.contents.roles.join(' ')}` : ''}`,
      tags: { 'strata:pack': `${image.source.packName}-${image.source.packVersion}`, ...(image.contents.kubernetesVersion ? { 'strata:kubernetes': image.contents.kubernetesVersion } : {}) },
    });
    await ctx.update({ imageId: made.imageId });
  }
  const now = await provider.describeImage(ctx.image.imageId!);
  if (!now) return ctx.fail('ImageNotFound', `the cloud no longer knows image ${ctx.image.imageId}`, true);
  if (now.state === 'failed') return ctx.fail('ImageCreationFailed', now.message ?? `the cloud failed image ${now.imageId}`, true);
  if (now.state === 'pending') {
    await ctx.mark('ImageCreated', 'Unknown', 'ImagePending', `image ${now.imageId} is being made`);
    return waitFor(10);
  }
  await ctx.mark('ImageCreated', 'True', 'ImageAvailable', `image ${now.imageId} (${now.name}) is available in ${now.region}`, true);
  return DONE;
});
