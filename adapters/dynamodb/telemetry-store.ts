import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import type { Heartbeat } from '../../core/agent-protocol.js';
import { payloadTooLarge } from '../../core/errors.js';
import { lookaheadMs, recordedUntil, type HealthSettings } from '../../core/health.js';
import { rollUp, type Sample } from '../../core/usage.js';
import { packSample, unpackSample, type PackedSample } from './sample-codec.js';
import { documentClient } from './client.js';
import { tableName } from './tables.js';
import { clock } from '../../core/clock.js';

/**
 * The telemetry table.
 *   R#<cluster> / SNAPSHOT        the latest report; rewritten only when something but usage changed
 *   U#<cluster> / 1m#<minute>     the minute's usage sample (kept a day); every fifth minute's item
 *                                 also holds the 5-minute roll-up of the five before it (kept a
 *                                 week), and minute :01's the hour's roll-up (kept a month), so
 *                                 roll-ups cost no write of their own
 *   HB#<shard>  / <read-from>#<cluster>  one entry per live cluster, keyed by when the sweep is to
 *                                 read it (its deadline less the sweep's lookahead); the deadline
 *                                 itself in `d`: the sweep reads only clusters about to go missing
 * Steady state per heartbeat: nothing on most; the sample on the first heartbeat of each minute,
 * and with it, once the recorded heartbeat no longer stands for the latest (core/health.ts
 * recordedUntil: every other minute with the defaults), the deadline entry moved: a put and a
 * delete. At 50 nodes: 2 + 2 write units per two minutes, one per 30 s heartbeat.
 */
const table = () => tableName('telemetry');
const db = () => documentClient();
export const HB_SHARDS = 16;
/** A snapshot is one item (DynamoDB's limit is 400 KB). */
const MAX_SNAPSHOT_BYTES = 350 * 1024;

const DAY = 86400;
const RETENTION: Record<SampleResolution, number> = { '1m': DAY, '5m': 7 * DAY, '1h': 31 * DAY };
export type SampleResolution = '1m' | '5m' | '1h';
/** The attribute of a 1-minute item holding a roll-up. */
const ROLLUP_ATTRIBUTE = { '5m': 'r5', '1h': 'r1h' } as const;

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

type SampleItem = PackedSample & Omit<StoredSample, keyof Sample> & { per?: string; expiresAt?: number; r5?: PackedSample; r1h?: PackedSample };
const stored = (i: SampleItem): StoredSample => ({ ...unpackSample(i), sh: i.sh, hb: i.hb, dk: i.dk, at: i.at });

/** The latest 1-minute sample: the heartbeat on record and its deadline entry come with it. */
export async function latestSample(clusterId: string): Promise<StoredSample | undefined> {
  const r = await db().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': `U#${clusterId}`, ':p': '1m#' },
      ScanIndexForward: false,
      Limit: 1,
    }),
  );
  const item = r.Items?.[0] as SampleItem | undefined;
  return item && stored(item);
}

async function queryAll(input: ConstructorParameters<typeof QueryCommand>[0]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const r = await db().send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    out.push(...(r.Items ?? []));
    start = r.LastEvaluatedKey;
  } while (start);
  return out;
}

