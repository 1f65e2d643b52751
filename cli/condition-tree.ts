import type { ClusterNode, ClusterWithStatus, Condition, ConditionList, NodeList } from './api-types.js';
import { statusColour, type Palette } from './colour.js';
import { renderTable } from './table.js';
import { age } from './time.js';

type Status = 'True' | 'False' | 'Unknown';

/** One line of the tree: a condition, a node, or a group whose status is its worst child's. */
export interface TreeNode {
  readonly name: string;
  readonly detail?: string;
  readonly status: Status;
  readonly reason?: string;
  readonly since?: string;
  readonly message?: string;
  readonly children: TreeNode[];
}

const SEVERITY: Record<Status, number> = { False: 0, Unknown: 1, True: 2 };
const BY_SEVERITY: readonly Status[] = ['False', 'Unknown', 'True'];
/** Cluster-wide conditions that are health checks, not milestones. */
const HEALTH = ['HeartbeatHealthy', 'NodesHealthy', 'MetricsHealthy'];
/** Per-pool and per-node conditions, placed under their pool or node instead. */
const PER_POOL = ['WorkerPoolReady', 'NodeRepair'];
const PER_NODE = ['ControlPlaneNodeAdded'];
const base = (type: string) => type.split('/')[0]!;
const subject = (type: string) => type.slice(type.indexOf('/') + 1);

/** The worst status in a subtree: a pool that says True with a node that is False counts as False. */
const worst = (node: TreeNode): number => Math.min(SEVERITY[node.status], ...node.children.map(worst));

/** Failures first, then what is not known yet, then what is fine; otherwise in the lifecycle's order. */
function failuresFirst(children: TreeNode[]): TreeNode[] {
  return children.map((c, i) => ({ c, i, w: worst(c) })).sort((a, b) => a.w - b.w || a.i - b.i).map(({ c }) => c);
}

const fromCondition = (c: Condition, name = c.type): TreeNode => ({ name, status: c.status, reason: c.reason, since: c.lastTransitionTime, message: c.message, children: [] });

function group(name: string, children: TreeNode[], own?: Condition, detail?: string): TreeNode {
  const sorted = failuresFirst(children);
  if (own) return { ...fromCondition(own, name), detail, children: sorted };
  const status = BY_SEVERITY[Math.min(...sorted.map(worst))] ?? 'Unknown';
  return { name, detail, status, children: sorted };
}

/** A node as the agent sees it (Ready, no pressure), or else as the cloud does; a failed join comes first. */
function nodeLine(name: string, node: ClusterNode | undefined, added: Condition | undefined): TreeNode {
  const detail = node ? [node.zone, node.instanceType, node.kubeletVersion].filter(Boolean).join(' ') : undefined;
  if (added && added.status !== 'True') return { ...fromCondition(added, `Node/${name}`), detail };
  if (!node) return { name: `Node/${name}`, status: 'Unknown', reason: 'NotLaunched', message: 'not launched yet', children: [] };
  if (node.phase) return { name: `Node/${name}`, detail, status: 'Unknown', reason: node.phase[0]!.toUpperCase() + node.phase.slice(1), message: `the reconciler is taking it out of the cluster (${node.phase})`, children: [] };
  const ready = node.conditions.find((c) => c.type === 'Ready');
  if (!ready) {
    return { name: `Node/${name}`, detail, status: 'Unknown', reason: node.instanceState ? `Instance${node.instanceState[0]!.toUpperCase()}${node.instanceState.slice(1)}` : 'NotReported', message: 'the agent has not reported it yet', children: [] };
  }
  const problems = node.conditions.filter((c) => (c.type === 'Ready' ? c.status !== 'True' : c.status === 'True'));
  if (problems.length) {
    return {
      name: `Node/${name}`,
      detail,
      status: 'False',
      reason: problems[0]!.reason ?? `${problems[0]!.type}${problems[0]!.status}`,
      since: problems[0]!.lastTransitionTime,
      message: problems.map((c) => `${c.type} is ${c.status}${c.message ? `: ${c.message}` : ''}`).join('; '),
      children: [],
    };
  }
  return { name: `Node/${name}`, detail, status: 'True', reason: ready.reason ?? 'Ready', since: ready.lastTransitionTime, message: ready.message ?? '', children: [] };
}

