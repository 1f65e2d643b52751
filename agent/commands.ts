import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, parseDocument, Scalar } from 'yaml';
import { DRAIN_MAX_REMAINING, kubeadmVersionMove, parseAgentArgs, PodName, type CommandKindName } from '../core/agent-commands.js';
import type { Clock } from './agent.js';
import type { EtcdMembers } from './etcd.js';
import type { ConfigMapOperations, NodeOperations, SecretOperations } from './kubernetes-source.js';
import { runCisScan, type BenchOperations } from './kube-bench.js';
import { collectLogs, type AgentApi, type LogOperations } from './logs.js';
import { patchNodes, type HostOperations } from './node-patch.js';
import type { K8sPod } from './mapping.js';

/** What a handler gets besides its arguments. */
export interface CommandContext {
  /** The command's id: what a Lease that one agent of the cluster takes to run it is named after. */
  readonly commandId?: string;
  /** Aborts when the agent stops. */
  readonly signal: AbortSignal;
  /** The command's deadline as clock time (ms): an outcome after it is refused. */
  readonly deadline?: number;
  /** Reports how far it has come (a Running report, with the kind's progressResult when given), best effort, in order. */
  readonly progress?: (percent: number, message: string, result?: unknown) => void;
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

/**
 * Not this agent's to do: no outcome is reported, so another of the cluster's agents (one runs on
 * every control-plane node) does it, or the command expires. Removing the etcd member of the
 * node the agent runs on is one: its etcd would stop under it.
 */
export class CommandDeclined extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandDeclined';
  }
}

export interface CommandDeps {
  /** The cluster's nodes and pods; without it, cordon and drain fail saying so. */
  readonly nodes?: NodeOperations;
  /** Secrets in the cluster; without it, createBootstrapToken fails saying so. */
  readonly secrets?: SecretOperations;
  /** The node's etcd; without it, removeEtcdMember fails saying so. */
  readonly etcd?: EtcdMembers;
  /** ConfigMaps in the cluster; without it, setKubeadmVersion fails saying so. */
  readonly configMaps?: ConfigMapOperations;
  /** Leases and Jobs on the nodes' hosts; without it (or nodes), patchNodes fails saying so. */
  readonly host?: HostOperations;
  /** This agent in a patch run's lease. @default os.hostname() */
  readonly holder?: string;
  readonly clock: Clock;
  /** The Strata agent API with the agent's token (log uploads, compliance reports); without it, collectLogs and runCisScan fail saying so. */
  readonly api?: AgentApi;
  readonly clusterId?: string;
  /** Pod and node logs; without it (or host, for the command's Lease), collectLogs fails saying so. */
  readonly logs?: LogOperations;
  /** The agent's own recent log lines, for the platform logs. @default none */
  readonly ownLog?: () => readonly string[];
  /** kube-bench Jobs (and the command's Lease); without it, runCisScan fails saying so. */
  readonly bench?: BenchOperations;
  /** The kube-bench image. @default KUBE_BENCH_IMAGE */
  readonly benchImage?: string;
}

/** The real agent's handlers, by kind; every kind of COMMAND_KINDS needs one. */
export function commandHandlers(agentVersion: string, deps: CommandDeps): Record<CommandKindName, CommandHandler> {
  const need = <T>(dep: T | undefined, what: string): T => {
    if (!dep) throw new Error(`this agent has no access to ${what}`);
    return dep;
  };
  return {
    ping: async () => ({ agentVersion }),
    cordon: async (args) => cordon(need(deps.nodes, 'the Kubernetes API'), args),
    drain: async (args, context) => drain(need(deps.nodes, 'the Kubernetes API'), deps.clock, args, context),
    createBootstrapToken: async (args) => createBootstrapToken(need(deps.secrets, 'the Kubernetes API'), deps.clock, args),
    removeEtcdMember: async (args) => removeEtcdMember(need(deps.etcd, 'etcd'), args),
    setKubeadmVersion: async (args) => setKubeadmVersion(need(deps.configMaps, 'the Kubernetes API'), args),
    patchNodes: async (args, context) =>
      patchNodes({ nodes: need(deps.nodes, 'the Kubernetes API'), host: need(deps.host, 'Jobs on the nodes'), clock: deps.clock, ...(deps.holder ? { holder: deps.holder } : {}) }, args, context),
    collectLogs: async (args, context) =>
      collectLogs(
        {
          logs: need(deps.logs, 'the Kubernetes API'),
          leases: need(deps.host, 'Leases'),
          api: need(deps.api, 'the Strata agent API'),
          clusterId: need(deps.clusterId, 'its cluster id'),
          agentVersion,
          clock: deps.clock,
          ownLog: deps.ownLog ?? (() => []),
          ...(deps.holder ? { holder: deps.holder } : {}),
        },
        args,
        context,
      ),
    runCisScan: async (args, context) =>
      runCisScan(
        {
          bench: need(deps.bench, 'Jobs on the control plane'),
          api: need(deps.api, 'the Strata agent API'),
          clock: deps.clock,
          ...(deps.benchImage ? { image: deps.benchImage } : {}),
          ...(deps.holder ? { holder: deps.holder } : {}),
        },
        args,
        context,
      ),
  };
}

