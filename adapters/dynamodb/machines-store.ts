import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { InstanceInfo } from '../../core/cloud.js';
import type { MachinePhase, NodeSpec } from '../../core/machines.js';
import type { NodePatchResult } from '../../core/os-patch.js';
import { documentClient } from './client.js';
import { deleteKey, listAll, strip, table, tenantPk, transact, updateIf } from './definitions.js';
import { isConditionFailed } from './errors.js';
import { clusterSk } from './clusters-store.js';
import { DomainError } from '../../core/errors.js';
import { clock } from '../../core/clock.js';

/**
 * The nodes Strata made for a cluster (Cluster API's Machines): what each was launched as (its
 * spec), the instance as last seen, and what the reconciler is doing to it. A node is recorded
 * before its instance is asked for, so a step cut short never leaves an instance nobody knows of.
 */
export interface Machine extends Partial<Omit<InstanceInfo, keyof NodeSpec>>, NodeSpec {
  readonly clusterId: string;
  readonly updatedAt: string;
  /** When the node was first recorded (scale-down takes the newest first). */
  readonly createdAt: string;
  readonly phase?: MachinePhase;
  /** kubeadm bootstrap token id made for it in the cluster (nodes added after day one). */
  readonly joinTokenId?: string;
  /** The agent commands the reconciler issued for it, by purpose (its bootstrap token, its drain, its etcd member). */
  readonly commandIds?: Readonly<Record<string, string>>;
  /** Node repair asked for its replacement (core/repair.ts). */
  readonly repair?: { readonly reason: string; readonly requestedAt: string };
  /** Its last OS patch, as its patch run recorded it. */
  readonly lastPatch?: LastPatch;
}

export interface LastPatch {
  readonly runId: string;
  readonly at: string;
  readonly status: NodePatchResult['status'];
  readonly packages: NodePatchResult['packages'];
  readonly rebootRequired: boolean;
  readonly rebooted: boolean;
  readonly message?: string;
}

const machineSk = (clusterId: string, name: string) => `MACHINE#${clusterId}#${name}`;

/** Record a node before its instance is launched; a node recorded already is left as it is. */
export async function recordNode(tenantId: string, clusterId: string, spec: NodeSpec, extra: { joinTokenId?: string } = {}): Promise<void> {
  const now = clock.date().toISOString();
  const item: Machine = { ...spec, ...extra, clusterId, createdAt: now, updatedAt: now };
  try {
    await documentClient().send(
      new PutCommand({ TableName: table(), Item: { pk: tenantPk(tenantId), sk: machineSk(clusterId, spec.name), kind: 'MACHINE', ...item }, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
  }
}

/** The instance behind a recorded node, as the cloud answered (the node's spec and phase stay). */
export async function recordMachine(tenantId: string, clusterId: string, inst: InstanceInfo): Promise<void> {
  const fields = Object.entries({ ...inst, clusterId, updatedAt: clock.date().toISOString() }).filter(([, v]) => v !== undefined);
  await documentClient().send(
    new UpdateCommand({
      TableName: table(),
      Key: { pk: tenantPk(tenantId), sk: machineSk(clusterId, inst.name) },
      UpdateExpression: `SET ${fields.map((_, i) => `#f${i} = :f${i}`).join(', ')}, #kind = :kind, createdAt = if_not_exists(createdAt, :updatedAt)`,
      ExpressionAttributeNames: { ...Object.fromEntries(fields.map(([k], i) => [`#f${i}`, k])), '#kind': 'kind' },
      ExpressionAttributeValues: { ...Object.fromEntries(fields.map(([, v], i) => [`:f${i}`, v])), ':kind': 'MACHINE', ':updatedAt': clock.date().toISOString() },
    }),
  );
}

/** Move a node to a reconciler phase (draining, drained, terminating). */
export async function setMachinePhase(tenantId: string, clusterId: string, name: string, phase: MachinePhase): Promise<void> {
  await updateIf({
    Key: { pk: tenantPk(tenantId), sk: machineSk(clusterId, name) },
    UpdateExpression: 'SET #phase = :p, updatedAt = :now',
    ExpressionAttributeNames: { '#phase': 'phase' },
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':p': phase, ':now': clock.date().toISOString() },
  });
}

/** Remember the agent command issued for a node's purpose, the bootstrap token made for it, or its last patch. */
export async function setMachineFields(tenantId: string, clusterId: string, name: string, fields: Pick<Machine, 'commandIds' | 'joinTokenId' | 'lastPatch'>): Promise<void> {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
  await updateIf({
    Key: { pk: tenantPk(tenantId), sk: machineSk(clusterId, name) },
    UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :f${i}`).join(', ')}, updatedAt = :now`,
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
    ExpressionAttributeValues: { ...Object.fromEntries(entries.map(([, v], i) => [`:f${i}`, v])), ':now': clock.date().toISOString() },
  });
}

/**
 * Node repair: mark the nodes for replacement and move the cluster to a new generation, in one
 * transaction that holds only if the cluster is still Running at the generation and version seen
 * and no node is marked or leaving already (a user's change or another repair got there first:
 * false, nothing written). The cluster's version moves too, so a change made from the older read
 * is answered 409 rather than reconciled past the repair.
 */
export async function markForRepair(
  tenantId: string,
  cluster: { readonly id: string; readonly generation: number; readonly version: number },
  nodes: readonly { readonly node: string; readonly why: string }[],
  now: string,
): Promise<boolean> {
  try {
    await transact([
      {
        Update: {
          TableName: table(),
          Key: { pk: tenantPk(tenantId), sk: clusterSk(cluster.id) },
          UpdateExpression: 'SET generation = :g1, version = :v1, updatedAt = :now',
          ConditionExpression: 'generation = :g AND version = :v AND phase = :running',
          ExpressionAttributeValues: { ':g': cluster.generation, ':g1': cluster.generation + 1, ':v': cluster.version, ':v1': cluster.version + 1, ':now': now, ':running': 'Running' },
        },
      },
      ...nodes.map((n) => ({
        Update: {
          TableName: table(),
          Key: { pk: tenantPk(tenantId), sk: machineSk(cluster.id, n.node) },
          UpdateExpression: 'SET repair = :r, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(repair) AND attribute_not_exists(#phase)',
          ExpressionAttributeNames: { '#phase': 'phase' },
          ExpressionAttributeValues: { ':r': { reason: n.why, requestedAt: now }, ':now': now },
        },
      })),
    ]);
    return true;
  } catch (err) {
    if (err instanceof DomainError && err.status === 409) return false;
    throw err;
  }
}

export async function getMachine(tenantId: string, clusterId: string, name: string): Promise<Machine | undefined> {
  const res = await documentClient().send(new GetCommand({ TableName: table(), Key: { pk: tenantPk(tenantId), sk: machineSk(clusterId, name) }, ConsistentRead: true }));
  return res.Item ? strip<Machine>(res.Item) : undefined;
}

export async function listMachines(tenantId: string, clusterId: string): Promise<Machine[]> {
  return listAll<Machine>(tenantPk(tenantId), `MACHINE#${clusterId}#`);
}

/** A node that is gone from the cloud is gone from the record. */
export async function forgetMachine(tenantId: string, clusterId: string, name: string): Promise<void> {
  await documentClient().send(new DeleteCommand({ TableName: table(), Key: { pk: tenantPk(tenantId), sk: machineSk(clusterId, name) } }));
}

export async function forgetMachines(tenantId: string, clusterId: string): Promise<void> {
  for (const m of await listMachines(tenantId, clusterId)) await transact([deleteKey(tenantPk(tenantId), machineSk(clusterId, m.name))]);
}
