import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { nextCondition, readySummary, READY, type Condition, type ConditionUpdate } from '../../core/conditions.js';
import { documentClient } from './client.js';
import { tableName } from './tables.js';
import { clock } from '../../core/clock.js';

/** Conditions of one cluster: pk C#<cluster>, sk = condition type. */
const pk = (clusterId: string) => `C#${clusterId}`;
const table = () => tableName('conditions');

export async function listConditions(clusterId: string): Promise<Condition[]> {
  const res = await documentClient().send(
    new QueryCommand({ TableName: table(), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk(clusterId) }, ConsistentRead: true }),
  );
  // Titles are the registry's, not stored (rows written before that may still carry one).
  return (res.Items ?? []).map(({ pk: _p, sk: _s, title: _t, ...c }) => c as Condition);
}

/**
 * Apply updates (and remove the conditions of objects that went away), then recompute the
 * Ready summary. Only the cluster's own workflow writes its
 * conditions, one step at a time, so a read-modify-write per condition is safe here.
 * Returns the conditions whose status changed (for events).
 */
export async function applyConditions(
  clusterId: string,
  generation: number,
  updates: readonly ConditionUpdate[],
  remove: readonly string[] = [],
  /** Keep the Ready summary (a cluster's); an image bake's conditions have none. */
  summarise = true,
): Promise<{ all: Condition[]; changed: Condition[] }> {
  const now = clock.date().toISOString();
  const db = documentClient();
  const current = new Map((await listConditions(clusterId)).map((c) => [c.type, c]));
  for (const type of remove) {
    if (!current.delete(type)) continue;
    await db.send(new DeleteCommand({ TableName: table(), Key: { pk: pk(clusterId), sk: type } }));
  }
  const changed: Condition[] = [];
  for (const u of updates) {
    const prev = current.get(u.type);
    const next = nextCondition(prev, u, generation, now);
    if (prev && prev.status === next.status && prev.reason === next.reason && prev.message === next.message && prev.attempts === next.attempts) continue;
    await db.send(new PutCommand({ TableName: table(), Item: { pk: pk(clusterId), sk: next.type, ...next } }));
    current.set(next.type, next);
    if (!prev || prev.status !== next.status) changed.push(next);
  }
  if (!summarise) return { all: [...current.values()], changed };
  const summary = readySummary([...current.values()]);
  const prevReady = current.get(READY);
  if (!prevReady || prevReady.status !== summary.status || prevReady.message !== summary.message) {
    const ready = nextCondition(prevReady, { type: READY, ...summary }, generation, now);
    await db.send(new PutCommand({ TableName: table(), Item: { pk: pk(clusterId), sk: READY, ...ready } }));
    current.set(READY, ready);
    if (!prevReady || prevReady.status !== ready.status) changed.push(ready);
  }
  return { all: [...current.values()], changed };
}

export async function getCondition(clusterId: string, type: string): Promise<Condition | undefined> {
  const res = await documentClient().send(new GetCommand({ TableName: table(), Key: { pk: pk(clusterId), sk: type }, ConsistentRead: true }));
  if (!res.Item) return undefined;
  const { pk: _p, sk: _s, title: _t, ...c } = res.Item;
  return c as Condition;
}
