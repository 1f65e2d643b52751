import { COMMAND_KINDS, DRAIN_MAX_REMAINING, PodName, type CommandKindName } from '../core/agent-commands.js';
import type { Clock } from './agent.js';
import type { NodeOperations } from './kubernetes-source.js';
import type { K8sPod } from './mapping.js';

/** What a handler gets besides its arguments. */
export interface CommandContext {
  /** Aborts when the agent stops. */
  readonly signal: AbortSignal;
  /** The command's deadline as clock time (ms): an outcome after it is refused. */
  readonly deadline?: number;
  /** Reports how far it has come (a Running report), best effort. */
  readonly progress?: (percent: number, message: string) => void;
}

/** What the agent knows to do for a command kind (core/agent-commands.ts COMMAND_KINDS): its result, or a thrown failure. */
export type CommandHandler = (args: Record<string, unknown>, context: CommandContext) => Promise<unknown>;

/** A failure that still says what was done and what was left: reported as the Failed outcome's result. */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly result: unknown,
  ) {
    super(message);
    this.name = 'CommandFailure';
  }
}

export interface CommandDeps {
  /** The cluster's nodes and pods; without it, cordon and drain fail saying so. */
  readonly nodes?: NodeOperations;
  readonly clock: Clock;
}

/** The real agent's handlers, by kind; every kind of COMMAND_KINDS needs one. */
export function commandHandlers(agentVersion: string, deps: CommandDeps): Record<CommandKindName, CommandHandler> {
  const nodes = () => {
    if (!deps.nodes) throw new Error('this agent has no access to the Kubernetes API');
    return deps.nodes;
  };
  return {
    ping: async () => ({ agentVersion }),
    cordon: async (args) => cordon(nodes(), args),
    drain: async (args, context) => drain(nodes(), deps.clock, args, context),
  };
}

