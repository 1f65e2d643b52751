import { get, withQuery } from '../api';
import { fill, h, table } from '../dom';
import { ago, time } from '../format';
import { REFRESH_MS, refreshEvery } from '../live';
import type { ViewContext } from '../router';
import type { BakeStage, Cluster, Image, ImageStatus, Page } from '../types';
import { field, input, select } from './fields';
import { errorSlot, loading } from './notice';

/** Status words as badges: Available done, the steps on the way in progress, Failed bad. */
const IMAGE_TONE: Record<ImageStatus, string> = { Pending: 'progress', Baking: 'progress', Copying: 'progress', Available: 'good', Failed: 'bad', Deleting: 'neutral' };

export const imageBadge = (status: ImageStatus) => h('span', { class: `badge ${IMAGE_TONE[status]}`, 'data-status': status }, status);

const STAGE: Record<BakeStage, string> = {
  launchingBuilder: 'Launching builder',
  customizing: 'Customizing',
  creatingImage: 'Creating image',
  copying: 'Copying',
  cleaningUp: 'Cleaning up',
  done: 'Done',
};
export const stageText = (stage: BakeStage | undefined) => (stage ? STAGE[stage] : '—');

const CLOUDS = ['aws', 'azure', 'local'] as const;

/** Every image of these filters, page by page (the API filters by cloud and region). */
export async function loadImages(query: { cloud?: string; region?: string }, signal: AbortSignal): Promise<Image[]> {
  const images: Image[] = [];
  let cursor: string | undefined;
  do {
    const page = await get<Page<Image>>(withQuery('/v1/images', { ...query, limit: 100, cursor }), signal);
    images.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return images;
}

/**
 * The image record of the image a cluster's nodes run, if Strata baked or copied it: images of the
 * cluster's cloud and region, matched by the cloud's image id and the cluster's cloud account.
 * Undefined for an image an OS pack names as it is.
 */
export async function imageOfCluster(c: Cluster, signal: AbortSignal): Promise<Image | undefined> {
  const imageId = c.status?.imageId;
  if (!imageId) return undefined;
  const images = await loadImages({ cloud: c.cloud, region: c.region }, signal);
  return images.find((i) => i.imageId === imageId && i.cloudAccountId === c.cloudAccountId);
}

/**
 * The line of a failure message that says what failed: a cloud's message is one line, a playbook's
 * output many, of which the fatal task's line tells (the play recap only counts).
 */
export function failureLine(message: string): string {
  const lines = message.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /\b(fatal|error|failed)\b/i.test(l) && !/^\S+\s*:\s*ok=\d+/.test(l)) ?? lines[0] ?? message;
}

function statusCell(i: Image): HTMLElement {
  return h(
    'td',
    {},
    imageBadge(i.status),
    i.status === 'Failed' && i.failure ? h('p', { class: 'image-failure', title: i.failure.message }, h('strong', {}, i.failure.code), ': ', failureLine(i.failure.message)) : null,
  );
}

function row(i: Image): HTMLElement {
  return h(
    'tr',
    { 'data-image': i.id, 'data-status': i.status, class: i.status === 'Failed' ? 'abnormal' : undefined },
    h('th', { scope: 'row' }, h('a', { href: `/images/${encodeURIComponent(i.id)}` }, i.name), h('div', { class: 'muted small' }, i.id)),
    statusCell(i),
    h('td', {}, stageText(i.stage)),
    h('td', {}, `${i.source.packName} ${i.source.packVersion}`),
    h('td', {}, i.cloud),
    h('td', { class: 'nowrap' }, i.region),
    h('td', {}, i.imageId ?? '—'),
    h('td', {}, i.contents.kubernetesVersion ?? '—'),
    h('td', {}, i.contents.roles.length ? i.contents.roles.join(', ') : '—'),
    h('td', {}, i.lastUsedAt ? h('time', { datetime: i.lastUsedAt, title: time(i.lastUsedAt) }, ago(i.lastUsedAt)) : 'never'),
  );
}

/**
 * The node images Strata baked for OS packs that need customization, and their copies in other
 * regions: status and bake stage live, filtered by cloud and region (kept in the URL).
 */
export function imagesListView(ctx: ViewContext): HTMLElement {
  document.title = 'Images · Strata';
  const cloudFilter = select([['', 'Any cloud'], ...CLOUDS.map((c) => [c, c] as const)], ctx.query.get('cloud') ?? '', { name: 'cloud' });
  const regionFilter = input({ type: 'search', name: 'region', value: ctx.query.get('region') ?? '', placeholder: 'us-east-1' });
  const body = h('div', {}, loading('images'));
  const updated = h('p', { class: 'muted small', 'aria-live': 'off' });
  const errors = errorSlot();
  const filters = () => ({ cloud: cloudFilter.value || undefined, region: regionFilter.value.trim() || undefined });

  const render = (images: Image[], filtered: boolean) => {
    fill(
      body,
      images.length === 0
        ? h('p', { class: 'empty' }, filtered ? 'No image matches the filter.' : "No images yet: Strata bakes one when a cluster's OS pack needs customization (Ansible roles, or Kubernetes to install).")
        : table('Images', ['Image', 'Status', 'Stage', 'Pack', 'Cloud', 'Region', 'Cloud image id', 'Kubernetes', 'Roles', 'Last used'], images.map(row), { class: 'images', 'data-state': 'ready' }),
    );
  };

  const live = refreshEvery(
    REFRESH_MS,
    ctx.signal,
    async () => {
      let query = filters();
      let images = await loadImages(query, ctx.signal);
      // A filter changed while this was loading: load the list it asks for.
      while (JSON.stringify(query) !== JSON.stringify(filters())) {
        query = filters();
        images = await loadImages(query, ctx.signal);
      }
      errors.clear();
      render(images, !!(query.cloud || query.region));
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every ${REFRESH_MS / 1000} s.`;
    },
    errors.show,
  );

  let applied = JSON.stringify(filters());
  const filtersChanged = () => {
    const key = JSON.stringify(filters());
    if (key === applied) return;
    applied = key;
    history.replaceState(null, '', withQuery(location.pathname, filters()));
    fill(body, loading('images'));
    live.now();
  };
  cloudFilter.addEventListener('change', filtersChanged);
  // The region is sent as typed: on Enter or when the field is left, not on every key.
  regionFilter.addEventListener('change', filtersChanged);
  regionFilter.addEventListener('search', filtersChanged);

  return h(
    'section',
    { 'aria-labelledby': 'images-title' },
    h('h1', { id: 'images-title' }, 'Images'),
    h(
      'p',
      { class: 'muted' },
      "Node images Strata baked for OS packs that need customization, tagged with a signature of what made them and reused by every cluster that needs the same one; copied to other regions rather than baked again.",
    ),
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter images', onsubmit: (e: Event) => (e.preventDefault(), filtersChanged()) }, field('Cloud', cloudFilter), field('Region', regionFilter, { hint: 'exact name, e.g. us-east-1' })),
    errors.el,
    body,
    updated,
  );
}
