import { h, table } from '../dom';
import type { Service } from '../types';

/** Only http(s) links are made clickable: the agent's report is not trusted to name a scheme. */
const isWebLink = (link: string) => /^https?:\/\//i.test(link);

/** LoadBalancer and NodePort services, each with the links that open it. */
export function servicesTable(services: readonly Service[]): HTMLElement {
  if (!services.length) return h('p', { class: 'empty' }, 'No LoadBalancer or NodePort services.');
  const rows = services.map((s) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, `${s.namespace}/${s.name}`),
      h('td', {}, s.type),
      h('td', {}, h('span', { class: `badge ${s.status === 'Ready' ? 'good' : 'neutral'}` }, s.status)),
      h('td', {}, s.ports.map((p) => `${p.name ? `${p.name} ` : ''}${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol}`).join(', ')),
      h(
        'td',
        {},
        s.links.length
          ? h('ul', { class: 'inline-list' }, s.links.map((l) => h('li', {}, isWebLink(l) ? h('a', { href: l, target: '_blank', rel: 'noopener noreferrer' }, l) : l)))
          : h('span', { class: 'muted' }, 'none yet'),
      ),
    ),
  );
  return table('Services', ['Service', 'Type', 'Status', 'Ports', 'Links'], rows);
}
