import { ApiError, api, get, isAbort, signOut } from '../api';
import { facts, fill, h, table, uid } from '../dom';
import { time } from '../format';
import type { ViewContext } from '../router';
import { loadProjects } from '../projects';
import { currentSession, mayTenantWide } from '../session';
import type { GroupRole, Project, Role, SsoConfig } from '../types';
import { confirmAction } from './dialog';
import { clearFieldErrors, field, input, select, showFormError } from './fields';
import { errorBox, errorSlot, loading } from './notice';

/** What the API asks a provider for when no scopes are given (core/sso.ts). */
const DEFAULT_SCOPES = 'openid profile email';

const ROLE_CHOICES: readonly (readonly [Role, string])[] = [
  ['viewer', 'Viewer'],
  ['editor', 'Editor'],
  ['admin', 'Admin'],
];

/** One group → role (in a project) row of the form; its inputs carry the API paths of their item. */
interface MappingRow {
  readonly el: HTMLElement;
  readonly group: HTMLInputElement;
  readonly role: HTMLSelectElement;
  readonly project: HTMLSelectElement;
}

/** A mapping's role as the current settings show it. */
const roleText = (m: GroupRole) => (m.project ? `${m.role} in project ${m.project}` : m.role);

/**
 * The tenant's sign-in through its identity provider (admins only): what is set, a form to set
 * the provider and which of its groups get which role, and a way to remove it (API keys stay).
 */
