import { deleteClusterPki } from '../../adapters/dynamodb/cluster-pki-store.js';
import { finalizeDeleted, forgetRevisionHistory } from '../../adapters/dynamodb/clusters-store.js';
import { forgetMachines } from '../../adapters/dynamodb/machines-store.js';
import { deletePlan } from '../../adapters/dynamodb/plans-store.js';
import { forgetPatchRuns } from '../../adapters/dynamodb/patch-runs-store.js';
import { forgetClusterCompliance } from '../../adapters/dynamodb/compliance-store.js';
import { deletePatchSchedule } from '../../adapters/scheduler/patch-schedules.js';
import { clusterStep, DONE } from './cluster-step.js';

/** Deleting → Deleted: the CA keys are destroyed, the name is free again and the profile and account lose a reference. */
export const handler = clusterStep(
  async (ctx) => {
    if (ctx.cluster.phase === 'Deleted') return DONE;
    await forgetMachines(ctx.input.tenantId, ctx.cluster.id);
    await deleteClusterPki(ctx.input.tenantId, ctx.cluster.id);
    await deletePlan(ctx.input.tenantId, ctx.cluster.id);
    await forgetRevisionHistory(ctx.input.tenantId, ctx.cluster.id);
    // No schedule outlives its cluster.
    await deletePatchSchedule(ctx.cluster.id);
    await forgetPatchRuns(ctx.input.tenantId, ctx.cluster.id);
    await forgetClusterCompliance(ctx.input.tenantId, ctx.cluster.id);
    await finalizeDeleted(ctx.input.tenantId, ctx.cluster);
    await ctx.event('Normal', 'ClusterDeleted', `${ctx.cluster.name} and all its cloud resources are deleted`, undefined, 'ClusterDeleted');
    return DONE;
  },
  { allowDeleting: true },
);
