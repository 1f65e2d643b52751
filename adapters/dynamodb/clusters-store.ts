import type { AgentTokenState } from '../../core/agent-token.js';
import { SPEC_FIELDS, type Cluster, type Phase } from '../../core/cluster-record.js';
import { phasesBefore } from '../../core/lifecycle.js';
import { conflict, invalidField, notFound } from '../../core/errors.js';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './client.js';
import { cloudAccountSk } from './cloud-accounts-store.js';
import { bumpCount, deleteItem, deleteKey, entitySk, getItem, getRaw, listAll, listPrefix, nameLock, nameSk, putNew, strip, table, tenantPk, transact, updateIf, type Filter, type Page, type TransactItem } from './definitions.js';
import { profileSk } from './profiles-store.js';
import { clock } from '../../core/clock.js';
import { nodesOf } from '../../core/quotas.js';
import { usageChange, type UsageChange } from './quotas-store.js';
import { noSuchProject, projectMembership } from './project-membership.js';

export const clusterSk = (id: string) => entitySk('CLUSTER', id);
/**
 * The tenant of a cluster, by its id alone, for writers that know only the id (the conditions
 * store keeps the cluster's condition summary). Written with the cluster and never changed.
 */
const tenantRefKey = (clusterId: string) => ({ pk: entitySk('CLUSTER', clusterId), sk: 'TENANT' });
const historySk = (clusterId: string, generation: number) => `CLREV#${clusterId}#${String(generation).padStart(9, '0')}`;
/** gsi1: the clusters of one profile (the fan-out of a new revision reads them, never the whole tenant). */
const byProfilePk = (tenantId: string, profileId: string) => `${tenantPk(tenantId)}#PROFILE#${profileId}`;
const byProfileKeys = (tenantId: string, c: Pick<Cluster, 'id' | 'profileId'>) => ({ gsi1pk: byProfilePk(tenantId, c.profileId), gsi1sk: clusterSk(c.id) });

/** A revision a cluster moved to: who moved it, when, from which. Appended with the spec change, in its transaction. */
export interface RevisionHistoryEntry {
  readonly clusterId: string;
  readonly revision: number;
  readonly fromRevision?: number;
  readonly action: 'create' | 'update' | 'apply' | 'rollback';
  readonly appliedBy: string;
  readonly appliedAt: string;
  readonly generation: number;
}

const historyPut = (pk: string, e: RevisionHistoryEntry): TransactItem => putNew({ pk, sk: historySk(e.clusterId, e.generation), kind: 'CLREV', ...e });
const idempotencySk = (key: string) => `IDEMP#${key}`;
const IDEMPOTENCY_TTL_S = 24 * 3600;

export interface IdempotencyClaim {
  readonly key: string;
  /** Hash of the request body: the same key with another body is refused. */
  readonly requestHash: string;
}

/**
 * Create a cluster, its name lock, the profile's and cloud account's reference counts, its
 * project's member count and (optionally) the idempotency record in one transaction. With a key already used for the
 * same request, returns the cluster made the first time instead.
 */
export async function createCluster(tenantId: string, cluster: Cluster, idem?: IdempotencyClaim, appliedBy = '', usage?: UsageChange): Promise<{ cluster: Cluster; replayed: boolean }> {
  const pk = tenantPk(tenantId);
  const now = Math.floor(clock.now() / 1000);
  const items: TransactItem[] = [
    // An empty condition summary: every condition written from now on keeps it (conditions-store.ts).
    putNew({ pk, sk: clusterSk(cluster.id), kind: 'CLUSTER', ...cluster, conditionSummary: {}, ...byProfileKeys(tenantId, cluster) }),
    nameLock(pk, 'CLUSTER', cluster.name, cluster.id),
    bumpCount(pk, profileSk(cluster.profileId), 'clusterCount', 1),
    bumpCount(pk, cloudAccountSk(cluster.cloudAccountId), 'clusterCount', 1),
    historyPut(pk, { clusterId: cluster.id, revision: cluster.profileRevision, action: 'create', appliedBy, appliedAt: cluster.createdAt, generation: cluster.generation }),
    putNew({ ...tenantRefKey(cluster.id), kind: 'CLUSTERREF', tenantId }),
  ];
  const project = cluster.projectId;
  if (project) items.push(projectMembership(tenantId, project, 1));
  // Last, so that its index is known whatever comes first.
  if (usage) items.push(usage.item);
  if (idem) {
    // First, so that a replay is recognised before the (equally failing) name lock.
    items.unshift({
      Put: {
        TableName: table(),
        Item: { pk, sk: idempotencySk(idem.key), kind: 'IDEMP', resourceId: cluster.id, requestHash: idem.requestHash, expiresAt: now + IDEMPOTENCY_TTL_S },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': now },
      },
    });
  }
  const offset = idem ? 1 : 0;
  let replay = false;
  await transact(items, (i) => {
    if (idem && i === 0) {
      replay = true;
      return new Error('replay');
    }
    if (i === offset + 1) return conflict(`a cluster named ${cluster.name} already exists`, 'name');
    if (i === offset + 2) return notFound('profile', cluster.profileId, 'profileId');
    if (i === offset + 3) return notFound('cloud account', cluster.cloudAccountId, 'cloudAccountId');
    if (project && i === offset + 6) return noSuchProject(project);
    if (usage && i === items.length - 1) return usage.refusal;
    return conflict('cluster id collision; retry');
  }).catch(async (err) => {
    if (!replay) throw err;
  });
  if (!replay) return { cluster, replayed: false };

  const record = await getRaw(pk, idempotencySk(idem!.key));
  if (!record || record.requestHash !== idem!.requestHash) {
    throw conflict('Idempotency-Key was already used with a different request', 'headers.idempotency-key');
  }
  const first = await getItem<Cluster>(pk, clusterSk(String(record.resourceId)));
  if (!first) throw conflict('the cluster made with this Idempotency-Key has since been deleted', 'headers.idempotency-key');
  return { cluster: first, replayed: true };
}

