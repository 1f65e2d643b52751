import { builderUserData } from '../../../core/bake-script.js';
import { bakeId, bakeToken } from '../../../core/bake-token.js';
import { builderInstanceType } from '../../../core/images.js';
import { platformSecret } from '../../../adapters/secrets/platform-secret.js';
import { agentApiUrl } from '../../commons/agent-api-url.js';
import { bakeStep } from './image-step.js';
import { DONE } from '../step.js';

/** Builder disk: the image's root volume (nodes may launch with larger ones, never smaller). */
const BUILDER_DISK_GIB = 30;

/** BuilderLaunched: the builder VM runs from the base image with the bake's user data. A copy has no builder. */
export const handler = bakeStep(async (ctx) => {
  const { image, input } = ctx;
  if (image.copiedFrom || !image.recipe) return DONE;
  ctx.charge = 'BuilderLaunched';
  const recipe = image.recipe;
  const id = bakeId(image.id, input.attempt);
  const provider = await ctx.provider();
  const base = await provider.resolveImage(recipe.baseImageRef);
  const userData = builderUserData({
    bakeId: id,
    cloud: image.cloud,
    arch: recipe.arch,
    kubernetesVersion: recipe.kubernetesVersion,
    roles: recipe.roles,
    signal: { url: `${agentApiUrl()}/agent/v1/bakes/${id}/result`, token: bakeToken(await platformSecret(), input.tenantId, id) },
  });
  const builder = await provider.launchBuilder({
    bakeId: id,
    baseImageId: base.imageId,
    instanceType: builderInstanceType(image.cloud, recipe.arch),
    subnetId: recipe.subnetId,
    securityGroupId: recipe.securityGroupId,
    diskGiB: BUILDER_DISK_GIB,
    userData,
    idempotencyToken: `strata-${id}`,
    publicIp: recipe.publicIp,
  });
  await ctx.update({ builderId: builder.instanceId, stage: 'customizing', status: 'Baking' });
  await ctx.mark('BuilderLaunched', 'True', 'BuilderRunning', `builder ${builder.instanceId} from ${base.imageId} (${recipe.baseImageRef})`, true);
  return DONE;
});
