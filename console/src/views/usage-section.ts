import { get, withQuery } from '../api';
import { fill, h } from '../dom';
import { bytes, cores, percent, time } from '../format';
import { refreshEvery } from '../live';
import { USAGE_REFRESH_MS } from '../poll-rates';
import type { Usage, UsageWindow } from '../types';
import { timeChart } from './chart';
import { errorSlot } from './notice';
import { windowPicker } from './window-picker';

const pct = (v: number) => percent(v);

/**
 * Usage of the worker nodes: cores used, CPU and memory usage now and as charts over a window,
 * and what the pods request.
 */
export function usageSection(clusterId: string, signal: AbortSignal): HTMLElement {
  let chosen: UsageWindow = '1h';
  const figures = h('div', { class: 'figures' });
  const coresChart = timeChart('Cores used', [{ label: 'Cores used', stroke: '#2f6fdf', format: (v) => v.toFixed(2) }]);
  const usageChart = timeChart(
    'CPU and memory usage',
    [
      { label: 'CPU', stroke: '#2f6fdf', format: pct },
      { label: 'Memory', stroke: '#c2571a', format: pct },
    ],
    { max: 100 },
  );
  const errors = errorSlot();
  const at = h('p', { class: 'muted small' });

  const show = (u: Usage) => {
    const n = u.now;
    fill(
      figures,
      figure('Cores used', cores(n.coresUsed), `of ${cores(n.cpuAllocatableCores)} allocatable`),
      figure('CPU usage', percent(n.cpuUsagePercent), `${n.nodes} worker node${n.nodes === 1 ? '' : 's'}`),
      figure('Memory usage', percent(n.memoryUsagePercent), `${bytes(n.memoryUsedBytes)} of ${bytes(n.memoryAllocatableBytes)}`),
      figure('CPU requests', percent(n.cpuRequestsPercent), cores(n.cpuRequestedCores)),
      figure('Memory requests', percent(n.memoryRequestsPercent), bytes(n.memoryRequestedBytes)),
    );
    const times = u.series.map((p) => Date.parse(p.t));
    coresChart.update(times, [u.series.map((p) => p.coresUsed)]);
    usageChart.update(times, [u.series.map((p) => p.cpuUsagePercent), u.series.map((p) => p.memoryUsagePercent)]);
    at.textContent = u.at ? `Latest sample ${time(u.at)}, ${u.resolution} resolution.` : 'No usage sample yet: it comes with the agent’s reports.';
  };

  const live = refreshEvery(
    USAGE_REFRESH_MS,
    signal,
    async () => {
      show(await get<Usage>(withQuery(`/v1/clusters/${encodeURIComponent(clusterId)}/usage`, { window: chosen }), signal));
      errors.clear();
    },
    errors.show,
  );

  return h(
    'div',
    { class: 'usage' },
    windowPicker(chosen, (w) => {
      chosen = w;
      live.now();
    }),
    errors.el,
    figures,
    h('div', { class: 'charts' }, coresChart.el, usageChart.el),
    at,
  );
}

export function figure(label: string, value: string, sub?: string): HTMLElement {
  return h('div', { class: 'figure' }, h('p', { class: 'figure-label' }, label), h('p', { class: 'figure-value' }, value), sub ? h('p', { class: 'figure-sub muted' }, sub) : null);
}
