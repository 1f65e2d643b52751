import { api, getAll } from '../api';
import { fill, h, table } from '../dom';
import { ago } from '../format';
import { chosenProject, loadProjects, projectCell, projectField, projectSelect } from '../projects';
import type { ViewContext } from '../router';
import { may, mayOn } from '../session';
import type { CloudAccount } from '../types';
import { toYaml } from '../yaml';
import { confirmAction } from './dialog';
import { field, input, select, showFormError } from './fields';
import { yamlBlock } from './layers-table';
import { errorBox, errorSlot, loading } from './notice';

/** Fields each account type asks for; the API says what is wrong with them. */
const SPEC_FIELDS = {
  local: [],
  aws: [['roleArn', 'Role ARN', 'arn:aws:iam::123456789012:role/strata']],
  azure: [
    ['tenantId', 'Directory (tenant) id', '00000000-0000-0000-0000-000000000000'],
    ['clientId', 'Client id', '00000000-0000-0000-0000-000000000000'],
    ['subscriptionId', 'Subscription id', '00000000-0000-0000-0000-000000000000'],
    ['clientSecret', 'Client secret', ''],
  ],
} as const;
type AccountType = keyof typeof SPEC_FIELDS;

/** Cloud accounts: where clusters run; register, check credentials, delete unused ones. */
export function cloudAccountsView(ctx: ViewContext): HTMLElement {
  document.title = 'Cloud accounts · Strata';
  const list = h('div', {}, loading('cloud accounts'));
  const errors = errorSlot();

  const validate = async (a: CloudAccount, button: HTMLButtonElement) => {
    button.disabled = true;
    try {
      await api('POST', `/v1/cloudaccounts/${encodeURIComponent(a.id)}/validate`);
      await refresh();
    } catch (err) {
      errors.show(err);
      button.disabled = false;
    }
  };
  const remove = async (a: CloudAccount) => {
    if (!(await confirmAction(`Delete cloud account ${a.name}?`, 'Strata forgets the account (and a client secret it stored for it). Clusters must not use it.', 'Delete account'))) return;
    try {
      await api('DELETE', `/v1/cloudaccounts/${encodeURIComponent(a.id)}`);
      await refresh();
    } catch (err) {
      errors.show(err);
    }
  };

  const refresh = async () => {
    const accounts = await getAll<CloudAccount>('/v1/cloudaccounts', ctx.signal);
    errors.clear();
    fill(
      list,
      accounts.length
        ? table(
            'Cloud accounts',
            ['Name', 'Type', 'Project', 'Clusters', 'Last check', 'Details', ...(may('editor') ? ['Actions'] : [])],
            accounts.map((a) => {
              const check = h('button', { type: 'button', class: 'secondary small', onclick: () => void validate(a, check) }, 'Check credentials');
              const { type: _t, ...spec } = a.spec;
              return h(
                'tr',
                { 'data-account': a.name },
                h('th', { scope: 'row' }, a.name, h('div', { class: 'muted small' }, a.id)),
                h('td', {}, a.spec.type),
                projectCell(a.projectId),
                h('td', { class: 'num' }, a.clusterCount ?? 0),
                h('td', {}, a.lastCheck ? [h('span', { class: `badge ${a.lastCheck.valid ? 'good' : 'bad'}` }, a.lastCheck.valid ? 'valid' : a.lastCheck.code ?? 'invalid'), ` ${a.lastCheck.message} (${ago(a.lastCheck.checkedAt)})`] : h('span', { class: 'muted' }, 'never checked')),
                h('td', {}, Object.keys(spec).length ? yamlBlock('settings', toYaml(spec)) : '—', a.trustPolicy ? yamlBlock('trust policy for the role', toYaml(a.trustPolicy)) : null),
                // A shared account is changed by tenant-wide roles only.
                may('editor') ? h('td', {}, mayOn(a.projectId, 'editor') ? [check, ' ', h('button', { type: 'button', class: 'danger small', onclick: () => void remove(a) }, 'Delete')] : null) : null,
              );
            }),
          )
        : h('p', { class: 'empty' }, 'No cloud accounts yet.'),
    );
  };
  refresh().catch((err) => fill(list, errorBox(err)));

  return h(
    'section',
    { 'aria-labelledby': 'accounts-title' },
    h('h1', { id: 'accounts-title' }, 'Cloud accounts'),
    errors.el,
    list,
    may('editor') ? createForm(refresh, ctx.signal) : null,
  );
}

function createForm(onCreated: () => Promise<void>, signal: AbortSignal): HTMLElement {
  const name = input({ required: true });
  const type = select([['aws', 'AWS'], ['azure', 'Azure'], ['local', 'Local (simulated cloud)']], 'aws');
  const specFields = h('div', { class: 'grid' });
  const summary = h('div', {});
  let inputs: [string, HTMLInputElement][] = [];
  const showFields = () => {
    inputs = SPEC_FIELDS[type.value as AccountType].map(([key, , placeholder]) => [key, input({ placeholder, type: key === 'clientSecret' ? 'password' : 'text' })]);
    fill(specFields, SPEC_FIELDS[type.value as AccountType].map(([key, label], i) => field(label, inputs[i]![1], { path: `spec.${key}` })));
  };
  type.addEventListener('change', showFields);
  showFields();
  const submit = h('button', { type: 'submit' }, 'Add account');
  const fields = h('div', { class: 'grid' }, field('Account name', name, { path: 'name' }), field('Type', type, { path: 'spec.type' }));
  let project: HTMLSelectElement | undefined;
  loadProjects(signal).then(
    (projects) => {
      project = projectSelect(projects, { sharedLabel: 'Shared (whole tenant)' });
      fields.append(projectField(project));
    },
    // Without the list, the API puts the account where the caller's role allows.
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
        const spec = { type: type.value, ...Object.fromEntries(inputs.map(([k, el]) => [k, el.value.trim()]).filter(([, v]) => v)) };
        try {
          await api('POST', '/v1/cloudaccounts', { body: { name: name.value.trim(), ...chosenProject(project), spec } });
          form.reset();
          showFields();
          summary.replaceChildren(h('p', { class: 'notice', role: 'status' }, 'Account added.'));
          await onCreated();
        } catch (err) {
          showFormError(form, summary, err);
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h2', {}, 'Add a cloud account'),
    fields,
    specFields,
    summary,
    h('div', { class: 'actions' }, submit),
  );
  return form;
}
