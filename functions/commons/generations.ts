import { provisionExecutionName, startWorkflow, stopWorkflow } from '../../adapters/workflows/workflows.js';
import { SUPERSEDED_WORKFLOWS } from '../workflows/registry.js';

/** Stop whichever execution makes a cluster's generation real: its provisioning or its reconcile. */
export async function stopGeneration(clusterId: string, generation: number, cause: string): Promise<void> {
  for (const workflow of SUPERSEDED_WORKFLOWS) await stopWorkflow(workflow, provisionExecutionName(clusterId, generation), cause);
}

/**
 * A newer generation takes over: the previous one's execution stops (a reconcile's plan is then
 * superseded at its step boundary by the new one's) and `workflow` starts for the new one.
 */
export async function supersedeGeneration(workflow: (typeof SUPERSEDED_WORKFLOWS)[number], tenantId: string, clusterId: string, from: number, to: number, cause: string): Promise<void> {
  await stopGeneration(clusterId, from, cause);
  await startWorkflow(workflow, provisionExecutionName(clusterId, to), { tenantId, clusterId, generation: to });
}
