import { z } from 'zod';
import { DnsName } from './agent-protocol.js';
import { joinTokenSecret, NODE_JOIN_TOKEN_TTL_SECONDS, TOKEN_ID, TOKEN_SECRET } from './bootstrap-tokens.js';
import { kubernetesSkewProblem } from './change-limits.js';
import { newTimeId } from './ids.js';
import { Text } from './text.js';
import { NodePatchResult } from './os-patch.js';
import { nodeTransitionEvents, type ProgressEvent } from './patch-run.js';
import { LOG_COLLECTION_SECONDS, LOG_TYPES, LOG_MAX_NODES } from './log-bundles.js';

/**
 * The agent command channel. Heartbeat answers carry commands {id, kind, args, deadline}; the agent
 * runs each (once: it remembers ids, since delivery is at least once) and reports progress and the
 * outcome to POST /agent/v1/commands/{id}/result. A command not finished by its deadline expires.
 *
 * COMMAND_KINDS is the one registry: what a kind takes, what it answers, how long it may take, and
 * whether people may send it through the API, and what delivery adds that must never be stored.
 * The real and the simulated agent dispatch by kind. Patch, log collection and CIS scans join it as their issues land.
 */
export interface CommandKind {
  readonly description: string;
  readonly args: z.ZodType;
  /** What a Succeeded report carries. */
  readonly result: z.ZodType;
  /** Seconds from issue to deadline, when the issuer does not say. */
  readonly deadlineSeconds: number;
  /** POST /v1/clusters/{id}/commands may send it (editors and admins); otherwise only the platform's workflows do. */
  readonly fromApi: boolean;
  /** What a Failed report may carry as its result (checked like a Succeeded one), when the kind says what was left undone. */
  readonly failureResult?: z.ZodType;
  /**
   * Adds to the stored arguments, when the heartbeat answer carries them, what must never be stored
   * (a secret derived from the platform secret): it then exists only in that answer, over TLS,
   * never in the table nor in command listings.
   */
  readonly deliver?: (args: Record<string, unknown>, ctx: DeliveryContext) => Record<string, unknown>;
  /** The arguments as the agent receives them, when `deliver` adds to them. @default args */
  readonly deliveredArgs?: z.ZodType;
  /** What a Running report may carry as its result (how far it got, checked like the outcome); without it a Running report's result is dropped. */
  readonly progressResult?: z.ZodType;
  /** The events a report makes, from the result stored before it and the one it carries (both checked). */
  readonly progressEvents?: (args: Record<string, unknown>, before: unknown, after: unknown) => readonly ProgressEvent[];
}

/** What a kind's deliver hook may use to add to the stored arguments. */
export interface DeliveryContext {
  readonly platformSecret: string;
  readonly clusterId: string;
}

const NodeName = DnsName.min(1);
/** namespace/name of a pod. */
export const PodName = z
  .string()
  .max(317)
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\/[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'namespace/name of a pod');
/** Longest drain the agent waits for, and how many pods it names as left: a node holds at most a few hundred. */
export const DRAIN_MAX_TIMEOUT_SECONDS = 1800;
export const DRAIN_MAX_REMAINING = 250;

const DrainResult = z.strictObject({
  /** Evictions the API server accepted. */
  evicted: z.int().min(0).max(100_000),
  /** Pods still on the node (namespace/name), the first DRAIN_MAX_REMAINING; empty when drained. */
  remaining: z.array(PodName).max(DRAIN_MAX_REMAINING),
  durationSeconds: z.number().min(0).max(7 * 86400),
});

const BootstrapTokenArgs = z.strictObject({
  /** kubeadm's token id; the node's JoinConfiguration names it (core/bootstrap-tokens.ts joinTokenId). */
  tokenId: z.string().regex(TOKEN_ID, 'a kubeadm token id: 6 of [a-z0-9]'),
  ttlSeconds: z.int().min(60).max(NODE_JOIN_TOKEN_TTL_SECONDS),
  /** The Secret's description, for whoever lists the cluster's bootstrap tokens. */
  description: Text(200).default(''),
});

/** x.y.z, each part a number without leading zeros (kubeadm's own versions are at most a few digits). */
const RELEASE = '(0|[1-9]\\d{0,3})\\.(0|[1-9]\\d{0,3})\\.(0|[1-9]\\d{0,3})';
/** A Kubernetes release, with or without kubeadm's leading v: 1.32.6 or v1.32.6. */
export const KubernetesRelease = z.string().regex(new RegExp(`^v?${RELEASE}$`), 'a Kubernetes version: x.y.z, optionally with a leading v');
/** A Kubernetes release as kubeadm spells it: v1.32.6. */
const KubeadmVersion = z.string().regex(new RegExp(`^v${RELEASE}$`), 'a Kubernetes version as kubeadm spells it: vx.y.z');

