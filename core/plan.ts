import type { NodePool } from './clusters.js';
import { validationFailed, type ErrorDetail } from './errors.js';

/**
 * The day-2 planner: from the pools a cluster should have and the nodes it has, the ordered steps
 * that converge one onto the other — scaling both ways, replacing nodes whose spec changed,
 * rebalancing zones — within each pool's rollout limits and never below etcd quorum. Pure: the same
 * input always gives the same plan, so a retried workflow step plans exactly what it planned before.
 */

type Role = NodePool['role'];

export const NODE_STATES = ['launching', 'running', 'ready', 'notReady', 'draining', 'drained', 'terminating'] as const;
export type NodeState = (typeof NODE_STATES)[number];

/** A node as the cloud and the agent show it. */
export interface ObservedNode {
  readonly name: string;
  readonly pool: string;
  readonly role: Role;
  readonly index: number;
  readonly zone: string;
  readonly instanceType: string;
  readonly diskGiB: number;
  readonly imageId: string;
  readonly kubernetesVersion: string;
  readonly instanceId?: string;
  readonly state: NodeState;
  /** ISO time; orders nodes for scale-down (newest leaves first). */
  readonly createdAt: string;
  /** Node repair asked for its replacement, and why (core/repair.ts). */
  readonly unhealthy?: string;
}

/** How fast a pool rolls: nodes launched beyond its count, and nodes out of service, at once. */
export interface RolloutSettings {
  readonly maxSurge: number;
  readonly maxUnavailable: number;
}

export const DEFAULT_ROLLOUT: RolloutSettings = Object.freeze({ maxSurge: 1, maxUnavailable: 0 });
/** etcd members change one at a time, and only once the new one is Ready. */
export const CONTROL_PLANE_ROLLOUT: RolloutSettings = Object.freeze({ maxSurge: 1, maxUnavailable: 0 });

export type DesiredPool = Pick<NodePool, 'name' | 'role' | 'count' | 'instanceType' | 'zones' | 'diskGiB'> & {
  readonly rollout?: Partial<RolloutSettings>;
};

export interface DesiredState {
  /** In definition order: worker pools roll in this order, after the control plane. */
  readonly pools: readonly DesiredPool[];
  readonly imageId: string;
  readonly kubernetesVersion: string;
}

export interface PlanInput {
  /** Names new nodes `<cluster>-<pool>-<index>`, as provisioning does. */
  readonly clusterName: string;
  readonly desired: DesiredState;
  /** Every node that exists; those of pools no longer desired are removed. */
  readonly observed: readonly ObservedNode[];
  /**
   * Per pool, the lowest index a new node may take: past every node the pool ever had, so a name
   * is never used twice (a Kubernetes Node object, events and metrics of a gone node outlive it).
   */
  readonly nextIndex?: Readonly<Record<string, number>>;
}

export type StepKind = 'launch' | 'waitReady' | 'drain' | 'terminate';
export type StepReason = 'scaleUp' | 'scaleDown' | 'replace' | 'repair' | 'rebalance' | 'poolRemoved';

/** What a launch step makes (its name, pool and zone are on the step). */
export interface LaunchSpec {
  readonly role: Role;
  readonly index: number;
  readonly instanceType: string;
  readonly diskGiB: number;
  readonly imageId: string;
  readonly kubernetesVersion: string;
}

export interface PlanStep {
  /** `<kind>:<pool>:<index>`: stable across re-plans of the same state, so progress can be recorded per step. */
  readonly id: string;
  readonly kind: StepKind;
  readonly pool: string;
  readonly node: string;
  readonly zone?: string;
  readonly reason: StepReason;
  /** What differs, e.g. 'instanceType m5.large → m6i.large', 'zone us-east-1c → us-east-1a'. */
  readonly details?: readonly string[];
  /** Launch steps only. */
  readonly launch?: LaunchSpec;
  /** Launch steps of a replacement: the node this one takes over from (a control plane swaps etcd members). */
  readonly replaces?: string;
}

