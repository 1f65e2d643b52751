import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import type { Heartbeat } from '../../core/agent-protocol.js';
import { payloadTooLarge } from '../../core/errors.js';
import { recordedUntil } from '../../core/health.js';
import { rollUp, type Sample } from '../../core/usage.js';
import { documentClient } from './client.js';
import { tableName } from './tables.js';
import { clock } from '../../core/clock.js';

/**
 * The telemetry table.
 *   R#<cluster> / SNAPSHOT        the latest report; rewritten only when something but usage changed
 *   U#<cluster> / 1m#<minute>     1-minute usage samples (a day), 5m#… (a week), 1h#… (a month)
 *   HB#<shard>  / <deadline>#<cluster>  one entry per live cluster, keyed by when its heartbeat
 *                                 goes missing: the sweep reads only entries past their deadline
 * Steady state per heartbeat: nothing on most; the sample on the first heartbeat of each minute,
 * and with it, once the recorded heartbeat no longer stands for the latest (core/health.ts
 * recordedUntil: every minute with the defaults), the deadline entry moved: a put and a delete.
 */
const table = () => tableName('telemetry');
const db = () => documentClient();
export const HB_SHARDS = 16;
/** A snapshot is one item (DynamoDB's limit is 400 KB). */
const MAX_SNAPSHOT_BYTES = 350 * 1024;

const DAY = 86400;
const RETENTION: Record<SampleResolution, number> = { '1m': DAY, '5m': 7 * DAY, '1h': 31 * DAY };
export type SampleResolution = '1m' | '5m' | '1h';

export interface StoredSample extends Sample {
  /** Structure hash of the report that wrote it. */
  readonly sh?: string;
  /** When this heartbeat was recorded, and its deadline entry's sort key. */
  readonly hb?: string;
  readonly dk?: string;
  /** When the sample was written. */
  readonly at?: string;
}

export interface Snapshot {
  readonly clusterId: string;
  readonly receivedAt: string;
  readonly structureHash: string;
  readonly report: Heartbeat;
}

const sampleKey = (clusterId: string, res: SampleResolution, t: string) => ({ pk: `U#${clusterId}`, sk: `${res}#${t}` });
export const shardOf = (clusterId: string) => createHash('sha1').update(clusterId).digest()[0]! % HB_SHARDS;

/**
 * Hash of what matters besides usage: nodes, their conditions and requests, services, packs,
 * generation. Agents send fields in a stable order, so plain JSON is canonical enough here, and
 * much cheaper than sorting keys on every heartbeat.
 */
export function structureHash(report: Heartbeat): string {
  const h = createHash('sha1');
  h.update(JSON.stringify([report.observedGeneration, report.caCertHash, report.packs, report.services]));
  for (const { usage: _u, ...n } of report.nodes) h.update(JSON.stringify(n));
  return h.digest('base64url').slice(0, 16);
}

export async function latestSample(clusterId: string, res: SampleResolution = '1m'): Promise<StoredSample | undefined> {
  const r = await db().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': `U#${clusterId}`, ':p': `${res}#` },
      ScanIndexForward: false,
      Limit: 1,
    }),
  );
  return r.Items?.[0] as StoredSample | undefined;
}

export async function samplesSince(clusterId: string, res: SampleResolution, since: string): Promise<StoredSample[]> {
  const out: StoredSample[] = [];
  let start: Record<string, unknown> | undefined;
  const now = Math.floor(clock.now() / 1000);
  do {
    const r = await db().send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
        ExpressionAttributeValues: { ':pk': `U#${clusterId}`, ':a': `${res}#${since}`, ':b': `${res}#~` },
        ExclusiveStartKey: start,
      }),
    );
    // TTL deletion is lazy: skip what has expired.
    for (const i of r.Items ?? []) if (!(typeof i.expiresAt === 'number' && i.expiresAt < now)) out.push(i as StoredSample);
    start = r.LastEvaluatedKey;
  } while (start);
  return out;
}

export async function getSnapshot(clusterId: string): Promise<Snapshot | undefined> {
  const r = await db().send(new GetCommand({ TableName: table(), Key: { pk: `R#${clusterId}`, sk: 'SNAPSHOT' } }));
  if (!r.Item) return undefined;
  const { reportGz, ...rest } = r.Item as Omit<Snapshot, 'report'> & { reportGz: Uint8Array };
  return { ...rest, report: JSON.parse(gunzipSync(reportGz).toString('utf8')) as Heartbeat };
}

/** What this instance last knew of each cluster's latest sample. */
const recent = new Map<string, { t: string; sh?: string; hb?: string; dk?: string; at: number }>();
const RECENT_TTL_MS = 5 * 60_000;

