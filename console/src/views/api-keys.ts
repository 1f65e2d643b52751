import { api, get } from '../api';
import { fill, h, table } from '../dom';
import { time } from '../format';
import type { ViewContext } from '../router';
import type { ApiKey, Role } from '../types';
import { confirmAction, modal } from './dialog';
import { field, input, select, showFormError } from './fields';
import { errorBox, errorSlot, loading } from './notice';

/** The tenant's API keys (admins only): create one (its secret shown once), revoke one. */
export function apiKeysView(ctx: ViewContext): HTMLElement {
  document.title = 'API keys · Strata';
  const list = h('div', {}, loading('API keys'));
  const errors = errorSlot();

  const revoke = async (k: ApiKey) => {
    if (!(await confirmAction(`Revoke key ${k.name}?`, 'Requests with this key stop working within seconds. This cannot be undone.', 'Revoke key'))) return;
    try {
      await api('DELETE', `/v1/apikeys/${encodeURIComponent(k.id)}`);
      await refresh();
    } catch (err) {
      errors.show(err);
    }
  };

  const refresh = async () => {
    const { items } = await get<{ items: ApiKey[] }>('/v1/apikeys', ctx.signal);
    errors.clear();
    fill(
      list,
      table(
        'API keys',
        ['Name', 'Role', 'Created', 'Id', 'Actions'],
        items.map((k) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, k.name),
            h('td', {}, k.role, k.operator ? h('span', { class: 'muted' }, ' · operator') : null),
            h('td', {}, time(k.createdAt)),
            h('td', {}, h('code', {}, k.id)),
            h('td', {}, h('button', { type: 'button', class: 'danger small', onclick: () => void revoke(k) }, 'Revoke')),
          ),
        ),
      ),
    );
  };
  refresh().catch((err) => fill(list, errorBox(err)));

  const name = input({ required: true });
  const role = select([['viewer', 'Viewer: reads everything'], ['editor', 'Editor: also creates, changes and deletes'], ['admin', 'Admin: also manages keys']], 'viewer');
  const summary = h('div', {});
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card',
      novalidate: true,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          const created = await api<ApiKey & { key: string }>('POST', '/v1/apikeys', { body: { name: name.value.trim(), role: role.value as Role } });
          form.reset();
          summary.replaceChildren();
          showSecret(created);
          await refresh();
        } catch (err) {
          showFormError(form, summary, err);
        }
      },
    },
    h('h2', {}, 'Create an API key'),
    h('div', { class: 'grid' }, field('Key name', name, { path: 'name' }), field('Role', role, { path: 'role' })),
    summary,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create key')),
  );

  return h('section', { 'aria-labelledby': 'keys-title' }, h('h1', { id: 'keys-title' }, 'API keys'), errors.el, list, form);
}

/** The secret exists only in this answer: show it once, with a way to copy it. */
function showSecret(created: ApiKey & { key: string }): void {
  const secret = h('input', { type: 'text', readonly: true, value: created.key, class: 'secret', 'aria-label': 'The new key' });
  const copied = h('span', { role: 'status', class: 'muted' });
  const { close } = modal(
    `Key ${created.name} created`,
    h('p', {}, 'Copy the key now: Strata keeps only its hash and cannot show it again.'),
    secret,
    h(
      'div',
      { class: 'actions' },
      copied,
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () =>
            navigator.clipboard.writeText(created.key).then(
              () => (copied.textContent = 'Copied.'),
              () => (copied.textContent = 'Select the key and copy it.'),
            ),
        },
        'Copy',
      ),
      h('button', { type: 'button', onclick: () => close() }, 'Done'),
    ),
  );
  secret.select();
}
