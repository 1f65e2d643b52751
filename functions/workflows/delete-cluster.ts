import { task, wait, type WorkflowDefinition } from './definition.js';
import type { TaskName } from './tasks.js';

/** Delete a cluster in any phase. Input: {tenantId, clusterId, generation}. */
export const deleteCluster: WorkflowDefinition<TaskName> = {
  id: 'delete',
  file: 'delete-cluster',
  comment: 'Delete a cluster in any phase: remove every resource tagged for it, then mark it Deleted. Input: {tenantId, clusterId, generation}.',
  steps: [
    task('BeginDeletion', 'BeginDeletion', 'stop provisioning so nothing new is made'),
    task('DeleteResources', 'DeleteResources', 'one pass over everything tagged for the cluster, instances first'),
    wait('Settle', 30, 'let any in-flight step finish, then check once more'),
    task('VerifyDeleted', 'DeleteResources', 'a second pass: nothing may be left'),
    task('FinishDeletion', 'FinishDeletion', 'Deleting -> Deleted; free the name and references'),
  ],
  succeed: 'Deleted',
  stopped: 'the cluster record is gone',
};
