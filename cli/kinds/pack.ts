import type { Pack } from '../api-types.js';
import { UsageError } from '../errors.js';
import { renderFacts, renderTable } from '../table.js';
import { ageColumn, idColumn } from './columns.js';
import type { Kind } from './kind.js';
import { bodyOf, refField, valuesText } from './manifest-fields.js';
import { registries } from './registry.js';

/** Packs live in a registry; without --registry, every registry the tenant sees is listed. */
export const packs: Kind<Pack> = {
  name: 'pack',
  plural: 'packs',
  aliases: [],
  manifestKind: 'Pack',
  list: async (r, opts) => {
    const ids = opts.registry ? [await r.id(registries, opts.registry)] : (await r.list(registries)).map((x) => x.id);
    const pages = await Promise.all(ids.map((id) => r.api.listAll<Pack>(`/v1/registries/${encodeURIComponent(id)}/packs`, { layer: opts.layer })));
    return pages.flat();
  },
  idOf: (p) => p.id,
  nameOf: (p) => `${p.name}@${p.version}`,
  shortNameOf: (p) => p.name,
  table: async (items, { palette, resolver, single }) => {
    const names = new Map((await resolver.list(registries)).map((x) => [x.id, x.name]));
    const os = single ? items[0]?.os : undefined;
    const rows = renderTable(
      [
        { header: 'NAME', cell: (p) => p.name },
        { header: 'VERSION', cell: (p) => p.version },
        { header: 'LAYER', cell: (p) => p.layer },
        { header: 'REGISTRY', cell: (p) => names.get(p.registryId) ?? p.registryId },
        idColumn(),
        ageColumn(),
      ],
      items,
      palette.bold,
    );
    return os ? `${rows}\n${osText(os, palette.bold)}` : rows;
  },
  createRequest: async (m, r) => {
    const registry = refField(m, 'registryId') ?? refField(m, 'registry');
    if (!registry) throw new UsageError(`pack ${String(m.name ?? '')}: say which registry it goes to (registry: NAME)`);
    const body = bodyOf(m, 'registry', 'registryId');
    if (body.values !== undefined) body.values = valuesText(body.values);
    return { path: `/v1/registries/${encodeURIComponent(await r.id(registries, registry))}/packs`, body };
  },
};

/** An OS pack's settings: its images, the Kubernetes they ship or get, and its roles with what pins each. */
function osText(os: NonNullable<Pack['os']>, bold: (s: string) => string): string {
  // The regions only: -o yaml shows each image reference.
  const images = Object.entries(os.images).map(([cloud, regions]) => `${cloud} (${Object.keys(regions ?? {}).join(', ')})`);
  const facts = renderFacts(
    [
      ['Arch', os.arch],
      ['Kubernetes', os.skipK8sInstall ? `${os.kubernetesVersion ?? '(version not declared)'}, shipped by the image` : "installed at the profile's version when the image is baked"],
      ['Images', images.join('; ')],
      ['Roles', os.ansibleRoles.length ? undefined : '(none)'],
    ],
    bold,
  );
  if (!os.ansibleRoles.length) return facts;
  const roles = renderTable(
    [
      { header: 'ROLE', cell: (r) => r.name },
      { header: 'SOURCE', cell: (r) => r.source ?? '' },
      { header: 'VERSION', cell: (r) => r.version ?? '' },
      { header: 'DIGEST', cell: (r) => r.digest ?? '' },
    ],
    os.ansibleRoles,
    bold,
  );
  return `${facts}\n${roles}`;
}
