import { getAll } from '../api';
import { fill, h, table } from '../dom';
import { ago } from '../format';
import { projectCell } from '../projects';
import type { ViewContext } from '../router';
import type { Profile } from '../types';
import { errorBox, loading } from './notice';

/** Every profile of the tenant, with its latest revision and how many clusters use it. */
export function profilesListView(ctx: ViewContext): HTMLElement {
  document.title = 'Profiles · Strata';
  const body = h('div', {}, loading('profiles'));
  getAll<Profile>('/v1/profiles', ctx.signal).then(
    (profiles) =>
      fill(
        body,
        profiles.length
          ? table(
              'Profiles',
              ['Name', 'Project', 'Latest revision', 'Clusters', 'Updated', 'Description'],
              profiles.map((p) =>
                h(
                  'tr',
                  { 'data-profile': p.name },
                  h('th', { scope: 'row' }, h('a', { href: `/profiles/${encodeURIComponent(p.id)}` }, p.name)),
                  projectCell(p.projectId),
                  h('td', { class: 'num' }, p.latestRevision),
                  h('td', { class: 'num' }, p.clusterCount ?? 0),
                  h('td', {}, ago(p.updatedAt)),
                  h('td', {}, p.description ?? ''),
                ),
              ),
            )
          : h('p', { class: 'empty' }, 'No profiles yet.'),
      ),
    (err) => fill(body, errorBox(err)),
  );
  return h('section', { 'aria-labelledby': 'profiles-title' }, h('h1', { id: 'profiles-title' }, 'Profiles'), body);
}
