import { createHash, randomBytes } from 'node:crypto';
import { BatchWriteCommand, GetCommand, TransactWriteCommand, type BatchWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { EVENT_FOLD_WINDOW_MS, EVENT_RETENTION_DAYS, type ClusterEvent, type EventFilter } from '../../core/events.js';
import { documentClient } from './client.js';
import { failedConditions, isTransactionConflict } from './errors.js';
import { queryPage, type Page } from './pagination.js';
import { tableName } from './tables.js';
import { clock } from '../../core/clock.js';
import { clusterIdFilter } from './clusters-store.js';

/**
 * Events of one cluster: pk E#<cluster>, sk <lastSeen ISO time>#<random>, newest first by a
 * reverse query. The same event again (type, reason, subject and message) within the fold window
 * is folded as Kubernetes folds its events: the one event moves to the top with count + 1 and a new
 * lastSeen, through a fold pointer (pk EF#<cluster>, sk = a hash of what makes it the same).
 */
const pk = (clusterId: string) => `E#${clusterId}`;
const foldPk = (clusterId: string) => `EF#${clusterId}`;
const table = () => tableName('events');

const foldKey = (e: Pick<ClusterEvent, 'type' | 'reason' | 'subject' | 'message'>) =>
  createHash('sha256').update(JSON.stringify([e.type, e.reason, e.subject ?? '', e.message])).digest('base64url').slice(0, 22);

/** What a writer gives; with tenantId the event also joins the tenant-wide stream (gsi1). */
type NewEvent = Omit<ClusterEvent, 'id' | 'at' | 'count' | 'firstSeen' | 'lastSeen'> & { readonly tenantId?: string };

const tenantStreamPk = (tenantId: string) => `TE#${tenantId}`;
/** The tenant-wide stream's keys of an event: its id sorts it by time. */
const streamKeys = (tenantId: string | undefined, id: string) => (tenantId ? { gsi1pk: tenantStreamPk(tenantId), gsi1sk: id } : {});
const STREAM_INDEX = { pk: 'gsi1pk', sk: 'gsi1sk' } as const;

/**
 * Append an event, folded into the same one seen within the window. With a `dedupeKey` (what makes
 * this event the same one when a step runs again, e.g. "ClusterRunning#g2") it is recorded once ever.
 */
export async function appendEvent(e: NewEvent, dedupeKey?: string, tries = 10): Promise<ClusterEvent | undefined> {
  const now = clock.date();
  const at = now.toISOString();
  const expiresAt = Math.floor(now.getTime() / 1000) + EVENT_RETENTION_DAYS * 86400;
  const key = foldKey(e);
  const pointer = (await documentClient().send(new GetCommand({ TableName: table(), Key: { pk: foldPk(e.clusterId), sk: key }, ConsistentRead: true }))).Item as
    | { eventSk: string; count: number; firstSeen: string; lastSeen: string }
    | undefined;
  const fold = pointer && now.getTime() - Date.parse(pointer.lastSeen) < EVENT_FOLD_WINDOW_MS ? pointer : undefined;
  const id = `${at}#${randomBytes(4).toString('hex')}`;
  const { tenantId, ...fields } = e;
  const event: ClusterEvent = { ...fields, id, at, count: (fold?.count ?? 0) + 1, firstSeen: fold?.firstSeen ?? at, lastSeen: at };
  const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [];
  if (dedupeKey) items.push({ Put: { TableName: table(), Item: { pk: `ED#${e.clusterId}`, sk: dedupeKey, expiresAt }, ConditionExpression: 'attribute_not_exists(pk)' } });
  items.push(
    { Put: { TableName: table(), Item: { pk: pk(e.clusterId), sk: id, ...event, ...streamKeys(tenantId, id), expiresAt }, ConditionExpression: 'attribute_not_exists(pk)' } },
    {
      Put: {
        TableName: table(),
        Item: { pk: foldPk(e.clusterId), sk: key, eventSk: id, count: event.count, firstSeen: event.firstSeen, lastSeen: at, expiresAt: Math.ceil((now.getTime() + EVENT_FOLD_WINDOW_MS) / 1000) },
        // Two appends of the same event racing: one folds, the other tries again.
        ConditionExpression: pointer ? 'eventSk = :seen' : 'attribute_not_exists(pk)',
        ExpressionAttributeValues: pointer ? { ':seen': pointer.eventSk } : undefined,
      },
    },
  );
  if (fold) items.push({ Delete: { TableName: table(), Key: { pk: pk(e.clusterId), sk: fold.eventSk } } });
  try {
    await documentClient().send(new TransactWriteCommand({ TransactItems: items }));
    return event;
  } catch (err) {
    const failed = failedConditions(err);
    if (dedupeKey && failed?.includes(0)) return undefined; // already recorded
    // Another append of the same event won the fold, or held the items at that moment: fold onto it.
    if ((failed?.length || isTransactionConflict(err)) && tries > 1) {
      await new Promise((r) => setTimeout(r, Math.random() * 20));
      return appendEvent(e, dedupeKey, tries - 1);
    }
    throw err;
  }
}

/** A stored event as the API shows it: keys, stream keys and expiry dropped; old items had no fold fields. */
const shown = ({ pk: _p, sk: _s, expiresAt: _e, gsi1pk: _g, gsi1sk: _gs, ...e }: Record<string, unknown>) =>
  ({ count: 1, firstSeen: e.at, lastSeen: e.at, ...e }) as unknown as ClusterEvent;

/**
 * The filter as DynamoDB evaluates it (after the key condition, before the page is counted):
 * expired events are always left out, since TTL deletion is lazy.
 */
function filterExpression(f: EventFilter): { FilterExpression: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues: Record<string, unknown> } {
  const parts = ['expiresAt > :now'];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':now': Math.floor(clock.now() / 1000) };
  if (f.type) {
    parts.push('#type = :type');
    names['#type'] = 'type';
    values[':type'] = f.type;
  }
  if (f.reasons?.length) {
    const keys = f.reasons.map((r, i) => ((values[`:r${i}`] = r), `:r${i}`));
    parts.push(`reason IN (${keys.join(', ')})`);
  }
  if (f.subject) {
    parts.push('subject = :subject');
    values[':subject'] = f.subject;
  }
  return { FilterExpression: parts.join(' AND '), ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}), ExpressionAttributeValues: values };
}

