import type { ApiKeyRecord } from '../../core/api-keys.js';
import { conflict } from '../../core/errors.js';
import type { Tenant } from '../../core/tenants.js';
import { apiKeyItems } from './api-keys-store.js';
import { getItem, listAll, putNew, transact } from './definitions.js';
import { newTenantProjectItems } from './projects-store.js';

/** Tenants are few and operator-managed: they share one partition. */
const TENANTS_PK = 'TENANTS';
const tenantSk = (id: string) => `TENANT#${id}`;

/** Create a tenant, its first admin key and its default project in one transaction: never a tenant without a key. */
export async function createTenant(tenant: Tenant, adminKey: ApiKeyRecord): Promise<void> {
  await transact(
    [putNew({ pk: TENANTS_PK, sk: tenantSk(tenant.id), kind: 'TENANT', ...tenant }), ...apiKeyItems(adminKey), ...newTenantProjectItems(tenant.id, tenant.createdAt)],
    (i) => (i === 0 ? conflict(`tenant ${tenant.name} already exists`, 'name') : conflict('API key collision; retry')),
  );
}

export async function getTenant(id: string): Promise<Tenant | undefined> {
  return getItem<Tenant>(TENANTS_PK, tenantSk(id));
}

export async function listTenants(): Promise<Tenant[]> {
  return listAll<Tenant>(TENANTS_PK, 'TENANT#');
}