/** A cluster; `consistent` reads it as of every write acknowledged before (its condition summary too). */
export async function getCluster(tenantId: string, id: string, opts: { consistent?: boolean } = {}): Promise<Cluster> {
  const c = opts.consistent ? await getRaw(tenantPk(tenantId), clusterSk(id)).then((item) => item && strip<Cluster>(item)) : await getItem<Cluster>(tenantPk(tenantId), clusterSk(id));
  if (!c) throw notFound('cluster', id);
  return c;
}

const tenants = new Map<string, string | undefined>();

/** The tenant of a cluster made with a tenant reference (undefined for one made before), kept: it never changes. */
export async function clusterTenant(clusterId: string): Promise<string | undefined> {
  if (tenants.has(clusterId)) return tenants.get(clusterId);
  const { pk, sk } = tenantRefKey(clusterId);
  const ref = await getRaw(pk, sk);
  const tenantId = typeof ref?.tenantId === 'string' ? ref.tenantId : undefined;
  if (tenants.size > 10_000) tenants.clear();
  tenants.set(clusterId, tenantId);
  return tenantId;
}

/** A page of the tenant's clusters; with `projects`, the shared ones and those of these projects only. */
export async function listClusters(tenantId: string, opts: { limit?: number; cursor?: string; filter?: Filter; projects?: readonly string[] }): Promise<Page<Cluster>> {
  return listPrefix<Cluster>(tenantPk(tenantId), 'CLUSTER#', opts);
}

/** Most projects one read may name (DynamoDB's IN takes up to 100 values). */
const MAX_NAMED_PROJECTS = 99;

/**
 * The ids of the tenant's clusters that are shared or belong to one of `projects`, deleted ones
 * (still kept for the record) included: what a caller with project roles may see of the tenant's
 * event stream and compliance view. One query over the tenant's clusters, ids only.
 */
export async function clusterIdsOfProjects(tenantId: string, projects: readonly string[], opts: { consistent?: boolean } = {}): Promise<Set<string>> {
  const named = projects.slice(0, MAX_NAMED_PROJECTS);
  const values: Record<string, unknown> = { ':pk': tenantPk(tenantId), ':prefix': 'CLUSTER#' };
  named.forEach((p, i) => (values[`:p${i}`] = p));
  const ids = new Set<string>();
  let start: Record<string, unknown> | undefined;
  do {
    const res = await documentClient().send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: named.length ? `attribute_not_exists(#project) OR #project IN (${named.map((_, i) => `:p${i}`).join(', ')})` : 'attribute_not_exists(#project)',
        ProjectionExpression: 'id',
        ExpressionAttributeNames: { '#project': 'projectId' },
        ExpressionAttributeValues: values,
        ConsistentRead: opts.consistent,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of res.Items ?? []) ids.add(String(item.id));
    start = res.LastEvaluatedKey;
  } while (start);
  return ids;
}

/** Most clusters a read's filter expression names (IN takes 100 values each; the expression stays well under its 4 KB). */
const MAX_NAMED_CLUSTERS = 400;

/**
 * The filter expression that keeps the items of these clusters only (by their `clusterId`), for a
 * read that answers pages; undefined when there are too many to name (the reader then drops the
 * others from what it read, and a page may hold fewer items).
 */