/** `since` as a sort-key bound: ids start with the ISO time they were last seen. */
const sinceKey = (since: string) => new Date(since).toISOString();

/** One cluster's events, newest first, narrowed by the filter. */
export async function listEvents(clusterId: string, opts: { limit?: number; cursor?: string } & EventFilter): Promise<Page<ClusterEvent>> {
  const filter = filterExpression(opts);
  return queryPage({
    query: {
      TableName: table(),
      KeyConditionExpression: opts.since ? 'pk = :pk AND sk >= :since' : 'pk = :pk',
      ...filter,
      ExpressionAttributeValues: { ...filter.ExpressionAttributeValues, ':pk': pk(clusterId), ...(opts.since ? { ':since': sinceKey(opts.since) } : {}) },
      ScanIndexForward: false,
    },
    pk: pk(clusterId),
    limit: opts.limit,
    cursor: opts.cursor,
    map: shown,
  });
}

/**
 * The events of all of a tenant's clusters (those written with the tenant), newest first, narrowed
 * by the filter. With `clusterIds`, those clusters' events only: named in the filter expression, so
 * pages fill as usual, unless there are too many to name; then the others are dropped from what was
 * read, and a page may hold fewer items.
 */
export async function listTenantEvents(tenantId: string, opts: { limit?: number; cursor?: string; clusterIds?: ReadonlySet<string> } & EventFilter): Promise<Page<ClusterEvent>> {
  const { clusterIds } = opts;
  if (clusterIds?.size === 0) return { items: [] };
  const filter = filterExpression(opts);
  const only = clusterIds && clusterIdFilter(clusterIds);
  const names = { ...filter.ExpressionAttributeNames, ...only?.names };
  const page = await queryPage({
    query: {
      TableName: table(),
      IndexName: 'gsi1',
      KeyConditionExpression: opts.since ? 'gsi1pk = :pk AND gsi1sk >= :since' : 'gsi1pk = :pk',
      FilterExpression: only ? `${filter.FilterExpression} AND ${only.expression}` : filter.FilterExpression,
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: { ...filter.ExpressionAttributeValues, ...only?.values, ':pk': tenantStreamPk(tenantId), ...(opts.since ? { ':since': sinceKey(opts.since) } : {}) },
      ScanIndexForward: false,
    },
    pk: tenantStreamPk(tenantId),
    index: STREAM_INDEX,
    limit: opts.limit,
    cursor: opts.cursor,
    map: shown,
  });
  return clusterIds && !only ? { ...page, items: page.items.filter((e) => clusterIds.has(e.clusterId)) } : page;
}

/**
 * Events after `after` (an event id, which sorts by time), oldest first, at most `limit`: what a
 * follower has not seen. A folded event moves to a new id, so it is seen again with its new count.
 * With `tenantId` instead of a cluster, the tenant-wide stream (its index is eventually consistent:
 * an event shows there a moment after it is written).
 */
export async function eventsAfter(stream: { clusterId: string } | { tenantId: string }, after: string, filter: EventFilter = {}, limit = 100): Promise<ClusterEvent[]> {
  const f = filterExpression(filter);
  const tenant = 'tenantId' in stream;
  const key = tenant ? tenantStreamPk(stream.tenantId) : pk(stream.clusterId);
  const page = await queryPage<ClusterEvent>({
    query: {
      TableName: table(),
      ...(tenant ? { IndexName: 'gsi1' } : {}),
      KeyConditionExpression: tenant ? 'gsi1pk = :pk AND gsi1sk > :after' : 'pk = :pk AND sk > :after',
      ...f,
      ExpressionAttributeValues: { ...f.ExpressionAttributeValues, ':pk': key, ':after': after },
      ScanIndexForward: true,
    },
    pk: key,
    ...(tenant ? { index: STREAM_INDEX } : {}),
    limit,
    map: shown,
  });
  return page.items;
}

/**
 * Record many events at once, each under an id its writer chose (`<time>#<what makes it unique>`),
 * without folding: the fan-out of one notification to thousands of clusters. Writing the same id
 * again overwrites it, so a repeated batch records nothing twice. Returns the write requests made.
 */
export async function putEventsOnce(events: readonly (ClusterEvent & { readonly tenantId?: string })[]): Promise<number> {
  const expiresAt = Math.floor(clock.now() / 1000) + EVENT_RETENTION_DAYS * 86400;
  let requests = 0;
  for (let i = 0; i < events.length; i += 25) {
    let pending: NonNullable<BatchWriteCommandInput['RequestItems']>[string] = events
      .slice(i, i + 25)
      .map(({ tenantId, ...e }) => ({ PutRequest: { Item: { pk: pk(e.clusterId), sk: e.id, ...e, ...streamKeys(tenantId, e.id), expiresAt } } }));
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      requests++;
      const res = await documentClient().send(new BatchWriteCommand({ RequestItems: { [table()]: pending } }));
      pending = res.UnprocessedItems?.[table()] ?? [];
      if (attempt > 8 && pending.length) throw new Error(`${pending.length} events were not written after ${attempt} attempts`);
    }
  }
  return requests;
}
