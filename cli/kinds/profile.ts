import type { Profile, ProfileWithLayers } from '../api-types.js';
import { UsageError } from '../errors.js';
import type { Resolver } from '../resolver.js';
import { renderTable } from '../table.js';
import { ageColumn, idColumn, nameColumn, projectColumn } from './columns.js';
import type { Kind, Manifest } from './kind.js';
import { bodyOf, refField, valuesText } from './manifest-fields.js';
import { packs } from './pack.js';
import { ownedBody } from './project.js';
import { registries } from './registry.js';

/** The registry layers come from when a manifest names none. */
const DEFAULT_REGISTRY = 'public';

/** A profile's layers as the API takes them: a pack by id or name@version, in a registry by id or name. */
export async function layersOf(layers: unknown, r: Resolver, profile: string): Promise<Record<string, unknown>[]> {
  if (!Array.isArray(layers)) throw new UsageError(`profile ${profile}: layers must be a list of packs`);
  return Promise.all(
    layers.map(async (raw: Manifest, i) => {
      if (raw === null || typeof raw !== 'object') throw new UsageError(`profile ${profile}: layers[${i}] must be a mapping (registry, pack, values)`);
      const registryId = refField(raw, 'registryId') ?? (await r.id(registries, refField(raw, 'registry') ?? DEFAULT_REGISTRY));
      const pack = refField(raw, 'packId') ?? refField(raw, 'pack');
      if (!pack) throw new UsageError(`profile ${profile}: layers[${i}] names no pack (pack: NAME@VERSION)`);
      const packId = raw.packId !== undefined ? pack : await r.id(packs, pack, { registry: registryId });
      const layer: Record<string, unknown> = { ...bodyOf(raw, 'registry', 'pack'), registryId, packId };
      if (layer.values !== undefined) layer.values = valuesText(layer.values);
      return layer;
    }),
  );
}

/** Profiles: ordered layers of packs; every change is a new immutable revision. */
export const profiles: Kind<Profile> = {
  name: 'profile',
  plural: 'profiles',
  aliases: ['pf'],
  manifestKind: 'Profile',
  list: (r) => r.api.listAll<Profile>('/v1/profiles'),
  idOf: (p) => p.id,
  nameOf: (p) => p.name,
  read: (api, p) => api.get<ProfileWithLayers>(`/v1/profiles/${encodeURIComponent(p.id)}`),
  table: (items, { palette, single }) => {
    const rows = renderTable(
      [
        nameColumn(),
        idColumn(),
        { header: 'REVISION', cell: (p) => String(p.latestRevision) },
        { header: 'CLUSTERS', cell: (p) => (p.clusterCount === undefined ? '' : String(p.clusterCount)) },
        projectColumn(),
        ageColumn(),
        { header: 'DESCRIPTION', cell: (p) => p.description ?? '' },
      ],
      items,
      palette.bold,
    );
    const layers = single ? (items[0] as Partial<ProfileWithLayers> | undefined)?.layers : undefined;
    return layers ? `${rows}\n${layersTable(layers, palette.bold)}` : rows;
  },
  createRequest: async (m, r) => ({ path: '/v1/profiles', body: { ...(await ownedBody(m, r)), layers: await layersOf(m.layers, r, String(m.name)) } }),
  deletePath: (p) => `/v1/profiles/${encodeURIComponent(p.id)}`,
};

export function layersTable(layers: ProfileWithLayers['layers'], bold: (s: string) => string): string {
  return renderTable(
    [
      { header: 'LAYER', cell: (l) => l.layer },
      { header: 'PACK', cell: (l) => l.name },
      { header: 'VERSION', cell: (l) => l.version },
      { header: 'REGISTRY', cell: (l) => l.registryId },
      { header: 'PACK ID', cell: (l) => l.packId },
    ],
    layers,
    bold,
  );
}
