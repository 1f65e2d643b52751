import type { ReportedNode } from '../../core/agent-protocol.js';
import type { Cluster } from '../../core/clusters.js';
import type { ConditionUpdate } from '../../core/conditions.js';
import { repairDecision, repairDue } from '../../core/repair.js';
import { applyConditions, listConditions } from '../../adapters/dynamodb/conditions-store.js';
import { appendEvent } from '../../adapters/dynamodb/events-store.js';
import { listMachines, markForRepair } from '../../adapters/dynamodb/machines-store.js';
import { getPatchLock, getRun } from '../../adapters/dynamodb/patch-runs-store.js';
import { supersedeGeneration } from '../commons/generations.js';

/**
 * Node repair for one cluster whose report is current (the caller checked the heartbeat is): nodes
 * NotReady past their pool's threshold are marked for replacement and a new generation is
 * reconciled, whose plan replaces them (reason repair). Where repair is held back, NodeRepair/<pool>
 * says why; it goes once there is nothing to hold back.
 */
export async function repairNodes(tenantId: string, cluster: Cluster, reported: readonly ReportedNode[], now: Date): Promise<string[]> {
  if (cluster.phase !== 'Running') return [];
  const conditions = await listConditions(cluster.id);
  const heldBefore = conditions.filter((c) => c.type.startsWith('NodeRepair/')).map((c) => c.type);
  if (!repairDue(cluster.nodePools, reported, now) && heldBefore.length === 0) return [];
  // Nodes an OS patch run has out (cordoned, rebooting) are its own, not repair's.
  const lock = await getPatchLock(tenantId, cluster.id);
  const run = lock ? await getRun(tenantId, cluster.id, lock.runId) : undefined;
  const patching = new Set(run?.nodes.filter((n) => n.status === 'patching').map((n) => n.node) ?? []);
  const decision = repairDecision(cluster.nodePools, await listMachines(tenantId, cluster.id), reported.filter((n) => !patching.has(n.name)), now);
  const held: ConditionUpdate[] = decision.held.map((h) => ({ type: `NodeRepair/${h.pool}`, status: 'False', reason: 'RepairHeld', message: h.message }));
  const cleared = heldBefore.filter((t) => !held.some((h) => h.type === t));
  if (held.length || cleared.length) {
    const { changed } = await applyConditions(cluster.id, cluster.generation, held, cleared);
    for (const c of changed.filter((c) => c.type.startsWith('NodeRepair/'))) {
      await appendEvent({ clusterId: cluster.id, clusterName: cluster.name, tenantId, type: 'Warning', reason: 'NodeRepairHeld', message: c.message, subject: c.type });
    }
  }
  if (decision.replace.length === 0) return [];
  if (!(await markForRepair(tenantId, cluster, decision.replace, now.toISOString()))) return []; // someone else changed the cluster first: the next report decides again
  for (const r of decision.replace) {
    await appendEvent({ clusterId: cluster.id, clusterName: cluster.name, tenantId, type: 'Warning', reason: 'NodeRepair', message: `${r.node} is replaced: ${r.why}`, subject: r.node });
  }
  const generation = cluster.generation + 1;
  await supersedeGeneration('reconcile', tenantId, cluster.id, cluster.generation, generation, `node repair: generation ${generation}`);
  return decision.replace.map((r) => r.node);
}
