import { api, get, withQuery } from '../api';
import { fill, h, table } from '../dom';
import { time } from '../format';
import { chosenProject, loadProjects, projectBadge, projectField, projectSelect } from '../projects';
import type { ViewContext } from '../router';
import { may } from '../session';
import type { Pack, Page, Registry } from '../types';
import { toYaml } from '../yaml';
import { clearFieldErrors, field, input, showFormError } from './fields';
import { yamlBlock } from './layers-table';
import { errorBox, loading } from './notice';

/** The public registry and the tenant's private ones; editors add private ones. */
export function registriesView(ctx: ViewContext): HTMLElement {
  document.title = 'Registries · Strata';
  const body = h('div', {}, loading('registries'));
  const refresh = async () => {
    const { items } = await get<{ items: Registry[] }>('/v1/registries', ctx.signal);
    fill(
      body,
      table(
        'Registries',
        ['Name', 'Scope', 'Project', 'Packs', 'Description'],
        items.map((r) =>
          h(
            'tr',
            { 'data-registry': r.name },
            h('th', { scope: 'row' }, h('a', { href: `/registries/${encodeURIComponent(r.id)}` }, r.name)),
            h('td', {}, r.scope),
            // The public registry belongs to no tenant, so to no project either.
            h('td', {}, r.scope === 'public' ? h('span', { class: 'muted' }, '—') : projectBadge(r.projectId)),
            h('td', { class: 'num' }, r.packCount ?? '—'),
            h('td', {}, r.description ?? ''),
          ),
        ),
      ),
    );
  };
  refresh().catch((err) => fill(body, errorBox(err)));
  return h(
    'section',
    { 'aria-labelledby': 'registries-title' },
    h('h1', { id: 'registries-title' }, 'Registries'),
    body,
    may('editor') ? createForm(refresh, ctx.signal) : null,
  );
}

function createForm(onCreated: () => Promise<void>, signal: AbortSignal): HTMLElement {
  const name = input({ required: true, name: 'name' });
  const description = input({ name: 'description' });
  const summary = h('div', {});
  const submit = h('button', { type: 'submit' }, 'Add registry');
  const fields = h('div', { class: 'grid' }, field('Registry name', name, { path: 'name' }), field('Description (optional)', description, { path: 'description' }));
  let project: HTMLSelectElement | undefined;
  loadProjects(signal).then(
    (projects) => {
      project = projectSelect(projects, { sharedLabel: 'Shared (whole tenant)' });
      fields.append(projectField(project, "A project's profiles use its own registries and shared ones."));
    },
    () => undefined,
  );
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card',
      novalidate: true,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        submit.disabled = true;
        try {
          const created = await api<Registry>('POST', '/v1/registries', {
            body: { name: name.value.trim(), ...(description.value.trim() ? { description: description.value.trim() } : {}), ...chosenProject(project) },
          });
          form.reset();
          clearFieldErrors(form);
          summary.replaceChildren(h('p', { class: 'notice', role: 'status' }, `Registry ${created.name} added: publish packs to it with the API or the CLI.`));
          await onCreated();
        } catch (err) {
          showFormError(form, summary, err);
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h2', {}, 'Add a private registry'),
    fields,
    summary,
    h('div', { class: 'actions' }, submit),
  );
  return form;
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
