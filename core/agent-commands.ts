import { z } from 'zod';
import { Text } from './text.js';

/**
 * The agent command channel. Heartbeat answers carry commands {id, kind, args, deadline}; the agent
 * runs each (once: it remembers ids, since delivery is at least once) and reports progress and the
 * outcome to POST /agent/v1/commands/{id}/result. A command not finished by its deadline expires.
 *
 * COMMAND_KINDS is the one registry: what a kind takes, what it answers, how long it may take, and
 * whether people may send it through the API. The real and the simulated agent dispatch by kind.
 * Drain, patch, log collection and CIS scans join it as their issues land.
 */
export interface CommandKind {
  readonly description: string;
  readonly args: z.ZodType;
  /** What a Succeeded report carries. */
  readonly result: z.ZodType;
  /** Seconds from issue to deadline, when the issuer does not say. */
  readonly deadlineSeconds: number;
  /** POST /v1/clusters/{id}/commands may send it; otherwise only the platform's workflows do. */
  readonly fromApi: boolean;
}

export const COMMAND_KINDS = {
  ping: {
    description: 'the agent answers with its version: proves the channel end to end',
    args: z.strictObject({}),
    result: z.strictObject({ agentVersion: z.string().max(64) }),
    deadlineSeconds: 300,
    fromApi: true,
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
