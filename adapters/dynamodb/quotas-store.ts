import { PHASES, type Cluster } from '../../core/cluster-record.js';
import { conflict } from '../../core/errors.js';
import { exceededQuota, nodesOf, quotaExceeded, type TenantQuotas, type TenantUsage, type UsageDelta } from '../../core/quotas.js';
import { getRaw, listAll, putNew, table, tenantPk, transact, type TransactItem } from './definitions.js';

/**
 * A tenant's quotas and usage: one item, T#<tenant>/USAGE. Every write that makes a cluster, grows
 * its pools or finalizes its deletion moves the counters in its own transaction; a growth is
 * conditioned on the quota it read, so two creates racing for the last cluster cannot both win.
 * Setting a quota counts the tenant's clusters afresh (clusters made before counters existed count
 * too) and is conditioned on the counters' version, so no create slips in between.
 */
const USAGE_SK = 'USAGE';

interface UsageItem {
  readonly clusters?: number;
  readonly nodes?: number;
  readonly maxClusters?: number;
  readonly maxNodes?: number;
  /** Moved by every counter change: a recount writes only if none came in meanwhile. */
  readonly v?: number;
}

const quotasOf = (item: UsageItem | undefined): TenantQuotas => ({
  ...(item?.maxClusters !== undefined ? { clusters: item.maxClusters } : {}),
  ...(item?.maxNodes !== undefined ? { nodes: item.maxNodes } : {}),
});

async function readUsage(tenantId: string): Promise<UsageItem | undefined> {
  return (await getRaw(tenantPk(tenantId), USAGE_SK)) as UsageItem | undefined;
}

/** The tenant's clusters that are not Deleted, counted from their records. */
async function countUsage(tenantId: string): Promise<TenantUsage> {
  const clusters = (await listAll<Cluster>(tenantPk(tenantId), 'CLUSTER#')).filter((c) => c.phase !== 'Deleted' && PHASES.includes(c.phase));
  return { clusters: clusters.length, nodes: clusters.reduce((sum, c) => sum + nodesOf(c.nodePools), 0) };
}

export interface UsageChange {
  /** The counters' update, for the transaction of the write that makes the change. */
  readonly item: TransactItem;
  /** The error when that update's condition failed. */
  readonly refusal: Error;
}

/**
 * The counters' update for a change of usage. A growth reads the quota first and is refused at
 * once past it; in the transaction it is conditioned on that quota and on headroom for the delta
 * (DynamoDB conditions compare, they do not add: the headroom is the quota less the delta).
 */
export async function usageChange(tenantId: string, delta: UsageDelta, path: string): Promise<UsageChange> {
  const key = { pk: tenantPk(tenantId), sk: USAGE_SK };
  const grows = delta.clusters > 0 || delta.nodes > 0;
  const item = grows ? await readUsage(tenantId) : undefined;
  const quotas = quotasOf(item);
  const usage = { clusters: item?.clusters ?? 0, nodes: item?.nodes ?? 0 };
  const over = exceededQuota(quotas, usage, delta);
  if (over) throw quotaExceeded(over, usage);
  // Every attribute by a placeholder: `clusters` and `nodes` are DynamoDB reserved words.
  const names: Record<string, string> = { '#clusters': 'clusters', '#nodes': 'nodes', '#v': 'v' };
  const values: Record<string, unknown> = { ':dc': delta.clusters, ':dn': delta.nodes, ':one': 1 };
  const conditions: string[] = [];
  if (grows) {
    for (const [kind, attr, max] of [['clusters', 'maxClusters', quotas.clusters], ['nodes', 'maxNodes', quotas.nodes]] as const) {
      names[`#${attr}`] = attr;
      if (max === undefined) {
        conditions.push(`attribute_not_exists(#${attr})`);
        continue;
      }
      values[`:${attr}`] = max;
      if (delta[kind] > 0) {
        values[`:${kind}Room`] = max - delta[kind];
        conditions.push(`(#${attr} = :${attr} AND #${kind} <= :${kind}Room)`);
      } else conditions.push(`#${attr} = :${attr}`);
    }
  }
  return {
    item: {
      Update: {
        TableName: table(),
        Key: key,
        UpdateExpression: 'ADD #clusters :dc, #nodes :dn, #v :one',
        ...(conditions.length ? { ConditionExpression: conditions.join(' AND ') } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    },
    // The quota read above had room: it changed, or another write took the room, meanwhile.
    refusal: conflict("the tenant's quota or usage changed while this was checked; retry", path),
  };
}

/** The tenant's quotas, and its usage counted from its clusters. */
export async function getQuotas(tenantId: string): Promise<{ quotas: TenantQuotas; usage: TenantUsage }> {
  const [item, usage] = await Promise.all([readUsage(tenantId), countUsage(tenantId)]);
  return { quotas: quotasOf(item), usage };
}

/** Set a tenant's quotas, its counters counted afresh in the same write. */
export async function setQuotas(tenantId: string, quotas: TenantQuotas): Promise<{ quotas: TenantQuotas; usage: TenantUsage }> {
  for (let attempt = 1; ; attempt++) {
    const item = await readUsage(tenantId);
    const usage = await countUsage(tenantId);
    const next = {
      pk: tenantPk(tenantId),
      sk: USAGE_SK,
      kind: 'USAGE',
      clusters: usage.clusters,
      nodes: usage.nodes,
      v: (item?.v ?? 0) + 1,
      ...(quotas.clusters !== undefined ? { maxClusters: quotas.clusters } : {}),
      ...(quotas.nodes !== undefined ? { maxNodes: quotas.nodes } : {}),
    };
    const write: TransactItem = !item
      ? putNew(next)
      : item.v === undefined
        ? { Put: { TableName: table(), Item: next, ConditionExpression: 'attribute_not_exists(#v)', ExpressionAttributeNames: { '#v': 'v' } } }
        : { Put: { TableName: table(), Item: next, ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'v' }, ExpressionAttributeValues: { ':v': item.v } } };
    try {
      await transact([write], () => conflict('a cluster changed while the quota was set'));
      return { quotas, usage };
    } catch (err) {
      // A cluster was made, scaled or deleted meanwhile: count again.
      if (attempt >= 5) throw err;
    }
  }
}
