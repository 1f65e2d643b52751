import type { AgentCommand, CommandKind, CommandResult, CommandStatus } from './api-types.js';
import type { Palette } from './colour.js';
import { renderFacts, renderTable } from './table.js';
import { age } from './time.js';

/** Once here, a command's status never changes again. */
const FINAL: readonly CommandStatus[] = ['Succeeded', 'Failed', 'Expired'];
export const isFinal = (status: CommandStatus) => FINAL.includes(status);

/** A command's own colours: Running is work in progress here, not a cluster that is fine. */
export function commandStatusColour(p: Palette, status: CommandStatus): (s: string) => string {
  if (status === 'Succeeded') return p.green;
  if (status === 'Failed' || status === 'Expired') return p.red;
  return p.yellow;
}

/** Pods named in a list, the first few unless all are asked for. */
const podsText = (pods: readonly string[], all: boolean) => (all || pods.length <= 3 ? pods.join(', ') : `${pods.slice(0, 3).join(', ')}, … (${pods.length} in all)`);

const drainText = (r: CommandResult<'drain'>, all: boolean) =>
  `${r.evicted} pod(s) evicted in ${r.durationSeconds} s${r.remaining.length ? `; ${r.remaining.length} left: ${podsText(r.remaining, all)}` : ''}`;

/** What each kind's result says, in a few words; a kind the API gains fails the type check here until it is said. */
const RESULTS: { [K in CommandKind]: (r: CommandResult<K>, all: boolean) => string } = {
  ping: (r) => `agent ${r.agentVersion}`,
  cordon: (r) => (r.alreadyUnschedulable ? `${r.node} was cordoned already` : `${r.node} cordoned`),
  drain: drainText,
  createBootstrapToken: (r) => `token ${r.tokenId}, expires ${r.expiration}`,
  removeEtcdMember: (r) => `${r.removed ? `member ${r.node} removed` : `no member ${r.node}`}, ${r.members} left`,
  patchNodes: (r) => {
    const count = (...statuses: string[]) => r.nodes.filter((n) => statuses.includes(n.status)).length;
    const unfinished = [count('notReady') && `${count('notReady')} not Ready again`, count('skipped') && `${count('skipped')} skipped`].filter(Boolean);
    return `${count('patched')} node(s) patched, ${count('failed')} failed, ${count('pending', 'patching')} pending${unfinished.length ? `, ${unfinished.join(', ')}` : ''}${r.stoppedAtWindowEnd ? '; stopped at the end of the window' : ''}`;
  },
  setKubeadmVersion: (r) => (r.changed ? `kubernetesVersion ${r.from} → ${r.to}` : `kubernetesVersion ${r.to} already`),
  collectLogs: (r) => `log bundle ${r.requestId}: ${r.files} file(s), ${r.missing} not collected, ${r.bytes} bytes`,
  runCisScan: (r) => `kube-bench ran on ${r.node} (scan ${r.scanId})`,
};

const resultText = (c: AgentCommand, all: boolean) => (c.result === undefined ? '' : (RESULTS[c.kind] as (r: unknown, all: boolean) => string)(c.result, all));

/** Where a command is, in a few words: its result once it succeeded, why not once it did not, its progress while it runs. */
export function commandSummary(c: AgentCommand, all = false): string {
  if (c.status === 'Succeeded') return resultText(c, all);
  // A failed drain says what it left.
  if (c.status === 'Failed' || c.status === 'Expired') return [c.message, resultText(c, all)].filter(Boolean).join('; ');
  // A kind that reports how far it got (patchNodes) carries its result so far.
  if (c.status === 'Running') return [c.progress === undefined ? '' : `${c.progress}%`, c.message ?? '', resultText(c, all)].filter(Boolean).join(': ');
  return c.status === 'Pending' ? "not delivered yet: the agent gets it with its next heartbeat" : 'delivered; no outcome reported yet';
}

const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
export const argsText = (c: AgentCommand) =>
  Object.entries(c.args)
    .map(([k, v]) => `${k}=${shown(v)}`)
    .join(' ');

export function commandsTable(items: readonly AgentCommand[], p: Palette): string {
  return renderTable(
    [
      { header: 'ID', cell: (c) => c.id },
      { header: 'KIND', cell: (c) => c.kind },
      { header: 'STATUS', cell: (c) => commandStatusColour(p, c.status)(c.status) },
      { header: 'AGE', cell: (c) => age(c.createdAt) },
      { header: 'ARGS', cell: argsText },
      { header: 'SUMMARY', cell: (c) => commandSummary(c) },
    ],
    items,
    p.bold,
  );
}

const when = (iso: string | undefined) => (iso ? `${iso} (${age(iso)} ago)` : undefined);

/** One command in full: what was asked, where it is, what came of it. */
export function commandText(c: AgentCommand, clusterName: string, p: Palette): string {
  return renderFacts(
    [
      ['Command', c.id],
      ['Cluster', clusterName],
      ['Kind', c.kind],
      ['Args', argsText(c)],
      ['Status', `${commandStatusColour(p, c.status)(c.status)}${c.progress !== undefined && !isFinal(c.status) ? ` (${c.progress}%)` : ''}`],
      ['Message', c.message],
      ['Result', resultText(c, true)],
      ['Created', when(c.createdAt)],
      ['Delivered', when(c.deliveredAt)],
      ['Updated', when(c.updatedAt)],
      ['Deadline', c.deadline],
    ],
    p.bold,
  );
}
