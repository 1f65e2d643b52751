import type { SUPERSEDED_WORKFLOWS } from '../workflows/registry.js';
import { workflows } from './workflows.js';

/** Stop whichever execution makes a cluster's generation real: its provisioning or its reconcile. */
export async function stopGeneration(clusterId: string, generation: number, cause: string): Promise<void> {
  // The workflow registry (every state machine's definition) loads with it: only this needs the list.
  const [{ provisionExecutionName, stopWorkflow }, { SUPERSEDED_WORKFLOWS: superseded }] = await Promise.all([workflows(), import('../workflows/registry.js')]);
  for (const workflow of superseded) await stopWorkflow(workflow, provisionExecutionName(clusterId, generation), cause);
}

/**
 * A newer generation takes over: the previous one's execution stops (a reconcile's plan is then
 * superseded at its step boundary by the new one's) and `workflow` starts for the new one.
 */
export async function supersedeGeneration(workflow: (typeof SUPERSEDED_WORKFLOWS)[number], tenantId: string, clusterId: string, from: number, to: number, cause: string): Promise<void> {
  await stopGeneration(clusterId, from, cause);
  const { provisionExecutionName, startWorkflow } = await workflows();
  await startWorkflow(workflow, provisionExecutionName(clusterId, to), { tenantId, clusterId, generation: to });
}
