import { agentToken, agentTokenHash } from '../../core/agent-token.js';
import type { ConditionUpdate } from '../../core/conditions.js';
import { planNodes } from '../../core/provisioning.js';
import { updateClusterStatus } from '../../adapters/dynamodb/clusters-store.js';
import { platformSecret } from '../../adapters/secrets/platform-secret.js';
import { clusterStep, DONE, STOP } from './cluster-step.js';

/** Pending → Provisioning; mint the agent token (only its hash is stored); lay out the milestones. */
export const handler = clusterStep(async (ctx) => {
  const { cluster, input } = ctx;
  const hash = agentTokenHash(agentToken(await platformSecret(), input.tenantId, cluster.id));
  const moved = await updateClusterStatus(input.tenantId, cluster.id, { phase: 'Provisioning', agentTokenHash: hash }, ['Pending', 'Provisioning', 'Failed']);
  if (!moved) return cluster.phase === 'Running' ? DONE : STOP;

  if (cluster.phase === 'Pending') await ctx.event('Normal', 'ProvisioningStarted', `provisioning ${cluster.name} in ${cluster.region} (generation ${input.generation})`);
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
