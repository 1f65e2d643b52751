import type { ReportedNode } from './agent-protocol.js';
import type { NodePool } from './clusters.js';
import type { RecordedNode } from './machines.js';

/**
 * Node repair, as Cluster API's MachineHealthCheck and EKS node auto repair do it: a node NotReady
 * for longer than its pool's threshold is replaced, at most maxUnhealthy of a pool at once and not
 * at all when more are unhealthy (then the cloud or the network is probably at fault, and replacing
 * nodes would only add churn). Never on a node Strata is already taking out, never on one someone
 * cordoned (it is being worked on), never on a report older than the heartbeat that carried it, and
 * never on a control-plane node whose replacement could cost etcd its quorum.
 */
export const DEFAULT_REPAIR = Object.freeze({ enabled: true, notReadyMinutes: 10, maxUnhealthyPercent: 40 });

export type RepairSettings = { readonly enabled: boolean; readonly notReadyMinutes: number; readonly maxUnhealthyPercent: number };

export const repairSettings = (pool: Pick<NodePool, 'repair'>): RepairSettings => ({ ...DEFAULT_REPAIR, ...pool.repair });

export interface RepairCandidate {
  readonly node: string;
  readonly pool: string;
  /** Why it is replaced, as events and plan details say it. */
  readonly why: string;
}

export interface RepairDecision {
  readonly replace: readonly RepairCandidate[];
  /** Per pool where repair is held back: why. */
  readonly held: readonly { readonly pool: string; readonly message: string }[];
}

type Machine = RecordedNode & { readonly repair?: { readonly reason: string } };

/** When a reported node turned NotReady, if it is NotReady (Unknown counts: the node controller's word for silent). */
function notReadySince(node: ReportedNode): number | undefined {
  const ready = node.conditions.find((c) => c.type === 'Ready');
  if (!ready || ready.status === 'True') return undefined;
  const t = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/**
 * Which nodes to replace now. `reported` must be the report of the heartbeat being handled (fresh),
 * not a stored snapshot: a condition is only as current as the report that carries it.
 */
export function repairDecision(pools: readonly NodePool[], machines: readonly Machine[], reported: readonly ReportedNode[], now: Date): RepairDecision {
  const byName = new Map(reported.map((n) => [n.name, n]));
  const replace: RepairCandidate[] = [];
  const held: { pool: string; message: string }[] = [];
  for (const pool of pools) {
    const settings = repairSettings(pool);
    if (!settings.enabled) continue;
    const members = machines.filter((m) => m.pool === pool.name && !m.phase);
    const unhealthy = members.filter((m) => {
      const n = byName.get(m.name);
      return n !== undefined && notReadySince(n) !== undefined;
    });
    if (unhealthy.length === 0) continue;
    // As Cluster API scales maxUnhealthy: rounded down, so 40 % of 2 nodes is 0 and a pool needs 3 for one repair at a time.
    const limit = Math.floor((Math.max(pool.count, members.length) * settings.maxUnhealthyPercent) / 100);
    if (unhealthy.length > limit) {
      held.push({
        pool: pool.name,
        message: `${unhealthy.length} of ${members.length} node(s) NotReady (${unhealthy.map((m) => m.name).join(', ')}), more than maxUnhealthy ${settings.maxUnhealthyPercent}% allows (${limit}): no node is replaced; with this many down the cloud or the network is probably at fault`,
      });
      continue;
    }
    const due = unhealthy.filter((m) => {
      const n = byName.get(m.name)!;
      return !m.repair && !n.unschedulable && now.getTime() - notReadySince(n)! >= settings.notReadyMinutes * 60_000;
    });
    if (due.length === 0) continue;
    if (pool.role === 'controlPlane') {
      // The replacement joins etcd before the old member leaves: the members still Ready must hold a quorum of the pool.
      const ready = members.length - unhealthy.length;
      const quorum = Math.floor(pool.count / 2) + 1;
      if (ready < quorum) {
        held.push({ pool: pool.name, message: `${due.map((m) => m.name).join(', ')} NotReady, but only ${ready} of ${pool.count} control-plane node(s) are Ready and etcd needs ${quorum}: replacing a member now could lose its data; repair it by hand` });
        continue;
      }
    }
    for (const m of due) {
      const minutes = Math.floor((now.getTime() - notReadySince(byName.get(m.name)!)!) / 60_000);
      replace.push({ node: m.name, pool: pool.name, why: `NotReady for ${minutes} min (threshold ${settings.notReadyMinutes} min)` });
    }
  }
  return { replace, held };
}

/** The shortest NotReady threshold of the cluster's pools with repair on: a heartbeat looks closer only past it. */
export function repairDue(pools: readonly NodePool[], reported: readonly ReportedNode[], now: Date): boolean {
  const minutes = Math.min(...pools.map(repairSettings).filter((s) => s.enabled).map((s) => s.notReadyMinutes));
  if (!Number.isFinite(minutes)) return false;
  return reported.some((n) => {
    const since = notReadySince(n);
    return since !== undefined && !n.unschedulable && now.getTime() - since >= minutes * 60_000;
  });
}
