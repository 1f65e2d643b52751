import type { ReportedNode } from './agent-protocol.js';
import { bytes, cpuNanocores } from './quantity.js';

/** One node's figures in plain numbers: cores and bytes. */
export interface NodeFigures {
  readonly name: string;
  readonly role: 'controlPlane' | 'worker';
  readonly cpuUsedCores: number;
  readonly memoryUsedBytes: number;
  readonly cpuAllocatableCores: number;
  readonly memoryAllocatableBytes: number;
  readonly cpuRequestedCores: number;
  readonly memoryRequestedBytes: number;
  readonly diskUsedPercent?: number;
}

const cores = (q: string | undefined) => (q ? Number(cpuNanocores(q)) / 1e9 : 0);
const byteCount = (q: string | undefined) => (q ? Number(bytes(q)) : 0);

export function nodeFigures(n: ReportedNode): NodeFigures {
  const alloc = n.allocatable ?? n.capacity ?? {};
  const diskUsed = n.usage?.disk ? byteCount(n.usage.disk) : undefined;
  const diskCap = byteCount(alloc['ephemeral-storage'] ?? n.capacity?.['ephemeral-storage']);
  return {
    name: n.name,
    role: n.role,
    cpuUsedCores: cores(n.usage?.cpu),
    memoryUsedBytes: byteCount(n.usage?.memory),
    cpuAllocatableCores: cores(alloc.cpu),
    memoryAllocatableBytes: byteCount(alloc.memory),
    cpuRequestedCores: cores(n.requests?.cpu),
    memoryRequestedBytes: byteCount(n.requests?.memory),
    diskUsedPercent: diskUsed !== undefined && diskCap > 0 ? (100 * diskUsed) / diskCap : undefined,
  };
}

export interface UsageTotals {
  readonly nodes: number;
  readonly coresUsed: number;
  readonly cpuAllocatableCores: number;
  readonly cpuUsagePercent: number;
  readonly memoryUsedBytes: number;
  readonly memoryAllocatableBytes: number;
  readonly memoryUsagePercent: number;
  readonly cpuRequestedCores: number;
  readonly cpuRequestsPercent: number;
  readonly memoryRequestedBytes: number;
  readonly memoryRequestsPercent: number;
}

const pct = (a: number, b: number) => (b > 0 ? Math.round((10000 * a) / b) / 100 : 0);

/** Sum of the nodes: worker nodes only unless the control plane is asked for. */
export function totals(nodes: readonly NodeFigures[], includeControlPlane = false): UsageTotals {
  const chosen = nodes.filter((n) => includeControlPlane || n.role === 'worker');
  const sum = (f: (n: NodeFigures) => number) => chosen.reduce((s, n) => s + f(n), 0);
  const coresUsed = sum((n) => n.cpuUsedCores);
  const cpuAlloc = sum((n) => n.cpuAllocatableCores);
  const memUsed = sum((n) => n.memoryUsedBytes);
  const memAlloc = sum((n) => n.memoryAllocatableBytes);
  const cpuReq = sum((n) => n.cpuRequestedCores);
  const memReq = sum((n) => n.memoryRequestedBytes);
  return {
    nodes: chosen.length,
    coresUsed: round(coresUsed),
    cpuAllocatableCores: round(cpuAlloc),
    cpuUsagePercent: pct(coresUsed, cpuAlloc),
    memoryUsedBytes: memUsed,
    memoryAllocatableBytes: memAlloc,
    memoryUsagePercent: pct(memUsed, memAlloc),
    cpuRequestedCores: round(cpuReq),
    cpuRequestsPercent: pct(cpuReq, cpuAlloc),
    memoryRequestedBytes: memReq,
    memoryRequestsPercent: pct(memReq, memAlloc),
  };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** One node's usage and requests as percentages of its allocatable. */
export function nodePercents(n: NodeFigures) {
  return {
    cpuUsagePercent: pct(n.cpuUsedCores, n.cpuAllocatableCores),
    memoryUsagePercent: pct(n.memoryUsedBytes, n.memoryAllocatableBytes),
    cpuRequestsPercent: pct(n.cpuRequestedCores, n.cpuAllocatableCores),
    memoryRequestsPercent: pct(n.memoryRequestedBytes, n.memoryAllocatableBytes),
  };
}

/**
 * A usage sample as stored: per role [cpu used millicores, cpu allocatable millicores,
 * memory used MiB, memory allocatable MiB], and per node [cpu millicores, memory MiB, disk %]
 * in the order of `nodes` — compact, so a 50-node sample stays under 1 KB (one write unit).
 */
export interface Sample {
  readonly t: string;
  readonly w: [number, number, number, number];
  readonly cp: [number, number, number, number];
  readonly nodes: string;
  readonly per: string;
}

const MiB = 1024 * 1024;

export function toSample(t: string, figures: readonly NodeFigures[], nodesKey: string): Sample {
  const role = (r: 'worker' | 'controlPlane'): [number, number, number, number] => {
    const f = figures.filter((n) => n.role === r);
    const s = (g: (n: NodeFigures) => number) => Math.round(f.reduce((a, n) => a + g(n), 0));
    return [s((n) => n.cpuUsedCores * 1000), s((n) => n.cpuAllocatableCores * 1000), s((n) => n.memoryUsedBytes / MiB), s((n) => n.memoryAllocatableBytes / MiB)];
  };
  const sorted = [...figures].sort((a, b) => a.name.localeCompare(b.name));
  const per = sorted.map((n) => `${Math.round(n.cpuUsedCores * 1000)},${Math.round(n.memoryUsedBytes / MiB)},${n.diskUsedPercent === undefined ? '' : Math.round(n.diskUsedPercent)}`).join(';');
  return { t, w: role('worker'), cp: role('controlPlane'), nodes: nodesKey, per };
}

/** Average samples into one (a roll-up); per-node values averaged by position when the node set is the same. */
export function rollUp(t: string, samples: readonly Sample[]): Sample | undefined {
  if (!samples.length) return undefined;
  const avg = (pick: (s: Sample) => number[]) => pick(samples[0]!).map((_, i) => Math.round(samples.reduce((a, s) => a + pick(s)[i]!, 0) / samples.length)) as [number, number, number, number];
  const last = samples[samples.length - 1]!;
  const same = samples.filter((s) => s.nodes === last.nodes);
  const rows = same.map((s) => s.per.split(';').map((r) => r.split(',').map((x) => (x === '' ? NaN : Number(x)))));
  const per = rows[0]!
    .map((_, i) =>
      rows[0]![i]!
        .map((_, j) => {
          const vals = rows.map((r) => r[i]?.[j] ?? NaN).filter((v) => !Number.isNaN(v));
          return vals.length ? String(Math.round(vals.reduce((a, b) => a + b, 0) / vals.length)) : '';
        })
        .join(','),
    )
    .join(';');
  return { t, w: avg((s) => s.w), cp: avg((s) => s.cp), nodes: last.nodes, per: last.per === '' ? '' : per };
}

/** Cluster-level point of a sample, for charts. */
export function samplePoint(s: Sample, includeControlPlane: boolean) {
  const [cu, ca, mu, ma] = includeControlPlane ? s.w.map((v, i) => v + s.cp[i]!) : s.w;
  return {
    t: s.t,
    coresUsed: cu! / 1000,
    cpuUsagePercent: ca ? Math.round((10000 * cu!) / ca) / 100 : 0,
    memoryUsagePercent: ma ? Math.round((10000 * mu!) / ma) / 100 : 0,
  };
}