export function ssoSettingsView(ctx: ViewContext): HTMLElement {
  document.title = 'Sign-in · Strata';
  const title = h('h1', { id: 'sso-title' }, 'Sign-in');
  if (!mayTenantWide('admin')) return h('section', { 'aria-labelledby': 'sso-title' }, title, h('p', { class: 'notice' }, 'Only tenant-wide admins see and change how people sign in.'));

  const current = h('div', { 'aria-live': 'polite' }, loading('the sign-in settings'));
  const errors = errorSlot();
  const saved = h('p', { class: 'muted', role: 'status' });

  const issuer = input({ type: 'url', name: 'issuer', placeholder: 'https://login.example.com/' });
  const clientId = input({ name: 'clientId' });
  const groupsClaim = input({ name: 'groupsClaim', value: 'groups' });
  const scopes = input({ name: 'scopes', value: DEFAULT_SCOPES });

  const rows: MappingRow[] = [];
  /** The tenant's projects, for the rows' Project choice (loaded before the settings). */
  let projects: Project[] = [];
  const rowList = h('div', { class: 'group-role-list' });
  const mappingsId = uid('f');
  const mappings = h(
    'fieldset',
    { class: 'group-roles', id: mappingsId, 'data-path': 'groupRoles' },
    h('legend', {}, 'Roles by group'),
    h(
      'p',
      { class: 'hint' },
      "A person's role is the highest tenant-wide role their groups map to; failing one, their groups' roles in the projects they name (the person then sees those projects and shared resources only). A person in none of these groups cannot sign in.",
    ),
    rowList,
    h('p', { class: 'field-error', id: `${mappingsId}-error`, hidden: true }),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary small', onclick: () => addRow().group.focus() }, 'Add group')),
  );

  /** Paths and labels follow the rows' order, so the API's errors land on the row they name. */
  const renumber = () =>
    rows.forEach((r, i) => {
      r.group.dataset.path = `groupRoles[${i}].group`;
      r.role.dataset.path = `groupRoles[${i}].role`;
      r.project.dataset.path = `groupRoles[${i}].project`;
      r.el.querySelector(`label[for="${r.group.id}"]`)!.textContent = `Group ${i + 1}`;
      r.el.querySelector(`label[for="${r.role.id}"]`)!.textContent = `Role of group ${i + 1}`;
      r.el.querySelector(`label[for="${r.project.id}"]`)!.textContent = `Project of group ${i + 1}`;
      r.el.querySelector('button')!.setAttribute('aria-label', `Remove group ${i + 1}`);
    });

  function addRow(mapping?: GroupRole): MappingRow {
    const group = input({ value: mapping?.group ?? '', placeholder: 'platform-admins' });
    const role = select(ROLE_CHOICES, mapping?.role ?? 'viewer');
    // A project the mapping names stays a choice even when it is not listed (deleted since).
    const ids = [...projects.map((p) => p.id), ...(mapping?.project && !projects.some((p) => p.id === mapping.project) ? [mapping.project] : [])];
    const project = select([['', 'Whole tenant'], ...ids.map((id) => [id, id] as const)], mapping?.project ?? '');
    const row: MappingRow = {
      group,
      role,
      project,
      el: h(
        'div',
        { class: 'group-role' },
        field('Group', group),
        field('Role', role),
        field('Project', project),
        h(
          'button',
          {
            type: 'button',
            class: 'secondary small',
            onclick: () => {
              rows.splice(rows.indexOf(row), 1);
              row.el.remove();
              renumber();
            },
          },
          'Remove',
        ),
      ),
    };
    rows.push(row);
    rowList.append(row.el);
    renumber();
    return row;
  }

  const formFrom = (config: SsoConfig | undefined) => {
    issuer.value = config?.issuer ?? '';
    clientId.value = config?.clientId ?? '';
    groupsClaim.value = config?.groupsClaim ?? 'groups';
    scopes.value = config?.scopes.join(' ') ?? DEFAULT_SCOPES;
    rows.splice(0).forEach((r) => r.el.remove());
    for (const m of config?.groupRoles ?? [{ group: '', role: 'viewer' as Role }]) addRow(m);
  };

  const removeButton = h('button', { type: 'button', class: 'danger', hidden: true }, 'Remove sign-in');
  let shown: SsoConfig | undefined;

  const show = (config: SsoConfig | undefined) => {
    shown = config;
    removeButton.hidden = !config;
    formFrom(config);
    if (!config) {
      fill(current, h('p', { class: 'empty', 'data-sso': 'none' }, 'Not configured: the people of this tenant sign in with API keys only.'));
      return;
    }
    fill(
      current,
      facts([
        ['Identity provider (issuer)', h('code', { 'data-sso': 'issuer' }, config.issuer)],
        ['Client id', h('code', {}, config.clientId)],
        ['Groups claim', h('code', {}, config.groupsClaim)],
        ['Scopes', h('code', { 'data-sso': 'scopes' }, config.scopes.join(' '))],
        ['Changed', time(config.updatedAt)],
      ]),
      table(
        'Roles by group',
        ['Group', 'Role'],
        config.groupRoles.map((m) => h('tr', { 'data-group': m.group }, h('th', { scope: 'row' }, m.group), h('td', {}, roleText(m)))),
      ),
    );
  };

  loadProjects(ctx.signal)
    .catch(() => [] as Project[])
    .then((listed) => {
      projects = listed;
      return get<SsoConfig>('/v1/sso', ctx.signal);
    })
    .then(show, (err: unknown) => {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 404) return show(undefined);
      fill(current, errorBox(err));
    });

  const summary = h('div', {});
  const submit = h('button', { type: 'submit' }, 'Save sign-in');
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card',
      novalidate: true,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        submit.disabled = true;
        saved.textContent = '';
        try {
          const body = {
            issuer: issuer.value.trim(),
            clientId: clientId.value.trim(),
            groupsClaim: groupsClaim.value.trim() || undefined,
            scopes: scopes.value.split(/\s+/).filter(Boolean),
            groupRoles: rows.map((r) => ({ group: r.group.value.trim(), role: r.role.value as Role, ...(r.project.value ? { project: r.project.value } : {}) })),
          };
          const config = await api<SsoConfig>('PUT', '/v1/sso', { body });
          summary.replaceChildren();
          clearFieldErrors(form);
          show(config);
          saved.textContent = `Saved. People of tenant ${config.tenantId} sign in through ${config.issuer}.`;
        } catch (err) {
          showFormError(form, summary, err);
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h2', {}, 'Identity provider'),
    h(
      'p',
      { class: 'muted' },
      'Register Strata at your OpenID Connect provider as a public client (no secret; authorization code with PKCE) with the redirect URIs ',
      h('code', {}, `${location.origin}/`),
      ' (this console) and ',
      h('code', {}, 'http://127.0.0.1/callback'),
      ' (the strata CLI, on any port).',
    ),
    h(
      'div',
      { class: 'grid' },
      field('Issuer', issuer, { path: 'issuer', hint: 'Exactly as the provider names itself in its tokens (iss).' }),
      field('Client id', clientId, { path: 'clientId' }),
      field('Groups claim', groupsClaim, { path: 'groupsClaim', hint: 'The ID token claim that lists the groups, e.g. groups or cognito:groups.' }),
      field('Scopes', scopes, { path: 'scopes', hint: 'Asked of the provider, separated by spaces: add groups where the provider releases groups under a scope (Okta), offline_access for refresh tokens (Okta, Entra ID).' }),
    ),
    mappings,
    summary,
    h('div', { class: 'actions' }, submit),
  );

  removeButton.addEventListener('click', async () => {
    if (!shown) return;
    const self = currentSession()?.sso;
    const consequence = self
      ? 'You signed in through it: you are signed out, and sign in again with an API key.'
      : 'Those signed in through it lose access at their next request. API keys keep working.';
    if (!(await confirmAction(`Remove sign-in through ${shown.issuer}?`, `No one of this tenant can sign in through the identity provider any more. ${consequence}`, 'Remove sign-in'))) return;
    try {
      await api('DELETE', '/v1/sso');
      errors.clear();
      saved.textContent = 'Sign-in through the identity provider removed.';
      if (self) return signOut('Sign-in through the identity provider was removed: sign in with an API key.');
      show(undefined);
    } catch (err) {
      errors.show(err);
    }
  });

  return h(
    'section',
    { 'aria-labelledby': 'sso-title' },
    title,
    h('p', { class: 'muted' }, "People sign in through your organization's identity provider, and their groups there give their role in Strata. API keys keep working, for automation."),
    errors.el,
    h('section', { class: 'panel', 'aria-label': 'Current sign-in settings' }, current, h('div', { class: 'actions' }, removeButton)),
    saved,
    form,
  );
}
