import { bakeId } from '../../../core/bake-token.js';
import { bakeStep } from './image-step.js';
import { DONE, waitFor } from '../step.js';

/**
 * BuilderTerminated, then the outcome: the builder is terminated whatever happened (this step runs
 * on the failure path too, and retries until the cloud confirms), then the image turns Available or
 * Failed. Clusters waiting on the record see it on their next look.
 */
export const handler = bakeStep(
  async (ctx) => {
    const { image, input } = ctx;
    ctx.charge = 'BuilderTerminated';
    if (!image.copiedFrom && image.recipe) {
      const left = await (await ctx.provider()).terminateBuilder(bakeId(image.id, input.attempt));
      if (left && left.state !== 'terminated') {
        await ctx.mark('BuilderTerminated', 'Unknown', 'Terminating', `builder ${left.instanceId} is ${left.state}`);
        return waitFor(5);
      }
      await ctx.mark('BuilderTerminated', 'True', 'BuilderGone', `builder ${image.builderId ?? ''} terminated`.replace('  ', ' '), true);
    }
    if (ctx.image.failure || !ctx.image.imageId) {
      const failure = ctx.image.failure ?? { code: 'NoImage', message: 'the bake ended without an image', retryable: true, at: new Date().toISOString() };
      await ctx.update({ status: 'Failed', failure }, ['builderId', 'stage']);
      return DONE;
    }
    await ctx.update({ status: 'Available', stage: 'done' }, ['builderId']);
    await ctx.event('Normal', ctx.image.copiedFrom ? 'ImageCopied' : 'ImageBaked', `image ${ctx.image.imageId} is available in ${ctx.image.region} (signature ${ctx.image.signature.slice(0, 12)}…)`);
    return DONE;
  },
  { cleanUp: true },
);