/** Per pool: desired = current + toLaunch − toRemove; toReplace nodes are swapped one for one. */
export interface PoolSummary {
  readonly pool: string;
  readonly removed: boolean;
  readonly desired: number;
  /** Nodes in service or coming (launching counts), not those already leaving. */
  readonly current: number;
  readonly toLaunch: number;
  readonly toRemove: number;
  /** Replacements for a changed spec and moves between zones. */
  readonly toReplace: number;
  /** Nodes an earlier plan already took out (draining, drained, terminating) whose removal this plan finishes. */
  readonly leaving: number;
}

export interface Plan {
  readonly steps: readonly PlanStep[];
  readonly pools: readonly PoolSummary[];
}

/** The pool's effective rollout: the control plane's is fixed, others default field by field. */
export function rolloutFor(pool: Pick<DesiredPool, 'role' | 'rollout'>): RolloutSettings {
  if (pool.role === 'controlPlane') return CONTROL_PLANE_ROLLOUT;
  return {
    maxSurge: pool.rollout?.maxSurge ?? DEFAULT_ROLLOUT.maxSurge,
    maxUnavailable: pool.rollout?.maxUnavailable ?? DEFAULT_ROLLOUT.maxUnavailable,
  };
}

/** Rollout settings that could not make progress, or that the control plane does not take; paths as in the cluster API. */
export function checkRolloutSettings(pools: readonly Pick<DesiredPool, 'role' | 'rollout'>[], prefix = ''): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  pools.forEach((pool, i) => {
    const r = pool.rollout;
    if (!r) return;
    const at = `${prefix}nodePools[${i}].rollout`;
    let shapeOk = true;
    for (const field of ['maxSurge', 'maxUnavailable'] as const) {
      const v = r[field];
      if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 1000)) {
        details.push({ path: `${at}.${field}`, message: `${v} is not a number of nodes from 0 to 1000` });
        shapeOk = false;
      }
    }
    if (!shapeOk) return;
    if (pool.role === 'controlPlane') {
      const { maxSurge, maxUnavailable } = CONTROL_PLANE_ROLLOUT;
      if ((r.maxSurge ?? maxSurge) !== maxSurge || (r.maxUnavailable ?? maxUnavailable) !== maxUnavailable) {
        details.push({ path: at, message: 'the control plane rolls one node at a time (maxSurge 1, maxUnavailable 0) so etcd keeps quorum: leave rollout out' });
      }
      return;
    }
    const effective = rolloutFor(pool);
    if (effective.maxSurge === 0 && effective.maxUnavailable < 1) {
      details.push({ path: `${at}.maxUnavailable`, message: 'with maxSurge 0 a rollout can only make room by taking a node out: maxUnavailable must be at least 1' });
    }
  });
  return details;
}

/** Everything planReconcile refuses, each naming its field. */
export function checkPlanInput(input: PlanInput): ErrorDetail[] {
  return [...poolProblems(input.desired.pools), ...observedProblems(input.observed, new Set())];
}

function poolProblems(pools: readonly DesiredPool[]): ErrorDetail[] {
  const details = checkRolloutSettings(pools);
  const names = new Set<string>();
  pools.forEach((pool, i) => {
    const at = `nodePools[${i}]`;
    if (names.has(pool.name)) details.push({ path: `${at}.name`, message: `pool name ${pool.name} is used twice` });
    names.add(pool.name);
    if (!Number.isInteger(pool.count) || pool.count < 0) details.push({ path: `${at}.count`, message: `${pool.count} is not a number of nodes` });
    if (pool.zones.length === 0) details.push({ path: `${at}.zones`, message: 'a pool needs at least one zone' });
    if (new Set(pool.zones).size !== pool.zones.length) details.push({ path: `${at}.zones`, message: 'a zone is listed twice' });
  });
  return details;
}

/** Two records of one node would be planned twice: the caller's merge of cloud and agent is wrong. Fills `names`. */
function observedProblems(observed: readonly ObservedNode[], names: Set<string>): ErrorDetail[] {
  const indexes = new Map<string, Set<number>>();
  let clash = false;
  for (const node of observed) {
    const taken = indexes.get(node.pool) ?? new Set<number>();
    indexes.set(node.pool, taken);
    clash ||= names.has(node.name) || taken.has(node.index);
    names.add(node.name);
    taken.add(node.index);
  }
  if (!clash) return [];
  const details: ErrorDetail[] = [];
  observed.forEach((node, i) => {
    const first = observed.findIndex((n) => n.name === node.name);
    if (first < i) details.push({ path: `observed[${i}].name`, message: `${node.name} is also observed[${first}]` });
    const other = observed.findIndex((n) => n.pool === node.pool && n.index === node.index);
    if (other < i) details.push({ path: `observed[${i}].index`, message: `pool ${node.pool} index ${node.index} is also observed[${other}]` });
  });
  return details;
}

