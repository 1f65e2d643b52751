import { JOIN_TOKEN_TTL_HOURS } from './bootstrap-tokens.js';
import type { ErrorDetail } from './errors.js';
import type { NodePool } from './clusters.js';
import { planNodes } from './provisioning.js';

/**
 * What a change of a cluster that is not Running yet (provisioning, or failed on the way) may ask
 * for. Its provisioning workflow launches what is missing; removing or replacing nodes (scale
 * down, pool removal, a new instance type, disk, zone layout, Kubernetes version or OS image) is
 * the reconciler's, which plans from a cluster that has run. Such a change is refused, naming the
 * field, rather than accepted and reported done while every node stays as it was.
 */
export interface ExistingNode {
  readonly name: string;
  readonly pool: string;
  readonly zone: string;
  readonly instanceType: string;
}

export interface VersionChange {
  readonly kubernetes: { readonly from: string; readonly to: string };
  readonly os: { readonly from: string; readonly to: string };
}

const NOT_YET = 'the cluster is not Running yet, and nodes are removed or replaced only once it is (PUT ?dryRun=true then shows the plan)';

/** Field errors for a change the platform cannot make to the nodes it has. */
export function changesNotMadeYet(
  cluster: { readonly id: string; readonly name: string },
  current: readonly NodePool[],
  next: readonly NodePool[],
  nodes: readonly ExistingNode[],
  versions?: VersionChange,
): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const byPool = new Map<string, ExistingNode[]>();
  for (const n of nodes) byPool.set(n.pool, [...(byPool.get(n.pool) ?? []), n]);

  for (const pool of current) {
    const running = byPool.get(pool.name) ?? [];
    if (running.length === 0) continue;
    const i = next.findIndex((p) => p.name === pool.name);
    const wanted = next[i];
    if (!wanted) {
      details.push({ path: 'nodePools', message: `removing pool ${pool.name} would leave its ${running.length} node(s) running: ${NOT_YET}` });
      continue;
    }
    const at = `nodePools[${i}]`;
    // The nodes that stay are the planned ones: any running node beyond them would have to go.
    const planned = new Map(planNodes({ id: cluster.id, name: cluster.name, nodePools: [wanted] }).map((n) => [n.name, n]));
    const beyond = running.filter((n) => !planned.has(n.name));
    if (beyond.length) details.push({ path: `${at}.count`, message: `${beyond.map((n) => n.name).join(', ')} would have to be drained and terminated: ${NOT_YET}` });
    if (wanted.role !== pool.role) details.push({ path: `${at}.role`, message: `pool ${pool.name} has running ${pool.role} nodes; a pool's role cannot change` });
    if (wanted.instanceType !== pool.instanceType) {
      details.push({ path: `${at}.instanceType`, message: `${running.length} running node(s) are ${pool.instanceType}; moving them to ${wanted.instanceType} needs a rolling replacement, ${NOT_YET}` });
    }
    if (wanted.diskGiB !== pool.diskGiB) {
      details.push({ path: `${at}.diskGiB`, message: `${running.length} running node(s) have ${pool.diskGiB} GiB; ${wanted.diskGiB} GiB needs a rolling replacement, ${NOT_YET}` });
    }
    const moved = running.filter((n) => planned.has(n.name) && planned.get(n.name)!.zone !== n.zone);
    if (moved.length) {
      details.push({
        path: `${at}.zones`,
        message: `${moved.map((n) => `${n.name} (${n.zone})`).join(', ')} would belong in another zone: rebalancing running nodes is ${NOT_YET}`,
      });
    }
  }
  if (versions && nodes.length) {
    const { kubernetes, os } = versions;
    if (kubernetes.from !== kubernetes.to) {
      details.push({ path: 'profileRevision', message: `Kubernetes ${kubernetes.from} → ${kubernetes.to} on ${nodes.length} running node(s) needs every node replaced: ${NOT_YET}` });
    }
    if (os.from !== os.to) details.push({ path: 'profileRevision', message: `OS ${os.from} → ${os.to} on ${nodes.length} running node(s) needs every node replaced: ${NOT_YET}` });
  }
  return details;
}

/**
 * Kubernetes' version skew policy for a cluster's control plane: one minor version at a time, never
 * back. Undefined when the move is allowed.
 */
export function kubernetesSkewProblem(from: string, to: string): string | undefined {
  const [fromMajor, fromMinor] = from.split('.').map(Number);
  const [toMajor, toMinor] = to.split('.').map(Number);
  if (fromMajor === undefined || fromMinor === undefined || toMajor === undefined || toMinor === undefined) return undefined;
  if (toMajor !== fromMajor) return `Kubernetes ${from} → ${to} changes the major version, which kubeadm cannot upgrade`;
  if (toMinor < fromMinor || (toMinor === fromMinor && comparePatch(to, from) < 0)) {
    return `Kubernetes ${from} → ${to} is a downgrade; the control plane's data cannot move back a version`;
  }
  if (toMinor > fromMinor + 1) {
    return `Kubernetes ${from} → ${to} skips ${toMinor - fromMinor - 1} minor version(s): the version skew policy allows one minor at a time (${fromMajor}.${fromMinor + 1} first)`;
  }
  return undefined;
}

const comparePatch = (a: string, b: string) => Number(a.split('.')[2] ?? 0) - Number(b.split('.')[2] ?? 0);

/** An hour's margin: the token's clock starts at kubeadm init, a little after the cluster was made. */
const JOIN_WINDOW_MS = (JOIN_TOKEN_TTL_HOURS - 1) * 3_600_000;

/**
 * Nodes to add to a cluster that is not Running yet, whose init join token has expired, could never
 * join it: refused, naming each pool that would grow (a Running cluster's agent makes each new node
 * a token of its own).
 */
export function joinWindowProblems(createdAt: string, now: Date, current: readonly NodePool[], next: readonly NodePool[]): ErrorDetail[] {
  if (now.getTime() - Date.parse(createdAt) < JOIN_WINDOW_MS) return [];
  return next.flatMap((pool, i) => {
    const before = current.find((p) => p.name === pool.name)?.count ?? 0;
    return pool.count > before
      ? [
          {
            path: `nodePools[${i}].count`,
            message: `the cluster was made more than ${JOIN_TOKEN_TTL_HOURS - 1} h ago and its join token (${JOIN_TOKEN_TTL_HOURS} h) has expired, so new nodes could not join before the cluster is Running and its agent can make fresh tokens`,
          },
        ]
      : [];
  });
}
