import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ClusterPki } from '../../core/pki.js';
import type { Sealed } from '../kms/envelope.js';
import { documentClient } from './client.js';
import { deleteItem, getRaw, table, tenantPk } from './definitions.js';
import { isConditionFailed } from './errors.js';

/** A cluster's CAs and service-account key: certificates in the clear, private keys sealed (envelope encryption). */
export interface StoredPki extends ClusterPki {
  readonly sealedKeys: Sealed;
  readonly createdAt: string;
}

const pkiSk = (clusterId: string) => `PKI#${clusterId}`;

/** Keep a cluster's PKI, unless it has one already: then that one wins and is returned. */
export async function putClusterPki(tenantId: string, clusterId: string, pki: StoredPki): Promise<StoredPki> {
  try {
    await documentClient().send(
      new PutCommand({ TableName: table(), Item: { pk: tenantPk(tenantId), sk: pkiSk(clusterId), kind: 'PKI', ...pki }, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
    return pki;
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    return (await getClusterPki(tenantId, clusterId))!;
  }
}

export async function getClusterPki(tenantId: string, clusterId: string): Promise<StoredPki | undefined> {
  const item = await getRaw(tenantPk(tenantId), pkiSk(clusterId));
  if (!item) return undefined;
  const { pk: _p, sk: _s, kind: _k, ...pki } = item;
  return pki as unknown as StoredPki;
}

export async function deleteClusterPki(tenantId: string, clusterId: string): Promise<void> {
  await deleteItem(tenantPk(tenantId), pkiSk(clusterId));
}