/** Same naming as provisioning (core/provisioning.ts planNodes). */
export const nodeName = (cluster: string, pool: string, index: number) => `${cluster}-${pool}-${index}`.slice(0, 63);

/** kubelet reports v1.32.6, packs say 1.32.6: the same version. */
const bareVersion = (v: string) => v.replace(/^v/, '');

/** Already on their way out: an earlier plan's work, finished rather than planned again. */
const LEAVING: ReadonlySet<NodeState> = new Set<NodeState>(['draining', 'drained', 'terminating']);
/** Launched by an earlier plan and not Ready yet: waited for, and counted as surge meanwhile. */
const COMING: ReadonlySet<NodeState> = new Set<NodeState>(['launching', 'running']);

/** A node as the plan walks it: readiness changes as steps are planned. */
interface Sim {
  readonly name: string;
  readonly pool: string;
  readonly index: number;
  readonly zone: string;
  readonly role: Role;
  readonly state: NodeState;
  /** createdAt in ms; an unreadable time sorts as oldest. */
  readonly t: number;
  /** How it differs from its pool's spec (nothing for a removed pool). */
  readonly diffs: readonly string[];
  ready: boolean;
  readonly count: PoolCount;
  /** `<pool>:<index>`, the tail of its step ids. */
  readonly key: string;
  kept: boolean;
  /** Replaced by node repair. */
  readonly repair?: boolean;
}

/** A pool's nodes that exist and that are Ready, as the walk goes. */
interface PoolCount {
  exist: number;
  ready: number;
}

interface Removal {
  readonly node: Sim;
  readonly reason: StepReason;
  readonly details: readonly string[];
}

interface Launch {
  readonly zone: string;
  readonly reason: StepReason;
  readonly details: readonly string[];
  readonly replaces?: Sim;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const olderFirst = (a: Sim, b: Sim) => a.t - b.t || a.index - b.index || cmp(a.name, b.name);
const newerFirst = (a: Sim, b: Sim) => -olderFirst(a, b);
/** Sorts in place. Per-pool arrays are short, and sort() allocates its state even for those. */
function sortSmall<T>(items: T[], order: (a: T, b: T) => number): T[] {
  if (items.length > 16) return items.sort(order);
  for (let i = 1; i < items.length; i++) {
    const item = items[i]!;
    let j = i - 1;
    for (; j >= 0 && order(items[j]!, item) > 0; j--) items[j + 1] = items[j]!;
    items[j + 1] = item;
  }
  return items;
}

const NONE: readonly string[] = Object.freeze([]);
type Draft<T> = { -readonly [K in keyof T]: T[K] };

function differences(n: ObservedNode, pool: DesiredPool, desired: DesiredState): readonly string[] {
  if (!n.unhealthy && n.role === pool.role && n.instanceType === pool.instanceType && n.diskGiB === pool.diskGiB && n.imageId === desired.imageId && n.kubernetesVersion === desired.kubernetesVersion) {
    return NONE;
  }
  const out: string[] = [];
  if (n.unhealthy) out.push(n.unhealthy);
  if (n.role !== pool.role) out.push(`role ${n.role} → ${pool.role}`);
  if (n.instanceType !== pool.instanceType) out.push(`instanceType ${n.instanceType} → ${pool.instanceType}`);
  if (n.diskGiB !== pool.diskGiB) out.push(`diskGiB ${n.diskGiB} → ${pool.diskGiB}`);
  if (n.imageId !== desired.imageId) out.push(`image ${n.imageId} → ${desired.imageId}`);
  if (bareVersion(n.kubernetesVersion) !== bareVersion(desired.kubernetesVersion)) {
    out.push(`kubernetes ${bareVersion(n.kubernetesVersion)} → ${bareVersion(desired.kubernetesVersion)}`);
  }
  return out.length ? out : NONE;
}

/** The steps, and what the walk through them knows: who is Ready, control-plane quorum, waits not yet planned. */
class Walk {
  readonly steps: PlanStep[] = [];
  cpReady = 0;
  /** Kept nodes not Ready that nothing waited for yet, per pool: waited for only when a drain needs them. */
  readonly unwaited = new Map<string, Sim[]>();

