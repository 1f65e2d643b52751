import { ApiError, api } from '../api';
import { h } from '../dom';
import { saveSession } from '../session';
import type { ApiKey, Role } from '../types';
import { field, input } from './fields';
import { errorBox } from './notice';

/**
 * The key's role, from the API itself: GET /v1/apikeys answers admins only, and its 403 names
 * the role it refused ("role viewer cannot do this; it needs admin").
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

export function signInView(onSignedIn: () => void, notice?: string): HTMLElement {
  const key = input({ type: 'password', name: 'apiKey', autocomplete: 'off', required: true });
  const status = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'card sign-in',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const value = key.value.trim();
        if (!value) return;
        submit.disabled = true;
        status.replaceChildren(h('p', { class: 'muted', role: 'status' }, 'Checking the key…'));
        try {
          saveSession({ key: value, role: await roleOf(value) });
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
    h('h1', {}, 'Sign in to Strata'),
    h('p', { class: 'muted' }, 'Use an API key of your tenant. It is kept in this tab only, until you sign out or close it.'),
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    field('API key', key),
    status,
    h('div', { class: 'actions' }, submit),
  );
  queueMicrotask(() => key.focus());
  return h('main', { id: 'main', class: 'signed-out', tabindex: -1 }, form);
}
