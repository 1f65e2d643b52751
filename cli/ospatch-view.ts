import type { LastPatch, NodePatchResult, OsPatchSettings, OsPatchView, PatchRun } from './api-types.js';
import type { Palette } from './colour.js';
import { renderFacts, renderTable } from './table.js';
import { age } from './time.js';

type NodeStatus = NodePatchResult['status'];

/** 180 → 3 h, 90 → 1 h 30 min, 45 → 45 min. */
export function windowText(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return [hours ? `${hours} h` : '', rest ? `${rest} min` : ''].filter(Boolean).join(' ');
}

/** When runs start, in words: weekly, SUN 03:00 Europe/Berlin. */
export function scheduleText(s: OsPatchSettings): string {
  const at = `${s.timeOfDay} ${s.timeZone}`;
  switch (s.frequency) {
    case 'none':
      return 'no schedule';
    case 'daily':
      return `daily, ${at}`;
    case 'weekly':
      return `weekly, ${s.dayOfWeek ?? '(no day)'} ${at}`;
    case 'monthly':
      return `monthly, ${s.dayOfMonth === 'last' ? 'last day' : `day ${s.dayOfMonth ?? '(no day)'}`} ${at}`;
    case 'cron':
      return `cron "${s.cron ?? ''}" ${s.timeZone}`;
  }
}

/** The settings in one line: weekly, SUN 03:00 Europe/Berlin, 3 h window, reboot if required, patch on boot. */
export function settingsText(s: OsPatchSettings): string {
  return [
    scheduleText(s),
    s.frequency === 'none' ? undefined : `${windowText(s.windowMinutes)} window`,
    s.rebootIfRequired ? 'reboot if required' : 'no reboots',
    s.patchOnBoot ? 'patch on boot' : 'not on boot',
  ]
    .filter(Boolean)
    .join(', ');
}

