/**
 * One status language for every milestone and health check (Cluster API style):
 * {type, status, reason, message, lastTransitionTime, attempts}, plus a Ready summary that is
 * True only when every other condition is.
 */
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  /** e.g. ImageReady, ControlPlaneNodeAdded/demo-cp-0, WorkerPoolReady/workers. */
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  /** How many times the step has been tried. */
  readonly attempts: number;
  readonly observedGeneration: number;
  /** Human label of the milestone, e.g. "Adding Control Plane Node". */
  readonly title: string;
}

export const MILESTONES = {
  ImageReady: 'Resolving/Customizing Image',
  InfrastructureCreated: 'Creating Infrastructure',
  ControlPlaneNodeAdded: 'Adding Control Plane Node',
  ControlPlaneReady: 'Control Plane Ready',
  WorkerPoolReady: 'Worker Pool Ready',
  PacksInstalled: 'Installing Packs',
  Ready: 'Ready',
  HeartbeatHealthy: 'Heartbeat',
  NodesHealthy: 'Nodes',
  MetricsHealthy: 'Metrics',
} as const;
export type Milestone = keyof typeof MILESTONES;

export const READY = 'Ready';
/** Not lifecycle milestones: health checks, and the deletion's own progress. */
const HEALTH_TYPES = new Set(['HeartbeatHealthy', 'NodesHealthy', 'MetricsHealthy', 'InfrastructureDeleted']);

export interface ConditionUpdate {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
  /** Count this as one more try of the step. */
  readonly attempted?: boolean;
}

export function milestoneOf(type: string): Milestone {
  return type.split('/')[0] as Milestone;
}

/** Apply an update: the transition time moves only when the status does. */
export function nextCondition(prev: Condition | undefined, u: ConditionUpdate, generation: number, now: string): Condition {
  return {
    type: u.type,
    status: u.status,
    reason: u.reason,
    message: u.message,
    lastTransitionTime: prev && prev.status === u.status ? prev.lastTransitionTime : now,
    attempts: (prev?.attempts ?? 0) + (u.attempted ? 1 : 0),
    observedGeneration: generation,
    title: MILESTONES[milestoneOf(u.type)] ?? u.type,
  };
}

/** The Ready summary: True when every other condition is True; otherwise names what is not. */
export function readySummary(conditions: readonly Condition[]): Pick<ConditionUpdate, 'status' | 'reason' | 'message'> {
  // Ready summarises the lifecycle milestones; health checks have their own overall health.
  const others = conditions.filter((c) => c.type !== READY && !HEALTH_TYPES.has(c.type));
  const failing = others.filter((c) => c.status === 'False');
  const pending = others.filter((c) => c.status === 'Unknown');
  if (others.length && !failing.length && !pending.length) return { status: 'True', reason: 'AllConditionsTrue', message: 'every condition is True' };
  if (failing.length) {
    return { status: 'False', reason: failing[0]!.reason, message: failing.map((c) => `${c.type}: ${c.message}`).join('; ') };
  }
  return { status: 'Unknown', reason: 'InProgress', message: `waiting for ${pending.map((c) => c.type).join(', ') || 'provisioning to start'}` };
}

/** Order for display: milestones in lifecycle order, then by type. */
export function sortConditions(conditions: readonly Condition[]): Condition[] {
  const order = Object.keys(MILESTONES);
  return [...conditions].sort((a, b) => order.indexOf(milestoneOf(a.type)) - order.indexOf(milestoneOf(b.type)) || a.type.localeCompare(b.type));
}
