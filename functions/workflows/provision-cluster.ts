import { task, type WorkflowDefinition } from './definition.js';
import type { TaskName } from './tasks.js';

/** Provision (or reconcile a new generation of) a cluster. Input: {tenantId, clusterId, generation}. */
export const provisionCluster: WorkflowDefinition<TaskName> = {
  id: 'provision',
  file: 'provision-cluster',
  comment: 'Provision a cluster: each step is idempotent and retried with backoff until it succeeds. Input: {tenantId, clusterId, generation}.',
  steps: [
    task('Begin', 'BeginProvisioning', 'Pending -> Provisioning; the cluster CAs once; lay out the milestones'),
    task('CreateInfrastructure', 'CreateInfrastructure', 'InfrastructureCreated: network, subnets per zone, security groups'),
    task('ResolveImage', 'ResolveImage', "ImageReady: the OS pack's image for this cloud and region, baked in the cluster network when the pack needs customization"),
    task('AddControlPlaneNodes', 'AddControlPlane', 'ControlPlaneNodeAdded per control-plane node'),
    task('ControlPlaneReady', 'ControlPlaneReady', 'ControlPlaneReady: the agent reports every control-plane node Ready'),
    task('AddWorkerPools', 'AddWorkers', 'WorkerPoolReady per pool'),
    task('PacksInstalled', 'PacksInstalled', 'PacksInstalled: the agent reports every pack Installed'),
    task('Finish', 'FinishProvisioning', 'Provisioning -> Running'),
  ],
  succeed: 'Provisioned',
  stopped: 'the cluster is being deleted, or a newer generation took over',
};