/** The release as kubeadm spells it (v1.32.6), from 1.32.6 or v1.32.6; undefined when it is not x.y.z. */
export function kubeadmRelease(version: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(version.trim());
  return m ? `v${Number(m[1])}.${Number(m[2])}.${Number(m[3])}` : undefined;
}

/**
 * setKubeadmVersion's rule, the real and the simulated agent alike: from the kubernetesVersion the
 * cluster's ClusterConfiguration names to the one asked for, both as kubeadm spells them, and
 * whether that is a change. Throws when the current version is not a release it can read, and on a
 * move Kubernetes' version skew policy refuses (a downgrade, a major version, more than one minor).
 */
export function kubeadmVersionMove(current: unknown, wanted: string): { from: string; to: string; changed: boolean } {
  const to = kubeadmRelease(wanted);
  if (!to) throw new Error(`${wanted} is not a Kubernetes version (x.y.z)`);
  const from = typeof current === 'string' ? kubeadmRelease(current) : undefined;
  if (!from) {
    throw new Error(`the ClusterConfiguration names kubernetesVersion ${current === undefined ? '(none)' : JSON.stringify(current)}, not a release: cannot tell whether ${to} is a move the version skew policy allows`);
  }
  if (from === to) return { from, to, changed: false };
  const problem = kubernetesSkewProblem(from.slice(1), to.slice(1));
  if (problem) throw new Error(`refusing to set the ClusterConfiguration's kubernetesVersion to ${to}: ${problem}`);
  return { from, to, changed: true };
}

/** Longest a patched node may take to be Ready again (a reboot included) before the run stops for its pool. */
export const PATCH_READY_TIMEOUT_SECONDS = 900;

const PatchNodesResult = z.strictObject({
  /** Every node of the command, in the order given: patched, failed, notReady (did not come back), skipped (not reached), or still pending. */
  nodes: z.array(NodePatchResult).max(1000),
  /** The window ended: it stopped at a node boundary, the pending nodes are left for the next one. */
  stoppedAtWindowEnd: z.boolean().default(false),
});

