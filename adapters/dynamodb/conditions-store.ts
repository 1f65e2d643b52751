import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { CONDITION_TYPES, nextCondition, readySummary, READY, typeOf, type Condition, type ConditionUpdate } from '../../core/conditions.js';
import { documentClient } from './client.js';
import { clusterSk, clusterTenant } from './clusters-store.js';
import { table as definitionsTable, tenantPk, transact, type TransactItem } from './definitions.js';
import { tableName } from './tables.js';
import { clock } from '../../core/clock.js';

/** Conditions of one cluster: pk C#<cluster>, sk = condition type. */
const pk = (clusterId: string) => `C#${clusterId}`;
const table = () => tableName('conditions');

/** The conditions of a subject (a cluster, an image bake, a profile revision's fan-out), as the rows hold them. */
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
 * conditions, one step at a time, so a read-modify-write per condition is safe here (the health
 * checks have writers of their own, each its own rows, and the cluster item's summary is set entry
 * by entry for the same reason).
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
  const current = new Map((await listConditions(clusterId)).map((c) => [c.type, c]));
  // One write per row, the last: a transaction takes each item once.
  const writes = new Map<string, ConditionWrite>();
  for (const type of remove) if (current.delete(type)) writes.set(type, { type });
  const changed: Condition[] = [];
  for (const u of updates) {
    const prev = current.get(u.type);
    const next = nextCondition(prev, u, generation, now);
    if (prev && prev.status === next.status && prev.reason === next.reason && prev.message === next.message && prev.attempts === next.attempts) continue;
    writes.set(next.type, { type: next.type, condition: next });
    current.set(next.type, next);
    if (!prev || prev.status !== next.status) changed.push(next);
  }
  if (summarise) {
    const summary = readySummary([...current.values()]);
    const prevReady = current.get(READY);
    if (!prevReady || prevReady.status !== summary.status || prevReady.message !== summary.message) {
      const ready = nextCondition(prevReady, { type: READY, ...summary }, generation, now);
      writes.set(READY, { type: READY, condition: ready });
      current.set(READY, ready);
      if (!prevReady || prevReady.status !== ready.status) changed.push(ready);
    }
  }
  await write(clusterId, [...writes.values()], summarise);
  return { all: [...current.values()], changed };
}

/** A condition row to put, or (without one) to delete. */
interface ConditionWrite {
  readonly type: string;
  readonly condition?: Condition;
}

/** What the cluster view shows (Ready and the health checks): kept on the cluster item too. */
const inClusterSummary = (type: string) => {
  const t = typeOf(type);
  return t === READY || (t !== undefined && CONDITION_TYPES[t].group === 'health');
};

const rowWrite = (clusterId: string, w: ConditionWrite): TransactItem =>
  w.condition ? { Put: { TableName: table(), Item: { pk: pk(clusterId), sk: w.type, ...w.condition } } } : { Delete: { TableName: table(), Key: { pk: pk(clusterId), sk: w.type } } };

async function writeRow(clusterId: string, w: ConditionWrite): Promise<void> {
  const { Put: put, Delete: del } = rowWrite(clusterId, w);
  if (put) await documentClient().send(new PutCommand(put));
  else await documentClient().send(new DeleteCommand(del!));
}

/** The cluster item's summary moved as the rows do, entry by entry: writers of other conditions are never overwritten. */
function summaryUpdate(tenantId: string, clusterId: string, writes: readonly ConditionWrite[]): TransactItem {
  const names: Record<string, string> = { '#s': 'conditionSummary' };
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const removes: string[] = [];
  writes.forEach((w, i) => {
    names[`#k${i}`] = w.type;
    if (!w.condition) return removes.push(`#s.#k${i}`);
    values[`:v${i}`] = { status: w.condition.status, reason: w.condition.reason, message: w.condition.message };
    sets.push(`#s.#k${i} = :v${i}`);
  });
  return {
    Update: {
      TableName: definitionsTable(),
      Key: { pk: tenantPk(tenantId), sk: clusterSk(clusterId) },
      UpdateExpression: [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].join(' ').trim(),
      ConditionExpression: 'attribute_exists(#s)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: sets.length ? values : undefined,
    },
  };
}

/**
 * Write the rows. A cluster's summarised rows go in one transaction with its summary, so the
 * cluster view never shows another status than the rows; the others one by one (a transaction
 * costs twice the writes). A cluster made before summaries (no tenant reference), an image's
 * or a profile's conditions, and a cluster whose item is gone have rows only.
 */
async function write(clusterId: string, writes: readonly ConditionWrite[], summarise: boolean): Promise<void> {
  const summarised = summarise ? writes.filter((w) => inClusterSummary(w.type)) : [];
  const tenantId = summarised.length ? await clusterTenant(clusterId) : undefined;
  for (const w of tenantId ? writes.filter((x) => !summarised.includes(x)) : writes) await writeRow(clusterId, w);
  if (!tenantId) return;
  const noCluster = new Error('cluster item without a condition summary');
  try {
    await transact([...summarised.map((w) => rowWrite(clusterId, w)), summaryUpdate(tenantId, clusterId, summarised)], () => noCluster);
  } catch (err) {
    if (err !== noCluster) throw err;
    // The cluster item is gone (a deleted cluster expired): no view to keep.
    for (const w of summarised) await writeRow(clusterId, w);
  }
}

export async function getCondition(clusterId: string, type: string): Promise<Condition | undefined> {
  const res = await documentClient().send(new GetCommand({ TableName: table(), Key: { pk: pk(clusterId), sk: type }, ConsistentRead: true }));
  if (!res.Item) return undefined;
  const { pk: _p, sk: _s, title: _t, ...c } = res.Item;
  return c as Condition;
}
