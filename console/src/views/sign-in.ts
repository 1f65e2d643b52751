import { ApiError, api } from '../api';
import { h } from '../dom';
import { highestRole, saveSession, type ProjectRoles } from '../session';
import { lastTenant, startSignIn } from '../sso';
import type { ApiKey, Project, Role } from '../types';
import { field, input } from './fields';
import { errorBox } from './notice';

/**
 * The key's tenant-wide role, from the API itself: GET /v1/apikeys answers admins only, and its
 * 403 names the role it refused ("role viewer cannot do this; it needs admin").
 */
async function roleOf(key: string): Promise<Role> {
  try {
    await api<{ items: ApiKey[] }>('GET', '/v1/apikeys', { key });
    return 'admin';
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) {
      const named = /role (admin|editor|viewer)\b/.exec(err.message)?.[1] as Role | undefined;
      // Unnamed: show the least, the API would refuse the rest anyway.
      return named ?? 'viewer';
    }
    throw err;
  }
}

/**
 * What the key may do: GET /v1/projects names the caller's role in each project for a key limited
 * to projects only; any other key holds its role over the whole tenant.
 */
async function grantOf(key: string): Promise<{ role: Role; projects?: ProjectRoles }> {
  let projects: Project[] = [];
  try {
    projects = (await api<{ items: Project[] }>('GET', '/v1/projects', { key })).items;
  } catch (err) {
    // An API without projects: every key is tenant-wide there.
    if (!(err instanceof ApiError) || err.status === 401) throw err;
  }
  const roles = Object.fromEntries(projects.flatMap((p) => (p.role ? [[p.id, p.role] as const] : [])));
  const role = highestRole(Object.values(roles));
  return role ? { role, projects: roles } : { role: await roleOf(key) };
}

/** Why the sign-in page shows: a notice (signed out by the API), or an error of a sign-in that failed. */
export interface SignInNotice {
  readonly text: string;
  readonly error?: boolean;
}

/** People of a tenant with an identity provider: to the provider and back (sso.ts). */
function identityProviderForm(): { form: HTMLFormElement; focus(): void } {
  const tenant = input({ name: 'tenant', value: lastTenant(), required: true, autocomplete: 'organization', autocapitalize: 'none' });
  const status = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Continue to your identity provider');
  const form = h(
    'form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const name = tenant.value.trim();
        if (!name) return tenant.focus();
        submit.disabled = true;
        status.replaceChildren(h('p', { class: 'muted', role: 'status' }, `Finding where tenant ${name} signs in…`));
        try {
          await startSignIn(name);
          status.replaceChildren(h('p', { class: 'muted', role: 'status' }, 'Going to your identity provider…'));
        } catch (err) {
          status.replaceChildren(errorBox(err));
          submit.disabled = false;
          tenant.focus();
        }
      },
    },
    h('h2', {}, 'Sign in with your identity provider'),
    field('Tenant', tenant, { hint: "Your organization's name in Strata. You sign in at its identity provider, and your groups there give your role." }),
    status,
    h('div', { class: 'actions' }, submit),
  );
  // Back from the provider with the browser's Back button, the page as it was left: ready again.
  window.addEventListener('pageshow', (e) => {
    if (!e.persisted || !form.isConnected) return;
    submit.disabled = false;
    status.replaceChildren();
  });
  return { form, focus: () => (tenant.value ? submit : tenant).focus() };
}

export function signInView(onSignedIn: () => void, notice?: SignInNotice): HTMLElement {
  const key = input({ type: 'password', name: 'apiKey', autocomplete: 'off', required: true });
  const status = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const keyForm = h(
    'form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const value = key.value.trim();
        if (!value) return;
        submit.disabled = true;
        status.replaceChildren(h('p', { class: 'muted', role: 'status' }, 'Checking the key…'));
        try {
          saveSession({ token: value, ...(await grantOf(value)) });
          onSignedIn();
        } catch (err) {
          const shown = err instanceof ApiError && err.status === 401 ? new Error('The API did not accept this key: it is unknown or has been revoked.') : err;
          status.replaceChildren(errorBox(shown));
          key.focus();
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h2', {}, 'Sign in with an API key'),
    h('p', { class: 'muted' }, 'A key of your tenant. It is kept in this tab only, until you sign out or close it.'),
    field('API key', key),
    status,
    h('div', { class: 'actions' }, submit),
  );
  const provider = identityProviderForm();
  const card = h(
    'div',
    { class: 'card sign-in' },
    h('h1', {}, 'Sign in to Strata'),
    notice ? h('p', { class: notice.error ? 'notice error' : 'notice', role: notice.error ? 'alert' : 'status' }, notice.text) : null,
    provider.form,
    h('p', { class: 'or', 'aria-hidden': 'true' }, 'or'),
    keyForm,
  );
  queueMicrotask(() => provider.focus());
  return h('main', { id: 'main', class: 'signed-out', tabindex: -1 }, card);
}