/** The arguments as the registry defines them; the platform checked them, the agent does not trust that blindly. */
function argsOf<K extends CommandKindName>(kind: K, args: Record<string, unknown>) {
  const parsed = COMMAND_KINDS[kind].args.safeParse(args);
  if (!parsed.success) throw new Error(`bad ${kind} arguments: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`).join('; ')}`);
  return parsed.data as ReturnType<(typeof COMMAND_KINDS)[K]['args']['parse']>;
}

/** spec.unschedulable = true, as kubectl cordon; a node cordoned already is left as it is, and says so. */
export async function cordon(ops: NodeOperations, args: Record<string, unknown>) {
  const { node } = argsOf('cordon', args);
  const current = await ops.node(node);
  if (!current) throw new Error(`node ${node} not found`);
  if (!current.unschedulable) await ops.setUnschedulable(node, true);
  return { node, alreadyUnschedulable: current.unschedulable };
}

/** Pause after a PodDisruptionBudget refused an eviction, unless the API server names one (kubectl: 5 s). */
export const EVICTION_RETRY_MS = 5_000;
/** How often the node's pods are listed while waiting for them to go. */
export const DRAIN_POLL_MS = 2_000;
/** Stop this long before the command's deadline, so the outcome is still taken. */
export const DEADLINE_MARGIN_MS = 15_000;
/** Evictions in flight at once. */
const EVICTION_CONCURRENCY = 16;

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
const TERMINAL = new Set(['Succeeded', 'Failed']);

const podKey = (p: K8sPod) => `${p.metadata?.namespace ?? 'default'}/${p.metadata?.name ?? ''}`;
/** The same pod, not one made again under its name. */
const podId = (p: K8sPod) => p.metadata?.uid || podKey(p);
const isMirror = (p: K8sPod) => !!p.metadata?.annotations && MIRROR_ANNOTATION in p.metadata.annotations;
const isDaemonSetPod = (p: K8sPod) => (p.metadata?.ownerReferences ?? []).some((o) => o?.controller === true && o.kind === 'DaemonSet');
const hasEmptyDir = (p: K8sPod) => (p.spec?.volumes ?? []).some((v) => !!v?.emptyDir);
const names = (pods: readonly K8sPod[]) => pods.map(podKey);
const listed = (keys: readonly string[], max = 5) => `${keys.slice(0, max).join(', ')}${keys.length > max ? ` and ${keys.length - max} more` : ''}`;

/**
 * kubectl drain, the agent's way: cordon, then evict every pod on the node through the Eviction
 * API (policy/v1) — never a plain delete, so PodDisruptionBudgets hold — skipping mirror pods (the
 * kubelet owns them) and DaemonSet pods (their controller ignores cordons). A 429 is a budget
 * saying "not now": that pod is asked again after a pause. Then it waits until every pod it
 * evicted is gone. At the timeout (or just before the command's deadline) it fails, naming what is
 * left; the node stays cordoned either way.
 */
export async function drain(ops: NodeOperations, clock: Clock, args: Record<string, unknown>, context: CommandContext) {
  const a = argsOf('drain', args);
  const started = clock.now();
  const end = Math.min(started + a.timeoutSeconds * 1000, context.deadline !== undefined ? context.deadline - DEADLINE_MARGIN_MS : Infinity);
  const seconds = () => Math.round((clock.now() - started) / 100) / 10;
  let evicted = 0;
  // Only names the platform takes: a refused result would leave the outcome unreported and the drain run again.
  const failure = (message: string, left: readonly string[]) =>
    new CommandFailure(message, { evicted, remaining: left.filter((n) => PodName.safeParse(n).success).slice(0, DRAIN_MAX_REMAINING), durationSeconds: seconds() });

  const current = await ops.node(a.node);
  if (!current) throw new Error(`node ${a.node} not found`);
  if (!current.unschedulable) await ops.setUnschedulable(a.node, true);

  const pods = (await ops.podsOn(a.node)).filter((p) => !isMirror(p));
  const daemonSet = pods.filter(isDaemonSetPod);
  const movable = pods.filter((p) => !isDaemonSetPod(p));
  // As kubectl refuses without --ignore-daemonsets / --delete-emptydir-data, before evicting anything.
  const refused = [
    { pods: a.ignoreDaemonSets ? [] : daemonSet, what: 'DaemonSet pods', flag: 'ignoreDaemonSets' },
    { pods: a.deleteEmptyDirData ? [] : movable.filter((p) => hasEmptyDir(p) && !TERMINAL.has(p.status?.phase ?? '')), what: 'pods with emptyDir data', flag: 'deleteEmptyDirData' },
  ].filter((r) => r.pods.length);
  if (refused.length) {
    const why = refused.map((r) => `${r.what} ${listed(names(r.pods))} (${r.flag} is false)`).join('; ');
    throw failure(`cannot drain ${a.node}: ${why}; the node stays cordoned`, refused.flatMap((r) => names(r.pods)));
  }

  const tracked = new Set(movable.map(podId));
  // Pods already terminating are waited for, not evicted again.
  let pending = movable.filter((p) => !p.metadata?.deletionTimestamp);
  const blocked = new Map<string, string>();
  let lastLeft = -1;
  for (;;) {
    if (context.signal.aborted) throw failure(`the agent stopped while draining ${a.node}`, names(pending));
    let pause = DRAIN_POLL_MS;
    if (pending.length) {
      const still: K8sPod[] = [];
      for (let i = 0; i < pending.length; i += EVICTION_CONCURRENCY) {
        await Promise.all(
          pending.slice(i, i + EVICTION_CONCURRENCY).map(async (p) => {
            const answer = await ops.evict({ namespace: p.metadata?.namespace ?? 'default', name: p.metadata?.name ?? '' });
            if (answer.outcome === 'evicted') evicted += 1;
            if (answer.outcome !== 'blocked') return blocked.delete(podKey(p));
            still.push(p);
            blocked.set(podKey(p), answer.reason);
            // The API server's own Retry-After, within reason.
            pause = Math.max(pause, Math.min(60_000, (answer.retryAfterSeconds ?? EVICTION_RETRY_MS / 1000) * 1000));
          }),
        );
      }
      pending = still;
    }
    const left = (await ops.podsOn(a.node)).filter((p) => tracked.has(podId(p)));
    if (left.length === 0) return { evicted, remaining: [], durationSeconds: seconds() };
    const now = clock.now();
    if (now >= end) {
      const why = blocked.size ? `; evictions refused: ${listed([...blocked].map(([pod, reason]) => `${pod} (${reason})`), 3)}` : '';
      throw failure(`timed out draining ${a.node} after ${seconds()} s with ${left.length} pod(s) left: ${listed(names(left))}${why}`, names(left));
    }
    if (left.length !== lastLeft) {
      lastLeft = left.length;
      context.progress?.(Math.min(99, Math.round((100 * (tracked.size - left.length)) / Math.max(1, tracked.size))), `${evicted} evicted, ${left.length} left on ${a.node}`);
    }
    await clock.sleep(Math.min(pause, end - now), context.signal);
  }
}
