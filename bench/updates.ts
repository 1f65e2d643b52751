/**
 * Profile updates: the cost of one cluster's update analysis and three-way merge
 * (analyzeUpdate + mergeUpdate with every conflict resolved) on a large profile.
 * `npm run bench:updates`.
 */
import { fanoutFigures } from './updates-fanout.js';
import { performance } from 'node:perf_hooks';
import type { ResolvedLayer } from '../core/profiles.js';
import { analyzeUpdate, mergeUpdate, type Resolution } from '../core/updates.js';

const PACKS = 12;
const LINES_PER_PACK = 2000;
const RUNS = 60;
const WARMUP = 10;
const COLD_RUNS = 8;

/** A chart-like values document: commented sections of maps, plain lists and named lists. */
function packValues(pack: number, variant: (leaf: number) => string | number | boolean): string {
  const lines: string[] = [`# Default values for pack-${pack}.`, '# This is a YAML-formatted file.', ''];
  let leaf = 0;
  const v = () => {
    const x = variant(leaf++);
    return typeof x === 'string' ? JSON.stringify(x) : String(x);
  };
  for (let s = 0; lines.length < LINES_PER_PACK; s++) {
    lines.push(`# -- Settings of component${s}`, `component${s}:`, `  enabled: ${v()} # turn off to skip it`, `  replicaCount: ${v()}`);
    lines.push('  image:', `    repository: ${v()}`, `    tag: ${v()}`, '    pullPolicy: IfNotPresent');
    lines.push('  # Environment of the main container', '  env:');
    for (let i = 0; i < 4; i++) lines.push(`    - name: VAR_${i}`, `      value: ${v()}`);
    lines.push(`  args: ["--v=2", "--component=${s}"]`, '  resources:', '    requests:', `      cpu: ${v()}`, `      memory: ${v()}`, '    limits:', `      memory: ${v()}`);
    lines.push('  podAnnotations:', `    "prometheus.io/scrape": ${v()}`, `    "app.kubernetes.io/part-of": ${v()}`, '  nodeSelector: {}', '  tolerations: []');
    lines.push('  service:', `    type: ${v()}`, `    port: ${v()}`, '    annotations: {}', '');
  }
  return lines.join('\n') + '\n';
}

const baseLeaf = (pack: number) => (leaf: number) => (leaf % 7 === 0 ? leaf % 2 === 0 : leaf % 5 === 0 ? leaf : `value-${pack}-${leaf}`);
/** The target revision changes about 1% of the leaves. */
const targetLeaf = (pack: number) => (leaf: number) => (leaf % 97 === 3 ? `changed-${pack}-${leaf}` : baseLeaf(pack)(leaf));

function revisions(salt: string): { base: ResolvedLayer[]; target: ResolvedLayer[] } {
  const layer = (i: number, version: string, values: string): ResolvedLayer => ({ layer: 'addon', registryId: 'public', packId: `pk-${i}`, name: `pack-${i}`, version, values: salt + values });
  const base = Array.from({ length: PACKS }, (_, i) => layer(i, '1.0.0', packValues(i, baseLeaf(i))));
  const target = Array.from({ length: PACKS }, (_, i) => layer(i, i < 2 ? '1.1.0' : '1.0.0', packValues(i, targetLeaf(i))));
  return { base, target };
}

/** Overrides of 3 packs: component0.image.tag and component5.service.type are among the leaves the target changes. */
function clusterOverrides(cluster: number): Record<string, string> {
  const override = (pack: number) =>
    [
      `# cluster cl-${cluster}: tuned for its load`,
      'component0:',
      `  replicaCount: ${cluster + 2} # pinned`,
      '  image:',
      `    repository: mirror.example.com/pack-${pack}`,
      `    tag: cluster-pin-${cluster}`,
      '  env:',
      '    - name: VAR_1',
      `      value: cluster-${cluster}`,
      'component3:',
      '  resources:',
      '    limits:',
      '      memory: 2Gi',
      'component5:',
      '  service:',
      '    type: LoadBalancer # reached from outside',
      '',
    ].join('\n');
  return { 'pack-0': override(0), 'pack-4': override(4), 'pack-9': override(9) };
}

const KINDS: readonly Resolution[] = ['keepCluster', 'takeProfile', { value: 'resolved' }];

function oneCluster(base: ResolvedLayer[], target: ResolvedLayer[], cluster: number): { conflicts: number } {
  const overrides = clusterOverrides(cluster);
  const analysis = analyzeUpdate(base, target, overrides);
  const resolutions = Object.fromEntries(analysis.conflicts.map((key, i) => [key, KINDS[i % KINDS.length]!]));
  const merged = mergeUpdate(base, target, overrides, resolutions);
  if (merged.unresolved.length || merged.unknown.length) throw new Error('every conflict is resolved');
  return { conflicts: analysis.conflicts.length };
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

/** analyzeUpdate + mergeUpdate per cluster: revisions already parsed (a fan-out), and revisions never seen (one API call). */
export function mergeFigures(): { rows: string[][]; conflicts: number } {
  const { base, target } = revisions('');
  for (let i = 0; i < WARMUP; i++) oneCluster(base, target, i);
  const warm: number[] = [];
  let conflicts = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    conflicts = oneCluster(base, target, 1000 + i).conflicts;
    warm.push(performance.now() - t0);
  }
  const cold: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const fresh = revisions(`# revision salt ${i}\n`);
    const t0 = performance.now();
    oneCluster(fresh.base, fresh.target, i);
    cold.push(performance.now() - t0);
  }
  const ms = (x: number) => x.toFixed(2);
  return {
    conflicts,
    rows: [
      ['case', 'runs', 'median ms', 'p95 ms'],
      ['per cluster, revisions parsed (fan-out)', String(RUNS), ms(percentile(warm, 50)), ms(percentile(warm, 95))],
      ['first cluster of new revisions (parse all)', String(COLD_RUNS), ms(percentile(cold, 50)), ms(percentile(cold, 95))],
    ],
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const { base } = revisions('');
  const lines = base.reduce((n, l) => n + l.values.split('\n').length, 0);
  console.log(`profile: ${PACKS} packs, ${lines} lines of values; target upgrades 2 packs and changes ~1% of leaves; cluster overrides 3 packs`);
  const merge = mergeFigures();
  console.log(`conflicts per cluster: ${merge.conflicts} (resolved keepCluster / takeProfile / value in turn)`);
  console.log(table(merge.rows));
  await fanoutFigures();
}

await main();
