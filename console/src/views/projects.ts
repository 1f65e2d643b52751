import { api } from '../api';
import { fill, h, table } from '../dom';
import { time } from '../format';
import { loadProjects } from '../projects';
import type { ViewContext } from '../router';
import { currentSession, mayTenantWide } from '../session';
import type { Project } from '../types';
import { confirmAction } from './dialog';
import { clearFieldErrors, field, input, showFormError } from './fields';
import { errorBox, errorSlot, loading } from './notice';

/**
 * The tenant's projects: each groups the clusters, profiles, cloud accounts, registries and keys
 * of one team. Everyone sees the projects they have a role in (tenant-wide roles: all);
 * tenant-wide admins create them, and delete empty ones.
 */
export function projectsView(ctx: ViewContext): HTMLElement {
  document.title = 'Projects · Strata';
  const list = h('div', {}, loading('projects'));
  const errors = errorSlot();
  const limited = !!currentSession()?.projects;
  const manage = mayTenantWide('admin');

  const remove = async (p: Project) => {
    if (!(await confirmAction(`Delete project ${p.name}?`, 'Only an empty project can be deleted: move or delete its clusters, profiles, cloud accounts, registries and API keys first.', 'Delete project'))) return;
    try {
      await api('DELETE', `/v1/projects/${encodeURIComponent(p.id)}`);
      errors.clear();
      await refresh();
    } catch (err) {
      // A project that still holds things: the API's 409 says what.
      errors.show(err);
    }
  };

  const refresh = async () => {
    const projects = await loadProjects(ctx.signal);
    fill(
      list,
      projects.length
        ? table(
            'Projects',
            ['Name', 'Description', 'Members', ...(limited ? ['Your role'] : []), 'Created', ...(manage ? ['Actions'] : [])],
            projects.map((p) =>
              h(
                'tr',
                { 'data-project': p.id },
                h('th', { scope: 'row' }, p.name),
                h('td', {}, p.description ?? ''),
                h('td', { class: 'num' }, p.memberCount),
                limited ? h('td', { 'data-role': p.role ?? '' }, p.role ?? '—') : null,
                h('td', {}, time(p.createdAt)),
                manage ? h('td', {}, h('button', { type: 'button', class: 'danger small', onclick: () => void remove(p) }, 'Delete')) : null,
              ),
            ),
          )
        : h('p', { class: 'empty' }, limited ? 'No project gives this sign-in a role.' : 'No projects yet.'),
    );
  };
  refresh().catch((err) => fill(list, errorBox(err)));

  return h(
    'section',
    { 'aria-labelledby': 'projects-title' },
    h('h1', { id: 'projects-title' }, 'Projects'),
    h(
      'p',
      { class: 'muted' },
      "A project holds one team's clusters, profiles, cloud accounts, registries and API keys; a role in a project holds there only. What belongs to no project is shared by the whole tenant: every project reads and uses it, tenant-wide roles change it.",
    ),
    errors.el,
    list,
    manage ? createForm(refresh) : null,
  );
}

function createForm(onCreated: () => Promise<void>): HTMLElement {
  const name = input({ required: true, name: 'name', placeholder: 'payments' });
  const description = input({ name: 'description' });
  const summary = h('div', {});
  const submit = h('button', { type: 'submit' }, 'Create project');
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card',
      novalidate: true,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        submit.disabled = true;
        try {
          const created = await api<Project>('POST', '/v1/projects', { body: { name: name.value.trim(), ...(description.value.trim() ? { description: description.value.trim() } : {}) } });
          form.reset();
          clearFieldErrors(form);
          summary.replaceChildren(h('p', { class: 'notice', role: 'status' }, `Project ${created.name} created.`));
          await onCreated();
        } catch (err) {
          showFormError(form, summary, err);
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h2', {}, 'New project'),
    h(
      'div',
      { class: 'grid' },
      field('Project name', name, { path: 'name', hint: 'Also its id: lower-case letters, digits and dashes, starting with a letter.' }),
      field('Description (optional)', description, { path: 'description' }),
    ),
    summary,
    h('div', { class: 'actions' }, submit),
  );
  return form;
}