export interface IngestResult {
  readonly snapshotWritten: boolean;
  readonly sampleWritten: boolean;
  /** The heartbeat came back after its deadline entry was swept (or is the first one). */
  readonly resumed: boolean;
  readonly writeUnits: number;
  readonly readUnits: number;
}

/**
 * Store a heartbeat, writing only what changed: the snapshot when the structure changed; once
 * a minute the usage sample and the deadline entry (roll-ups on 5-minute and hour boundaries).
 */
export async function ingestHeartbeat(input: {
  tenantId: string;
  clusterId: string;
  report: Heartbeat;
  /** Built only when a sample is written (the first heartbeat of a minute). */
  sample: () => Sample;
  now: Date;
  missingAfterSeconds: number;
  /** Until when a recorded heartbeat stands for later ones; core/health.ts's rule unless given (benchmarks compare others). */
  recordedUntil?: (recordedAt: number) => number;
}): Promise<IngestResult> {
  const { clusterId, report, now } = input;
  let wcu = 0;
  let rcu = 0;
  const count = (c?: ConsumedCapacity | ConsumedCapacity[]) => {
    for (const x of Array.isArray(c) ? c : c ? [c] : []) {
      wcu += x.WriteCapacityUnits ?? (x.ReadCapacityUnits === undefined ? (x.CapacityUnits ?? 0) : 0);
      rcu += x.ReadCapacityUnits ?? 0;
    }
  };
  // A warm function remembers what it last wrote for the cluster and skips the read. Another
  // instance may have written since: then this one writes a little more than needed, or leaves
  // a superseded deadline entry that the sweep finds healthy and clears — never a wrong verdict.
  let prev = recent.get(clusterId);
  if (!prev || now.getTime() - prev.at > RECENT_TTL_MS) {
    const last = await db().send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': `U#${clusterId}`, ':p': '1m#' },
        ScanIndexForward: false,
        Limit: 1,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    rcu += last.ConsumedCapacity?.CapacityUnits ?? 0;
    const item = last.Items?.[0] as StoredSample | undefined;
    prev = item ? { t: item.t, sh: item.sh, hb: item.hb, dk: item.dk, at: now.getTime() } : undefined;
  }
  const iso = now.toISOString();
  const minute = iso.slice(0, 16); // YYYY-MM-DDTHH:MM

  const sh = structureHash(report);
  let snapshotWritten = false;
  if (sh !== prev?.sh) {
    // Stored gzipped: a report is repetitive JSON (~10x smaller), so even thousands of nodes fit
    // one item, and a rewrite costs a few write units instead of dozens.
    const reportGz = gzipSync(JSON.stringify(report));
    if (reportGz.length > MAX_SNAPSHOT_BYTES) throw payloadTooLarge(MAX_SNAPSHOT_BYTES);
    const put = await db().send(
      new PutCommand({ TableName: table(), Item: { pk: `R#${clusterId}`, sk: 'SNAPSHOT', clusterId, receivedAt: iso, structureHash: sh, reportGz }, ReturnConsumedCapacity: 'TOTAL' }),
    );
    count(put.ConsumedCapacity);
    snapshotWritten = true;
  }

  // The heartbeat on record (hb) and the deadline entry move together, once the record no longer
  // stands for this heartbeat: those in between write nothing for it. The deadline is the
  // threshold after the latest of them, so the sweep never finds a cluster before its threshold.
  const until = input.recordedUntil ?? ((at: number) => recordedUntil(at, input));
  const deadlineAfter = (recordedAt: number) => until(recordedAt) + input.missingAfterSeconds * 1000;
  const lastHb = prev?.hb ? Date.parse(prev.hb) : 0;
  const due = !prev?.dk || now.getTime() >= until(lastHb);
  const resumed = !prev?.hb || now.getTime() > deadlineAfter(lastHb);
  const newMinute = prev?.t !== minute;
  const shard = shardOf(clusterId);
  const dk = due ? `${new Date(deadlineAfter(now.getTime())).toISOString()}#${clusterId}` : prev!.dk!;
  const hb = due ? iso : prev!.hb!;
  const writes: Record<string, unknown>[] = [];
  if (newMinute) {
    const item = { ...sampleKey(clusterId, '1m', minute), ...input.sample(), t: minute, at: iso, sh, hb, dk, expiresAt: Math.floor(now.getTime() / 1000) + RETENTION['1m'] };
    writes.push({ PutRequest: { Item: item } });
  } else if (due || snapshotWritten) {
    const u = await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: sampleKey(clusterId, '1m', minute),
        UpdateExpression: 'SET sh = :sh, hb = :hb, dk = :dk',
        ExpressionAttributeValues: { ':sh': sh, ':hb': hb, ':dk': dk },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    count(u.ConsumedCapacity);
  }
  if (due) {
    writes.push({ PutRequest: { Item: { pk: `HB#${shard}`, sk: dk, tenantId: input.tenantId, clusterId } } });
    if (prev?.dk && prev.dk !== dk) writes.push({ DeleteRequest: { Key: { pk: `HB#${shard}`, sk: prev.dk } } });
  }
  if (writes.length) {
    let pending: Record<string, unknown> | undefined = { [table()]: writes };
    for (let attempt = 0; pending && Object.keys(pending).length && attempt < 5; attempt++) {
      const res: { ConsumedCapacity?: ConsumedCapacity[]; UnprocessedItems?: Record<string, unknown> } = await db().send(
        new BatchWriteCommand({ RequestItems: pending as never, ReturnConsumedCapacity: 'TOTAL' }),
      );
      count(res.ConsumedCapacity);
      pending = res.UnprocessedItems;
    }
  }
  const sampleWritten = newMinute;
  if (recent.size > 10_000) recent.clear();
  recent.set(clusterId, { t: minute, sh, hb, dk, at: prev && !newMinute && !due && !snapshotWritten ? prev.at : now.getTime() });
  if (newMinute && prev) {
    const r = await rollUps(clusterId, now);
    wcu += r.wcu;
    rcu += r.rcu;
  }
  return { snapshotWritten, sampleWritten, resumed, writeUnits: wcu, readUnits: rcu };
}

