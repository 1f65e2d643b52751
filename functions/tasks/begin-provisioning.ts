import { orphanedConditions, type ConditionUpdate } from '../../core/conditions.js';
import { generateClusterPki, pkiSealContext } from '../../core/pki.js';
import { phasesBefore, provisioningPhase } from '../../core/lifecycle.js';
import { planNodes } from '../../core/provisioning.js';
import { getClusterPki, putClusterPki } from '../../adapters/dynamodb/cluster-pki-store.js';
import { updateClusterStatus } from '../../adapters/dynamodb/clusters-store.js';
import { seal } from '../../adapters/kms/envelope.js';
import { clusterStep, DONE, STOP } from './cluster-step.js';
import { clock } from '../../core/clock.js';

/**
 * Pending → Provisioning (Running stays Running); make the cluster's CAs and service-account key
 * once (private keys sealed with KMS); lay out the milestones.
 */
export const handler = clusterStep(async (ctx) => {
  const { cluster, input } = ctx;
  // A running cluster stays Running while a new generation is reconciled (day-2 changes).
  const phase = provisioningPhase(cluster.phase);
  const moved = await updateClusterStatus(input.tenantId, cluster.id, { phase }, phasesBefore(phase));
  if (!moved) return STOP;
  await ensurePki(input.tenantId, cluster.id);

  if (cluster.phase === 'Pending') await ctx.event('Normal', 'ProvisioningStarted', `provisioning ${cluster.name} in ${cluster.region} (generation ${input.generation})`, undefined, `ProvisioningStarted#g${input.generation}`);
  if (cluster.phase === 'Running') await ctx.event('Normal', 'ReconcileStarted', `applying generation ${input.generation} to ${cluster.name}`, undefined, `ReconcileStarted#g${input.generation}`);
  const current = await ctx.conditions();
  const existing = new Set(current.map((c) => c.type));
  const unknown = (type: string, reason = 'NotStarted'): ConditionUpdate => ({ type, status: 'Unknown', reason, message: 'not started yet' });
  const controlPlane = planNodes(cluster).filter((n) => n.role === 'controlPlane').map((n) => n.name);
  const workerPools = cluster.nodePools.filter((p) => p.role === 'worker').map((p) => p.name);
  const milestones = [
    'ImageReady',
    'InfrastructureCreated',
    ...controlPlane.map((n) => `ControlPlaneNodeAdded/${n}`),
    'ControlPlaneEndpointReady',
    'ControlPlaneReady',
    ...workerPools.map((p) => `WorkerPoolReady/${p}`),
    'PacksInstalled',
  ];
  // The conditions of nodes and pools this generation no longer has go with them.
  await ctx.apply(
    milestones.filter((m) => !existing.has(m)).map((m) => unknown(m)),
    orphanedConditions(current, { nodes: controlPlane, pools: workerPools }),
  );
  return DONE;
});

/** The cluster's PKI, made on its first provisioning and kept for its life; the hash of its CA is public. */
async function ensurePki(tenantId: string, clusterId: string): Promise<void> {
  if (await getClusterPki(tenantId, clusterId)) return;
  const { pki, keys } = await generateClusterPki();
  const sealedKeys = await seal(Buffer.from(JSON.stringify(keys)), pkiSealContext(tenantId, clusterId));
  const kept = await putClusterPki(tenantId, clusterId, { ...pki, sealedKeys, createdAt: clock.date().toISOString() });
  await updateClusterStatus(tenantId, clusterId, { caCertHash: kept.caCertHash });
}
