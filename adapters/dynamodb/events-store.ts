import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { EVENT_RETENTION_DAYS, type ClusterEvent } from '../../core/events.js';
import { documentClient } from './client.js';
import { decodeCursor, encodeCursor } from './pagination.js';
import { tableName } from './tables.js';

/** pk E#<cluster>, sk <ISO time>#<random>: time-ordered, newest first by a reverse query. */
const pk = (clusterId: string) => `E#${clusterId}`;
const table = () => tableName('events');

export async function appendEvent(e: Omit<ClusterEvent, 'id' | 'at'>): Promise<ClusterEvent> {
  const at = new Date().toISOString();
  const id = `${at}#${randomBytes(4).toString('hex')}`;
  const event: ClusterEvent = { ...e, id, at };
  await documentClient().send(
    new PutCommand({
      TableName: table(),
      Item: { pk: pk(e.clusterId), sk: id, ...event, expiresAt: Math.floor(Date.now() / 1000) + EVENT_RETENTION_DAYS * 86400 },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  return event;
}

export async function listEvents(clusterId: string, opts: { limit?: number; cursor?: string }): Promise<{ items: ClusterEvent[]; nextCursor?: string }> {
  const now = Math.floor(Date.now() / 1000);
  const res = await documentClient().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk',
      // TTL deletion is lazy: expired events are filtered out here.
      FilterExpression: 'expiresAt > :now',
      ExpressionAttributeValues: { ':pk': pk(clusterId), ':now': now },
      ScanIndexForward: false,
      Limit: opts.limit ?? 50,
      ExclusiveStartKey: decodeCursor(opts.cursor, pk(clusterId)),
    }),
  );
  const items = (res.Items ?? []).map(({ pk: _p, sk: _s, expiresAt: _e, ...e }) => e as ClusterEvent);
  return { items, nextCursor: encodeCursor(res.LastEvaluatedKey) };
}
