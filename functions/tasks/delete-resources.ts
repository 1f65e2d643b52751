import { clusterStep, DONE, waitFor } from './cluster-step.js';

/**
 * One pass of deletion: everything tagged for the cluster, instances first. Runs until a pass
 * finds nothing left; the workflow then runs it once more after a pause, to catch anything an
 * in-flight step made meanwhile.
 */
export const handler = clusterStep(
  async (ctx) => {
    ctx.charge = 'InfrastructureDeleted';
    const { remaining, details } = await (await ctx.provider()).deleteClusterResources(ctx.cluster.id);
    if (remaining > 0) {
      await ctx.mark('InfrastructureDeleted', 'Unknown', 'Deleting', `${remaining} left: ${details.slice(0, 5).join(', ')}`);
      return waitFor(5);
    }
    await ctx.mark('InfrastructureDeleted', 'True', 'NothingLeft', `no resource tagged strata:cluster=${ctx.cluster.id} remains`, true);
    return DONE;
  },
  { allowDeleting: true },
);
