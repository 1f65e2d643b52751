import { isFinal, type Command, type CommandStatus } from '../../core/agent-commands.js';
import { conflict, notFound } from '../../core/errors.js';
import { clusterSk } from './clusters-store.js';
import { getItem, listPrefix, putNew, table, tenantPk, transact, updateIf, type Page, type TransactItem } from './definitions.js';

/**
 * Commands for a cluster's agent: `CMD#<cluster>#<id>` in the tenant's partition (ids sort by
 * time). The cluster keeps a count of open ones, so a heartbeat looks for commands only when
 * there are some.
 */
const commandSk = (clusterId: string, id: string) => `CMD#${clusterId}#${id}`;
const OPEN: readonly CommandStatus[] = ['Pending', 'Delivered', 'Running'];

// `kind` is every definitions item's entity marker: a command's own kind is kept as commandKind.
type Stored = Omit<Command, 'kind'> & { commandKind: Command['kind'] };
const fromStored = ({ commandKind, ...rest }: Stored): Command => ({ ...rest, kind: commandKind });

const openCount = (tenantId: string, clusterId: string, by: 1 | -1): TransactItem => ({
  Update: {
    TableName: table(),
    Key: { pk: tenantPk(tenantId), sk: clusterSk(clusterId) },
    UpdateExpression: 'SET openCommands = if_not_exists(openCommands, :zero) + :by',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':by': by, ':zero': 0 },
  },
});

/** The writes that issue a command: the command, and its open count on a cluster that must not be going away. */
export function commandIssueItems(tenantId: string, command: Command): [TransactItem, TransactItem] {
  const count = openCount(tenantId, command.clusterId, 1);
  return [
    putNew({ pk: tenantPk(tenantId), sk: commandSk(command.clusterId, command.id), ...command, kind: 'COMMAND', commandKind: command.kind }),
    {
      Update: {
        ...count.Update!,
        ConditionExpression: 'attribute_exists(pk) AND NOT phase IN (:deleting, :deleted)',
        ExpressionAttributeValues: { ...count.Update!.ExpressionAttributeValues, ':deleting': 'Deleting', ':deleted': 'Deleted' },
      },
    },
  ];
}

/** Why issuing failed, by the index of commandIssueItems' write that refused. */
export const commandIssueConflict = (command: Command, index: number) =>
  index === 1 ? conflict(`cluster ${command.clusterId} is being deleted`, 'id') : conflict('id collision; retry');

/** Store a new command and count it open on its cluster (which must not be going away). */
export async function issueCommand(tenantId: string, command: Command): Promise<void> {
  await transact(commandIssueItems(tenantId, command), (i) => commandIssueConflict(command, i));
}

export async function getCommand(tenantId: string, clusterId: string, id: string): Promise<Command> {
  const c = await getItem<Stored>(tenantPk(tenantId), commandSk(clusterId, id));
  if (!c) throw notFound('command', id, 'path.commandId');
  return fromStored(c);
}

export async function listCommands(tenantId: string, clusterId: string, opts: { limit?: number; cursor?: string }): Promise<Page<Command>> {
  const page = await listPrefix<Stored>(tenantPk(tenantId), `CMD#${clusterId}#`, { ...opts, newestFirst: true });
  return { ...page, items: page.items.map(fromStored) };
}

/** The commands of a cluster still to run (newest 100: a cluster has a handful at most). */
export async function openCommands(tenantId: string, clusterId: string): Promise<Command[]> {
  const page = await listCommands(tenantId, clusterId, { limit: 100 });
  return page.items.filter((c) => OPEN.includes(c.status)).reverse();
}

/** Pending → Delivered, the first time a heartbeat answer carries it. */
export async function markDelivered(tenantId: string, c: Command, at: string): Promise<void> {
  await updateIf({
    Key: { pk: tenantPk(tenantId), sk: commandSk(c.clusterId, c.id) },
    UpdateExpression: 'SET #s = :delivered, deliveredAt = :at, updatedAt = :at',
    ConditionExpression: '#s = :pending',
    ExpressionAttributeNames: { '#s': 'status' },
    ExpressionAttributeValues: { ':delivered': 'Delivered', ':pending': 'Pending', ':at': at },
  });
}

/**
 * Move a command on: Running (with progress) while open, or a final status once (Succeeded,
 * Failed, Expired), which also counts it closed on its cluster. False when it was final already.
 */
export async function updateCommand(
  tenantId: string,
  c: Pick<Command, 'clusterId' | 'id'>,
  status: CommandStatus,
  fields: { progress?: number; message?: string; result?: unknown },
  at: string,
): Promise<boolean> {
  const names: Record<string, string> = { '#s': 'status' };
  const values: Record<string, unknown> = { ':status': status, ':at': at, ':pending': 'Pending', ':delivered': 'Delivered', ':running': 'Running' };
  const sets = ['#s = :status', 'updatedAt = :at'];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    names[`#${k}`] = k;
    values[`:${k}`] = v;
    sets.push(`#${k} = :${k}`);
  }
  const update = {
    TableName: table(),
    Key: { pk: tenantPk(tenantId), sk: commandSk(c.clusterId, c.id) },
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: '#s IN (:pending, :delivered, :running)',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
  if (!isFinal(status)) return updateIf(update);
  try {
    await transact([{ Update: update }, openCount(tenantId, c.clusterId, -1)], () => new Error('final'));
    return true;
  } catch (err) {
    if ((err as Error).message === 'final') return false;
    throw err;
  }
}
