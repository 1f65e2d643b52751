import type { CloudAccount, CredentialCheck } from '../../core/cloud-accounts.js';
import { conflict, notFound } from '../../core/errors.js';
import { deleteKey, deleteUnreferenced, entitySk, getItem, listAll, listPrefix, nameLock, nameSk, putNew, tenantPk, transact, updateIf, type ListOptions, type Page } from './definitions.js';
import { noSuchProject, projectMembership } from './project-membership.js';

export const cloudAccountSk = (id: string) => entitySk('CLOUDACCOUNT', id);

/** An account of a project joins it in the same transaction: the project must exist, and is not deleted while the account is. */
export async function createCloudAccount(tenantId: string, account: CloudAccount): Promise<void> {
  const pk = tenantPk(tenantId);
  const { projectId } = account;
  await transact(
    [
      putNew({ pk, sk: cloudAccountSk(account.id), kind: 'CLOUDACCOUNT', ...account, clusterCount: 0 }),
      nameLock(pk, 'CLOUDACCOUNT', account.name, account.id),
      ...(projectId ? [projectMembership(tenantId, projectId, 1)] : []),
    ],
    (i) => (i === 2 && projectId ? noSuchProject(projectId) : conflict(i === 1 ? `a cloud account named ${account.name} already exists` : 'id collision; retry', 'name')),
  );
}

/** The account, or undefined when the tenant has none of that id. */
export async function findCloudAccount(tenantId: string, id: string): Promise<CloudAccount | undefined> {
  return getItem<CloudAccount>(tenantPk(tenantId), cloudAccountSk(id));
}

export async function getCloudAccount(tenantId: string, id: string, path = 'id'): Promise<CloudAccount> {
  const a = await findCloudAccount(tenantId, id);
  if (!a) throw notFound('cloud account', id, path);
  return a;
}

export async function listCloudAccounts(tenantId: string, opts: Pick<ListOptions, 'limit' | 'cursor' | 'projects'>): Promise<Page<CloudAccount>> {
  return listPrefix<CloudAccount>(tenantPk(tenantId), 'CLOUDACCOUNT#', opts);
}

/** Every account of the tenant (a tenant holds few), optionally only the shared ones and those of `projects`. */
export async function listAllCloudAccounts(tenantId: string, opts: Pick<ListOptions, 'projects'> = {}): Promise<CloudAccount[]> {
  return listAll<CloudAccount>(tenantPk(tenantId), 'CLOUDACCOUNT#', opts);
}

export async function deleteCloudAccount(tenantId: string, account: CloudAccount): Promise<void> {
  const pk = tenantPk(tenantId);
  try {
    await transact(
      [
        deleteUnreferenced(pk, cloudAccountSk(account.id), 'clusterCount'),
        deleteKey(pk, nameSk('CLOUDACCOUNT', account.name)),
        ...(account.projectId ? [projectMembership(tenantId, account.projectId, -1)] : []),
      ],
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
