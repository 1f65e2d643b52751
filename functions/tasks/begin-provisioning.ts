import { agentToken, agentTokenHash } from '../../core/agent-token.js';
import type { ConditionUpdate } from '../../core/conditions.js';
import { planNodes } from '../../core/provisioning.js';
import { updateClusterStatus } from '../../adapters/dynamodb/clusters-store.js';
import { platformSecret } from '../../adapters/secrets/platform-secret.js';
import { clusterStep, DONE, STOP } from './cluster-step.js';

/** Pending → Provisioning (Running stays Running); mint the agent token (only its hash is stored); lay out the milestones. */
export const handler = clusterStep(async (ctx) => {
  const { cluster, input } = ctx;
  const hash = agentTokenHash(agentToken(await platformSecret(), input.tenantId, cluster.id));
  // A running cluster stays Running while a new generation is reconciled (day-2 changes).
  const moved = await updateClusterStatus(input.tenantId, cluster.id, { phase: cluster.phase === 'Running' ? 'Running' : 'Provisioning', agentTokenHash: hash }, [
    'Pending',
    'Provisioning',
    'Running',
    'Failed',
  ]);
  if (!moved) return STOP;

  if (cluster.phase === 'Pending') await ctx.event('Normal', 'ProvisioningStarted', `provisioning ${cluster.name} in ${cluster.region} (generation ${input.generation})`, undefined, `ProvisioningStarted#g${input.generation}`);
  if (cluster.phase === 'Running') await ctx.event('Normal', 'ReconcileStarted', `applying generation ${input.generation} to ${cluster.name}`, undefined, `ReconcileStarted#g${input.generation}`);
  const existing = new Set((await ctx.set()).map((c) => c.type));
  const unknown = (type: string, reason = 'NotStarted'): ConditionUpdate => ({ type, status: 'Unknown', reason, message: 'not started yet' });
  const milestones = [
    'ImageReady',
    'InfrastructureCreated',
    ...planNodes(cluster).filter((n) => n.role === 'controlPlane').map((n) => `ControlPlaneNodeAdded/${n.name}`),
    'ControlPlaneReady',
    ...cluster.nodePools.filter((p) => p.role === 'worker').map((p) => `WorkerPoolReady/${p.name}`),
    'PacksInstalled',
  ];
  await ctx.set(...milestones.filter((m) => !existing.has(m)).map((m) => unknown(m)));
  return DONE;
});
