import type { Cluster, ClusterWithStatus } from '../api-types.js';
import { statusColour } from '../colour.js';
import { differingFields } from '../equal.js';
import { Failure, UsageError } from '../errors.js';
import type { Resolver } from '../resolver.js';
import { renderTable, type Column } from '../table.js';
import { ageColumn, nameColumn, projectColumn } from './columns.js';
import { cloudAccounts } from './cloudaccount.js';
import type { Kind, Manifest, TableContext } from './kind.js';
import { bodyOf, refField, valuesText } from './manifest-fields.js';
import { profiles } from './profile.js';
import { manifestProject, ownedBody } from './project.js';

/** What a change of a cluster may say (PUT /v1/clusters/{id}); the rest is fixed at creation. */
export const UPDATABLE = ['profileRevision', 'nodePools', 'overrides', 'osPatch', 'apiAccess', 'healthChecks'] as const;

const nodeCount = (c: Cluster) => {
  const count = (role: string) => c.nodePools.filter((p) => p.role === role).reduce((n, p) => n + p.count, 0);
  return `${count('controlPlane')}+${count('worker')}`;
};

async function columns(ctx: TableContext): Promise<Column<Cluster & Partial<ClusterWithStatus>>[]> {
  const { palette, single } = ctx;
  const profileNames = new Map((await ctx.resolver.list(profiles)).map((p) => [p.id, p.name]));
  return [
    nameColumn(),
    { header: 'ID', cell: (c) => c.id },
    { header: 'PHASE', cell: (c) => statusColour(palette, c.phase)(c.phase) },
    ...(single
      ? [
          { header: 'READY', cell: (c: Partial<ClusterWithStatus>) => (c.ready ? statusColour(palette, c.ready.status)(c.ready.status) : '') },
          { header: 'HEALTH', cell: (c: Partial<ClusterWithStatus>) => (c.health ? statusColour(palette, c.health.health)(c.health.health) : '') },
        ]
      : []),
    { header: 'CLOUD', cell: (c) => c.cloud },
    { header: 'REGION', cell: (c) => c.region },
    { header: 'PROFILE', cell: (c) => `${profileNames.get(c.profileId) ?? c.profileId}@${c.profileRevision}` },
    { header: 'UPDATE', cell: (c) => (c.pendingUpdate ? palette.yellow(`r${c.pendingUpdate.latestRevision} (${c.pendingUpdate.revisionsBehind} behind)`) : '') },
    { header: 'NODES', cell: nodeCount },
    { header: 'GENERATION', cell: (c) => `${c.status?.observedGeneration ?? 0}/${c.generation}` },
    projectColumn(),
    ageColumn(),
  ];
}

/** Pack values overrides are YAML text in the API; a manifest may give each as a mapping. */
function overridesText(overrides: unknown): unknown {
  if (overrides === null || typeof overrides !== 'object') return overrides;
  return Object.fromEntries(Object.entries(overrides).map(([pack, values]) => [pack, valuesText(values)]));
}

/** Clusters: what they are made of, where they run, how big they are. */
export const clusters: Kind<Cluster> = {
  name: 'cluster',
  plural: 'clusters',
  aliases: ['cl'],
  manifestKind: 'Cluster',
  list: (r, opts) => r.api.listAll<Cluster>('/v1/clusters', { phase: opts.phase }),
  idOf: (c) => c.id,
  nameOf: (c) => c.name,
  read: (api, c) => api.get<ClusterWithStatus>(`/v1/clusters/${encodeURIComponent(c.id)}`),
  table: async (items, ctx) => renderTable(await columns(ctx), items, ctx.palette.bold),
  createRequest: async (m, r) => {
    const name = String(m.name);
    const profile = refField(m, 'profileId') ?? refField(m, 'profile');
    const account = refField(m, 'cloudAccountId') ?? refField(m, 'cloudAccount');
    if (!profile) throw new UsageError(`cluster ${name}: name its profile (profile: NAME)`);
    if (!account) throw new UsageError(`cluster ${name}: name its cloud account (cloudAccount: NAME)`);
    const body = await ownedBody(m, r, 'profile', 'cloudAccount');
    body.profileId = m.profileId !== undefined ? profile : await r.id(profiles, profile);
    body.cloudAccountId = m.cloudAccountId !== undefined ? account : await r.id(cloudAccounts, account);
    if (body.profileRevision === 'latest') delete body.profileRevision;
    if (body.overrides !== undefined) body.overrides = overridesText(body.overrides);
    return { path: '/v1/clusters', body };
  },
  deletePath: (c) => `/v1/clusters/${encodeURIComponent(c.id)}`,
};

/**
 * The change a manifest asks of an existing cluster, as the body of PUT /v1/clusters/{id}
 * (without the version): only what it says, and a refusal for what cannot change.
 */
export async function clusterChange(m: Manifest, current: Cluster, r: Resolver): Promise<Record<string, unknown>> {
  const fixed: string[] = [];
  const profile = refField(m, 'profileId') ?? refField(m, 'profile');
  if (profile && profile !== current.profileId && (await r.id(profiles, profile)) !== current.profileId) fixed.push('profile');
  const account = refField(m, 'cloudAccountId') ?? refField(m, 'cloudAccount');
  if (account && account !== current.cloudAccountId && (await r.id(cloudAccounts, account)) !== current.cloudAccountId) fixed.push('cloudAccount');
  const project = manifestProject(m);
  if (project !== undefined && project !== current.projectId) fixed.push('project');
  if (m.region !== undefined && m.region !== current.region) fixed.push('region');
  if (m.network !== undefined && differingFields(current as unknown as Record<string, unknown>, { network: m.network }).length) fixed.push('network');
  if (fixed.length) {
    throw new Failure(
      `cluster ${current.name} cannot change its ${fixed.join(', ')}: fixed when a cluster is made; create a new cluster`,
      fixed.map((f) => ({ path: f, message: 'fixed at creation' })),
    );
  }
  const change: Record<string, unknown> = {};
  for (const field of UPDATABLE) if (m[field] !== undefined) change[field] = m[field];
  if (change.profileRevision === 'latest') change.profileRevision = (await r.one(profiles, current.profileId)).latestRevision;
  if (change.overrides !== undefined) change.overrides = overridesText(change.overrides);
  const unknown = Object.keys(bodyOf(m, 'name', 'profile', 'profileId', 'cloudAccount', 'cloudAccountId', 'project', 'projectId', 'region', 'network', ...UPDATABLE));
  // Let the API name fields it does not know, as it does on create.
  for (const field of unknown) change[field] = m[field];
  return change;
}
