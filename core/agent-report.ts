import type { Heartbeat, ReportedNode } from './agent-protocol.js';
import { approxQuantity } from './quantity.js';
import type { ErrorDetail } from './errors.js';
import type { NodePool } from './clusters.js';

/**
 * Rules of an agent report that need more than one field, or the cluster. Agent reports are
 * untrusted input: what breaks a rule is refused (400 naming the field), never stored.
 */

/** How far usage may read above capacity (metrics-server averages over a window; cgroup accounting overshoots a little). */
export const USAGE_MARGIN = 0.1;

/** Nodes a report may hold beyond the planned ones: surge nodes of a rollout, nodes joined by hand. */
export const extraNodesAllowed = (planned: number) => Math.max(5, Math.ceil(planned / 2));

const USAGE_CAPACITY: ReadonlyArray<{ usage: 'cpu' | 'memory' | 'disk'; capacity: string }> = [
  { usage: 'cpu', capacity: 'cpu' },
  { usage: 'memory', capacity: 'memory' },
  { usage: 'disk', capacity: 'ephemeral-storage' },
];

/** Usage figures of a node that exceed its capacity by more than USAGE_MARGIN: which, and why. */
export function usageBeyondCapacity(node: Pick<ReportedNode, 'usage' | 'capacity'>): { field: 'cpu' | 'memory' | 'disk'; message: string }[] {
  const out: { field: 'cpu' | 'memory' | 'disk'; message: string }[] = [];
  for (const { usage, capacity } of USAGE_CAPACITY) {
    const used = node.usage?.[usage];
    const cap = node.capacity?.[capacity];
    if (used === undefined || cap === undefined) continue;
    // Floats: a 10 % margin does not need exact arithmetic.
    if (approxQuantity(used) > approxQuantity(cap) * (1 + USAGE_MARGIN)) {
      out.push({ field: usage, message: `${used} is more than the node's ${capacity} capacity ${cap} (+${USAGE_MARGIN * 100} %)` });
    }
  }
  return out;
}

export interface ReportContext {
  readonly generation: number;
  readonly nodePools: readonly Pick<NodePool, 'count'>[];
}

/** Every rule a valid-looking report can still break, each naming its field. */
export function checkReport(report: Heartbeat, cluster: ReportContext): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  if (report.observedGeneration > cluster.generation) {
    details.push({ path: 'observedGeneration', message: `${report.observedGeneration} is ahead of the desired generation ${cluster.generation}` });
  }
  const planned = cluster.nodePools.reduce((n, p) => n + p.count, 0);
  const allowed = planned + extraNodesAllowed(planned);
  if (report.nodes.length > allowed) {
    details.push({ path: 'nodes', message: `${report.nodes.length} nodes; the cluster plans ${planned}, so at most ${allowed} can be reported` });
  }
  const seen = new Map<string, number>();
  report.nodes.forEach((node, i) => {
    const first = seen.get(node.name);
    if (first !== undefined) details.push({ path: `nodes[${i}].name`, message: `${node.name} is also nodes[${first}]` });
    else seen.set(node.name, i);
    for (const over of usageBeyondCapacity(node)) details.push({ path: `nodes[${i}].usage.${over.field}`, message: over.message });
  });
  const services = new Map<string, number>();
  report.services.forEach((s, i) => {
    const key = `${s.namespace}/${s.name}`;
    const first = services.get(key);
    if (first !== undefined) details.push({ path: `services[${i}]`, message: `${key} is also services[${first}]` });
    else services.set(key, i);
  });
  const packs = new Set<string>();
  report.packs.forEach((p, i) => {
    if (packs.has(p.name)) details.push({ path: `packs[${i}].name`, message: `${p.name} is reported twice` });
    packs.add(p.name);
  });
  return details;
}
