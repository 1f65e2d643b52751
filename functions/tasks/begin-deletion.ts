import { stopGeneration } from '../commons/generations.js';
import { clusterStep, DONE } from './cluster-step.js';

/** Stop any provisioning or reconcile still running, so nothing new is made while deleting. */
export const handler = clusterStep(
  async (ctx) => {
    for (let g = 1; g <= ctx.cluster.generation; g++) {
      await stopGeneration(ctx.cluster.id, g, 'cluster deleted');
    }
    await ctx.event('Normal', 'DeletionStarted', `deleting ${ctx.cluster.name}: every resource tagged strata:cluster=${ctx.cluster.id}`, undefined, 'DeletionStarted');
    return DONE;
  },
  { allowDeleting: true },
);
