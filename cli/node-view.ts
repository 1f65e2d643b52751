import type { NodeDetail } from './api-types.js';
import type { Palette } from './colour.js';
import { sparkline, sparkWidth } from './sparkline.js';
import { renderFacts, renderTable } from './table.js';
import { age } from './time.js';
import { gib, pct } from './units.js';
import { lastPatchText } from './ospatch-view.js';

type NodeCondition = NodeDetail['conditions'][number];

/** Ready is fine when True; a pressure, or NetworkUnavailable, when False. */
const normal = (c: NodeCondition) => (c.type === 'Ready' ? c.status === 'True' : c.status === 'False');

const quantities = (q: Record<string, string> | undefined) => (q ? Object.entries(q).map(([k, v]) => `${k} ${v}`).join(', ') : undefined);

interface UsageRow {
  readonly label: string;
  readonly now: string;
  readonly used: string;
  readonly requests: string;
  readonly series: string;
}

function usageTable(n: NodeDetail, p: Palette): string {
  const u = n.usage;
  const width = sparkWidth();
  // Percent of what is allocatable now, on one scale, so the lines compare.
  const line = (values: number[]) => (values.length ? p.cyan(sparkline(values, 100, width)) : p.dim('no samples yet'));
  const share = (used: number, of: number) => (of > 0 ? (100 * used) / of : 0);
  const rows: UsageRow[] = [
    {
      label: 'CPU',
      now: pct(u.cpuUsagePercent),
      used: `${u.cpuUsedCores.toFixed(2)} of ${u.cpuAllocatableCores.toFixed(2)} cores`,
      requests: `${u.cpuRequestedCores.toFixed(2)} cores (${pct(u.cpuRequestsPercent)})`,
      series: line(n.series.map((s) => share(s.coresUsed, u.cpuAllocatableCores))),
    },
    {
      label: 'Memory',
      now: pct(u.memoryUsagePercent),
      used: `${gib(u.memoryUsedBytes)} of ${gib(u.memoryAllocatableBytes)} GiB`,
      requests: `${gib(u.memoryRequestedBytes)} GiB (${pct(u.memoryRequestsPercent)})`,
      series: line(n.series.map((s) => share(s.memoryUsedBytes, u.memoryAllocatableBytes))),
    },
  ];
  if (u.diskUsedPercent !== undefined) {
    rows.push({ label: 'Disk', now: pct(u.diskUsedPercent), used: '', requests: '', series: line(n.series.flatMap((s) => (s.diskUsedPercent === undefined ? [] : [s.diskUsedPercent]))) });
  }
  return renderTable(
    [
      { header: '', cell: (r: UsageRow) => r.label },
      { header: 'NOW', cell: (r) => r.now },
      { header: 'USED', cell: (r) => r.used },
      { header: 'REQUESTED', cell: (r) => r.requests },
      { header: `LAST ${n.window.toUpperCase()}`, cell: (r) => r.series },
    ],
    rows,
    p.bold,
  );
}

/** One node as its agent reports it: what it is and runs, its conditions, its usage now and over the window. */
export function nodeText(n: NodeDetail, clusterName: string, p: Palette): string {
  const state = [n.ready ? p.green('Ready') : p.red('NotReady'), n.unschedulable ? p.yellow('cordoned') : undefined].filter(Boolean).join(', ');
  const facts = renderFacts(
    [
      ['Node', n.name],
      ['Cluster', clusterName],
      ['State', state],
      ['Role', n.role === 'controlPlane' ? 'control plane' : 'worker'],
      ['Zone', n.zone],
      ['Instance type', n.instanceType],
      ['Kubelet', n.kubeletVersion],
      ['OS image', n.osImage],
      ['Kernel', n.kernelVersion],
      ['Container runtime', n.containerRuntimeVersion],
      ['Last patch', n.lastPatch ? lastPatchText(n.lastPatch, p) : undefined],
      ['Addresses', n.addresses.map((a) => `${a.type} ${a.address}`).join(', ')],
      ['Capacity', quantities(n.capacity)],
      ['Allocatable', quantities(n.allocatable)],
    ],
    p.bold,
  );
  const conditions = n.conditions.length
    ? renderTable(
        [
          { header: 'CONDITION', cell: (c: NodeCondition) => c.type },
          { header: 'STATUS', cell: (c) => (normal(c) ? p.green : c.status === 'Unknown' ? p.yellow : p.red)(c.status) },
          { header: 'REASON', cell: (c) => c.reason ?? '' },
          { header: 'AGE', cell: (c) => age(c.lastTransitionTime) },
          { header: 'MESSAGE', cell: (c) => c.message ?? '' },
        ],
        n.conditions,
        p.bold,
      )
    : 'The agent reports no conditions for this node.\n';
  const samples = n.series.length ? `, and over the last ${n.window} in ${n.resolution} samples (${n.series.length})` : '';
  return `${facts}\n${conditions}\nUsage now${samples}:\n${usageTable(n, p)}`;
}