export const COMMAND_KINDS = {
  ping: {
    description: 'the agent answers with its version: proves the channel end to end',
    args: z.strictObject({}),
    result: z.strictObject({ agentVersion: z.string().max(64) }),
    deadlineSeconds: 300,
    fromApi: true,
  },
  cordon: {
    description: 'marks a node unschedulable (spec.unschedulable): no new pod lands on it, those on it keep running',
    args: z.strictObject({ node: NodeName }),
    result: z.strictObject({ node: NodeName, alreadyUnschedulable: z.boolean() }),
    deadlineSeconds: 300,
    fromApi: true,
  },
  drain: {
    description:
      'cordons a node, then evicts its pods through the Eviction API (honouring PodDisruptionBudgets; DaemonSet and mirror pods stay) and waits until they are gone or the timeout passes',
    args: z.strictObject({
      node: NodeName,
      timeoutSeconds: z.int().min(1).max(DRAIN_MAX_TIMEOUT_SECONDS).default(300),
      /** false: refuse to drain a node running DaemonSet pods (they would come straight back). */
      ignoreDaemonSets: z.boolean().default(true),
      /** false: refuse to evict pods with emptyDir volumes, whose data goes with them. */
      deleteEmptyDirData: z.boolean().default(true),
    }),
    result: DrainResult,
    // The longest timeout, with room for delivery and cordoning; the agent stops waiting before the deadline.
    deadlineSeconds: DRAIN_MAX_TIMEOUT_SECONDS + 600,
    fromApi: true,
    failureResult: DrainResult,
  },
  createBootstrapToken: {
    description:
      'creates a kubeadm bootstrap token (Secret bootstrap-token-<id> in kube-system) for a node launched after the init token expired; its secret is derived at delivery, never stored',
    args: BootstrapTokenArgs,
    deliveredArgs: BootstrapTokenArgs.extend({ tokenSecret: z.string().regex(TOKEN_SECRET, 'a kubeadm token secret: 16 of [a-z0-9]') }),
    deliver: (args, ctx) => ({ ...args, tokenSecret: joinTokenSecret(ctx.platformSecret, ctx.clusterId, String(args.tokenId)) }),
    result: z.strictObject({ tokenId: z.string().regex(TOKEN_ID), expiration: z.iso.datetime() }),
    deadlineSeconds: 300,
    fromApi: false,
  },
  removeEtcdMember: {
    description: "removes a control-plane node's etcd member (named after the node, as kubeadm names them) before the node goes; one gone already is fine",
    args: z.strictObject({ node: NodeName }),
    result: z.strictObject({
      node: NodeName,
      /** false: there was no member of that name (removed before: delivery is at least once). */
      removed: z.boolean(),
      /** Members left. */
      members: z.int().min(0).max(1000),
    }),
    deadlineSeconds: 300,
    fromApi: false,
  },
  patchNodes: {
    description:
      "patches one pool's nodes, node by node with at most maxUnavailable out at once: cordon and drain, the distribution's upgrade with the kubelet, kubeadm, kubectl and container runtime packages held (so patching never changes the Kubernetes version), a reboot when one is required and allowed, Ready again, uncordon; stops at a node boundary once stopAt has passed, and for the pool at a node that does not come back",
    args: z.strictObject({
      /** The patch run (PatchRun.id) this is part of. */
      runId: z.string().regex(/^[a-z0-9-]{1,80}$/, 'a patch run id'),
      pool: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a pool name'),
      nodes: z.array(NodeName).min(1).max(1000),
      maxUnavailable: z.int().min(1).max(1000),
      rebootIfRequired: z.boolean(),
      /** No node is started after this time (the end of the maintenance window). */
      stopAt: z.iso.datetime(),
      readyTimeoutSeconds: z.int().min(60).max(3600).default(PATCH_READY_TIMEOUT_SECONDS),
      drainTimeoutSeconds: z.int().min(1).max(DRAIN_MAX_TIMEOUT_SECONDS).default(300),
    }),
    result: PatchNodesResult,
    progressResult: PatchNodesResult,
    failureResult: PatchNodesResult,
    progressEvents: (args, before, after) =>
      nodeTransitionEvents((before as z.infer<typeof PatchNodesResult> | undefined)?.nodes ?? [], (after as z.infer<typeof PatchNodesResult> | undefined)?.nodes ?? [], String(args.runId)),
    deadlineSeconds: 12 * 3600,
    fromApi: false,
  },
  setKubeadmVersion: {
    description:
      "sets kubernetesVersion in the cluster's kubeadm ClusterConfiguration (ConfigMap kube-system/kubeadm-config), which control-plane nodes joining with kubeadm render their static pods from: done before the first node of a new version joins; a downgrade or a skipped minor version is refused",
    args: z.strictObject({ kubernetesVersion: KubernetesRelease }),
    result: z.strictObject({
      /** What the ClusterConfiguration named before. */
      from: KubeadmVersion,
      /** What it names now. */
      to: KubeadmVersion,
      /** false: it named that version already (set before: delivery is at least once), nothing was written. */
      changed: z.boolean(),
    }),
    deadlineSeconds: 300,
    fromApi: false,
  },
  collectLogs: {
    description:
      "collects a log bundle: kube-system pod logs, the agent's own logs and node logs (the kubelet's node log query) into one tar.gz with manifest.json listing what was collected and what could not be, and why; asks POST /agent/v1/logs/{requestId}/upload for a presigned form whose policy caps the size, uploads, and reports",
    args: z.strictObject({
      /** The log request (LogRequest.id). */
      requestId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'a log request id'),
      types: z.array(z.enum(LOG_TYPES)).min(1).max(LOG_TYPES.length),
      /** Node logs of these nodes only; every node when absent. */
      nodes: z.array(NodeName).min(1).max(LOG_MAX_NODES).optional(),
      sinceMinutes: z.int().min(1).max(7 * 24 * 60),
      maxLines: z.int().min(1).max(100_000),
    }),
    result: z.strictObject({
      requestId: z.string().max(100),
      /** The archive's size as uploaded; Strata checks it against the stored object. */
      bytes: z.int().min(1),
      files: z.int().min(0).max(20_000),
      missing: z.int().min(0).max(20_000),
    }),
    deadlineSeconds: LOG_COLLECTION_SECONDS,
    fromApi: false,
  },
  runCisScan: {
    description:
      'runs kube-bench as a Job on a control-plane node (every target it detects: master, controlplane, etcd, node, policies) and posts its --json output to POST /agent/v1/compliance',
    args: z.strictObject({
      /** The scan this report belongs to: posted as ?scanId=. */
      scanId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'a scan id'),
    }),
    result: z.strictObject({
      scanId: z.string().max(100),
      /** The node kube-bench ran on. */
      node: NodeName,
    }),
    deadlineSeconds: 1800,
    fromApi: false,
  },
} as const satisfies Record<string, CommandKind>;
export type CommandKindName = keyof typeof COMMAND_KINDS;
export const COMMAND_KIND_NAMES = Object.keys(COMMAND_KINDS) as [CommandKindName, ...CommandKindName[]];

