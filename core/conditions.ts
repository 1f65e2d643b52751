/**
 * One status language for every milestone and health check (Cluster API style):
 * {type, status, reason, message, lastTransitionTime, attempts}, and a Ready summary over an
 * explicit list of lifecycle conditions.
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
}

export type ConditionGroup = 'lifecycle' | 'summary' | 'health' | 'deletion' | 'bake' | 'maintenance';

export interface ConditionTypeSpec {
  readonly group: ConditionGroup;
  /** Human label, added when conditions are read (never stored). */
  readonly title: string;
  /** One condition per node or pool: `<Type>/<name>`. */
  readonly per?: 'node' | 'pool';
}

/**
 * Every condition type. Writing a type that is not here is refused (core/conditions.ts
 * assertRegistered), so a new condition is a decision: its group, its title, and whether Ready
 * summarises it (READY_SUMMARISES).
 */
export const CONDITION_TYPES = {
  // In the order provisioning reaches them: the image is baked in the cluster's network.
  InfrastructureCreated: { group: 'lifecycle', title: 'Creating Infrastructure' },
  ImageReady: { group: 'lifecycle', title: 'Resolving/Customizing Image' },
  ControlPlaneNodeAdded: { group: 'lifecycle', title: 'Adding Control Plane Node', per: 'node' },
  ControlPlaneEndpointReady: { group: 'lifecycle', title: 'Control Plane Endpoint' },
  ControlPlaneReady: { group: 'lifecycle', title: 'Control Plane Ready' },
  WorkerPoolReady: { group: 'lifecycle', title: 'Worker Pool Ready', per: 'pool' },
  PacksInstalled: { group: 'lifecycle', title: 'Installing Packs' },
  Ready: { group: 'summary', title: 'Ready' },
  HeartbeatHealthy: { group: 'health', title: 'Heartbeat' },
  NodesHealthy: { group: 'health', title: 'Nodes' },
  MetricsHealthy: { group: 'health', title: 'Metrics' },
  NodeRepair: { group: 'health', title: 'Node Repair', per: 'pool' },
  InfrastructureDeleted: { group: 'deletion', title: 'Deleting Infrastructure' },
  // An image bake's own steps (its subject is the image record, not a cluster).
  BuilderLaunched: { group: 'bake', title: 'Launching Builder' },
  ImageCustomized: { group: 'bake', title: 'Customizing Image' },
  ImageCreated: { group: 'bake', title: 'Creating Image' },
  ImageCopied: { group: 'bake', title: 'Copying Image' },
  BuilderTerminated: { group: 'bake', title: 'Terminating Builder' },
  OsPatched: { group: 'maintenance', title: 'OS Patching' },
} as const satisfies Record<string, ConditionTypeSpec>;
export type ConditionType = keyof typeof CONDITION_TYPES;

export const READY: ConditionType = 'Ready';

/** What Ready summarises, as Cluster API's summary conditions list theirs: nothing joins it silently. */
export const READY_SUMMARISES: readonly ConditionType[] = ['InfrastructureCreated', 'ImageReady', 'ControlPlaneNodeAdded', 'ControlPlaneEndpointReady', 'ControlPlaneReady', 'WorkerPoolReady', 'PacksInstalled'];

export interface ConditionUpdate {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
  /** Count this as one more try of the step. */
  readonly attempted?: boolean;
}

/** The registered type of `ControlPlaneNodeAdded/demo-cp-0` is ControlPlaneNodeAdded. */
export function typeOf(type: string): ConditionType | undefined {
  const base = type.split('/')[0]!;
  return base in CONDITION_TYPES ? (base as ConditionType) : undefined;
}

export function assertRegistered(type: string): ConditionType {
  const t = typeOf(type);
  const spec = t && (CONDITION_TYPES[t] as ConditionTypeSpec);
  if (!t || !spec || (spec.per ? !type.startsWith(`${t}/`) || type.length === t.length + 1 : type !== t)) {
    throw new Error(`condition type ${type} is not in CONDITION_TYPES (core/conditions.ts)${spec?.per ? `: it takes /<${spec.per}>` : ''}`);
  }
  return t;
}

/** A condition as the API shows it: with its title. */
export function withTitle(c: Condition): Condition & { title: string } {
  const t = typeOf(c.type);
  return { ...c, title: t ? CONDITION_TYPES[t].title : c.type };
}

/** Apply an update: the transition time moves only when the status does. */
export function nextCondition(prev: Condition | undefined, u: ConditionUpdate, generation: number, now: string): Condition {
  assertRegistered(u.type);
  return {
    type: u.type,
    status: u.status,
    reason: u.reason,
    message: u.message,
    lastTransitionTime: prev && prev.status === u.status ? prev.lastTransitionTime : now,
    attempts: (prev?.attempts ?? 0) + (u.attempted ? 1 : 0),
    observedGeneration: generation,
  };
}

/** The Ready summary of READY_SUMMARISES: True when every one of them is; otherwise names what is not. */
export function readySummary(conditions: readonly Condition[]): Pick<ConditionUpdate, 'status' | 'reason' | 'message'> {
  const summarised = conditions.filter((c) => READY_SUMMARISES.includes(typeOf(c.type)!));
  const failing = summarised.filter((c) => c.status === 'False');
  const pending = summarised.filter((c) => c.status === 'Unknown');
  if (summarised.length && !failing.length && !pending.length) return { status: 'True', reason: 'AllConditionsTrue', message: 'every condition is True' };
  if (failing.length) {
    return { status: 'False', reason: failing[0]!.reason, message: failing.map((c) => `${c.type}: ${c.message}`).join('; ') };
  }
  return { status: 'Unknown', reason: 'InProgress', message: `waiting for ${pending.map((c) => c.type).join(', ') || 'provisioning to start'}` };
}

/** Order for display: in the order of CONDITION_TYPES (the lifecycle's), then by type. */
export function sortConditions<C extends Condition>(conditions: readonly C[]): C[] {
  const order = Object.keys(CONDITION_TYPES);
  const rank = (c: Condition) => order.indexOf(typeOf(c.type) ?? '');
  return [...conditions].sort((a, b) => rank(a) - rank(b) || a.type.localeCompare(b.type));
}

/**
 * Per-node and per-pool conditions of objects the cluster no longer plans: they go with the
 * node or pool, so Ready never waits for something that will not come.
 */
export function orphanedConditions(conditions: readonly Condition[], planned: { nodes: readonly string[]; pools: readonly string[] }): string[] {
  return conditions
    .filter((c) => {
      const t = typeOf(c.type);
      const per = t ? (CONDITION_TYPES[t] as ConditionTypeSpec).per : undefined;
      if (!per) return false;
      const name = c.type.slice(t!.length + 1);
      return per === 'node' ? !planned.nodes.includes(name) : !planned.pools.includes(name);
    })
    .map((c) => c.type);
}
