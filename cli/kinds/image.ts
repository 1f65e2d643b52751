import type { Image, ImageDetail } from '../api-types.js';
import { statusColour, type Palette } from '../colour.js';
import { UsageError } from '../errors.js';
import type { Resolver } from '../resolver.js';
import { renderFacts, renderTable, type Column } from '../table.js';
import { age } from '../time.js';
import type { Kind, ListOptions } from './kind.js';
import { packs } from './pack.js';

/** Available green, Failed red, the steps on the way (Pending, Baking, Copying, Deleting) yellow. */
export function imageStatusColour(p: Palette, status: Image['status']): (s: string) => string {
  if (status === 'Available') return p.green;
  if (status === 'Failed') return p.red;
  return p.yellow;
}

/** What a bake stage reads as. */
const STAGE: Record<NonNullable<Image['stage']>, string> = {
  launchingBuilder: 'launching builder',
  customizing: 'customizing',
  creatingImage: 'creating image',
  copying: 'copying',
  cleaningUp: 'cleaning up',
  done: 'done',
};
const stageOf = (i: Image) => (i.stage ? STAGE[i.stage] : '');

const ago = (iso: string | undefined) => (iso ? `${age(iso)} ago` : '');

/**
 * The images of these filters. --pack takes an OS pack's id, name@version or name: a name matches
 * each of its versions, and the API is asked once per pack (it filters by id).
 */
async function listImages(r: Resolver, opts: ListOptions): Promise<Image[]> {
  const query = { cloud: opts.cloud, region: opts.region, signature: opts.signature };
  if (!opts.pack) return r.api.listAll<Image>('/v1/images', query);
  let matched = await r.matching(packs, opts.pack, { layer: 'os' });
  if (!matched.length) matched = [await r.one(packs, opts.pack, { layer: 'os' })]; // fails, naming the OS packs there are
  const pages = await Promise.all(matched.map((p) => r.api.listAll<Image>('/v1/images', { ...query, pack: p.id })));
  return pages.flat();
}

function columns(palette: Palette, single: boolean): Column<Image & Partial<Pick<ImageDetail, 'usedBy'>>>[] {
  return [
    { header: 'ID', cell: (i) => i.id },
    { header: 'PACK', cell: (i) => `${i.source.packName}@${i.source.packVersion}` },
    { header: 'STATUS', cell: (i) => imageStatusColour(palette, i.status)(i.status) },
    { header: 'STAGE', cell: stageOf },
    { header: 'CLOUD', cell: (i) => i.cloud },
    { header: 'REGION', cell: (i) => i.region },
    { header: 'IMAGE ID', cell: (i) => i.imageId ?? '' },
    { header: 'K8S', cell: (i) => i.contents.kubernetesVersion ?? '' },
    { header: 'ROLES', cell: (i) => i.contents.roles.join(',') },
    { header: 'LAST USED', cell: (i) => ago(i.lastUsedAt) },
    ...(single ? [{ header: 'USED BY', cell: (i: Partial<Pick<ImageDetail, 'usedBy'>>) => (i.usedBy ? i.usedBy.map((c) => c.name).join(',') || '-' : '') }] : []),
  ];
}

/** Node images Strata baked (or copied to another region) for OS packs that need customization. */
export const images: Kind<Image> = {
  name: 'image',
  plural: 'images',
  aliases: ['img'],
  manifestKind: 'Image',
  list: listImages,
  idOf: (i) => i.id,
  // Ids only: one baked image has the same name in every region it was copied to.
  nameOf: (i) => i.id,
  // Its cloud name, which may match the copies of one bake in several regions.
  shortNameOf: (i) => i.name,
  read: (api, i) => api.get<ImageDetail>(`/v1/images/${encodeURIComponent(i.id)}`),
  table: (items, { palette, single }) => renderTable(columns(palette, single), items, palette.bold),
  createRequest: async () => {
    throw new UsageError('images are not made from manifests: Strata bakes one when a cluster needs it (an OS pack with Ansible roles, or with skipK8sInstall false)');
  },
  deletePath: (i) => `/v1/images/${encodeURIComponent(i.id)}`,
};

/** `strata describe image ID`: everything the API says of one image, the clusters that run it last. */
export function imageText(i: ImageDetail, p: Palette): string {
  const when = (iso: string | undefined) => (iso ? `${iso} (${ago(iso)})` : undefined);
  const status = `${imageStatusColour(p, i.status)(i.status)}${i.stage ? ` (${stageOf(i)})` : ''}`;
  const facts = renderFacts(
    [
      ['Image', i.id],
      ['Name', i.name],
      ['Status', status],
      ['Cloud', `${i.cloud} ${i.region} (account ${i.cloudAccountId})`],
      ['Image ID', i.imageId ?? '(not made yet)'],
      ['Signature', i.signature],
      ['Pack', `${i.source.packName}@${i.source.packVersion} (${i.source.packId}, registry ${i.source.registryId})`],
      ['Made for', `profile ${i.source.profileId} revision ${i.source.profileRevision}`],
      ['Kubernetes', i.contents.kubernetesVersion ?? '(not installed by the bake)'],
      ['Roles', i.contents.roles.length ? i.contents.roles.join(', ') : '(none)'],
      ['Arch', i.contents.arch],
      ['Copied from', i.copiedFrom ? `${i.copiedFrom.region} image ${i.copiedFrom.imageId}` : undefined],
      ['Attempt', String(i.attempt)],
      ['Requested by', `cluster ${i.requestedBy}`],
      ['Builder', i.builderId],
      ['Failure', i.failure ? `${p.red(i.failure.code)}, ${i.failure.retryable ? 'retryable' : 'not retryable'}, ${when(i.failure.at)}` : undefined],
      ['Customization', i.customization ? `${i.customization.succeeded ? p.green('succeeded') : p.red('failed')} ${when(i.customization.at)}` : undefined],
      ['Created', when(i.createdAt)],
      ['Updated', when(i.updatedAt)],
      ['Last used', when(i.lastUsedAt) ?? 'never'],
    ],
    p.bold,
  );
  // The cloud's or the playbook's own words, as they are: often several lines.
  const block = (label: string, text: string) => `${p.bold(label)}\n${text.replace(/\s+$/, '').replace(/^(?=.)/gm, '  ')}\n`;
  // A failed playbook's output is the failure's message too: shown once.
  const customization = i.customization && i.customization.message !== i.failure?.message ? block('Customization message:', i.customization.message) : '';
  const messages = `${i.failure ? block('Failure message:', i.failure.message) : ''}${customization}`;
  if (!i.usedBy.length) return `${facts}${messages}${p.bold('Used by:')}  no cluster\n`;
  const used = renderTable(
    [
      { header: 'CLUSTER', cell: (c) => c.name },
      { header: 'ID', cell: (c) => c.clusterId },
      { header: 'PHASE', cell: (c) => statusColour(p, c.phase)(c.phase) },
    ],
    i.usedBy,
    p.bold,
  );
  return `${facts}${messages}${p.bold('Used by:')}\n${used}`;
}
