import type { Cluster } from '../../core/clusters.js';
import { desiredState, observedNodes } from '../../core/machines.js';
import { planReconcile, type Plan, type PlanStep } from '../../core/plan.js';
import type { ProfileRevision } from '../../core/profiles.js';
import { listMachines } from '../../adapters/dynamodb/machines-store.js';
import { getSnapshot } from '../../adapters/dynamodb/telemetry-store.js';
import { clusterImage } from './cluster-image.js';

/**
 * The plan that takes the cluster's nodes (as recorded, with readiness from the agent's last
 * report) to its spec. The API previews it with the spec a change would make; the reconcile
 * workflow runs the one it computes when it starts, from the same inputs, so both are equal.
 */
export async function clusterPlan(tenantId: string, cluster: Cluster, revision: ProfileRevision): Promise<Plan> {
  const [machines, snapshot, image] = await Promise.all([listMachines(tenantId, cluster.id), getSnapshot(cluster.id), clusterImage(tenantId, cluster, revision)]);
  const os = revision.layers.find((l) => l.layer === 'os')!;
  const k8s = revision.layers.find((l) => l.layer === 'k8s');
  // A pack without an image here plans with its name; ResolveImage then says the image is missing.
  const imageRef = image?.identity ?? `${os.name} ${os.version}`;
  return planReconcile({
    clusterName: cluster.name,
    desired: desiredState(cluster, imageRef, k8s?.version ?? ''),
    observed: observedNodes(machines, snapshot?.report?.nodes ?? []),
    nextIndex: cluster.status?.nextNodeIndex,
  });
}

/** The steps of a running plan that a new one does not keep: what a change made now would cancel. */
export function cancelledSteps(running: { readonly steps: readonly PlanStep[]; readonly cursor: number } | undefined, next: Plan): PlanStep[] {
  if (!running) return [];
  const kept = new Set(next.steps.map((s) => s.id));
  return running.steps.slice(running.cursor).filter((s) => !kept.has(s.id));
}