/** On a 5-minute boundary, roll the last five 1-minute samples up; on the hour, the last twelve 5-minute ones. */
async function rollUps(clusterId: string, now: Date): Promise<{ wcu: number; rcu: number }> {
  let wcu = 0;
  let rcu = 0;
  const m = now.getUTCMinutes();
  const steps: [SampleResolution, SampleResolution, number, number][] = [];
  if (m % 5 === 0) steps.push(['1m', '5m', 5, 5]);
  if (m === 0) steps.push(['5m', '1h', 60, 12]);
  for (const [from, to, minutes] of steps) {
    const end = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    const start = new Date(end.getTime() - minutes * 60_000);
    const r = await db().send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
        ExpressionAttributeValues: { ':pk': `U#${clusterId}`, ':a': `${from}#${start.toISOString().slice(0, 16)}`, ':b': `${from}#${new Date(end.getTime() - 1).toISOString().slice(0, 16)}` },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    rcu += r.ConsumedCapacity?.CapacityUnits ?? 0;
    const t = start.toISOString().slice(0, 16);
    const rolled = rollUp(t, (r.Items ?? []) as StoredSample[]);
    if (!rolled) continue;
    const put = await db().send(
      new PutCommand({
        TableName: table(),
        Item: { ...sampleKey(clusterId, to, t), ...rolled, expiresAt: Math.floor(now.getTime() / 1000) + RETENTION[to] },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    wcu += put.ConsumedCapacity?.CapacityUnits ?? 0;
  }
  return { wcu, rcu };
}

export interface StaleEntry {
  readonly tenantId: string;
  readonly clusterId: string;
  readonly sk: string;
  readonly shard: number;
}

/** Entries past their deadline, shard by shard: only the clusters whose heartbeat is missing. */
export async function staleClusters(now: Date): Promise<{ items: StaleEntry[]; readUnits: number }> {
  const items: StaleEntry[] = [];
  let readUnits = 0;
  await Promise.all(
    Array.from({ length: HB_SHARDS }, async (_, shard) => {
      let start: Record<string, unknown> | undefined;
      do {
        const r = await db().send(
          new QueryCommand({
            TableName: table(),
            KeyConditionExpression: 'pk = :pk AND sk < :now',
            ExpressionAttributeValues: { ':pk': `HB#${shard}`, ':now': now.toISOString() },
            ExclusiveStartKey: start,
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        readUnits += r.ConsumedCapacity?.CapacityUnits ?? 0;
        for (const i of r.Items ?? []) items.push({ tenantId: String(i.tenantId), clusterId: String(i.clusterId), sk: String(i.sk), shard });
        start = r.LastEvaluatedKey;
      } while (start);
    }),
  );
  return { items, readUnits };
}

/** A swept entry leaves the index; the cluster's next heartbeat puts a new one. */
export async function clearDeadline(e: StaleEntry): Promise<void> {
  await db().send(new DeleteCommand({ TableName: table(), Key: { pk: `HB#${e.shard}`, sk: e.sk } }));
}
