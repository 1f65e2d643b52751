import { desiredPacks } from '../../core/desired-state.js';
import { getSnapshot } from '../../adapters/dynamodb/telemetry-store.js';
import { clusterStep, DONE, waitFor } from './cluster-step.js';

/** PacksInstalled: the agent has applied this generation and reports every pack it was given Installed (the cloud controller manager too). */
export const handler = clusterStep(async (ctx) => {
  const layers = desiredPacks((await ctx.revision()).layers, ctx.cluster.overrides, ctx.cluster);
  const report = (await getSnapshot(ctx.cluster.id))?.report;
  if (!report || report.observedGeneration < ctx.input.generation) {
    await ctx.mark('PacksInstalled', 'Unknown', 'WaitingForAgent', `waiting for the agent to apply generation ${ctx.input.generation}`);
    return waitFor(5);
  }
  const byName = new Map(report.packs.map((p) => [p.name, p]));
  const failed = layers.filter((l) => byName.get(l.name)?.status === 'Failed');
  if (failed.length) {
    const why = failed.map((l) => `${l.name}: ${byName.get(l.name)?.message ?? 'failed'}`).join('; ');
    await ctx.mark('PacksInstalled', 'False', 'PackFailed', why, true);
    return waitFor(30);
  }
  const notYet = layers.filter((l) => byName.get(l.name)?.status !== 'Installed' || byName.get(l.name)?.version !== l.version);
  if (notYet.length) {
    await ctx.mark('PacksInstalled', 'Unknown', 'Installing', `installing ${notYet.map((l) => l.name).join(', ')}`);
    return waitFor(5);
  }
  await ctx.mark('PacksInstalled', 'True', 'AllPacksInstalled', layers.map((l) => `${l.name} ${l.version}`).join(', '), true);
  return DONE;
});
