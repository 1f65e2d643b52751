import type { CloudAccount, CredentialCheck } from '../../core/cloud-accounts.js';
import { conflict, notFound } from '../../core/errors.js';
import { deleteKey, deleteUnreferenced, entitySk, getItem, listPrefix, nameLock, nameSk, putNew, tenantPk, transact, updateIf, type Page } from './definitions.js';

export const cloudAccountSk = (id: string) => entitySk('CLOUDACCOUNT', id);

export async function createCloudAccount(tenantId: string, account: CloudAccount): Promise<void> {
  const pk = tenantPk(tenantId);
  await transact(
    [putNew({ pk, sk: cloudAccountSk(account.id), kind: 'CLOUDACCOUNT', ...account, clusterCount: 0 }), nameLock(pk, 'CLOUDACCOUNT', account.name, account.id)],
    (i) => conflict(i === 1 ? `a cloud account named ${account.name} already exists` : 'id collision; retry', 'name'),
  );
}

export async function getCloudAccount(tenantId: string, id: string, path = 'id'): Promise<CloudAccount> {
  const a = await getItem<CloudAccount>(tenantPk(tenantId), cloudAccountSk(id));
  if (!a) throw notFound('cloud account', id, path);
  return a;
}

export async function listCloudAccounts(tenantId: string, opts: { limit?: number; cursor?: string }): Promise<Page<CloudAccount>> {
  return listPrefix<CloudAccount>(tenantPk(tenantId), 'CLOUDACCOUNT#', opts);
}

export async function deleteCloudAccount(tenantId: string, account: CloudAccount): Promise<void> {
  const pk = tenantPk(tenantId);
  try {
    await transact(
      [deleteUnreferenced(pk, cloudAccountSk(account.id), 'clusterCount'), deleteKey(pk, nameSk('CLOUDACCOUNT', account.name))],
      () => conflict(`cloud account ${account.id} is used by clusters; delete them first`, 'id'),
    );
  } catch (err) {
    if (!(await getItem(pk, cloudAccountSk(account.id)))) throw notFound('cloud account', account.id);
    throw err;
  }
}

/** Keep the result of the last credentials check on the account (gone meanwhile: nothing to keep). */
export async function recordCheck(tenantId: string, id: string, check: CredentialCheck): Promise<void> {
  await updateIf({
    Key: { pk: tenantPk(tenantId), sk: cloudAccountSk(id) },
    UpdateExpression: 'SET lastCheck = :c',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':c': check },
  });
}