  constructor(
    readonly quorum: number,
    readonly cpPools: readonly string[],
  ) {}

  private push(kind: StepKind, node: Sim, reason: StepReason, details: readonly string[]): Draft<PlanStep> {
    const step: Draft<PlanStep> = { id: `${kind}:${node.key}`, kind, pool: node.pool, node: node.name, zone: node.zone, reason };
    if (details.length) step.details = details;
    this.steps.push(step);
    return step;
  }

  launch(node: Sim, reason: StepReason, details: readonly string[], launch: LaunchSpec, replaces?: string): void {
    const step = this.push('launch', node, reason, details);
    step.launch = launch;
    if (replaces) step.replaces = replaces;
    node.count.exist++;
  }

  waitReady(node: Sim, reason: StepReason, details: readonly string[]): void {
    this.push('waitReady', node, reason, details);
    if (node.ready) return;
    node.ready = true;
    node.count.ready++;
    if (node.role === 'controlPlane') this.cpReady++;
  }

  /** Drain (unless already drained) then terminate. */
  remove(node: Sim, reason: StepReason, details: readonly string[]): void {
    if (node.state !== 'drained' && node.state !== 'terminating') this.push('drain', node, reason, details);
    if (node.ready) {
      node.ready = false;
      node.count.ready--;
      if (node.role === 'controlPlane') this.cpReady--;
    }
    this.push('terminate', node, reason, details);
    node.count.exist--;
  }

  /** Taking this node out keeps the pool within maxUnavailable and the control plane at quorum. */
  mayRemove(node: Sim, floor: number): boolean {
    if (!node.ready) return true;
    if (node.count.ready - 1 < floor) return false;
    return node.role !== 'controlPlane' || this.cpReady - 1 >= this.quorum;
  }