/** Samples of a resolution from `since` (a minute, YYYY-MM-DDTHH:MM) on, oldest first. */
export async function samplesSince(clusterId: string, res: SampleResolution, since: string): Promise<StoredSample[]> {
  const now = Math.floor(clock.now() / 1000);
  // TTL deletion is lazy: skip what has expired.
  const live = (i: Record<string, unknown>) => !(typeof i.expiresAt === 'number' && i.expiresAt < now);
  const range = (prefix: string) => ({ ':pk': `U#${clusterId}`, ':a': `${prefix}#${since}`, ':b': `${prefix}#~` });
  const key = 'pk = :pk AND sk BETWEEN :a AND :b';
  if (res === '1m') return (await queryAll({ TableName: table(), KeyConditionExpression: key, ExpressionAttributeValues: range('1m') })).filter(live).map((i) => stored(i as unknown as SampleItem));
  const attribute = ROLLUP_ATTRIBUTE[res];
  const [carried, legacy] = await Promise.all([
    queryAll({
      TableName: table(),
      KeyConditionExpression: key,
      FilterExpression: 'attribute_exists(#r)',
      ProjectionExpression: '#r, expiresAt',
      ExpressionAttributeNames: { '#r': attribute },
      ExpressionAttributeValues: range('1m'),
    }),
    // Roll-ups written as items of their own before they rode on the minute's sample.
    queryAll({ TableName: table(), KeyConditionExpression: key, ExpressionAttributeValues: range(res) }),
  ]);
  const out = new Map<string, StoredSample>();
  for (const i of legacy.filter(live)) out.set(String(i.t), stored(i as unknown as SampleItem));
  for (const i of carried.filter(live)) {
    const r = i[attribute] as PackedSample;
    if (r.t >= since) out.set(r.t, unpackSample(r));
  }
  return [...out.values()].sort((a, b) => a.t.localeCompare(b.t));
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
  /** The cluster's deadline entry was written (moved, or put anew). */
  readonly deadlineMoved: boolean;
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
  /** The cluster's heartbeat interval and threshold. */
  health: Pick<HealthSettings, 'missingAfterSeconds' | 'heartbeatIntervalSeconds'>;
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
  const until = input.recordedUntil ?? ((at: number) => recordedUntil(at, input.health));
  const deadlineAfter = (recordedAt: number) => until(recordedAt) + input.health.missingAfterSeconds * 1000;
  const lastHb = prev?.hb ? Date.parse(prev.hb) : 0;
  const due = !prev?.dk || now.getTime() >= until(lastHb);
  const resumed = !prev?.hb || now.getTime() > deadlineAfter(lastHb);
  const newMinute = prev?.t !== minute;
  const shard = shardOf(clusterId);
  const deadline = deadlineAfter(now.getTime());
  const dk = due ? `${new Date(deadline - lookaheadMs(input.health)).toISOString()}#${clusterId}` : prev!.dk!;
  const hb = due ? iso : prev!.hb!;
  const writes: Record<string, unknown>[] = [];
  if (newMinute) {
    const rolled = prev ? await rollUps(clusterId, now) : { rcu: 0 };
    rcu += rolled.rcu;
    const retention = rolled.r1h ? RETENTION['1h'] : rolled.r5 ? RETENTION['5m'] : RETENTION['1m'];
    const item = { ...sampleKey(clusterId, '1m', minute), ...packSample(input.sample()), t: minute, at: iso, sh, hb, dk, r5: rolled.r5, r1h: rolled.r1h, expiresAt: Math.floor(now.getTime() / 1000) + retention };
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
  if (due) writes.push({ PutRequest: { Item: { pk: `HB#${shard}`, sk: dk, tenantId: input.tenantId, clusterId, d: new Date(deadline).toISOString() } } });
  const batch = async (requests: Record<string, unknown>[]) => {
    let pending: Record<string, unknown> | undefined = { [table()]: requests };
    for (let attempt = 0; pending && Object.keys(pending).length && attempt < 5; attempt++) {
      const res: { ConsumedCapacity?: ConsumedCapacity[]; UnprocessedItems?: Record<string, unknown> } = await db().send(
        new BatchWriteCommand({ RequestItems: pending as never, ReturnConsumedCapacity: 'TOTAL' }),
      );
      count(res.ConsumedCapacity);
      pending = res.UnprocessedItems;
    }
  };
  if (writes.length) await batch(writes);
  // The superseded entry goes only once its successor is in: a reporting cluster is never absent
  // from the index, so an empty index means no cluster is reporting (the sweep turns off on it).
  if (due && prev?.dk && prev.dk !== dk) await batch([{ DeleteRequest: { Key: { pk: `HB#${shard}`, sk: prev.dk } } }]);
  const sampleWritten = newMinute;
  if (recent.size > 10_000) recent.clear();
  recent.set(clusterId, { t: minute, sh, hb, dk, at: prev && !newMinute && !due && !snapshotWritten ? prev.at : now.getTime() });
  return { snapshotWritten, sampleWritten, resumed, deadlineMoved: due, writeUnits: wcu, readUnits: rcu };
}

/**
 * The roll-ups the minute's sample carries: on a 5-minute boundary the five 1-minute samples
 * before it; at minute :01 the previous hour's twelve 5-minute roll-ups (the last of them rides
 * on minute :00). Reads only: they are written with the sample.
 */
async function rollUps(clusterId: string, now: Date): Promise<{ rcu: number; r5?: PackedSample; r1h?: PackedSample }> {
  const m = now.getUTCMinutes();
  if (m % 5 !== 0 && m !== 1) return { rcu: 0 };
  const minuteAt = (ms: number) => new Date(ms).toISOString().slice(0, 16);
  const minuteStart = Math.floor(now.getTime() / 60_000) * 60_000;
  const hourly = m === 1;
  const from = hourly ? minuteStart - 56 * 60_000 : minuteStart - 5 * 60_000;
  const to = hourly ? minuteStart - 60_000 : minuteStart - 60_000;
  const r = await db().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
      ExpressionAttributeValues: { ':pk': `U#${clusterId}`, ':a': `1m#${minuteAt(from)}`, ':b': `1m#${minuteAt(to)}` },
      ...(hourly ? { FilterExpression: 'attribute_exists(r5)', ProjectionExpression: 'r5' } : {}),
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  const items = (r.Items ?? []) as SampleItem[];
  const samples = hourly ? items.map((i) => unpackSample(i.r5!)) : items.map(unpackSample);
  const rolled = rollUp(minuteAt(hourly ? minuteStart - 61 * 60_000 : from), samples);
  const rcu = r.ConsumedCapacity?.CapacityUnits ?? 0;
  if (!rolled) return { rcu };
  return hourly ? { rcu, r1h: packSample(rolled) } : { rcu, r5: packSample(rolled) };
}

export interface StaleEntry {
  readonly tenantId: string;
  readonly clusterId: string;
  readonly sk: string;
  readonly shard: number;
  /** When the cluster is missing (ms): now or within the sweep's lookahead. */
  readonly deadline: number;
}

/** Entries due to be read, shard by shard: only the clusters whose heartbeat is missing, or about to be. */
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
        // Entries written before the lookahead have no `d`: their key is the deadline.
        for (const i of r.Items ?? []) items.push({ tenantId: String(i.tenantId), clusterId: String(i.clusterId), sk: String(i.sk), shard, deadline: Date.parse(String(i.d ?? String(i.sk).split('#')[0])) });
        start = r.LastEvaluatedKey;
      } while (start);
    }),
  );
  return { items, readUnits };
}

/** Is the entry still there (a consistent read): the cluster has not reported since it was read? */
export async function deadlineStands(e: StaleEntry): Promise<boolean> {
  const r = await db().send(new GetCommand({ TableName: table(), Key: { pk: `HB#${e.shard}`, sk: e.sk }, ConsistentRead: true, ProjectionExpression: 'pk' }));
  return r.Item !== undefined;
}

/** Does the deadline index hold no entry at all (no cluster reporting)? One item read per shard at most. */
export async function deadlineIndexEmpty(consistent = false): Promise<boolean> {
  const shards = await Promise.all(
    Array.from({ length: HB_SHARDS }, async (_, shard) => {
      const r = await db().send(new QueryCommand({ TableName: table(), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `HB#${shard}` }, Limit: 1, ConsistentRead: consistent, ProjectionExpression: 'pk' }));
      return r.Items?.length ?? 0;
    }),
  );
  return shards.every((n) => n === 0);
}

/** A swept entry leaves the index; the cluster's next heartbeat puts a new one. */
export async function clearDeadline(e: StaleEntry): Promise<void> {
  await db().send(new DeleteCommand({ TableName: table(), Key: { pk: `HB#${e.shard}`, sk: e.sk } }));
}
