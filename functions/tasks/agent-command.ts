import { newCommand, type Command, type CommandKindName } from '../../core/agent-commands.js';
import { getCommand, issueCommand } from '../../adapters/dynamodb/commands-store.js';
import { setMachineFields, type Machine } from '../../adapters/dynamodb/machines-store.js';
import type { ClusterStepContext } from './cluster-step.js';
import { clock } from '../../core/clock.js';

/** Where a command a step waits on has got to. */
export type CommandProgress = { readonly state: 'waiting'; readonly message: string } | { readonly state: 'succeeded'; readonly command: Command } | { readonly state: 'failed'; readonly command: Command };

/**
 * A command for the cluster's agent that a node's step needs done (its bootstrap token, its drain,
 * its etcd member), issued once and remembered on the node's record under `purpose`; a failed or
 * expired one is issued afresh when `retry` is asked for. The step waits while it runs.
 */
export async function nodeCommand(ctx: ClusterStepContext, machine: Machine, purpose: string, kind: CommandKindName, args: Record<string, unknown>, retry = false): Promise<CommandProgress> {
  const { tenantId } = ctx.input;
  const id = machine.commandIds?.[purpose];
  const current = id ? await getCommand(tenantId, ctx.cluster.id, id).catch(() => undefined) : undefined;
  if (current?.status === 'Succeeded') return { state: 'succeeded', command: current };
  if (current && (current.status === 'Failed' || current.status === 'Expired') && !retry) return { state: 'failed', command: current };
  if (current && current.status !== 'Failed' && current.status !== 'Expired') {
    return { state: 'waiting', message: `waiting for the agent to ${kind} (${current.id}, ${current.status})` };
  }
  const command = newCommand(ctx.cluster.id, kind, args, clock.date());
  await issueCommand(tenantId, command);
  await setMachineFields(tenantId, ctx.cluster.id, machine.name, { commandIds: { ...machine.commandIds, [purpose]: command.id } });
  return { state: 'waiting', message: `sent ${kind} to the agent (${command.id})` };
}