export function clusterIdFilter(ids: ReadonlySet<string>): { expression: string; names: Record<string, string>; values: Record<string, string> } | undefined {
  if (ids.size === 0 || ids.size > MAX_NAMED_CLUSTERS) return undefined;
  const all = [...ids];
  const values: Record<string, string> = {};
  const chunks: string[] = [];
  for (let i = 0; i < all.length; i += 100) {
    const keys = all.slice(i, i + 100).map((id, j) => ((values[`:cl${i + j}`] = id), `:cl${i + j}`));
    chunks.push(`#clusterId IN (${keys.join(', ')})`);
  }
  return { expression: chunks.length > 1 ? `(${chunks.join(' OR ')})` : chunks[0]!, names: { '#clusterId': 'clusterId' }, values };
}

/**
 * Write a user's change of the spec if nobody changed it since `expectedVersion` was read.
 * Only spec attributes are set, so a workflow's concurrent status write is never lost.
 */
export async function updateClusterSpec(tenantId: string, next: Cluster, expectedVersion: number, history?: RevisionHistoryEntry, usage?: UsageChange): Promise<void> {
  const pk = tenantPk(tenantId);
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':expected': expectedVersion, ':deleting': 'Deleting', ':deleted': 'Deleted' };
  const sets = SPEC_FIELDS.flatMap((f, i) => {
    if (next[f] === undefined) return [];
    names[`#f${i}`] = f;
    values[`:v${i}`] = next[f];
    return [`#f${i} = :v${i}`];
  });
  await transact(
    [
      {
        Update: {
          TableName: table(),
          Key: { pk, sk: clusterSk(next.id) },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk) AND version = :expected AND NOT phase IN (:deleting, :deleted)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      },
      ...(history ? [historyPut(pk, history)] : []),
      ...(usage ? [usage.item] : []),
    ],
    (i) => (usage && i === (history ? 2 : 1) ? usage.refusal : conflict(`cluster ${next.id} changed since version ${expectedVersion}, or is being deleted; read it again and retry`, 'version')),
  );
}

/** Workflow-owned fields: phase and status. `ifPhaseIn` (core/lifecycle.ts phasesBefore) guards against racing a delete. */
export async function updateClusterStatus(
  tenantId: string,
  clusterId: string,
  fields: { phase?: Phase; status?: Cluster['status']; caCertHash?: string; agentToken?: Cluster['agentToken'] },
  ifPhaseIn?: readonly Phase[],
): Promise<boolean> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  Object.entries(fields).forEach(([k, v], i) => {
    if (v === undefined) return;
    names[`#a${i}`] = k;
    values[`:a${i}`] = v;
    sets.push(`#a${i} = :a${i}`);
  });
  let condition = 'attribute_exists(pk)';
  if (ifPhaseIn?.length) {
    names['#phase'] = 'phase';
    condition += ` AND #phase IN (${ifPhaseIn.map((p, i) => {
      values[`:p${i}`] = p;
      return `:p${i}`;
    }).join(', ')})`;
  }
  return updateIf({
    Key: { pk: tenantPk(tenantId), sk: clusterSk(clusterId) },
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  });
}

/** Start deleting, from any phase that may move to Deleting. False when already under way. */
export async function markDeleting(tenantId: string, clusterId: string): Promise<boolean> {
  return updateClusterStatus(tenantId, clusterId, { phase: 'Deleting' }, phasesBefore('Deleting'));
}

const DELETED_RETENTION_S = 7 * 86400;

/**
 * The cloud side is gone: the cluster turns Deleted (kept a week for the record, then
 * expires), its name is free again, the profile and account lose a reference and its project a member.
 */
export async function finalizeDeleted(tenantId: string, cluster: Cluster): Promise<void> {
  const pk = tenantPk(tenantId);
  await transact(
    [
      {
        Update: {
          TableName: table(),
          Key: { pk, sk: clusterSk(cluster.id) },
          // Off the by-profile index: a deleted cluster hears of no update.
          UpdateExpression: 'SET phase = :deleted, expiresAt = :exp, updatedAt = :now REMOVE gsi1pk, gsi1sk',
          ConditionExpression: 'phase = :deleting',
          ExpressionAttributeValues: { ':deleted': 'Deleted', ':deleting': 'Deleting', ':exp': Math.floor(clock.now() / 1000) + DELETED_RETENTION_S, ':now': clock.date().toISOString() },
        },
      },
      deleteKey(pk, nameSk('CLUSTER', cluster.name)),
      bumpCount(pk, profileSk(cluster.profileId), 'clusterCount', -1),
      bumpCount(pk, cloudAccountSk(cluster.cloudAccountId), 'clusterCount', -1),
      (await usageChange(tenantId, { clusters: -1, nodes: -nodesOf(cluster.nodePools) }, 'id')).item,
      ...(cluster.projectId ? [projectMembership(tenantId, cluster.projectId, -1)] : []),
    ],
    () => conflict(`cluster ${cluster.id} is not being deleted`),
  );
  // The tenant reference goes with the record (clusters made before summaries have none).
  await updateIf({
    Key: tenantRefKey(cluster.id),
    UpdateExpression: 'SET expiresAt = :exp',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':exp': Math.floor(clock.now() / 1000) + DELETED_RETENTION_S },
  });
}

