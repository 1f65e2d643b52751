import { bakeImage } from './bake-image.js';
import { deleteCluster } from './delete-cluster.js';
import type { WorkflowDefinition } from './definition.js';
import { notifyUpdates } from './notify-updates.js';
import { patchOs } from './patch-os.js';
import { provisionCluster } from './provision-cluster.js';
import { reconcileCluster } from './reconcile-cluster.js';
import type { TaskName } from './tasks.js';

/**
 * Every workflow. The CDK construct (state machines, grants, substitutions), the workflow adapter
 * (start, stop, describe) and the local Step Functions endpoint all iterate this; a new workflow is
 * its definition here, its task handlers (functions/workflows/tasks.ts), its core rules and its tests.
 */
export const WORKFLOWS = {
  provision: provisionCluster,
  reconcile: reconcileCluster,
  delete: deleteCluster,
  bake: bakeImage,
  notify: notifyUpdates,
  patch: patchOs,
} as const satisfies Record<string, WorkflowDefinition<TaskName>>;
export type WorkflowId = keyof typeof WORKFLOWS;

/** The variable a workflow's state machine ARN is read from: PROVISION_STATE_MACHINE_ARN, … */
export const workflowArnEnv = (id: WorkflowId) => `${id.toUpperCase()}_STATE_MACHINE_ARN`;

/** The ASL file of a workflow, relative to the repository root. */
export const aslFile = (id: WorkflowId) => `statemachines/${WORKFLOWS[id].file}.asl.json`;

/** The workflows that make a cluster's generation real: a newer generation, or a deletion, stops them. */
export const SUPERSEDED_WORKFLOWS = ['provision', 'reconcile'] as const satisfies readonly WorkflowId[];
