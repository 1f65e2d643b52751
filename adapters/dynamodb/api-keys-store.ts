import type { ApiKeyRecord } from '../../core/api-keys.js';
import { notFound } from '../../core/errors.js';
import { getItem, getRaw, listAll, putNew, table, tenantPk, transact, type TransactItem } from './definitions.js';

/** Look-up item by hash, for the authorizer; the tenant partition holds a listing twin. */
const lookupKey = (hash: string) => ({ pk: `KEY#${hash}`, sk: 'KEY' });
const listingKey = (tenantId: string, id: string) => ({ pk: tenantPk(tenantId), sk: `APIKEY#${id}` });

export function apiKeyItems(k: ApiKeyRecord): TransactItem[] {
  return [
    putNew({ ...lookupKey(k.hash), kind: 'KEY', ...k }),
    putNew({ ...listingKey(k.tenantId, k.id), kind: 'APIKEY', ...k }),
  ];
}

export async function findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
  const k = lookupKey(hash);
  return getItem<ApiKeyRecord>(k.pk, k.sk);
}

export async function createApiKey(k: ApiKeyRecord): Promise<void> {
  await transact(apiKeyItems(k));
}

export async function listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
  return listAll<ApiKeyRecord>(tenantPk(tenantId), 'APIKEY#');
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
    ],
    () => notFound('API key', id),
  );
}