/**
 * Move the cluster's agent-token state on, if it is still at `fromEpoch` (two rotations racing:
 * one wins, the other is 409) and the cluster is not being deleted.
 */
export async function setAgentToken(tenantId: string, clusterId: string, fromEpoch: number, next: AgentTokenState): Promise<void> {
  const moved = await updateIf({
    Key: { pk: tenantPk(tenantId), sk: clusterSk(clusterId) },
    UpdateExpression: 'SET #t = :next',
    ConditionExpression: 'attribute_exists(pk) AND NOT #phase IN (:deleting, :deleted) AND (#t.#e = :from OR (attribute_not_exists(#t) AND :from = :one))',
    ExpressionAttributeNames: { '#t': 'agentToken', '#e': 'epoch', '#phase': 'phase' },
    ExpressionAttributeValues: { ':next': next, ':from': fromEpoch, ':one': 1, ':deleting': 'Deleting', ':deleted': 'Deleted' },
  });
  if (!moved) throw conflict(`the agent token of cluster ${clusterId} changed meanwhile, or the cluster is being deleted; read it again and retry`, 'id');
}

/** The agent used its new token: the previous one stops working now (a no-op when already retired). */
export async function retirePreviousAgentToken(tenantId: string, clusterId: string, epoch: number): Promise<void> {
  await updateIf({
    Key: { pk: tenantPk(tenantId), sk: clusterSk(clusterId) },
    UpdateExpression: 'REMOVE #t.#pe, #t.#pv',
    ConditionExpression: '#t.#e = :epoch AND attribute_exists(#t.#pe)',
    ExpressionAttributeNames: { '#t': 'agentToken', '#e': 'epoch', '#pe': 'previousEpoch', '#pv': 'previousValidUntil' },
    ExpressionAttributeValues: { ':epoch': epoch },
  });
}

/** The revisions a cluster has run, newest first. */
export async function listRevisionHistory(tenantId: string, clusterId: string, opts: { limit?: number; cursor?: string }): Promise<Page<RevisionHistoryEntry>> {
  return listPrefix<RevisionHistoryEntry>(tenantPk(tenantId), `CLREV#${clusterId}#`, { ...opts, newestFirst: true });
}

/** A deleted cluster's history goes with it. */
export async function forgetRevisionHistory(tenantId: string, clusterId: string): Promise<void> {
  const pk = tenantPk(tenantId);
  for (const e of await listAll<RevisionHistoryEntry>(pk, `CLREV#${clusterId}#`)) await deleteItem(pk, historySk(clusterId, e.generation));
}

/** What the by-profile index holds of a cluster: enough to tell whether it is behind, without reading it. */
export type ProfileMember = Pick<Cluster, 'id' | 'name' | 'projectId' | 'phase' | 'profileRevision' | 'revisionHash' | 'overrides'>;

/** One page of the clusters on a profile (gsi1), in id order; `cursor` continues it. */
export async function listClustersOfProfile(tenantId: string, profileId: string, opts: { limit?: number; cursor?: string }): Promise<{ items: ProfileMember[]; nextCursor?: string }> {
  const gsi1pk = byProfilePk(tenantId, profileId);
  let start: Record<string, unknown> | undefined;
  if (opts.cursor) {
    try {
      start = JSON.parse(Buffer.from(opts.cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      start = undefined;
    }
    // A cursor of another list (or tenant) must not steer the query elsewhere.
    if (!start || start.gsi1pk !== gsi1pk || typeof start.gsi1sk !== 'string' || start.pk !== tenantPk(tenantId) || start.sk !== start.gsi1sk) {
      throw invalidField('query.cursor', 'not a cursor returned by this list');
    }
  }
  const res = await documentClient().send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': gsi1pk },
      ProjectionExpression: 'id, #n, projectId, phase, profileRevision, revisionHash, overrides',
      ExpressionAttributeNames: { '#n': 'name' },
      Limit: opts.limit ?? 100,
      ExclusiveStartKey: start,
    }),
  );
  const next = res.LastEvaluatedKey;
  return { items: (res.Items ?? []) as ProfileMember[], nextCursor: next ? Buffer.from(JSON.stringify(next), 'utf8').toString('base64url') : undefined };
}
