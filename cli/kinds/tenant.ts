import type { Tenant, TenantCreated } from '../api-types.js';
import { renderTable } from '../table.js';
import { ageColumn, idColumn, nameColumn } from './columns.js';
import type { Kind } from './kind.js';
import { bodyOf } from './manifest-fields.js';

/** Tenants: platform operators' keys only; the API says so to anyone else. */
export const tenants: Kind<Tenant> = {
  name: 'tenant',
  plural: 'tenants',
  aliases: [],
  manifestKind: 'Tenant',
  list: async (r) => (await r.api.get<{ items: Tenant[] }>('/v1/tenants')).items,
  idOf: (t) => t.id,
  nameOf: (t) => t.name,
  table: (items, { palette }) => renderTable([nameColumn(), idColumn(), { header: 'DISPLAY NAME', cell: (t) => t.displayName ?? '' }, ageColumn()], items, palette.bold),
  createRequest: async (m) => ({ path: '/v1/tenants', body: bodyOf(m) }),
  madeNote: (created) => {
    const { apiKey } = created as TenantCreated;
    return `its first admin key ${apiKey.name} (${apiKey.id}), shown once: ${apiKey.key}`;
  },
};
