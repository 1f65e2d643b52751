import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { conflict } from '../../core/errors.js';
import { documentClient } from './client.js';
import { failedConditions, isConditionFailed, isTransactionConflict } from './errors.js';
import { queryPage, type Page } from './pagination.js';
import { tableName } from './tables.js';
import { clock } from '../../core/clock.js';

/**
 * The definitions table. Every tenant owns one partition, `T#<tenant>`; an entity is
 * `<KIND>#<id>` in it, and a unique name is held by a lock item `NAME#<KIND>#<name>` written
 * in the same transaction, so two creates with one name cannot both succeed.
 */
export const tenantPk = (tenantId: string) => `T#${tenantId}`;
export const entitySk = (kind: string, id: string) => `${kind}#${id}`;
export const nameSk = (kind: string, name: string) => `NAME#${kind}#${name}`;

const INTERNAL = new Set(['pk', 'sk', 'kind', 'gsi1pk', 'gsi1sk', 'expiresAt']);

export function strip<T>(item: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!INTERNAL.has(k)) out[k] = v;
  return out as T;
}

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export type { Page } from './pagination.js';

export const table = () => tableName('definitions');
const db = () => documentClient();

export async function getItem<T>(pk: string, sk: string): Promise<T | undefined> {
  const res = await db().send(new GetCommand({ TableName: table(), Key: { pk, sk } }));
  return res.Item ? strip<T>(res.Item) : undefined;
}

export async function getRaw(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const res = await db().send(new GetCommand({ TableName: table(), Key: { pk, sk }, ConsistentRead: true }));
  return res.Item;
}

/** An attribute equal to a value, or (with `not`) different from it. */
export type Filter = Record<string, string | { readonly not: string }>;

/** Options of a list: its page, equality filters, and the projects it shows (core/projects.ts). */
export interface ListOptions {
  readonly limit?: number;
  readonly cursor?: string;
  readonly newestFirst?: boolean;
  readonly filter?: Filter;
  /** Show shared items and those of these projects only; absent: every item. */
  readonly projects?: readonly string[];
}

/** Most projects one list may name (DynamoDB's IN takes up to 100 values). */
const MAX_LISTED_PROJECTS = 99;

/** The filter expression of a list's options, with its names and values. */
function filterOf(opts: ListOptions): { expression?: string; names?: Record<string, string>; values: Record<string, unknown> } {
  const filters = Object.entries(opts.filter ?? {});
  const parts = filters.map(([, v], i) => `#f${i} ${typeof v === 'string' ? '=' : '<>'} :f${i}`);
  const names: Record<string, string> = Object.fromEntries(filters.map(([k], i) => [`#f${i}`, k]));
  const values: Record<string, unknown> = Object.fromEntries(filters.map(([, v], i) => [`:f${i}`, typeof v === 'string' ? v : v.not]));
  if (opts.projects) {
    const projects = opts.projects.slice(0, MAX_LISTED_PROJECTS);
    names['#project'] = 'projectId';
    projects.forEach((p, i) => (values[`:p${i}`] = p));
    parts.push(projects.length ? `(attribute_not_exists(#project) OR #project IN (${projects.map((_, i) => `:p${i}`).join(', ')}))` : 'attribute_not_exists(#project)');
  }
  return parts.length ? { expression: parts.join(' AND '), names, values } : { values };
}

export async function listPrefix<T>(pk: string, skPrefix: string, opts: ListOptions = {}): Promise<Page<T>> {
  const filter = filterOf(opts);
  return queryPage<T>({
    query: {
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: filter.expression,
      ExpressionAttributeNames: filter.names,
      ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix, ...filter.values },
      ScanIndexForward: !opts.newestFirst,
    },
    pk,
    skPrefix,
    limit: opts.limit ?? 100,
    cursor: opts.cursor,
    map: (i) => strip<T>(i),
  });
}

/** Every item under a prefix, following pages (for small, bounded sets). */
export async function listAll<T>(pk: string, skPrefix: string, opts: Pick<ListOptions, 'projects'> = {}): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await listPrefix<T>(pk, skPrefix, { ...opts, limit: 500, cursor });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

export const putNew = (item: Record<string, unknown>): TransactItem => ({
  Put: { TableName: table(), Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
});

export const nameLock = (pk: string, kind: string, name: string, id: string): TransactItem =>
  putNew({ pk, sk: nameSk(kind, name), kind: 'NAME', id });

/** Tries of a transaction that keeps meeting another one on the same items, before a 409. */
const TRANSACTION_ATTEMPTS = 4;

/**
 * Run a transaction; when a condition fails, `onConflict` gets the index of the first failed
 * item and returns the error to throw (409 by default). A conflict with another transaction in
 * flight is tried again after a short random pause, then answered 409: never a 500.
 */
export async function transact(items: TransactItem[], onConflict: (index: number) => Error = () => conflict('the resource changed; read it again and retry')): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db().send(new TransactWriteCommand({ TransactItems: items }));
      return;
    } catch (err) {
      const failed = failedConditions(err);
      if (failed?.length) throw onConflict(failed[0]!);
      if (!isTransactionConflict(err)) throw err;
      if (attempt >= TRANSACTION_ATTEMPTS) throw busy();
      await new Promise((r) => setTimeout(r, Math.random() * 25 * 2 ** attempt));
    }
  }
}

/** What a write that kept meeting concurrent transactions answers. */
export const busy = () => conflict('another request was changing the same resources at that moment; nothing was written, retry', 'id');

/** An update of one definitions item under a condition: false (nothing written) when the condition fails. */
export async function updateIf(input: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
  try {
    await db().send(new UpdateCommand({ TableName: table(), ...input }));
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
}

/** Write a whole item, whatever was there (records with one writer). */
export async function putItem(item: Record<string, unknown> & { pk: string; sk: string }): Promise<void> {
  await db().send(new PutCommand({ TableName: table(), Item: item }));
}

export async function deleteItem(pk: string, sk: string): Promise<void> {
  await db().send(new DeleteCommand({ TableName: table(), Key: { pk, sk } }));
}

export const nowIso = () => clock.date().toISOString();

/** Move a reference counter; the condition also proves the referenced entity still exists. */
export const bumpCount = (pk: string, sk: string, attr: string, by: 1 | -1): TransactItem => ({
  Update: {
    TableName: table(),
    Key: { pk, sk },
    UpdateExpression: `SET #c = if_not_exists(#c, :zero) + :by`,
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeNames: { '#c': attr },
    ExpressionAttributeValues: { ':by': by, ':zero': 0 },
  },
});

/** Delete an entity only while nothing references it (counter is 0). */
export const deleteUnreferenced = (pk: string, sk: string, attr: string): TransactItem => ({
  Delete: {
    TableName: table(),
    Key: { pk, sk },
    ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#c) OR #c = :zero)',
    ExpressionAttributeNames: { '#c': attr },
    ExpressionAttributeValues: { ':zero': 0 },
  },
});

export const deleteKey = (pk: string, sk: string): TransactItem => ({ Delete: { TableName: table(), Key: { pk, sk } } });
