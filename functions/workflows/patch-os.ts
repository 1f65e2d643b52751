import { task, type WorkflowDefinition } from './definition.js';
import type { TaskName } from './tasks.js';

/** Patch a running cluster's nodes: pool by pool, node by node. Input: {tenantId, clusterId, trigger, scheduledTime, runId?}. */
export const patchOs: WorkflowDefinition<TaskName> = {
  id: 'patch',
  file: 'patch-os',
  comment:
    "Patch the OS of a running cluster's nodes, pool by pool, node by node, never more than a pool's maxUnavailable out at once, inside the maintenance window. Input: {tenantId, clusterId, trigger, scheduledTime, runId?}; a scheduled delivery without runId starts the run's own execution, named after its scheduled time, so a second delivery starts nothing.",
  steps: [
    task('BeginPatch', 'BeginPatch', "the run: deduped by its scheduled time; it takes the cluster's patch lock once no reconcile is under way (and says while it waits)"),
    task('PatchPools', 'PatchPools', "one patchNodes agent command per pool, the agent running the pool's node-by-node loop; a failed node is tried again after a backoff; the window's end stops it at a node boundary"),
    task('FinishPatch', 'FinishPatch', "each node's patch recorded on it, the lock given back, OsPatched says how the run ended"),
  ],
  succeed: 'Patched',
  stopped: 'a second delivery of a scheduled run, the cluster is gone or being deleted, or the run had ended',
};
