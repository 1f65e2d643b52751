import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './client.js';
import { tableName } from './tables.js';

/** The latest agent report of a cluster (telemetry table, pk R#<cluster>, sk LATEST). */
const key = (clusterId: string) => ({ pk: `R#${clusterId}`, sk: 'LATEST' });
const table = () => tableName('telemetry');
const REPORT_TTL_S = 7 * 86400;

export interface StoredReport<T> {
  readonly clusterId: string;
  readonly receivedAt: string;
  readonly report: T;
}

export async function putLatestReport<T>(clusterId: string, report: T): Promise<void> {
  await documentClient().send(
    new PutCommand({
      TableName: table(),
      Item: { ...key(clusterId), clusterId, receivedAt: new Date().toISOString(), report, expiresAt: Math.floor(Date.now() / 1000) + REPORT_TTL_S },
    }),
  );
}

export async function getLatestReport<T>(clusterId: string): Promise<StoredReport<T> | undefined> {
  const res = await documentClient().send(new GetCommand({ TableName: table(), Key: key(clusterId), ConsistentRead: true }));
  if (!res.Item || (typeof res.Item.expiresAt === 'number' && res.Item.expiresAt < Date.now() / 1000)) return undefined;
  return { clusterId: res.Item.clusterId as string, receivedAt: res.Item.receivedAt as string, report: res.Item.report as T };
}
