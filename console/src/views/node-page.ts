import { get, withQuery } from '../api';
import { facts, fill, h, table } from '../dom';
import { ago, bytes, cores, percent, plural, time } from '../format';
import { REFRESH_MS, refreshEvery } from '../live';
import type { ViewContext } from '../router';
import type { LastPatch, NodeDetail, UsageWindow } from '../types';
import { nodePatchBadge, readyBadge, statusBadge } from './badges';
import { rebootText } from './cluster-ospatch';
import { timeChart } from './chart';
import { isNormal } from './node-conditions';
import { errorBox, errorSlot, loading } from './notice';
import { figure } from './usage-section';
import { windowPicker } from './window-picker';

/** When the node was last patched, what it got and whether it rebooted. */
const lastPatch = (l: LastPatch | undefined) =>
  l
    ? h(
        'span',
        { class: 'last-patch', 'data-run': l.runId },
        nodePatchBadge(l.status),
        ' ',
        h('time', { datetime: l.at, title: time(l.at) }, ago(l.at)),
        ` · ${plural(l.packages.length, 'package')} updated · reboot: ${rebootText(l)}`,
        l.message ? ` · ${l.message}` : '',
      )
    : 'never patched';

/** One node: what it runs, its conditions, its capacity, and its own usage charts. */
export function nodePageView(ctx: ViewContext): HTMLElement {
  const clusterId = ctx.params.id!;
  const name = ctx.params.name!;
  const path = `/v1/clusters/${encodeURIComponent(clusterId)}/nodes/${encodeURIComponent(name)}`;
  let chosen: UsageWindow = '1h';
  const head = h('span', { class: 'title-badges' });
  const about = h('div', {}, loading('the node'));
  const conditions = h('div', {});
  const figures = h('div', { class: 'figures' });
  const coresChart = timeChart('Cores used', [{ label: 'Cores used', stroke: '#2f6fdf', format: (v) => v.toFixed(2) }]);
  const memoryChart = timeChart('Memory used', [{ label: 'Memory', stroke: '#c2571a', format: bytes }]);
  const diskChart = timeChart('Disk used', [{ label: 'Disk', stroke: '#5b8c2a', format: (v) => percent(v) }], { max: 100 });
  const errors = errorSlot();
  let loaded = false;
  document.title = `${name} · Strata`;

  const show = (n: NodeDetail) => {
    fill(head, readyBadge(n.ready), n.unschedulable ? h('span', { class: 'badge neutral' }, 'cordoned') : null);
    fill(
      about,
      facts([
        ['Role', n.role === 'controlPlane' ? 'control plane' : 'worker'],
        ['Instance type', n.instanceType ?? '—'],
        ['Zone', n.zone ?? '—'],
        ['Kubelet', n.kubeletVersion ?? '—'],
        ['OS image', n.osImage ?? '—'],
        ['Kernel', n.kernelVersion ?? '—'],
        ['Container runtime', n.containerRuntimeVersion ?? '—'],
        ['Last patch', lastPatch(n.lastPatch)],
        ['Addresses', n.addresses.map((a) => `${a.type} ${a.address}`).join(', ') || '—'],
        ['Capacity', n.capacity ? Object.entries(n.capacity).map(([k, v]) => `${k} ${v}`).join(', ') : '—'],
        ['Allocatable', n.allocatable ? Object.entries(n.allocatable).map(([k, v]) => `${k} ${v}`).join(', ') : '—'],
      ]),
    );
    fill(
      conditions,
      table(
        'Node conditions',
        ['Condition', 'Status', 'Reason', 'Message', 'Since'],
        n.conditions.map((c) =>
          h(
            'tr',
            { class: isNormal(c) ? '' : 'abnormal' },
            h('th', { scope: 'row' }, c.type),
            h('td', {}, statusBadge(isNormal(c) ? 'True' : 'False', c.status)),
            h('td', {}, c.reason ?? '—'),
            h('td', {}, c.message ?? '—'),
            h('td', {}, c.lastTransitionTime ? ago(c.lastTransitionTime) : '—'),
          ),
        ),
      ),
    );
    const u = n.usage;
    fill(
      figures,
      figure('Cores used', cores(u.cpuUsedCores), `of ${cores(u.cpuAllocatableCores)} (${percent(u.cpuUsagePercent)})`),
      figure('Memory used', bytes(u.memoryUsedBytes), `of ${bytes(u.memoryAllocatableBytes)} (${percent(u.memoryUsagePercent)})`),
      figure('CPU requests', percent(u.cpuRequestsPercent), cores(u.cpuRequestedCores)),
      figure('Memory requests', percent(u.memoryRequestsPercent), bytes(u.memoryRequestedBytes)),
      u.diskUsedPercent !== undefined ? figure('Disk used', percent(u.diskUsedPercent)) : null,
    );
    const times = n.series.map((p) => Date.parse(p.t));
    coresChart.update(times, [n.series.map((p) => p.coresUsed)]);
    memoryChart.update(times, [n.series.map((p) => p.memoryUsedBytes)]);
    const disk = n.series.filter((p) => p.diskUsedPercent !== undefined);
    diskChart.update(disk.map((p) => Date.parse(p.t)), [disk.map((p) => p.diskUsedPercent!)]);
  };

  const live = refreshEvery(
    REFRESH_MS,
    ctx.signal,
    async () => {
      show(await get<NodeDetail>(withQuery(path, { window: chosen }), ctx.signal));
      loaded = true;
      errors.clear();
    },
    (err) => (loaded ? errors.show(err) : fill(about, errorBox(err))),
  );

  return h(
    'article',
    { 'aria-labelledby': 'node-title' },
    h('p', { class: 'crumbs' }, h('a', { href: '/clusters' }, 'Clusters'), ' / ', h('a', { href: `/clusters/${encodeURIComponent(clusterId)}` }, 'Cluster'), ' / '),
    h('div', { class: 'page-head' }, h('div', {}, h('h1', { id: 'node-title' }, name), head)),
    errors.el,
    h('section', { class: 'panel', 'aria-labelledby': 'node-about' }, h('h2', { id: 'node-about' }, 'Node'), about),
    h('section', { class: 'panel', 'aria-labelledby': 'node-conditions' }, h('h2', { id: 'node-conditions' }, 'Conditions'), conditions),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'node-usage' },
      h('h2', { id: 'node-usage' }, 'Usage'),
      windowPicker(chosen, (w) => {
        chosen = w;
        live.now();
      }),
      figures,
      h('div', { class: 'charts' }, coresChart.el, memoryChart.el, diskChart.el),
    ),
  );
}
