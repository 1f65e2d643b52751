import { get, withQuery } from '../api';
import { fill, h, table } from '../dom';
import { ago, time } from '../format';
import type { ViewContext } from '../router';
import type { Page, ProfileClusters, ProfileDiff, ProfileRevision, ProfileWithLayers } from '../types';
import { phaseBadge, updateBadge } from './badges';
import { field, select } from './fields';
import { layersTable } from './layers-table';
import { errorBox, loading } from './notice';
import { profileDiffView } from './profile-diff';

/** A profile: its latest layers, its revisions, and any two revisions compared. */
export function profileDetailView(ctx: ViewContext): HTMLElement {
  const id = ctx.params.id!;
  const path = `/v1/profiles/${encodeURIComponent(id)}`;
  const title = h('h1', { id: 'profile-title' }, id);
  const body = h('div', {}, loading('the profile'));

  void (async () => {
    try {
      const [profile, revisions, clusters] = await Promise.all([
        get<ProfileWithLayers>(path, ctx.signal),
        get<Page<ProfileRevision>>(withQuery(`${path}/revisions`, { limit: 100 }), ctx.signal),
        get<ProfileClusters>(withQuery(`${path}/clusters`, { limit: 100 }), ctx.signal),
      ]);
      title.textContent = profile.name;
      document.title = `${profile.name} · Strata`;
      fill(
        body,
        profile.description ? h('p', {}, profile.description) : null,
        h('p', { class: 'muted' }, `Revision ${profile.latestRevision} is the latest · ${profile.clusterCount ?? 0} cluster(s) use the profile · updated ${ago(profile.updatedAt)}`),
        h('section', { class: 'panel', 'aria-labelledby': 'layers-title' }, h('h2', { id: 'layers-title' }, `Layers of revision ${profile.latestRevision}`), layersTable(profile.layers)),
        h('section', { class: 'panel', 'aria-labelledby': 'clusters-title' }, h('h2', { id: 'clusters-title' }, 'Clusters on this profile'), clustersTable(clusters)),
        h('section', { class: 'panel', 'aria-labelledby': 'revisions-title' }, h('h2', { id: 'revisions-title' }, 'Revisions'), revisionsTable(revisions.items)),
        h('section', { class: 'panel', 'aria-labelledby': 'compare-title' }, h('h2', { id: 'compare-title' }, 'Compare revisions'), compareForm(path, revisions.items, ctx.signal)),
      );
    } catch (err) {
      fill(body, errorBox(err));
    }
  })();

  return h('article', { 'aria-labelledby': 'profile-title' }, h('p', { class: 'crumbs' }, h('a', { href: '/profiles' }, 'Profiles'), ' / '), title, body);
}

/** Each cluster on the profile: the revision it runs and how far behind the latest it is. */
function clustersTable(clusters: ProfileClusters): HTMLElement {
  if (!clusters.items.length) return h('p', { class: 'empty' }, 'No cluster uses the profile.');
  return table(
    'Clusters on this profile',
    ['Cluster', 'Phase', 'Revision', 'Update'],
    clusters.items.map((c) =>
      h(
        'tr',
        { 'data-cluster': c.name },
        h('th', { scope: 'row' }, h('a', { href: `/clusters/${encodeURIComponent(c.id)}` }, c.name)),
        h('td', {}, phaseBadge(c.phase)),
        h('td', { class: 'num' }, c.profileRevision),
        h(
          'td',
          {},
          c.updateAvailable
            ? h('a', { href: `/clusters/${encodeURIComponent(c.id)}/updates`, class: 'badge-link' }, updateBadge({ latestRevision: clusters.latestRevision, revisionsBehind: c.revisionsBehind }))
            : h('span', { class: 'muted' }, 'up to date'),
        ),
      ),
    ),
    { class: 'profile-clusters' },
  );
}

function revisionsTable(revisions: readonly ProfileRevision[]): HTMLElement {
  return table(
    'Revisions',
    ['Revision', 'Created', 'Packs'],
    revisions.map((r) => h('tr', {}, h('th', { scope: 'row' }, String(r.revision)), h('td', {}, time(r.createdAt)), h('td', {}, r.layers.map((l) => `${l.name} ${l.version}`).join(', ')))),
  );
}

function compareForm(path: string, revisions: readonly ProfileRevision[], signal: AbortSignal): HTMLElement {
  if (revisions.length < 2) return h('p', { class: 'empty' }, 'Only one revision so far: nothing to compare.');
  const options = revisions.map((r) => [String(r.revision), `Revision ${r.revision}`] as const);
  // Newest first: compare the one before the latest with the latest.
  const from = select(options, String(revisions[1]!.revision));
  const to = select(options, String(revisions[0]!.revision));
  const result = h('div', { 'aria-live': 'polite' });
  const byNumber = new Map(revisions.map((r) => [r.revision, r]));
  return h(
    'div',
    {},
    h(
      'form',
      {
        class: 'inline-form',
        onsubmit: async (e: Event) => {
          e.preventDefault();
          fill(result, loading('the changes'));
          try {
            const diff = await get<ProfileDiff>(withQuery(`${path}/diff`, { from: from.value, to: to.value }), signal);
            fill(result, profileDiffView(diff, byNumber.get(diff.from)!, byNumber.get(diff.to)!));
          } catch (err) {
            fill(result, errorBox(err));
          }
        },
      },
      field('From', from),
      field('To', to),
      h('button', { type: 'submit' }, 'Compare'),
    ),
    result,
  );
}
