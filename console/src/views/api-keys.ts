import { api, get } from '../api';
import { fill, h, table } from '../dom';
import { fromNow, time } from '../format';
import { chosenProject, loadProjects, projectCell, projectField, projectSelect } from '../projects';
import type { ViewContext } from '../router';
import type { ApiKey, Role } from '../types';
import { confirmAction, modal } from './dialog';
import { field, input, select, showFormError } from './fields';
import { errorBox, errorSlot, loading } from './notice';

/** How far ahead an expiry may be, as the API allows. */
const MAX_LIFETIME_YEARS = 2;

/** A yyyy-mm-dd of a date input, in UTC as every time on screen. */
const day = (d: Date) => d.toISOString().slice(0, 10);

/** When a key stops working: its time and how soon, "expired" once past (an expired key stays listed until revoked). */
function expiresCell(k: ApiKey, now = Date.now()): HTMLElement {
  if (!k.expiresAt) return h('td', { class: 'muted' }, 'never');
  if (Date.parse(k.expiresAt) <= now) return h('td', {}, h('span', { class: 'badge bad', 'data-expired': 'true' }, 'expired'), ' ', h('span', { class: 'muted' }, time(k.expiresAt)));
  return h('td', {}, time(k.expiresAt), h('span', { class: 'muted' }, ` · ${fromNow(k.expiresAt, now)}`));
}

/**
 * The tenant's API keys (admins only; a project's admins see and make that project's keys):
 * create one (its secret shown once), revoke one.
 */
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
        ['Name', 'Role', 'Project', 'Created', 'Expires', 'Id', 'Actions'],
        items.map((k) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, k.name),
            h('td', {}, k.role, k.operator ? h('span', { class: 'muted' }, ' · operator') : null),
            projectCell(k.projectId, 'whole tenant'),
            h('td', {}, time(k.createdAt)),
            expiresCell(k),
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
  const now = new Date();
  const latest = new Date(now);
  latest.setUTCFullYear(latest.getUTCFullYear() + MAX_LIFETIME_YEARS);
  const expires = input({ type: 'date', min: day(new Date(now.getTime() + 86_400_000)), max: day(latest) });
  const summary = h('div', {});
  const fields = h(
    'div',
    { class: 'grid' },
    field('Key name', name, { path: 'name' }),
    field('Role', role, { path: 'role' }),
    field('Expires (optional)', expires, { path: 'expiresAt', hint: `The key stops working at 00:00 UTC that day, at most ${MAX_LIFETIME_YEARS} years ahead. Empty: until revoked.` }),
  );
  let project: HTMLSelectElement | undefined;
  loadProjects(ctx.signal).then(
    (projects) => {
      project = projectSelect(projects, { sharedLabel: 'Whole tenant', needed: 'admin' });
      fields.append(projectField(project, "A key of a project holds its role there only: it sees nothing of the tenant's other projects."));
    },
    // Without the list, the key is the caller's to place: the API decides.
    () => undefined,
  );
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card',
      novalidate: true,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          // The chosen day from its first moment, in UTC.
          const expiresAt = expires.value ? `${expires.value}T00:00:00Z` : undefined;
          const created = await api<ApiKey & { key: string }>('POST', '/v1/apikeys', { body: { name: name.value.trim(), role: role.value as Role, ...chosenProject(project), expiresAt } });
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
    fields,
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
