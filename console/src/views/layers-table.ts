import { h, table } from '../dom';
import type { ResolvedLayer } from '../types';
import { toYaml } from '../yaml';

/** YAML text to read, folded away until asked for. */
export function yamlBlock(summary: string, yaml: string): HTMLElement {
  if (!yaml.trim()) return h('span', { class: 'muted' }, 'no values');
  return h('details', { class: 'yaml' }, h('summary', {}, summary), h('pre', { tabindex: 0 }, h('code', {}, yaml)));
}

/** A profile revision's layers, bottom (OS) first, each with its values. */
export function layersTable(layers: readonly ResolvedLayer[]): HTMLTableElement {
  return table(
    'Layers',
    ['Layer', 'Pack', 'Version', 'Registry', 'Values'],
    layers.map((l) =>
      h(
        'tr',
        { 'data-pack': l.name },
        h('td', {}, l.layer),
        h('th', { scope: 'row' }, h('a', { href: `/registries/${encodeURIComponent(l.registryId)}#${encodeURIComponent(l.packId)}` }, l.name)),
        h('td', {}, l.version),
        h('td', {}, l.registryId),
        h('td', {}, yamlBlock('values.yaml', l.values), l.content ? yamlBlock('content', toYaml(l.content)) : null),
      ),
    ),
  );
}
