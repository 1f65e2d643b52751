import { get, withQuery } from '../api';
import { fill, h, table } from '../dom';
import { time } from '../format';
import type { ViewContext } from '../router';
import type { Pack, Page, Registry } from '../types';
import { toYaml } from '../yaml';
import { yamlBlock } from './layers-table';
import { errorBox, loading } from './notice';

/** The public registry and the tenant's private ones. */
export function registriesView(ctx: ViewContext): HTMLElement {
  document.title = 'Registries · Strata';
  const body = h('div', {}, loading('registries'));
  get<{ items: Registry[] }>('/v1/registries', ctx.signal).then(
    ({ items }) =>
      fill(
        body,
        table(
          'Registries',
          ['Name', 'Scope', 'Packs', 'Description'],
          items.map((r) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, h('a', { href: `/registries/${encodeURIComponent(r.id)}` }, r.name)),
              h('td', {}, r.scope),
              h('td', { class: 'num' }, r.packCount ?? '—'),
              h('td', {}, r.description ?? ''),
            ),
          ),
        ),
      ),
    (err) => fill(body, errorBox(err)),
  );
  return h('section', { 'aria-labelledby': 'registries-title' }, h('h1', { id: 'registries-title' }, 'Registries'), body);
}

function packRow(p: Pack): HTMLElement {
  const extra = { ...(p.os ? { os: p.os } : {}), ...(p.content ? { content: p.content } : {}) };
  return h(
    'tr',
    { id: p.id, 'data-pack': p.name },
    h('td', {}, p.layer),
    h('th', { scope: 'row' }, p.name),
    h('td', {}, p.version),
    h('td', {}, p.description ?? ''),
    h('td', {}, yamlBlock('values.yaml', p.values), Object.keys(extra).length ? yamlBlock('settings', toYaml(extra)) : null),
    h('td', {}, time(p.createdAt)),
  );
}

/** A registry's packs, page by page, each with its values and settings as YAML. */
export function registryDetailView(ctx: ViewContext): HTMLElement {
  const id = ctx.params.id!;
  const title = h('h1', { id: 'registry-title' }, id);
  const rows = h('tbody', {});
  const more = h('div', {});
  const status = h('div', {}, loading('packs'));
  let cursor: string | undefined;

  const load = async () => {
    try {
      const page = await get<Page<Pack>>(withQuery(`/v1/registries/${encodeURIComponent(id)}/packs`, { limit: 100, cursor }), ctx.signal);
      status.replaceChildren();
      rows.append(...page.items.map(packRow));
      cursor = page.nextCursor;
      fill(more, cursor ? h('button', { type: 'button', class: 'secondary', onclick: () => void load() }, 'Load more packs') : null);
      // A link to one pack (from a profile's layers) opens it.
      const target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
      if (target && rows.contains(target)) {
        target.querySelector('details')?.setAttribute('open', '');
        target.scrollIntoView({ block: 'center' });
      }
    } catch (err) {
      fill(status, errorBox(err));
    }
  };
  get<Registry>(`/v1/registries/${encodeURIComponent(id)}`, ctx.signal).then(
    (r) => {
      title.textContent = r.name;
      document.title = `${r.name} · Strata`;
    },
    () => undefined,
  );
  void load();

  return h(
    'article',
    { 'aria-labelledby': 'registry-title' },
    h('p', { class: 'crumbs' }, h('a', { href: '/registries' }, 'Registries'), ' / '),
    title,
    status,
    h(
      'table',
      { 'aria-label': 'Packs' },
      h('thead', {}, h('tr', {}, ['Layer', 'Pack', 'Version', 'Description', 'Values', 'Published'].map((t) => h('th', { scope: 'col' }, t)))),
      rows,
    ),
    more,
  );
}
