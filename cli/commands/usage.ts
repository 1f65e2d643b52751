import { Option, type Command } from 'commander';
import type { Usage } from '../api-types.js';
import { palette, type Palette } from '../colour.js';
import { clusterVerb, namedCluster } from '../context.js';
import { print, type Format } from '../output.js';
import { outputOption } from '../output.js';
import { sparkline, sparkWidth } from '../sparkline.js';
import { renderTable } from '../table.js';
import { gib, pct } from '../units.js';

function usageText(u: Usage, clusterName: string, p: Palette): string {
  const n = u.now;
  const width = sparkWidth();
  const series = (key: 'cpuUsagePercent' | 'memoryUsagePercent' | 'coresUsed', max: number) => (u.series.length ? p.cyan(sparkline(u.series.map((s) => s[key]), max, width)) : p.dim('no samples yet'));
  const scope = u.includeControlPlane ? 'all nodes' : 'worker nodes';
  const head = `Cluster ${clusterName}: ${scope} (${n.nodes}), last ${u.window} in ${u.resolution} samples (${u.series.length})${u.at ? `, latest ${u.at}` : ''}\n\n`;
  const figures = renderTable(
    [
      { header: '', cell: (r: { label: string; now: string; used: string; requests: string; series: string }) => r.label },
      { header: 'NOW', cell: (r) => r.now },
      { header: 'USED', cell: (r) => r.used },
      { header: 'REQUESTED', cell: (r) => r.requests },
      { header: `LAST ${u.window.toUpperCase()}`, cell: (r) => r.series },
    ],
    [
      { label: 'CPU', now: pct(n.cpuUsagePercent), used: `${n.coresUsed.toFixed(2)} of ${n.cpuAllocatableCores.toFixed(2)} cores`, requests: `${n.cpuRequestedCores.toFixed(2)} cores (${pct(n.cpuRequestsPercent)})`, series: series('cpuUsagePercent', 100) },
      { label: 'Memory', now: pct(n.memoryUsagePercent), used: `${gib(n.memoryUsedBytes)} of ${gib(n.memoryAllocatableBytes)} GiB`, requests: `${gib(n.memoryRequestedBytes)} GiB (${pct(n.memoryRequestsPercent)})`, series: series('memoryUsagePercent', 100) },
    ],
    p.bold,
  );
  if (!u.nodes.length) return `${head}${figures}`;
  const nodes = renderTable(
    [
      { header: 'NODE', cell: (x: Usage['nodes'][number]) => x.name },
      { header: 'ROLE', cell: (x) => x.role },
      { header: 'CPU', cell: (x) => `${x.cpuUsedCores.toFixed(2)}/${x.cpuAllocatableCores.toFixed(2)}` },
      { header: 'CPU%', cell: (x) => pct(x.cpuUsagePercent) },
      { header: 'MEMORY GiB', cell: (x) => `${gib(x.memoryUsedBytes)}/${gib(x.memoryAllocatableBytes)}` },
      { header: 'MEMORY%', cell: (x) => pct(x.memoryUsagePercent) },
      { header: 'CPU REQ%', cell: (x) => pct(x.cpuRequestsPercent) },
      { header: 'MEM REQ%', cell: (x) => pct(x.memoryRequestsPercent) },
      { header: 'DISK%', cell: (x) => (x.diskUsedPercent === undefined ? '' : pct(x.diskUsedPercent)) },
    ],
    u.nodes,
    p.bold,
  );
  return `${head}${figures}\n${nodes}`;
}

export function usageCommand(): Command {
  const { verb, cluster } = clusterVerb('usage', "a cluster's CPU and memory now and over a window, with sparklines; worker nodes unless asked");
  cluster
    .addOption(new Option('--window <window>', 'how far back').choices(['1h', '24h', '7d', '30d']).default('1h'))
    .option('--control-plane', 'count control-plane nodes too')
    .addOption(outputOption())
    .action(async (name: string, opts: { window: string; controlPlane?: boolean; output: Format }, self: Command) => {
      const { resolver, cluster: found } = await namedCluster(self, name);
      const usage = await resolver.api.get<Usage>(`/v1/clusters/${encodeURIComponent(found.id)}/usage`, { window: opts.window, includeControlPlane: opts.controlPlane ? 'true' : undefined });
      print(opts.output, usage, () => usageText(usage, found.name, palette()));
    });
  return verb;
}
