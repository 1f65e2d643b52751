import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Cloud } from '../../core/packs.js';
import type { ImageRecord } from '../../core/images.js';
import { conflict, notFound } from '../../core/errors.js';
import { documentClient } from './client.js';
import { deleteItem, entitySk, getRaw, listPrefix, nowIso, strip, table, tenantPk, updateIf, type Filter, type Page } from './definitions.js';
import { isConditionFailed } from './errors.js';

/**
 * Image records: one per cloud account, region and signature (core/images.ts imageRecordId), in the
 * tenant's partition. Who bakes is settled by one conditional write: the put that creates the
 * record, or the update that moves a failed one to its next attempt.
 */

const imageSk = (id: string) => entitySk('IMAGE', id);

/** The record plus flat copies of nested fields the list filters on. */
const toItem = (r: ImageRecord) => ({ pk: tenantPk(r.tenantId), sk: imageSk(r.id), kind: 'IMAGE', ...r, packId: r.source.packId });
const fromItem = (item: Record<string, unknown>): ImageRecord => {
  const { packId: _p, ...rest } = strip<ImageRecord & { packId?: string }>(item);
  return rest;
};

export async function getImage(tenantId: string, id: string): Promise<ImageRecord | undefined> {
  const raw = await getRaw(tenantPk(tenantId), imageSk(id));
  return raw ? fromItem(raw) : undefined;
}

export async function requireImage(tenantId: string, id: string): Promise<ImageRecord> {
  const image = await getImage(tenantId, id);
  if (!image) throw notFound('image', id);
  return image;
}

/** Claim a bake: create the record unless another request already did. True when this one won. */
export async function claimNewImage(record: ImageRecord): Promise<boolean> {
  try {
    await documentClient().send(new PutCommand({ TableName: table(), Item: toItem(record), ConditionExpression: 'attribute_not_exists(pk)' }));
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
}

/**
 * Change a record if it is still at the version read: the next attempt of a failed bake, a stage
 * of the bake, the outcome. False when another writer got there first.
 */
export async function updateImage(image: ImageRecord, changes: Partial<Omit<ImageRecord, 'id' | 'tenantId' | 'version'>>, remove: readonly (keyof ImageRecord)[] = []): Promise<ImageRecord | undefined> {
  const next: ImageRecord = { ...image, ...changes, updatedAt: nowIso(), version: image.version + 1 };
  const set = Object.entries(changes).filter(([, v]) => v !== undefined);
  const names: Record<string, string> = { '#v': 'version', '#u': 'updatedAt' };
  const values: Record<string, unknown> = { ':v': image.version, ':nv': next.version, ':u': next.updatedAt };
  const sets = ['#v = :nv', '#u = :u'];
  set.forEach(([k, v], i) => {
    names[`#s${i}`] = k;
    values[`:s${i}`] = v;
    sets.push(`#s${i} = :s${i}`);
  });
  remove.forEach((k, i) => (names[`#r${i}`] = k));
  const ok = await updateIf({
    Key: { pk: tenantPk(image.tenantId), sk: imageSk(image.id) },
    UpdateExpression: `SET ${sets.join(', ')}${remove.length ? ` REMOVE ${remove.map((_, i) => `#r${i}`).join(', ')}` : ''}`,
    ConditionExpression: '#v = :v',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  });
  if (!ok) return undefined;
  for (const k of remove) delete (next as unknown as Record<string, unknown>)[k];
  return next;
}

/** Like updateImage, but re-reads and retries when another writer moved the version meanwhile. */
export async function changeImage(tenantId: string, id: string, change: (image: ImageRecord) => Partial<ImageRecord> | undefined): Promise<ImageRecord | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const image = await getImage(tenantId, id);
    if (!image) return undefined;
    const changes = change(image);
    if (!changes) return image;
    const done = await updateImage(image, changes);
    if (done) return done;
  }
  throw conflict(`image ${id} kept changing; retry`);
}

/** When a cluster last started nodes from it (no version bump: it changes nothing of the bake). */
export async function touchImage(tenantId: string, id: string): Promise<void> {
  await updateIf({
    Key: { pk: tenantPk(tenantId), sk: imageSk(id) },
    UpdateExpression: 'SET lastUsedAt = :t',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':t': nowIso() },
  });
}

export interface ImageFilter {
  readonly signature?: string;
  readonly cloud?: Cloud;
  readonly region?: string;
  readonly pack?: string;
  readonly cloudAccountId?: string;
  readonly status?: ImageRecord['status'];
}

export async function listImages(tenantId: string, filter: ImageFilter, opts: { limit?: number; cursor?: string } = {}): Promise<Page<ImageRecord>> {
  const f: Filter = {};
  if (filter.signature) f.signature = filter.signature;
  if (filter.cloud) f.cloud = filter.cloud;
  if (filter.region) f.region = filter.region;
  if (filter.pack) f.packId = filter.pack;
  if (filter.cloudAccountId) f.cloudAccountId = filter.cloudAccountId;
  if (filter.status) f.status = filter.status;
  const page = await listPrefix<Record<string, unknown>>(tenantPk(tenantId), 'IMAGE#', { ...opts, filter: f });
  return { ...page, items: page.items.map((i) => fromItem(i)) };
}

/** Every record of one signature in one cloud account, across regions (where a copy can come from). */
export async function imagesOfSignature(tenantId: string, cloudAccountId: string, signature: string): Promise<ImageRecord[]> {
  const out: ImageRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await listImages(tenantId, { signature, cloudAccountId }, { limit: 100, cursor });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Mark an image Deleting if it is still as read (no bake started meanwhile): no cluster may claim it after. */
export async function markDeleting(image: ImageRecord): Promise<ImageRecord | undefined> {
  return updateImage(image, { status: 'Deleting' });
}

/** The record goes once the cloud's image is gone. */
export async function forgetImage(image: ImageRecord): Promise<void> {
  await deleteItem(tenantPk(image.tenantId), imageSk(image.id));
}
