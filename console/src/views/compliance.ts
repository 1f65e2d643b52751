import { getAll } from '../api';
import { fill, h, table } from '../dom';
import { ago, time } from '../format';
import { REFRESH_MS, refreshEvery } from '../live';
import type { ViewContext } from '../router';
import type { Cluster, TenantComplianceItem } from '../types';
import { totalsBadges } from './cluster-compliance';
import { errorBox, errorSlot, loading } from './notice';

interface Row {
  readonly cluster: { id: string; name: string };
  readonly latest?: TenantComplianceItem;
}

/** Most failing first, then most to review; clusters never scanned last. */
const byMostFailing = (a: Row, b: Row) =>
  !a.latest || !b.latest
    ? (a.latest ? 0 : 1) - (b.latest ? 0 : 1) || a.cluster.name.localeCompare(b.cluster.name)
    : b.latest.totals.fail - a.latest.totals.fail || b.latest.totals.warn - a.latest.totals.warn || a.cluster.name.localeCompare(b.cluster.name);

/** CIS compliance of every cluster: each one's latest kube-bench totals, the most failing first. */
export function complianceView(ctx: ViewContext): HTMLElement {
  document.title = 'Compliance · Strata';
  const slot = h('div', {}, loading('the compliance results'));
  const errors = errorSlot();
  let loaded = false;

  refreshEvery(
    REFRESH_MS * 4,
    ctx.signal,
    async () => {
      const [items, clusters] = await Promise.all([getAll<TenantComplianceItem>('/v1/compliance', ctx.signal), getAll<Cluster>('/v1/clusters', ctx.signal)]);
      const scanned = new Set(items.map((i) => i.clusterId));
      const rows: Row[] = [...items.map((i) => ({ cluster: { id: i.clusterId, name: i.clusterName }, latest: i })), ...clusters.filter((c) => !scanned.has(c.id)).map((c) => ({ cluster: c }))].sort(byMostFailing);
      loaded = true;
      errors.clear();
      if (!rows.length) return fill(slot, h('p', { class: 'empty' }, 'No clusters yet.'));
      fill(
        slot,
        table(
          'Compliance of the clusters',
          ['Cluster', 'Totals', 'Fail', 'Last run'],
          rows.map((r) =>
            h(
              'tr',
              { 'data-cluster': r.cluster.id, 'data-fail': r.latest?.totals.fail ?? '' },
              h('th', { scope: 'row' }, h('a', { href: `/clusters/${encodeURIComponent(r.cluster.id)}/compliance` }, r.cluster.name)),
              h('td', {}, r.latest ? totalsBadges(r.latest.totals) : h('span', { class: 'muted' }, 'not scanned yet')),
              h('td', { class: 'num' }, r.latest ? r.latest.totals.fail : '—'),
              h('td', { class: 'nowrap' }, r.latest ? h('time', { datetime: r.latest.at, title: time(r.latest.at) }, ago(r.latest.at)) : '—'),
            ),
          ),
          { class: 'compliance-clusters' },
        ),
      );
    },
    (err) => (loaded ? errors.show(err) : fill(slot, errorBox(err))),
  );

  return h(
    'article',
    { 'aria-labelledby': 'compliance-title' },
    h('h1', { id: 'compliance-title' }, 'Compliance'),
    h('p', { class: 'muted' }, "CIS benchmark results from kube-bench: each cluster's latest run, the most failing first."),
    errors.el,
    h('section', { class: 'panel', 'aria-label': 'Clusters' }, slot),
  );
}
