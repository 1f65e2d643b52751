import type { CloudAccount } from '../api-types.js';
import { renderTable } from '../table.js';
import { ageColumn, idColumn, nameColumn } from './columns.js';
import type { Kind } from './kind.js';
import { bodyOf } from './manifest-fields.js';

/** Cloud accounts: where clusters run (AWS, Azure, or the local runtime's simulated cloud). */
export const cloudAccounts: Kind<CloudAccount> = {
  name: 'cloudaccount',
  plural: 'cloudaccounts',
  aliases: ['account', 'accounts', 'ca'],
  manifestKind: 'CloudAccount',
  list: (r) => r.api.listAll<CloudAccount>('/v1/cloudaccounts'),
  idOf: (a) => a.id,
  nameOf: (a) => a.name,
  read: (api, a) => api.get<CloudAccount>(`/v1/cloudaccounts/${encodeURIComponent(a.id)}`),
  table: (items, { palette }) =>
    renderTable(
      [
        nameColumn(),
        idColumn(),
        { header: 'TYPE', cell: (a) => a.spec.type },
        { header: 'CHECKED', cell: (a) => (a.lastCheck ? (a.lastCheck.valid ? palette.green('valid') : palette.red('invalid')) : '') },
        { header: 'CLUSTERS', cell: (a) => (a.clusterCount === undefined ? '' : String(a.clusterCount)) },
        ageColumn(),
      ],
      items,
      palette.bold,
    ),
  // `type: aws` and its fields may be given flat, or under spec: as the API takes them.
  createRequest: async (m) => ({ path: '/v1/cloudaccounts', body: m.spec === undefined ? { name: m.name, spec: bodyOf(m, 'name') } : bodyOf(m) }),
  madeNote: (created) => {
    const a = created as CloudAccount;
    return a.spec.type === 'aws' ? `put this trust policy on ${a.spec.roleArn} (ExternalId ${a.spec.externalId}); -o yaml shows it and a CloudFormation template that makes the role` : undefined;
  },
  deletePath: (a) => `/v1/cloudaccounts/${encodeURIComponent(a.id)}`,
};
