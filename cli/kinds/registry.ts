import type { Registry } from '../api-types.js';
import { renderTable } from '../table.js';
import { ageColumn, idColumn, nameColumn } from './columns.js';
import type { Kind } from './kind.js';
import { bodyOf } from './manifest-fields.js';

/** Pack registries: the public one and the tenant's private ones. */
export const registries: Kind<Registry> = {
  name: 'registry',
  plural: 'registries',
  aliases: ['reg'],
  manifestKind: 'Registry',
  list: async (r) => (await r.api.get<{ items: Registry[] }>('/v1/registries')).items,
  idOf: (x) => x.id,
  nameOf: (x) => x.name,
  table: (items, { palette }) =>
    renderTable(
      [nameColumn(), idColumn(), { header: 'SCOPE', cell: (x) => x.scope }, { header: 'PACKS', cell: (x) => (x.packCount === undefined ? '' : String(x.packCount)) }, ageColumn(), { header: 'DESCRIPTION', cell: (x) => x.description ?? '' }],
      items,
      palette.bold,
    ),
  createRequest: async (m) => ({ path: '/v1/registries', body: bodyOf(m) }),
  deletePath: (x) => `/v1/registries/${encodeURIComponent(x.id)}`,
};
