import { h, table } from '../dom';
import type { NodeSummary } from '../types';
import { readyBadge } from './badges';
import { nodeConditionBadges } from './node-conditions';

/** The cluster's nodes: what Strata launched and what the agent reports of each. */
export function nodesTable(clusterId: string, nodes: readonly NodeSummary[]): HTMLElement {
  if (!nodes.length) return h('p', { class: 'empty' }, 'No nodes yet.');
  const rows = nodes.map((n) =>
    h(
      'tr',
      { 'data-node': n.name },
      h('th', { scope: 'row' }, n.conditions.length ? h('a', { href: `/clusters/${encodeURIComponent(clusterId)}/nodes/${encodeURIComponent(n.name)}` }, n.name) : n.name),
      h('td', {}, n.role === 'controlPlane' ? 'control plane' : 'worker', n.pool ? h('span', { class: 'muted' }, ` · ${n.pool}`) : null),
      h('td', {}, readyBadge(n.ready), n.phase ? h('span', { class: 'muted' }, ` ${n.phase}`) : null, n.unschedulable ? h('span', { class: 'muted' }, ' cordoned') : null),
      h('td', {}, nodeConditionBadges(n.conditions)),
      h('td', {}, n.kubeletVersion ?? '—'),
      h('td', {}, n.osImage ?? '—'),
      h('td', {}, n.instanceType ?? '—'),
      h('td', {}, n.zone ?? '—'),
    ),
  );
  return table('Nodes', ['Name', 'Role', 'Status', 'Conditions', 'Kubelet', 'OS image', 'Instance type', 'Zone'], rows, { class: 'nodes' });
}