/** A moment as the clock of a time zone reads it: 2026-12-06 06:00. */
export function clockIn(iso: string, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** How long until then: 5d, 3h, 12m, 45s. */
const inFuture = (iso: string) => age(new Date().toISOString(), Date.parse(iso));

const FINISHED: readonly NodeStatus[] = ['patched', 'failed', 'notReady', 'skipped'];
export const nodeFinished = (n: NodePatchResult) => FINISHED.includes(n.status);
export const runEnded = (r: PatchRun) => r.state === 'Succeeded' || r.state === 'Failed' || r.state === 'Paused';

export function nodeStatusColour(p: Palette, status: NodeStatus): (s: string) => string {
  if (status === 'patched') return p.green;
  if (status === 'failed' || status === 'notReady') return p.red;
  if (status === 'skipped') return p.dim;
  return p.yellow;
}

export function runStateColour(p: Palette, state: PatchRun['state']): (s: string) => string {
  if (state === 'Succeeded') return p.green;
  if (state === 'Failed') return p.red;
  return p.yellow;
}

/** How many nodes are where: 3 patched, 1 failed, 2 pending (only the statuses some node has). */
export function nodeCounts(nodes: readonly { status: NodeStatus }[]): string {
  const order: readonly NodeStatus[] = ['patched', 'failed', 'notReady', 'skipped', 'patching', 'pending'];
  const counts = order.map((s) => [s, nodes.filter((n) => n.status === s).length] as const).filter(([, n]) => n > 0);
  return counts.length ? counts.map(([s, n]) => `${n} ${s}`).join(', ') : 'no nodes';
}

export const packagesText = (n: { packages: readonly unknown[] }) => `${n.packages.length} package${n.packages.length === 1 ? '' : 's'}`;
export const rebootText = (n: { rebooted: boolean; rebootRequired: boolean }) => (n.rebooted ? 'rebooted' : n.rebootRequired ? 'reboot required, not done' : 'no reboot');

/** One node's part of a run, in a line: node w-1 patched: 12 packages, rebooted. */
export function nodeResultLine(n: NodePatchResult, p: Palette): string {
  const done = n.status === 'patched' ? `: ${packagesText(n)}, ${rebootText(n)}` : '';
  return `node ${n.node} ${nodeStatusColour(p, n.status)(n.status)}${done}${n.message ? ` (${n.message})` : ''}`;
}

export function nodeResultsTable(nodes: readonly NodePatchResult[], p: Palette): string {
  return renderTable(
    [
      { header: 'NODE', cell: (n: NodePatchResult) => n.node },
      { header: 'STATUS', cell: (n) => nodeStatusColour(p, n.status)(n.status) },
      { header: 'PACKAGES', cell: (n) => String(n.packages.length) },
      { header: 'REBOOT', cell: (n) => (n.rebooted ? 'rebooted' : n.rebootRequired ? 'required' : '') },
      { header: 'FINISHED', cell: (n) => age(n.finishedAt) },
      { header: 'MESSAGE', cell: (n) => n.message ?? '' },
    ],
    nodes,
    p.bold,
  );
}

const runFacts = (r: PatchRun, timeZone: string, p: Palette) =>
  renderFacts(
    [
      ['Run', r.id],
      ['State', `${runStateColour(p, r.state)(r.state)}${r.message ? `: ${r.message}` : ''}`],
      ['Trigger', `${r.trigger}${r.requestedBy ? ` by ${r.requestedBy}` : ''}`],
      ['Started', `${clockIn(r.startedAt, timeZone)} (${age(r.startedAt)} ago)`],
      ['Window ends', clockIn(r.windowEndsAt, timeZone)],
      ['Finished', r.finishedAt ? `${clockIn(r.finishedAt, timeZone)} (${age(r.finishedAt)} ago)` : undefined],
      ['Nodes', nodeCounts(r.nodes)],
    ],
    p.bold,
  );

/** The runs shown with their nodes; older ones get a line in the table only. */
const RUNS_IN_FULL = 3;

/** The Scheduler expression and the next runs in the cluster's time zone. */
export function scheduleSection(v: OsPatchView, p: Palette): string {
  const tz = v.settings.timeZone;
  const facts = renderFacts([['Schedule', v.scheduleExpression ? `${v.scheduleExpression} (${tz})` : 'none: nodes are patched at boot (when on) and when asked (strata ospatch run)']], p.bold);
  if (!v.nextRuns.length) return facts;
  const table = renderTable(
    [
      { header: 'START', cell: (r: OsPatchView['nextRuns'][number]) => r.local },
      { header: 'WINDOW ENDS', cell: (r) => clockIn(r.windowEndsAt, tz) },
      { header: 'IN', cell: (r) => inFuture(r.at) },
    ],
    v.nextRuns,
    p.bold,
  );
  return `${facts}\nNext runs (${tz}):\n${table}`;
}

/** OS patching of a cluster: its settings in words, the Scheduler expression, the next runs, the run in progress, the last runs and their nodes. */
export function osPatchText(v: OsPatchView, clusterName: string, p: Palette): string {
  const tz = v.settings.timeZone;
  const out = [
    renderFacts(
      [
        ['Cluster', clusterName],
        ['Settings', settingsText(v.settings)],
      ],
      p.bold,
    ),
    scheduleSection(v, p),
  ];
  if (v.activeRun) out.push('\nActive run:\n', runFacts(v.activeRun, tz, p), nodeResultsTable(v.activeRun.nodes, p));
  const past = v.runs.filter((r) => r.id !== v.activeRun?.id);
  if (!past.length) {
    out.push(v.activeRun ? '' : '\nNo patch run yet.\n');
    return out.join('');
  }
  out.push(
    `\nLast runs (${tz}):\n`,
    renderTable(
      [
        { header: 'RUN', cell: (r: PatchRun) => r.id },
        { header: 'TRIGGER', cell: (r) => r.trigger },
        { header: 'STATE', cell: (r) => runStateColour(p, r.state)(r.state) },
        { header: 'STARTED', cell: (r) => clockIn(r.startedAt, tz) },
        { header: 'AGE', cell: (r) => age(r.startedAt) },
        { header: 'NODES', cell: (r) => nodeCounts(r.nodes) },
      ],
      past,
      p.bold,
    ),
  );
  for (const r of past.slice(0, RUNS_IN_FULL)) {
    if (r.nodes.length) out.push(`\nRun ${r.id} (${r.state}${r.message ? `: ${r.message}` : ''}):\n`, nodeResultsTable(r.nodes, p));
  }
  return out.join('');
}

/** A node's last patch, in a line: 2026-12-06T02:10:00Z (3h ago): patched, 12 packages, rebooted. */
export function lastPatchText(l: LastPatch, p: Palette): string {
  return `${l.at} (${age(l.at)} ago): ${nodeStatusColour(p, l.status)(l.status)}, ${packagesText(l)}, ${rebootText(l)}${l.message ? `; ${l.message}` : ''} (run ${l.runId})`;
}
