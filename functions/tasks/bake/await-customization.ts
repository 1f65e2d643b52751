import { bakeId } from '../../../core/bake-token.js';
import { clock } from '../../../core/clock.js';
import { BAKE_TIMEOUT_MINUTES } from '../../../core/images.js';
import { bakeStep } from './image-step.js';
import { DONE, waitFor } from '../step.js';

/**
 * ImageCustomized: the builder runs the playbook and reports back. A builder that reports failure,
 * stops or disappears before reporting, or stays silent past the timeout fails the bake (the
 * playbook's own last lines, or the cloud's state reason, say why).
 */
export const handler = bakeStep(async (ctx) => {
  const { image, input } = ctx;
  if (image.copiedFrom || !image.recipe) return DONE;
  ctx.charge = 'ImageCustomized';
  const report = image.customization;
  if (report?.succeeded) {
    await ctx.mark('ImageCustomized', 'True', 'PlaybookSucceeded', report.message.split('\n').filter(Boolean).slice(-3).join(' | ') || 'the playbook succeeded', true);
    await ctx.update({ stage: 'creatingImage' });
    return DONE;
  }
  if (report) {
    await ctx.mark('ImageCustomized', 'False', 'PlaybookFailed', report.message, true);
    return ctx.fail('CustomizationFailed', report.message, false);
  }
  const builder = await (await ctx.provider()).builderStatus(bakeId(image.id, input.attempt));
  if (!builder || builder.state === 'terminated' || builder.state === 'shutting-down' || builder.state === 'stopped') {
    const why = builder?.message ?? 'the builder is gone';
    return ctx.fail('BuilderStopped', `the builder ${builder?.state ?? 'disappeared'} before reporting: ${why}`, true);
  }
  const launched = Date.parse((await ctx.condition('BuilderLaunched'))?.lastTransitionTime ?? image.updatedAt);
  if (clock.now() - launched > BAKE_TIMEOUT_MINUTES * 60_000) {
    return ctx.fail('BakeTimedOut', `the builder did not report within ${BAKE_TIMEOUT_MINUTES} minutes`, true);
  }
  await ctx.mark('ImageCustomized', 'Unknown', 'Customizing', `builder ${builder.instanceId} is ${builder.state}, running the playbook`);
  return waitFor(10);
});
