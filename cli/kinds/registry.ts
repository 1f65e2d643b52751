import type { Registry } from '../api-types.js';
import { renderTable } from '../table.js';
import { ageColumn, idColumn, nameColumn, projectColumn } from './columns.js';
import type { Kind } from './kind.js';
import { ownedBody } from './project.js';

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
      [nameColumn(), idColumn(), { header: 'SCOPE', cell: (x) => x.scope }, { header: 'PACKS', cell: (x) => (x.packCount === undefined ? '' : String(x.packCount)) }, projectColumn(), ageColumn(), { header: 'DESCRIPTION', cell: (x) => x.description ?? '' }],
      items,
      palette.bold,
    ),
  createRequest: async (m, r) => ({ path: '/v1/registries', body: await ownedBody(m, r) }),
  deletePath: (x) => `/v1/registries/${encodeURIComponent(x.id)}`,
};
