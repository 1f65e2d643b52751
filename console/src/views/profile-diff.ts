import { h, table } from '../dom';
import type { ProfileDiff, ProfileRevision, ResolvedLayer } from '../types';
import { toYaml } from '../yaml';

const valueText = (v: unknown) => (v === undefined ? '—' : toYaml(v));

function column(title: string, layers: readonly ResolvedLayer[], changed: ReadonlySet<string>): HTMLElement {
  return h(
    'div',
    { class: 'diff-column' },
    h('h3', {}, title),
    h(
      'ul',
      { class: 'plain' },
      layers.map((l) => h('li', { class: changed.has(l.name) ? 'changed' : '' }, h('span', { class: 'muted' }, `${l.layer} `), `${l.name} ${l.version}`, changed.has(l.name) ? h('span', { class: 'visually-hidden' }, ' (changed)') : null)),
    ),
  );
}

/**
 * Two revisions side by side (their layers, the changed packs marked), then every change the API
 * lists: packs added, removed or upgraded, and values key path by key path.
 */
export function profileDiffView(diff: ProfileDiff, a: ProfileRevision, b: ProfileRevision): HTMLElement {
  const changed = new Set(diff.changes.map((c) => c.name));
  if (!diff.changes.length) return h('p', { class: 'empty', role: 'status' }, `Revisions ${diff.from} and ${diff.to} are the same.`);
  const rows = diff.changes.flatMap((c) => [
    h(
      'tr',
      { class: 'pack-change', 'data-pack': c.name },
      h('th', { scope: 'row' }, `${c.name} (${c.layer})`),
      h('td', {}, c.change),
      h('td', {}, c.fromVersion ?? (c.change === 'added' ? 'not in this revision' : '—')),
      h('td', {}, c.toVersion ?? (c.change === 'removed' ? 'not in this revision' : '—')),
    ),
    ...c.values.map((v) =>
      h(
        'tr',
        { class: `value-change ${v.kind}` },
        h('th', { scope: 'row', class: 'indent' }, h('code', {}, v.path)),
        h('td', {}, v.kind),
        h('td', {}, h('pre', {}, valueText(v.from))),
        h('td', {}, h('pre', {}, valueText(v.to))),
      ),
    ),
  ]);
  return h(
    'div',
    { class: 'diff', role: 'region', 'aria-label': `Changes from revision ${diff.from} to ${diff.to}` },
    h('div', { class: 'side-by-side' }, column(`Revision ${diff.from}`, a.layers, changed), column(`Revision ${diff.to}`, b.layers, changed)),
    table('Changes', ['Pack / value', 'Change', `Revision ${diff.from}`, `Revision ${diff.to}`], rows, { class: 'diff-table' }),
  );
}