export const COMMAND_STATUSES = ['Pending', 'Delivered', 'Running', 'Succeeded', 'Failed', 'Expired'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];
/** Once here, a command's status never changes again. */
export const FINAL_STATUSES: readonly CommandStatus[] = ['Succeeded', 'Failed', 'Expired'];
export const isFinal = (s: CommandStatus) => FINAL_STATUSES.includes(s);

export interface Command {
  readonly id: string;
  readonly clusterId: string;
  readonly kind: CommandKindName;
  readonly args: Record<string, unknown>;
  readonly status: CommandStatus;
  readonly createdAt: string;
  readonly deadline: string;
  readonly deliveredAt?: string;
  readonly updatedAt: string;
  /** 0-100, as the agent reports it. */
  readonly progress?: number;
  readonly message?: string;
  readonly result?: unknown;
}

/** What a heartbeat answer carries of a command. */
export const DeliveredCommand = z.strictObject({ id: z.string(), kind: z.string(), args: z.record(z.string(), z.unknown()), deadline: z.string() });
export type DeliveredCommand = z.infer<typeof DeliveredCommand>;

/** Whether delivering the command needs the platform secret (its kind's deliver hook derives something from it). */
export const deliveredWithSecret = (c: Pick<Command, 'kind'>): boolean => (COMMAND_KINDS[c.kind] as CommandKind).deliver !== undefined;

/** The command as a heartbeat answer carries it: its kind's deliver hook applied, with the platform secret when it needs one. */
export function delivered(c: Command, platformSecret?: string): DeliveredCommand {
  const { deliver } = COMMAND_KINDS[c.kind] as CommandKind;
  if (deliver && platformSecret === undefined) throw new Error(`${c.kind} commands are delivered with the platform secret`);
  const args = deliver ? deliver(c.args, { platformSecret: platformSecret!, clusterId: c.clusterId }) : c.args;
  return { id: c.id, kind: c.kind, args, deadline: c.deadline };
}

/** The arguments a kind's command carries at the agent: what delivery made of the stored ones. */
export const agentArgs = (kind: CommandKindName): z.ZodType => (COMMAND_KINDS[kind] as CommandKind).deliveredArgs ?? COMMAND_KINDS[kind].args;
/** Their type. */
export type AgentArgs<K extends CommandKindName> = (typeof COMMAND_KINDS)[K] extends { readonly deliveredArgs: z.ZodType<infer T> } ? T : z.output<(typeof COMMAND_KINDS)[K]['args']>;

/**
 * The arguments as an agent receives them, checked (the platform did, an agent does not trust that
 * blindly). A failure names each field, never its value: a token secret must not end up in a message.
 */
export function parseAgentArgs<K extends CommandKindName>(kind: K, args: Record<string, unknown>): AgentArgs<K> {
  const parsed = agentArgs(kind).safeParse(args);
  if (!parsed.success) throw new Error(`bad ${kind} arguments: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`).join('; ')}`);
  return parsed.data as AgentArgs<K>;
}

/** A new command of a kind, its arguments checked, due by the kind's deadline unless one is given. */
export function newCommand(clusterId: string, kind: CommandKindName, args: Record<string, unknown>, now: Date, deadlineSeconds?: number): Command {
  const at = now.toISOString();
  return {
    id: newTimeId('cmd', now.getTime()),
    clusterId,
    kind,
    args: COMMAND_KINDS[kind].args.parse(args) as Record<string, unknown>,
    status: 'Pending',
    createdAt: at,
    deadline: new Date(now.getTime() + (deadlineSeconds ?? COMMAND_KINDS[kind].deadlineSeconds) * 1000).toISOString(),
    updatedAt: at,
  };
}

/** A command still to run whose deadline has passed. */
export const expired = (c: Pick<Command, 'status' | 'deadline'>, now: Date) => !isFinal(c.status) && now.toISOString() >= c.deadline;

/** POST /v1/clusters/{id}/commands */
export const IssueCommandInput = z
  .strictObject({
    kind: z.enum(COMMAND_KIND_NAMES),
    args: z.record(z.string(), z.unknown()).default({}),
    /** @default the kind's own */
    deadlineSeconds: z.int().min(5).max(7 * 86400).optional(),
  })
  .meta({ id: 'IssueCommandInput' });

/** POST /agent/v1/commands/{id}/result */
export const CommandReport = z
  .strictObject({
    status: z.enum(['Running', 'Succeeded', 'Failed']),
    progress: z.int().min(0).max(100).optional(),
    message: Text(2000).optional(),
    result: z.unknown().optional(),
  })
  .meta({ id: 'CommandReport' });
export type CommandReport = z.infer<typeof CommandReport>;
