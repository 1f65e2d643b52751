import type { ApiKeyRecord } from '../../core/api-keys.js';
import { conflict, notFound } from '../../core/errors.js';
import { getItem, getRaw, listAll, putNew, table, tenantPk, transact, type TransactItem } from './definitions.js';
import { noSuchProject, projectMembership } from './project-membership.js';

/** Look-up item by hash, for the authorizer; the tenant partition holds a listing twin. */
const lookupKey = (hash: string) => ({ pk: `KEY#${hash}`, sk: 'KEY' });
const listingKey = (tenantId: string, id: string) => ({ pk: tenantPk(tenantId), sk: `APIKEY#${id}` });

/**
 * A key's expiry is stored as `keyExpiresAt`: `expiresAt` is the table's TTL attribute, and an
 * expired key must stay listed (and refused by the authorizer) until an admin revokes it, not
 * vanish from the list when DynamoDB gets round to deleting it.
 */
type StoredApiKey = Omit<ApiKeyRecord, 'expiresAt'> & { readonly keyExpiresAt?: string };

function stored({ expiresAt, ...rest }: ApiKeyRecord): StoredApiKey {
  return expiresAt ? { ...rest, keyExpiresAt: expiresAt } : rest;
}

function record({ keyExpiresAt, ...rest }: StoredApiKey): ApiKeyRecord {
  return keyExpiresAt ? { ...rest, expiresAt: keyExpiresAt } : rest;
}

export function apiKeyItems(k: ApiKeyRecord): TransactItem[] {
  const item = stored(k);
  return [
    putNew({ ...lookupKey(k.hash), kind: 'KEY', ...item }),
    putNew({ ...listingKey(k.tenantId, k.id), kind: 'APIKEY', ...item }),
  ];
}

export async function findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
  const k = lookupKey(hash);
  const item = await getItem<StoredApiKey>(k.pk, k.sk);
  return item && record(item);
}

/** A key limited to a project joins it in the same transaction: the project must exist, and is not deleted while the key is. */
export async function createApiKey(k: ApiKeyRecord): Promise<void> {
  const items = apiKeyItems(k);
  if (k.projectId) items.push(projectMembership(k.tenantId, k.projectId, 1));
  await transact(items, (i) => (i === 2 && k.projectId ? noSuchProject(k.projectId) : conflict('API key collision; retry')));
}

/** One of the tenant's keys, never its secret's hash; undefined when there is none. */
export async function getApiKey(tenantId: string, id: string): Promise<ApiKeyRecord | undefined> {
  const listing = listingKey(tenantId, id);
  const item = await getItem<StoredApiKey>(listing.pk, listing.sk);
  return item && record(item);
}

export async function listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
  return (await listAll<StoredApiKey>(tenantPk(tenantId), 'APIKEY#')).map(record);
}

export async function revokeApiKey(tenantId: string, id: string): Promise<void> {
  const listing = listingKey(tenantId, id);
  const item = await getRaw(listing.pk, listing.sk);
  if (!item) throw notFound('API key', id);
  const lookup = lookupKey(String(item.hash));
  await transact(
    [
      { Delete: { TableName: table(), Key: listing, ConditionExpression: 'attribute_exists(pk)' } },
      { Delete: { TableName: table(), Key: lookup } },
      ...(typeof item.projectId === 'string' ? [projectMembership(tenantId, item.projectId, -1)] : []),
    ],
    () => notFound('API key', id),
  );
}

