import { z } from 'zod';
import { DnsName } from './agent-protocol.js';
import { Text } from './text.js';

/**
 * The agent command channel. Heartbeat answers carry commands {id, kind, args, deadline}; the agent
 * runs each (once: it remembers ids, since delivery is at least once) and reports progress and the
 * outcome to POST /agent/v1/commands/{id}/result. A command not finished by its deadline expires.
 *
 * COMMAND_KINDS is the one registry: what a kind takes, what it answers, how long it may take, and
 * whether people may send it through the API. The real and the simulated agent dispatch by kind.
 * Patch, log collection and CIS scans join it as their issues land.
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

export const delivered = (c: Command): DeliveredCommand => ({ id: c.id, kind: c.kind, args: c.args, deadline: c.deadline });

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
