import { InvalidArgumentError } from 'commander';
import { parse } from 'yaml';
import type { ClusterUpdates, PackUpdate, PackValues, RevisionHistoryEntry, UpdatePreview, ValueUpdate } from './api-types.js';
import type { Palette } from './colour.js';
import { previewText } from './plan-view.js';
import { renderFacts, renderTable } from './table.js';
import { age } from './time.js';

/** How one conflict is settled, as the API takes it. */
export type Resolution = 'keepCluster' | 'takeProfile' | { readonly value: unknown };

/** A value on one line: strings as they are, the rest as JSON. */
export const shown = (v: unknown) => (v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v));

const RESOLUTION = /^(keepCluster|takeProfile|value:([\s\S]*))$/;

/**
 * `--resolve <pack>/<path>=keepCluster|takeProfile|value:<yaml>`, repeatable. A key path may hold
 * `=` itself (`env[name=HTTP_PROXY].value`), so the resolution is what follows the last `=` that
 * starts one.
 */
export function parseResolve(text: string, previous: Record<string, Resolution> = {}): Record<string, Resolution> {
  for (let at = text.lastIndexOf('='); at > 0; at = text.lastIndexOf('=', at - 1)) {
    const m = RESOLUTION.exec(text.slice(at + 1));
    if (!m) continue;
    const key = text.slice(0, at);
    if (!key.includes('/')) break;
    let resolution: Resolution;
    if (m[2] === undefined) resolution = m[1] as 'keepCluster' | 'takeProfile';
    else {
      try {
        resolution = { value: parse(m[2]) as unknown };
      } catch (err) {
        throw new InvalidArgumentError(`${key}: value: is not valid YAML (${(err as Error).message})`);
      }
    }
    return { ...previous, [key]: resolution };
  }
  throw new InvalidArgumentError('<pack>/<path>=keepCluster, <pack>/<path>=takeProfile or <pack>/<path>=value:<yaml>');
}

