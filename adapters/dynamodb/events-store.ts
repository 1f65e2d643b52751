import { randomBytes } from 'node:crypto';
import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { EVENT_RETENTION_DAYS, type ClusterEvent } from '../../core/events.js';
import { documentClient } from './client.js';
import { failedConditions } from './errors.js';
import { queryPage, type Page } from './pagination.js';
import { tableName } from './tables.js';

/** pk E#<cluster>, sk <ISO time>#<random>: time-ordered, newest first by a reverse query. */
const pk = (clusterId: string) => `E#${clusterId}`;
const table = () => tableName('events');

/**
 * Append an event. With a `dedupeKey` (what makes this event the same one when a step runs
 * again, e.g. "ClusterRunning#g2"), a marker written in the same transaction keeps it to one.
 */
export async function appendEvent(e: Omit<ClusterEvent, 'id' | 'at'>, dedupeKey?: string): Promise<ClusterEvent | undefined> {
  const at = new Date().toISOString();
  const id = `${at}#${randomBytes(4).toString('hex')}`;
  const event: ClusterEvent = { ...e, id, at };
  const expiresAt = Math.floor(Date.now() / 1000) + EVENT_RETENTION_DAYS * 86400;
  const put = { TableName: table(), Item: { pk: pk(e.clusterId), sk: id, ...event, expiresAt }, ConditionExpression: 'attribute_not_exists(pk)' };
  if (!dedupeKey) {
    await documentClient().send(new PutCommand(put));
    return event;
  }
  try {
    await documentClient().send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table(), Item: { pk: `ED#${e.clusterId}`, sk: dedupeKey, expiresAt }, ConditionExpression: 'attribute_not_exists(pk)' } },
          { Put: put },
        ],
      }),
    );
    return event;
  } catch (err) {
    if (failedConditions(err)?.includes(0)) return undefined; // already recorded
    throw err;
  }
}

export async function listEvents(clusterId: string, opts: { limit?: number; cursor?: string }): Promise<Page<ClusterEvent>> {
  return queryPage({
    query: {
      TableName: table(),
      KeyConditionExpression: 'pk = :pk',
      // TTL deletion is lazy: expired events are filtered out here.
      FilterExpression: 'expiresAt > :now',
      ExpressionAttributeValues: { ':pk': pk(clusterId), ':now': Math.floor(Date.now() / 1000) },
      ScanIndexForward: false,
    },
    pk: pk(clusterId),
    limit: opts.limit,
    cursor: opts.cursor,
    map: ({ pk: _p, sk: _s, expiresAt: _e, ...e }) => e as unknown as ClusterEvent,
  });
}
