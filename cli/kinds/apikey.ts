import type { ApiKey, ApiKeyCreated } from '../api-types.js';
import { renderTable } from '../table.js';
import { ageColumn, idColumn, nameColumn } from './columns.js';
import type { Kind } from './kind.js';
import { bodyOf } from './manifest-fields.js';

/** The tenant's API keys (admins); a key's secret is shown once, when it is made. */
export const apiKeys: Kind<ApiKey> = {
  name: 'apikey',
  plural: 'apikeys',
  aliases: ['key', 'keys'],
  manifestKind: 'ApiKey',
  list: async (r) => (await r.api.get<{ items: ApiKey[] }>('/v1/apikeys')).items,
  idOf: (k) => k.id,
  nameOf: (k) => k.name,
  table: (items, { palette }) =>
    renderTable([nameColumn(), idColumn(), { header: 'ROLE', cell: (k) => k.role }, { header: 'OPERATOR', cell: (k) => (k.operator ? 'yes' : '') }, ageColumn()], items, palette.bold),
  createRequest: async (m) => ({ path: '/v1/apikeys', body: bodyOf(m) }),
  madeNote: (created) => `its secret, shown once: ${(created as ApiKeyCreated).key}`,
  deletePath: (k) => `/v1/apikeys/${encodeURIComponent(k.id)}`,
};
