import type { CloudAccount } from '../api-types.js';
import { renderTable } from '../table.js';
import { ageColumn, idColumn, nameColumn, projectColumn } from './columns.js';
import type { Kind } from './kind.js';
import { ownedBody } from './project.js';

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
        projectColumn(),
        ageColumn(),
      ],
      items,
      palette.bold,
    ),
  // `type: aws` and its fields may be given flat, or under spec: as the API takes them.
  createRequest: async (m, r) => {
    const body = await ownedBody(m, r);
    if (m.spec !== undefined) return { path: '/v1/cloudaccounts', body };
    const { name, projectId, ...spec } = body;
    return { path: '/v1/cloudaccounts', body: { name, ...(projectId === undefined ? {} : { projectId }), spec } };
  },
  madeNote: (created) => {
    const a = created as CloudAccount;
    return a.spec.type === 'aws' ? `put this trust policy on ${a.spec.roleArn} (ExternalId ${a.spec.externalId}); -o yaml shows it and a CloudFormation template that makes the role` : undefined;
  },
  deletePath: (a) => `/v1/cloudaccounts/${encodeURIComponent(a.id)}`,
};