  /** Plan waits for the pools' kept nodes that are not Ready; false when there were none. */
  waitFor(pools: readonly string[], blocked: Removal): boolean {
    let any = false;
    for (const pool of pools) {
      for (const node of this.unwaited.get(pool) ?? []) {
        this.waitReady(node, blocked.reason, [`Ready before ${blocked.node.name} is drained`]);
        any = true;
      }
      this.unwaited.delete(pool);
    }
    return any;
  }
}

/**
 * The steps that take the observed nodes to the desired pools: control plane first, one node at a
 * time; then worker pools in definition order, in batches within their rollout settings; then
 * removed pools. Throws a validation error (400) for input checkPlanInput refuses.
 */
export function planReconcile(input: PlanInput): Plan {
  const usedNames = new Set<string>();
  const problems = [...poolProblems(input.desired.pools), ...observedProblems(input.observed, usedNames)];
  if (problems.length) throw validationFailed(problems);
  const { desired } = input;
  const byPool = new Map<string, ObservedNode[]>();
  for (const n of [...input.observed].sort((a, b) => cmp(a.name, b.name))) {
    const list = byPool.get(n.pool);
    if (list) list.push(n);
    else byPool.set(n.pool, [n]);
  }
  const cpPools = desired.pools.filter((p) => p.role === 'controlPlane');
  const cpDesired = cpPools.reduce((sum, p) => sum + p.count, 0);
  const walk = new Walk(cpDesired > 0 ? Math.floor(cpDesired / 2) + 1 : 0, cpPools.map((p) => p.name));
  walk.cpReady = input.observed.filter((n) => n.role === 'controlPlane' && n.state === 'ready').length;

  const summaries: PoolSummary[] = [];
  const ordered = [...cpPools, ...desired.pools.filter((p) => p.role !== 'controlPlane')];
  for (const pool of ordered) {
    const sims = toSims(byPool.get(pool.name) ?? [], pool, desired);
    summaries.push(planPool(walk, pool, sims, desired, input.clusterName, usedNames, input.nextIndex?.[pool.name] ?? 0));
  }
  const desiredNames = new Set(desired.pools.map((p) => p.name));
  for (const name of [...byPool.keys()].filter((p) => !desiredNames.has(p)).sort(cmp)) {
    summaries.push(planRemovedPool(walk, name, toSims(byPool.get(name)!)));
  }
  return { steps: walk.steps, pools: summaries };
}

/** A pool's nodes for the walk, compared with the pool's spec (a removed pool has none). */
function toSims(nodes: readonly ObservedNode[], pool?: DesiredPool, desired?: DesiredState): Sim[] {
  const count: PoolCount = { exist: nodes.length, ready: 0 };
  return nodes.map((n) => {
    const ready = n.state === 'ready';
    if (ready) count.ready++;
    const t = Date.parse(n.createdAt);
    const diffs = pool && desired ? differences(n, pool, desired) : NONE;
    return { name: n.name, pool: n.pool, index: n.index, zone: n.zone, role: n.role, state: n.state, t: Number.isFinite(t) ? t : 0, diffs, ready, count, key: `${n.pool}:${n.index}`, kept: false, ...(n.unhealthy && pool ? { repair: true } : {}) };
  });
}

/**
 * Nodes per zone: the count split evenly, the odd ones going to zones that already hold the most
 * nodes on spec (fewest moves), then the most nodes at all (replacements stay in their zone), then
 * the zone whose newest node is oldest (as removing the newest first would leave), then zone order.
 */
function zoneTargets(count: number, goods: readonly Sim[][], all: readonly number[]): number[] {
  const k = goods.length;
  const base = Math.floor(count / k);
  const target = goods.map(() => base);
  if (count % k === 0) return target;
  const newest = goods.map((g) => g.at(-1)?.t ?? -Infinity);
  const order = sortSmall(
    goods.map((_, i) => i),
    (a, b) => goods[b]!.length - goods[a]!.length || all[b]! - all[a]! || newest[a]! - newest[b]! || a - b,
  );
  for (const i of order.slice(0, count % k)) target[i]!++;
  return target;
}

/** Scale-down order: not Ready first (costs no capacity), then from the fullest zone, newest first. */
function scaleDownOrder(removals: readonly Removal[], present: readonly Sim[]): Removal[] {
  if (removals.length < 2) return [...removals];
  const perZone = new Map<string, number>();
  for (const s of present) perZone.set(s.zone, (perZone.get(s.zone) ?? 0) + 1);
  const left = [...removals];
  const out: Removal[] = [];
  const before = (a: Sim, b: Sim) =>
    Number(a.ready) - Number(b.ready) || perZone.get(b.zone)! - perZone.get(a.zone)! || newerFirst(a, b);
  while (left.length) {
    let best = 0;
    for (let i = 1; i < left.length; i++) if (before(left[i]!.node, left[best]!.node) < 0) best = i;
    const [next] = left.splice(best, 1);
    out.push(next!);
    perZone.set(next!.node.zone, perZone.get(next!.node.zone)! - 1);
  }
  return out;
}

/** Every node on spec, in the pool's zones, settled, at the count and evenly spread: the usual case, and nothing to do. */
function settled(pool: DesiredPool, sims: readonly Sim[]): boolean {
  if (sims.length !== pool.count) return false;
  const perZone = pool.zones.map(() => 0);
  for (const s of sims) {
    const i = pool.zones.indexOf(s.zone);
    if (i < 0 || s.diffs.length || (s.state !== 'ready' && s.state !== 'notReady')) return false;
    perZone[i]!++;
  }
  return Math.max(...perZone) - Math.min(...perZone) <= 1;
}

function planPool(walk: Walk, pool: DesiredPool, sims: Sim[], desired: DesiredState, cluster: string, usedNames: Set<string>, firstIndex: number): PoolSummary {
  if (settled(pool, sims)) {
    const notReady = sims.filter((s) => !s.ready);
    if (notReady.length) walk.unwaited.set(pool.name, notReady);
    return { pool: pool.name, removed: false, desired: pool.count, current: sims.length, toLaunch: 0, toRemove: 0, toReplace: 0, leaving: 0 };
  }
  const { maxSurge, maxUnavailable } = rolloutFor(pool);
  const leaving = sims.filter((s) => LEAVING.has(s.state));
  const present = sims.filter((s) => !LEAVING.has(s.state));
  const zoneAt = new Map(pool.zones.map((z, i) => [z, i]));
  const goods: Sim[][] = pool.zones.map(() => []);
  const all = pool.zones.map(() => 0);
  for (const s of present) {
    const i = zoneAt.get(s.zone);
    if (i === undefined) continue;
    all[i]!++;
    if (s.diffs.length === 0) goods[i]!.push(s);
  }
  for (const g of goods) sortSmall(g, olderFirst);
  const target = zoneTargets(pool.count, goods, all);

  // Keep the oldest nodes on spec up to each zone's target; every other node goes.
  goods.forEach((g, i) => {
    for (let k = 0; k < Math.min(g.length, target[i]!); k++) g[k]!.kept = true;
  });
  const kept = present.filter((s) => s.kept); // in name order, as sims are
  const going = sortSmall(present.filter((s) => !s.kept), olderFirst);
  const keptIn = goods.map((g, i) => Math.min(g.length, target[i]!));
  const slots = target.map((t, i) => t - keptIn[i]!);

  // A replacement stays in its node's zone when that zone needs a node; otherwise it moves.
  const filled = slots.map(() => 0);
  const pairs: { old: Sim; zone: string }[] = [];
  const unpaired: Sim[] = [];
  for (const s of going) {
    const i = zoneAt.get(s.zone);
    if (i !== undefined && filled[i]! < slots[i]!) {
      filled[i]!++;
      pairs.push({ old: s, zone: s.zone });
    } else unpaired.push(s);
  }
  // Open slots, the emptiest zones first: the spread stays even while the pool grows.
  const open: { zone: string; key: number; i: number }[] = [];
  pool.zones.forEach((zone, i) => {
    for (let k = filled[i]!; k < slots[i]!; k++) open.push({ zone, key: keptIn[i]! + k, i });
  });
  sortSmall(open, (a, b) => a.key - b.key || a.i - b.i);
  const moved = Math.min(open.length, unpaired.length);
  for (let k = 0; k < moved; k++) pairs.push({ old: unpaired[k]!, zone: open[k]!.zone });
  const scaleUp = open.slice(moved);
  const scaleDown = unpaired.slice(moved);

  const outOfZone = (s: Sim) => (zoneAt.has(s.zone) ? NONE : [`zone ${s.zone} is no longer in the pool`]);
  const launches: Launch[] = scaleUp.map((o) => ({ zone: o.zone, reason: 'scaleUp', details: NONE }));
  const removals: Removal[] = [];
  sortSmall(pairs, (a, b) => Number(a.old.ready) - Number(b.old.ready) || olderFirst(a.old, b.old));
  const paired: Removal[] = pairs.map(({ old, zone }) => {
    const details = [...old.diffs, ...(old.zone !== zone ? [`zone ${old.zone} → ${zone}`] : [])];
    const reason: StepReason = old.repair ? 'repair' : old.diffs.length ? 'replace' : 'rebalance';
    launches.push({ zone, reason, details, replaces: old });
    return { node: old, reason, details };
  });
  const downs = scaleDownOrder(
    scaleDown.map((s) => ({ node: s, reason: 'scaleDown' as const, details: [...s.diffs, ...outOfZone(s)] })),
    present,
  );
  removals.push(...downs.filter((r) => !r.node.ready), ...paired.filter((r) => !r.node.ready));
  removals.push(...downs.filter((r) => r.node.ready), ...paired.filter((r) => r.node.ready));

  // Earlier launches still coming are waited for now: they are the surge this plan builds on.
  const continuing = pairs[0]?.old ? (pairs[0].old.repair ? 'repair' : pairs[0].old.diffs.length ? 'replace' : 'rebalance') : 'scaleUp';
  for (const s of kept) if (COMING.has(s.state)) walk.waitReady(s, continuing, NONE);
  // Kept nodes that are NotReady are waited for only if a drain would otherwise eat into capacity.
  const notReady = kept.filter((s) => !s.ready);
  if (notReady.length) walk.unwaited.set(pool.name, notReady);
  finishLeaving(walk, leaving, (s) => {
    if (s.diffs.length) return { reason: s.repair ? 'repair' : 'replace', details: [...s.diffs, ...outOfZone(s)] };
    return zoneAt.has(s.zone) ? { reason: 'scaleDown', details: NONE } : { reason: 'rebalance', details: outOfZone(s) };
  });

  let nextIndex = firstIndex;
  for (const s of sims) if (s.index >= nextIndex) nextIndex = s.index + 1;
  const count = sims[0]?.count ?? { exist: 0, ready: 0 };
  const launchOne = (l: Launch): Sim => {
    let name = nodeName(cluster, pool.name, nextIndex);
    while (usedNames.has(name)) name = nodeName(cluster, pool.name, ++nextIndex);
    usedNames.add(name);
    const index = nextIndex++;
    const node: Sim = { name, pool: pool.name, index, zone: l.zone, role: pool.role, state: 'launching', t: Infinity, diffs: NONE, ready: false, count, key: `${pool.name}:${index}`, kept: true };
    walk.launch(node, l.reason, l.details, { role: pool.role, index, instanceType: pool.instanceType, diskGiB: pool.diskGiB, imageId: desired.imageId, kubernetesVersion: desired.kubernetesVersion }, l.replaces?.name);
    return node;
  };
  rollingUpdate(walk, pool.name, { desired: pool.count, maxSurge, maxUnavailable, oneAtATime: pool.role === 'controlPlane' }, count, launches, removals, launchOne);

  return {
    pool: pool.name,
    removed: false,
    desired: pool.count,
    current: present.length,
    toLaunch: scaleUp.length,
    toRemove: scaleDown.length,
    toReplace: pairs.length,
    leaving: leaving.length,
  };
}

function planRemovedPool(walk: Walk, pool: string, sims: Sim[]): PoolSummary {
  const leaving = sims.filter((s) => LEAVING.has(s.state));
  const present = sims.filter((s) => !LEAVING.has(s.state));
  finishLeaving(walk, leaving, () => ({ reason: 'poolRemoved', details: NONE }));
  const removals = scaleDownOrder(present.map((s) => ({ node: s, reason: 'poolRemoved' as const, details: NONE })), present);
  const count = sims[0]?.count ?? { exist: 0, ready: 0 };
  rollingUpdate(walk, pool, { desired: 0, maxSurge: 0, maxUnavailable: 0, oneAtATime: false }, count, [], removals, () => {
    throw new Error('a removed pool launches nothing');
  });
  return { pool, removed: true, desired: 0, current: present.length, toLaunch: 0, toRemove: present.length, toReplace: 0, leaving: leaving.length };
}

/** An earlier plan's removals: a draining node finishes draining, then every one is terminated. */
function finishLeaving(walk: Walk, leaving: readonly Sim[], why: (s: Sim) => { reason: StepReason; details: readonly string[] }): void {
  for (const s of leaving) {
    const { reason, details } = why(s);
    walk.remove(s, reason, details);
  }
}

/**
 * Batches: launch while the pool stays within desired + maxSurge, wait for them, then take out
 * whatever keeps at least desired − maxUnavailable Ready (and the control plane at quorum); repeat.
 * With maxSurge 0 a batch therefore starts by taking nodes out.
 */
function rollingUpdate(
  walk: Walk,
  pool: string,
  limits: { desired: number; maxSurge: number; maxUnavailable: number; oneAtATime: boolean },
  count: PoolCount,
  launches: Launch[],
  removals: Removal[],
  launchOne: (l: Launch) => Sim,
): void {
  const floor = limits.desired - limits.maxUnavailable;
  let li = 0;
  // Nodes not Ready go before anything launches: they serve nothing and free surge room. Not a
  // control-plane node that joined, though: NotReady, its etcd member may still hold the only data.
  const pending: Removal[] = [];
  for (const r of removals) {
    const first = !r.node.ready && (r.node.role !== 'controlPlane' || COMING.has(r.node.state));
    if (first) walk.remove(r.node, r.reason, r.details);
    else pending.push(r);
  }
  const batch: Sim[] = [];
  while (li < launches.length || pending.length) {
    const first = li;
    batch.length = 0;
    while (li < launches.length && count.exist < limits.desired + limits.maxSurge && !(limits.oneAtATime && batch.length)) {
      batch.push(launchOne(launches[li++]!));
    }
    for (let j = 0; j < batch.length; j++) walk.waitReady(batch[j]!, launches[first + j]!.reason, launches[first + j]!.details);
    let progressed = batch.length > 0;
    for (let i = 0; i < pending.length; ) {
      const r = pending[i]!;
      if (walk.mayRemove(r.node, floor)) {
        walk.remove(r.node, r.reason, r.details);
        pending.splice(i, 1);
        progressed = true;
      } else i++;
    }
    if (progressed) continue;
    // Blocked: only kept nodes that are NotReady can stand in the way; wait for them, the pool's own first.
    const blocked = pending[0];
    if (blocked && (walk.waitFor([pool], blocked) || walk.waitFor(walk.cpPools, blocked))) continue;
    throw new Error(`pool ${pool}: no step can proceed within its rollout limits`);
  }
}

/**
 * The plan's effect on the nodes, step by step: launch adds a node (launching) with the desired
 * spec, waitReady makes it Ready, drain drains, terminate removes. Launched nodes are dated one
 * second after the newest node, so the result plans like the real thing.
 */
export function applyStep(nodes: readonly ObservedNode[], step: PlanStep): ObservedNode[] {
  if (step.kind === 'launch') {
    if (nodes.some((n) => n.name === step.node)) throw new Error(`${step.id}: ${step.node} exists already`);
    return [...nodes, launched(step, latest(nodes) + 1000)];
  }
  const i = nodes.findIndex((n) => n.name === step.node);
  if (i < 0) throw new Error(`${step.id}: no node ${step.node}`);
  if (step.kind === 'terminate') return nodes.filter((_, j) => j !== i);
  const state: NodeState = step.kind === 'waitReady' ? 'ready' : 'drained';
  return nodes.map((n, j) => (j === i ? { ...n, state } : n));
}

/** applyStep over the whole plan (in one pass: plan previews run it over thousands of nodes). */
export function applyPlan(observed: readonly ObservedNode[], plan: Pick<Plan, 'steps'>): ObservedNode[] {
  const nodes = new Map(observed.map((n) => [n.name, n]));
  let newest = latest(observed);
  for (const step of plan.steps) {
    const node = nodes.get(step.node);
    if (step.kind === 'launch') {
      if (node) throw new Error(`${step.id}: ${step.node} exists already`);
      newest += 1000;
      nodes.set(step.node, launched(step, newest));
      continue;
    }
    if (!node) throw new Error(`${step.id}: no node ${step.node}`);
    if (step.kind === 'terminate') nodes.delete(step.node);
    else nodes.set(step.node, { ...node, state: step.kind === 'waitReady' ? 'ready' : 'drained' });
  }
  return [...nodes.values()];
}

function latest(nodes: readonly ObservedNode[]): number {
  let t = 0;
  for (const n of nodes) {
    const c = Date.parse(n.createdAt);
    if (c > t) t = c;
  }
  return t;
}

function launched(step: PlanStep, at: number): ObservedNode {
  const l = step.launch;
  if (!l || step.zone === undefined) throw new Error(`${step.id}: a launch needs its spec and zone`);
  return {
    name: step.node,
    pool: step.pool,
    role: l.role,
    index: l.index,
    zone: step.zone,
    instanceType: l.instanceType,
    diskGiB: l.diskGiB,
    imageId: l.imageId,
    kubernetesVersion: l.kubernetesVersion,
    state: 'launching',
    createdAt: new Date(at).toISOString(),
  };
}

/** The pools' next indexes once a plan has run: what nextIndex must say for the plans after it. */
export function indexesAfter(plan: Pick<Plan, 'steps'>, before: Readonly<Record<string, number>> = {}): Record<string, number> {
  const out: Record<string, number> = { ...before };
  for (const s of plan.steps) if (s.launch && s.launch.index + 1 > (out[s.pool] ?? 0)) out[s.pool] = s.launch.index + 1;
  return out;
}
