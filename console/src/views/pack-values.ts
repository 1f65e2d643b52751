import { api, get } from '../api';
import { facts, fill, h, table } from '../dom';
import { ago } from '../format';
import type { ViewContext } from '../router';
import { mayOn } from '../session';
import type { Cluster, PackValues } from '../types';
import { toYaml } from '../yaml';
import { field, showFormError } from './fields';
import { yamlBlock } from './layers-table';
import { errorBox, loading } from './notice';

const valueText = (v: unknown) => (v === undefined ? '—' : toYaml(v));

function differencesTable(v: PackValues): HTMLElement {
  if (!v.differences.length) return h('p', { class: 'empty', role: 'status' }, "No differences: the cluster runs the profile's values.");
  return table(
    'Differences from the profile',
    ['Key path', 'Profile', 'This cluster'],
    v.differences.map((d) => h('tr', { 'data-path': d.path }, h('th', { scope: 'row' }, h('code', {}, d.path)), h('td', {}, h('pre', {}, valueText(d.profile))), h('td', {}, h('pre', {}, valueText(d.cluster))))),
    { class: 'differences' },
  );
}

function statusText(v: PackValues): string {
  if (!v.status) return 'Not reported by the agent yet';
  return `${v.status.status} ${v.status.version}, ${v.status.valuesApplied ? 'these values applied' : 'not these values yet'}${v.status.message ? `: ${v.status.message}` : ''} (reported ${ago(v.status.reportedAt)})`;
}

/**
 * One pack's values on a cluster: how they differ from the profile's, the agent's status, and an
 * editor of the cluster's override (a partial YAML document with only the keys it sets), previewed
 * with the API's dry run before it is saved.
 */
export function packValuesView(ctx: ViewContext): HTMLElement {
  const id = ctx.params.id!;
  const pack = ctx.params.pack!;
  const path = `/v1/clusters/${encodeURIComponent(id)}/packs/${encodeURIComponent(pack)}/values`;
  const crumbName = h('a', { href: `/clusters/${encodeURIComponent(id)}` }, id);
  const body = h('div', {}, loading('the values'));

  const render = (cluster: Cluster, v: PackValues) => {
    crumbName.textContent = cluster.name;
    document.title = `${pack} values of ${cluster.name} · Strata`;
    const editor = h('textarea', { rows: 10, spellcheck: 'false', class: 'code', name: 'values' });
    editor.value = v.overrides;
    const summary = h('div', { 'aria-live': 'polite' });
    const result = h('div', { 'aria-live': 'polite' });
    const send = async (dryRun: boolean, values: string) => {
      try {
        const answer = await api<PackValues>('PUT', `${path}${dryRun ? '?dryRun=true' : ''}`, { body: { values, version: cluster.version } });
        if (dryRun) fill(result, h('h3', {}, 'With this override (nothing saved yet)'), differencesTable(answer), yamlBlock('values applied', answer.values));
        else await load();
      } catch (err) {
        result.replaceChildren();
        showFormError(form, summary, err);
      }
    };
    const form = h(
      'form',
      { onsubmit: (e: Event) => (e.preventDefault(), void send(false, editor.value)) },
      field("The cluster's override (partial YAML: only the keys it sets)", editor, { path: 'values' }),
      summary,
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => void send(false, '') }, 'Remove override'),
        h('button', { type: 'button', class: 'secondary', onclick: () => void send(true, editor.value) }, 'Preview'),
        h('button', { type: 'submit' }, 'Save override'),
      ),
    );
    fill(
      body,
      facts([
        ['Pack', `${v.pack} ${v.version} (${v.layer})`],
        ['Profile revision', String(v.profileRevision)],
        ['Generation', `${v.generation} (observed ${v.observedGeneration ?? '—'})`],
        ['Status', statusText(v)],
      ]),
      h('section', { class: 'panel', 'aria-labelledby': 'diff-title' }, h('h2', { id: 'diff-title' }, 'Differences from the profile'), differencesTable(v)),
      mayOn(cluster.projectId, 'editor') && cluster.phase !== 'Deleting' && cluster.phase !== 'Deleted' ? h('section', { class: 'panel', 'aria-labelledby': 'edit-title' }, h('h2', { id: 'edit-title' }, 'Override'), form, result) : null,
      h('section', { class: 'panel', 'aria-labelledby': 'all-title' }, h('h2', { id: 'all-title' }, 'Values'), yamlBlock("The profile's values", v.profileValues), yamlBlock('Values applied (profile and override)', v.values)),
    );
  };

  const load = async () => {
    const [cluster, values] = await Promise.all([get<Cluster>(`/v1/clusters/${encodeURIComponent(id)}`, ctx.signal), get<PackValues>(path, ctx.signal)]);
    render(cluster, values);
  };
  void load().catch((err) => fill(body, errorBox(err)));

  return h(
    'article',
    { 'aria-labelledby': 'values-title' },
    h('p', { class: 'crumbs' }, h('a', { href: '/clusters' }, 'Clusters'), ' / ', crumbName, ' / '),
    h('h1', { id: 'values-title' }, `Values of ${pack}`),
    body,
  );
}
