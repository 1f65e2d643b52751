import { task, type WorkflowDefinition } from './definition.js';
import type { TaskName } from './tasks.js';

/** Reconcile a new generation of a running cluster: plan once, then run the plan step by step. Input: {tenantId, clusterId, generation}. */
export const reconcileCluster: WorkflowDefinition<TaskName> = {
  id: 'reconcile',
  file: 'reconcile-cluster',
  comment: 'Reconcile a running cluster to a new generation: the plan the API previewed, run step by step (scale, replace, rebalance, upgrade). Input: {tenantId, clusterId, generation}.',
  steps: [
    task('Plan', 'BeginReconcile', "the generation's plan from the nodes as they are; an older generation's plan is superseded"),
    task('ResolveImage', 'ResolveImage', "ImageReady: the OS pack's image for this cloud and region"),
    task('UpdateInfrastructure', 'CreateInfrastructure', 'InfrastructureCreated: subnets of new zones, allowed networks'),
    task('RunPlan', 'ReconcileNodes', 'the plan, step by step: launch, wait for Ready, drain, terminate; WorkerPoolReady says k of n updated'),
    task('PacksInstalled', 'PacksInstalled', 'PacksInstalled: the agent reports every pack of this generation Installed'),
    task('Finish', 'FinishReconcile', 'conditions of removed nodes and pools go; observedGeneration'),
  ],
  succeed: 'Reconciled',
  stopped: 'the cluster is being deleted, or a newer generation took over',
};