/** One word of a shell command line, quoted when the shell would read it otherwise. */
export const shellWord = (s: string) => (/^[\w./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The flags that settle each conflict, one line a choice, ready to paste. */
export function resolveHints(conflicts: readonly ValueUpdate[], command: string): string {
  const lines = [`Settle each with --resolve on ${command}:`];
  for (const v of conflicts) {
    lines.push(`  ${v.key}: the cluster sets ${shown(v.cluster)}; the profile goes ${shown(v.from)} → ${shown(v.to)}`);
    lines.push(`    --resolve ${shellWord(`${v.key}=keepCluster`)}    keep the cluster's ${shown(v.cluster)}`);
    lines.push(`    --resolve ${shellWord(`${v.key}=takeProfile`)}    take the profile's ${shown(v.to)}`);
    lines.push(`    --resolve ${shellWord(`${v.key}=value:`)}<yaml>    set another value`);
  }
  return `${lines.join('\n')}\n`;
}

function packLine(c: PackUpdate, p: Palette): string {
  const versions = `${c.fromVersion ?? ''} → ${c.toVersion ?? ''}`;
  const what = {
    added: p.green(`+ ${c.name} ${c.toVersion ?? ''}`),
    removed: p.red(`- ${c.name} ${c.fromVersion ?? ''}${c.overridesDropped ? " (the cluster's overrides of it go with it)" : ''}`),
    upgraded: p.yellow(`~ ${c.name} ${versions} (upgrade)`),
    downgraded: p.yellow(`~ ${c.name} ${versions} (downgrade)`),
    values: p.yellow(`~ ${c.name} values`),
  }[c.change];
  return `  ${c.layer.padEnd(6)}${what.trimEnd()}`;
}

function valueLine(v: ValueUpdate, p: Palette): string {
  const change = v.kind === 'added' ? `+ ${v.path}: ${shown(v.to)}` : v.kind === 'removed' ? `- ${v.path}: ${shown(v.from)}` : `~ ${v.path}: ${shown(v.from)} → ${shown(v.to)}`;
  const colour = v.kind === 'added' ? p.green : v.kind === 'removed' ? p.red : p.yellow;
  const cluster = v.cluster === undefined ? '' : `   (cluster: ${shown(v.cluster)})`;
  return `        ${colour(change)}${cluster}${v.merge === 'conflict' ? `   ${p.red(p.bold('CONFLICT'))}` : ''}`;
}

export const conflictsOf = (u: { packs: readonly PackUpdate[] }) => u.packs.flatMap((c) => c.values.filter((v) => v.merge === 'conflict'));

/** The pending update for people: revision N → M, each pack change, each value with the cluster's, conflicts marked. */
export function updatesText(u: ClusterUpdates, clusterName: string, p: Palette): string {
  const head = `Cluster ${clusterName}, profile ${u.profileName}`;
  if (!u.packs.length) {
    if (u.toRevision === u.currentRevision) return `${head}: runs revision ${u.currentRevision}${u.toRevision === u.latestRevision ? ', the latest: up to date' : ''}.\n`;
    return `${head}: revisions ${u.currentRevision} and ${u.toRevision} have the same packs and values.\n`;
  }
  const behind = u.toRevision === u.latestRevision && u.revisionsBehind ? ` (${u.revisionsBehind} behind)` : u.toRevision < u.currentRevision ? ' (a rollback)' : '';
  const lines = [`${head}: revision ${u.currentRevision} → ${u.toRevision}${behind}`];
  for (const c of u.packs) {
    lines.push(packLine(c, p));
    for (const v of c.values) lines.push(valueLine(v, p));
  }
  const n = u.conflicts.length;
  lines.push(n ? p.red(`${n} conflict(s): the cluster overrides ${n === 1 ? 'a value' : 'values'} the profile changes`) : 'No conflicts: the cluster\'s overrides merge cleanly.');
  return `${lines.join('\n')}\n`;
}

/** Text indented under a heading; a line saying so when it is empty. */
const block = (text: string, empty: string) => (text.trim() ? text.replace(/\n$/, '').replace(/^/gm, '  ') : `  ${empty}`);

/** The plan of a dry run, however the API nests it ({steps, pools}, or a whole plan preview). */
function planOf(plan: unknown): { steps: Parameters<typeof previewText>[0]['steps']; pools: Parameters<typeof previewText>[0]['pools']; cancels: Parameters<typeof previewText>[1] } {
  const o = (plan ?? {}) as Record<string, unknown>;
  const inner = (o.plan && typeof o.plan === 'object' ? o.plan : o) as Record<string, unknown>;
  return { steps: (inner.steps as never) ?? [], pools: (inner.pools as never) ?? [], cancels: (o.cancels as never) ?? [] };
}

/** A dry run of an update: the packs' merged values, the overrides after the merge, and the plan. */
export function previewOfUpdate(preview: UpdatePreview, clusterName: string, p: Palette): string {
  const parts = [`Update of cluster ${clusterName}: revision ${preview.fromRevision} → ${preview.toRevision}\n`];
  const touched = new Set(preview.packs.map((c) => c.name));
  for (const [pack, values] of Object.entries(preview.values)) {
    if (!touched.has(pack) && !preview.overrides[pack]) continue;
    parts.push(`${p.bold(`Values of ${pack} after the update:`)}\n${block(values, '(the pack has no values)')}\n`);
  }
  const overrides = Object.entries(preview.overrides);
  parts.push(`${p.bold("The cluster's overrides after the merge:")}\n${overrides.length ? overrides.map(([pack, text]) => `  ${pack}:\n${block(text, '(none)').replace(/^/gm, '  ')}`).join('\n') : '  (none)'}\n`);
  const plan = planOf(preview.plan);
  parts.push(`${p.bold('Plan:')}\n${previewText(plan, plan.cancels, p)}`);
  return parts.join('\n');
}

/** The revisions a cluster ran, newest first. */
export function historyTable(items: readonly RevisionHistoryEntry[], current: number, p: Palette): string {
  return renderTable(
    [
      { header: 'REVISION', cell: (e) => (e.revision === current && e === items.find((x) => x.revision === current) ? `${e.revision} (running)` : String(e.revision)) },
      { header: 'FROM', cell: (e) => (e.fromRevision === undefined ? '' : String(e.fromRevision)) },
      { header: 'ACTION', cell: (e) => e.action },
      { header: 'GENERATION', cell: (e) => String(e.generation) },
      { header: 'APPLIED BY', cell: (e) => e.appliedBy },
      { header: 'AGE', cell: (e) => age(e.appliedAt) },
    ],
    items,
    p.bold,
  );
}

/** A pack's values on a cluster: its status, every difference from the profile, the override, the profile's values and the result. */
export function packValuesText(v: PackValues, clusterName: string, p: Palette): string {
  const applied = (s: NonNullable<PackValues['status']>) => (s.valuesApplied ? 'these values applied' : p.yellow('not these values yet'));
  const status = v.status ? `${v.status.status} ${v.status.version}, ${applied(v.status)} (reported ${age(v.status.reportedAt)} ago)${v.status.message ? `: ${v.status.message}` : ''}` : 'not reported by the agent yet';
  const parts = [
    renderFacts(
      [
        ['Pack', `${v.pack} ${v.version} (${v.layer})`],
        ['Cluster', `${clusterName}, profile revision ${v.profileRevision}`],
        ['Generation', `${v.observedGeneration ?? 0}/${v.generation} applied`],
        ['Status', status],
      ],
      p.bold,
    ),
  ];
  parts.push(
    v.differences.length
      ? `${p.bold('Differences from the profile:')}\n${renderTable(
          [
            { header: 'PATH', cell: (d) => d.path },
            { header: 'PROFILE', cell: (d) => shown(d.profile) },
            { header: 'CLUSTER', cell: (d) => shown(d.cluster) },
          ],
          v.differences,
          p.bold,
        )}`
      : 'No differences: the cluster runs the profile\'s values.\n',
  );
  parts.push(`${p.bold('Overrides (the cluster sets):')}\n${block(v.overrides, '(none)')}\n`);
  parts.push(`${p.bold("Profile's values:")}\n${block(v.profileValues, '(none)')}\n`);
  parts.push(`${p.bold('Values applied (profile + overrides):')}\n${block(v.values, '(none)')}\n`);
  return parts.join('\n');
}
