import type { ReportedNode } from './agent-protocol.js';
import { isReady } from './agent-protocol.js';
import type { InstanceInfo } from './cloud.js';
import type { Cluster } from './clusters.js';
import type { PlannedNode } from './provisioning.js';
import type { DesiredState, NodeState, ObservedNode } from './plan.js';

/**
 * A node as Strata launched it: what the planner compares with the cluster's spec. The image is
 * the OS pack's reference for the cluster's cloud and region (not the resolved id), so a plan can
 * be previewed without asking the cloud, and an OS pack change is a difference on every node.
 */
export interface NodeSpec extends Omit<PlannedNode, 'idempotencyToken'> {
  readonly imageRef: string;
  readonly kubernetesVersion: string;
}

/** What the reconciler has done to a node on its way out. */
export const MACHINE_PHASES = ['draining', 'drained', 'terminating'] as const;
export type MachinePhase = (typeof MACHINE_PHASES)[number];

/** A recorded node: its spec, the instance as last seen (once launched), the reconciler's phase. */
export type RecordedNode = NodeSpec &
  Partial<Pick<InstanceInfo, 'instanceId' | 'state'>> & {
    readonly createdAt: string;
    readonly phase?: MachinePhase;
    /** Node repair asked for its replacement (core/repair.ts). */
    readonly repair?: { readonly reason: string; readonly requestedAt: string };
  };

const GONE: ReadonlySet<string> = new Set(['shutting-down', 'terminated']);

/**
 * The planner's view of a cluster's nodes: the records, with readiness from the agent's last
 * report. A node leaving keeps its phase; one the agent reports is ready or notReady; one it
 * does not report yet is launching (no instance yet, or pending) or running (booted, not joined).
 */
export function observedNodes(records: readonly RecordedNode[], reported: readonly ReportedNode[]): ObservedNode[] {
  const byName = new Map(reported.map((n) => [n.name, n]));
  return records
    .filter((m) => !(m.state && GONE.has(m.state)) || m.phase === 'terminating')
    .map((m) => {
      const node = byName.get(m.name);
      let state: NodeState;
      if (m.phase) state = m.phase;
      else if (node) state = isReady(node) ? 'ready' : 'notReady';
      else state = m.state === 'running' ? 'running' : 'launching';
      return {
        name: m.name,
        pool: m.pool,
        role: m.role,
        index: m.index,
        zone: m.zone,
        instanceType: m.instanceType,
        diskGiB: m.diskGiB,
        imageId: m.imageRef,
        kubernetesVersion: m.kubernetesVersion,
        ...(m.instanceId ? { instanceId: m.instanceId } : {}),
        state,
        createdAt: m.createdAt,
        ...(m.repair ? { unhealthy: m.repair.reason } : {}),
      };
    });
}

/** What the cluster's spec asks of its nodes. */
export function desiredState(cluster: Pick<Cluster, 'nodePools'>, imageRef: string, kubernetesVersion: string): DesiredState {
  return {
    pools: cluster.nodePools.map((p) => ({ name: p.name, role: p.role, count: p.count, instanceType: p.instanceType, zones: p.zones, diskGiB: p.diskGiB, ...(p.rollout ? { rollout: p.rollout } : {}) })),
    imageId: imageRef,
    kubernetesVersion,
  };
}