/** spec.unschedulable = true, as kubectl cordon; a node cordoned already is left as it is, and says so. */
export async function cordon(ops: NodeOperations, args: Record<string, unknown>) {
  const { node } = parseAgentArgs('cordon', args);
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
  const a = parseAgentArgs('drain', args);
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

export const BOOTSTRAP_TOKEN_NAMESPACE = 'kube-system';
export const BOOTSTRAP_TOKEN_TYPE = 'bootstrap.kubernetes.io/token';
/** The group kubeadm's node tokens authenticate as: kubeadm init's RBAC lets it post CSRs and read the cluster-info. */
export const NODE_TOKEN_GROUP = 'system:bootstrappers:kubeadm:default-node-token';

/** RFC 3339 in whole seconds, as kubeadm writes a token's expiration. */
const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * A kubeadm bootstrap token, as `kubeadm token create` makes it: Secret bootstrap-token-<id> in
 * kube-system, good for authentication and for signing the cluster-info ConfigMap, in the node
 * token group. Delivery is at least once: the same token there already (and not expired) is this
 * command done before; another token under the id is a failure.
 */
export async function createBootstrapToken(secrets: SecretOperations, clock: Pick<Clock, 'now'>, args: Record<string, unknown>) {
  const a = parseAgentArgs('createBootstrapToken', args);
  const name = `bootstrap-token-${a.tokenId}`;
  const expiration = rfc3339(clock.now() + a.ttlSeconds * 1000);
  const stringData = {
    'token-id': a.tokenId,
    'token-secret': a.tokenSecret,
    expiration,
    'usage-bootstrap-authentication': 'true',
    'usage-bootstrap-signing': 'true',
    'auth-extra-groups': NODE_TOKEN_GROUP,
    ...(a.description ? { description: a.description } : {}),
  };
  if ((await secrets.create(BOOTSTRAP_TOKEN_NAMESPACE, { name, type: BOOTSTRAP_TOKEN_TYPE, stringData })) === 'created') return { tokenId: a.tokenId, expiration };
  const existing = await secrets.read(BOOTSTRAP_TOKEN_NAMESPACE, name);
  if (!existing) throw new Error(`bootstrap token ${a.tokenId} was there and is gone: try again`);
  const d = existing.data;
  if (existing.type !== BOOTSTRAP_TOKEN_TYPE || d['token-id'] !== a.tokenId || d['token-secret'] !== a.tokenSecret) {
    throw new Error(`another bootstrap token has the id ${a.tokenId} (Secret ${BOOTSTRAP_TOKEN_NAMESPACE}/${name})`);
  }
  const at = Date.parse(d.expiration ?? '');
  if (!Number.isFinite(at) || at <= clock.now()) throw new Error(`bootstrap token ${a.tokenId} exists but expires ${d.expiration ? `at ${d.expiration}` : 'never'}: not one this command made`);
  return { tokenId: a.tokenId, expiration: rfc3339(at) };
}

/**
 * Removes the etcd member named after a control-plane node, as `kubeadm reset` does for its own
 * before the node goes (a member left behind counts against quorum forever). One gone already is
 * success (removed: false). Refused: the last member (that is the cluster's data); declined: the
 * member of the etcd this agent talks to, which another control-plane node's agent removes.
 */
export async function removeEtcdMember(etcd: EtcdMembers, args: Record<string, unknown>) {
  const { node } = parseAgentArgs('removeEtcdMember', args);
  const { self, members } = await etcd.list();
  const target = members.find((m) => m.name === node);
  if (!target) return { node, removed: false, members: members.length };
  if (members.length <= 1) throw new Error(`${node} is the cluster's last etcd member: removing it would lose the cluster's data`);
  if (self !== undefined && target.ID === self) throw new CommandDeclined(`the etcd member of ${node} is the one this agent talks to: another control-plane node's agent removes it`);
  const left = await etcd.remove(target.ID);
  // Removed in the meantime (by another agent): as good.
  if (!left) return { node, removed: false, members: (await etcd.list()).members.length };
  return { node, removed: true, members: left.length };
}

/** Where kubeadm keeps the ClusterConfiguration that `kubeadm join --control-plane` renders the static pods from. */
export const KUBEADM_CONFIG_NAMESPACE = 'kube-system';
export const KUBEADM_CONFIG_MAP = 'kubeadm-config';
export const CLUSTER_CONFIGURATION_KEY = 'ClusterConfiguration';
/** Conditional writes tried while the ConfigMap keeps changing under them (client-go's retry.DefaultRetry: 5). */
export const KUBEADM_CONFIG_ATTEMPTS = 5;

const KUBEADM_CONFIG = `configmap ${KUBEADM_CONFIG_NAMESPACE}/${KUBEADM_CONFIG_MAP}`;

/**
 * Sets kubernetesVersion in the cluster's kubeadm ClusterConfiguration, as Cluster API's
 * KubeadmControlPlane does before the first machine of a new version: a control-plane node that
 * joins renders its static pods (kube-apiserver and the rest) from it. Only that value changes,
 * every other byte of the document stays (comments, other fields, their layout). The write names
 * the resourceVersion read: if the ConfigMap changed in between (409), it is read again and the
 * change made on what it holds now, a few times. The version there already is success, no write
 * (delivery is at least once); a move Kubernetes' skew policy refuses (a downgrade, more than one
 * minor version) fails, changing nothing.
 */
export async function setKubeadmVersion(configMaps: ConfigMapOperations, args: Record<string, unknown>) {
  const { kubernetesVersion } = parseAgentArgs('setKubeadmVersion', args);
  for (let attempt = 1; ; attempt++) {
    const cm = await configMaps.read(KUBEADM_CONFIG_NAMESPACE, KUBEADM_CONFIG_MAP);
    if (!cm) throw new Error(`${KUBEADM_CONFIG} not found: the cluster was not made by kubeadm init, or it is gone`);
    const text = cm.data[CLUSTER_CONFIGURATION_KEY];
    if (text === undefined) throw new Error(`${KUBEADM_CONFIG} holds no ${CLUSTER_CONFIGURATION_KEY}`);
    const config = clusterConfiguration(text);
    const move = kubeadmVersionMove(config.version, kubernetesVersion);
    if (!move.changed) return move;
    const written = await configMaps.setKey(KUBEADM_CONFIG_NAMESPACE, KUBEADM_CONFIG_MAP, CLUSTER_CONFIGURATION_KEY, config.withVersion(move.to), cm.resourceVersion);
    if (written === 'updated') return move;
    if (attempt >= KUBEADM_CONFIG_ATTEMPTS) throw new Error(`${KUBEADM_CONFIG} changed under each of ${KUBEADM_CONFIG_ATTEMPTS} writes (409 conflict): nothing written, try again`);
  }
}

/**
 * The ClusterConfiguration document of kubeadm-config: the kubernetesVersion it names, and the
 * document with another one, spliced in where the value stands (in the quotes it has, if any) so
 * nothing else moves; checked by parsing it again.
 */
export function clusterConfiguration(text: string): { readonly version: unknown; withVersion(version: string): string } {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`the ${CLUSTER_CONFIGURATION_KEY} in ${KUBEADM_CONFIG} is not a YAML document: ${doc.errors[0]!.message}`);
  const apiVersion = doc.get('apiVersion');
  if (!isMap(doc.contents) || doc.get('kind') !== 'ClusterConfiguration' || typeof apiVersion !== 'string' || !apiVersion.startsWith('kubeadm.k8s.io/')) {
    throw new Error(`${KUBEADM_CONFIG} holds no kubeadm.k8s.io ClusterConfiguration (kind ${String(doc.get('kind'))}, apiVersion ${String(apiVersion)})`);
  }
  const node = doc.get('kubernetesVersion', true);
  const version = isScalar(node) ? node.value : node === undefined ? undefined : String(node);
  return {
    version,
    withVersion(to: string) {
      if (!isScalar(node) || !node.range) throw new Error(`the ${CLUSTER_CONFIGURATION_KEY} in ${KUBEADM_CONFIG} names no kubernetesVersion to change`);
      const quoted = node.type === Scalar.QUOTE_DOUBLE ? `"${to}"` : node.type === Scalar.QUOTE_SINGLE ? `'${to}'` : node.type === Scalar.PLAIN ? to : undefined;
      let out: string;
      if (quoted !== undefined) out = text.slice(0, node.range[0]) + quoted + text.slice(node.range[1]);
      else {
        // A block scalar (never kubeadm's way): written again through the document, comments kept.
        node.value = to;
        node.type = Scalar.PLAIN;
        out = doc.toString({ lineWidth: 0 });
      }
      const before = parseDocument(text).toJS() as Record<string, unknown>;
      const after = parseDocument(out);
      if (after.errors.length || !isDeepStrictEqual(after.toJS(), { ...before, kubernetesVersion: to })) {
        throw new Error(`could not set kubernetesVersion in the ${CLUSTER_CONFIGURATION_KEY} of ${KUBEADM_CONFIG} without changing anything else`);
      }
      return out;
    },
  };
}