/**
 * The condition tree of a cluster, the way `clusterctl describe cluster` shows one: the Ready
 * summary at the top; the lifecycle milestones; each pool with its nodes; the health checks. At
 * every level, failures first.
 */
export function conditionTree(cluster: ClusterWithStatus, conditions: ConditionList, nodes: NodeList): TreeNode {
  const all = conditions.items;
  const byType = new Map(all.map((c) => [c.type, c]));
  const placed = new Set<string>(['Ready']);
  const take = (type: string) => {
    placed.add(type);
    return byType.get(type);
  };

  const pools = cluster.nodePools.map((pool) => {
    const names = new Set(nodes.items.filter((n) => n.pool === pool.name).map((n) => n.name));
    // Node names are <cluster>-<pool>-<index> (names are DNS labels: nothing to escape); a node not
    // launched yet shows under its pool by its condition alone.
    const ofPool = new RegExp(`^${cluster.name}-${pool.name}-\\d+$`);
    for (const c of all) if (PER_NODE.includes(base(c.type)) && ofPool.test(subject(c.type))) names.add(subject(c.type));
    const nodeLines = [...names].sort().map((n) => nodeLine(n, nodes.items.find((x) => x.name === n), take(`ControlPlaneNodeAdded/${n}`)));
    const repair = take(`NodeRepair/${pool.name}`);
    const own = take(`WorkerPoolReady/${pool.name}`);
    return group(`Pool/${pool.name}`, [...nodeLines, ...(repair ? [fromCondition(repair, 'NodeRepair')] : [])], own, `${pool.role}, ${pool.count} × ${pool.instanceType}`);
  });
  const strays = nodes.items.filter((n) => !n.pool || !cluster.nodePools.some((p) => p.name === n.pool));
  if (strays.length) pools.push(group('Nodes not in a pool', strays.map((n) => nodeLine(n.name, n, undefined))));

  const health = HEALTH.map(take).filter((c): c is Condition => !!c).map((c) => fromCondition(c));
  const milestones = all.filter((c) => !placed.has(c.type) && !PER_POOL.includes(base(c.type))).map((c) => fromCondition(c));
  for (const c of all) if (!placed.has(c.type) && PER_POOL.includes(base(c.type))) milestones.push(fromCondition(c));

  const children = [group('Milestones', milestones), ...pools, ...(health.length ? [group('Health', health)] : [])];
  const ready = byType.get('Ready');
  const top: TreeNode = ready
    ? group(`Cluster/${cluster.name}`, children, ready)
    : { ...group(`Cluster/${cluster.name}`, children), status: cluster.ready.status, reason: cluster.ready.reason, message: cluster.ready.message };
  return { ...top, detail: `${cluster.phase}, ${cluster.health.health}` };
}

/** The tree as a table: names drawn with ├─ └─ │, then status, reason, age and message. */
export function renderTree(tree: TreeNode, p: Palette, now = Date.now()): string {
  const rows: { prefix: string; node: TreeNode }[] = [];
  const walk = (node: TreeNode, lead: string, self: string) => {
    rows.push({ prefix: self, node });
    node.children.forEach((child, i) => {
      const last = i === node.children.length - 1;
      walk(child, lead + (last ? '  ' : '│ '), lead + (last ? '└─' : '├─'));
    });
  };
  walk(tree, '', '');
  return renderTable(
    [
      { header: 'NAME', cell: ({ prefix, node }) => `${p.dim(prefix)}${node.name}${node.detail ? ` ${p.dim(`(${node.detail})`)}` : ''}` },
      { header: 'STATUS', cell: ({ node }) => statusColour(p, node.status)(node.status) },
      { header: 'REASON', cell: ({ node }) => node.reason ?? '' },
      { header: 'AGE', cell: ({ node }) => age(node.since, now) },
      { header: 'MESSAGE', cell: ({ node }) => node.message ?? '' },
    ],
    rows,
    p.bold,
  );
}
