import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { InstanceInfo } from '../../core/cloud.js';
import { documentClient } from './client.js';
import { deleteKey, listAll, table, tenantPk, transact } from './definitions.js';
import { clock } from '../../core/clock.js';

/** The cloud instances Strata made for a cluster, as last seen by the workflow. */
export interface Machine extends InstanceInfo {
  readonly clusterId: string;
  readonly updatedAt: string;
}

const machineSk = (clusterId: string, name: string) => `MACHINE#${clusterId}#${name}`;

export async function recordMachine(tenantId: string, clusterId: string, inst: InstanceInfo): Promise<void> {
  const item: Machine = { ...inst, clusterId, updatedAt: clock.date().toISOString() };
  await documentClient().send(new PutCommand({ TableName: table(), Item: { pk: tenantPk(tenantId), sk: machineSk(clusterId, inst.name), kind: 'MACHINE', ...item } }));
}

export async function listMachines(tenantId: string, clusterId: string): Promise<Machine[]> {
  return listAll<Machine>(tenantPk(tenantId), `MACHINE#${clusterId}#`);
}

export async function forgetMachines(tenantId: string, clusterId: string): Promise<void> {
  for (const m of await listMachines(tenantId, clusterId)) await transact([deleteKey(tenantPk(tenantId), machineSk(clusterId, m.name))]);
}
