import { api, get, withQuery } from '../api';
import { fill, h, table } from '../dom';
import { ago, plural, time } from '../format';
import { REFRESH_MS, refreshWhile } from '../live';
import { may } from '../session';
import type { AgentCommand, Cluster, CommandStatus, NodeSummary, Page } from '../types';
import { commandBadge } from './badges';
import { confirmAction } from './dialog';
import { clearFieldErrors, field, input, select, showFormError } from './fields';
import { errorSlot, loading } from './notice';

const SHOWN = 20;
const FINAL: readonly CommandStatus[] = ['Succeeded', 'Failed', 'Expired'];
/** The API's longest drain (core/agent-commands.ts DRAIN_MAX_TIMEOUT_SECONDS). */
const DRAIN_MAX_SECONDS = 1800;

/** key value, key value: what the console has no words of its own for. */
const pairs = (o: Record<string, unknown>) =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');

/** What a command acts on: its node, or its arguments as they are. */
function target(c: AgentCommand): string {
  const { node, timeoutSeconds } = c.args;
  if (typeof node !== 'string') return pairs(c.args);
  return c.kind === 'drain' && typeof timeoutSeconds === 'number' ? `${node}, timeout ${timeoutSeconds} s` : node;
}

/** The result of the kinds people send in words; the platform's own kinds as they are. */
function resultText(c: AgentCommand): string {
  if (!c.result || typeof c.result !== 'object') return '';
  const r = c.result as Record<string, unknown>;
  if (c.kind === 'ping') return `Agent version ${String(r.agentVersion)}.`;
  if (c.kind === 'cordon') return r.alreadyUnschedulable ? `${String(r.node)} was cordoned already.` : `${String(r.node)} cordoned.`;
  if (c.kind === 'drain') {
    const left = Array.isArray(r.remaining) ? (r.remaining as string[]) : [];
    return `${plural(Number(r.evicted), 'pod')} evicted in ${String(r.durationSeconds)} s${left.length ? `; still on the node: ${left.join(', ')}` : ''}.`;
  }
  return pairs(r);
}

function outcome(c: AgentCommand): string {
  const said = [c.message, resultText(c)].filter(Boolean).join(' ');
  if (said) return said;
  if (c.status === 'Pending') return 'Waiting for the agent’s next heartbeat.';
  if (c.status === 'Delivered') return `Delivered ${ago(c.deliveredAt)}.`;
  if (c.status === 'Running') return c.progress === undefined ? 'Running.' : `${c.progress} % done.`;
  if (c.status === 'Expired') return `Not finished by its deadline, ${time(c.deadline)}.`;
  return '—';
}

function commandsTable(commands: readonly AgentCommand[]): HTMLElement {
  if (!commands.length) return h('p', { class: 'empty' }, 'No command has been sent to this cluster’s agent yet.');
  const rows = commands.map((c) => {
    const on = target(c);
    return h(
      'tr',
      { 'data-command': c.id, 'data-kind': c.kind },
      h('th', { scope: 'row' }, c.kind, on ? h('span', { class: 'muted' }, ` · ${on}`) : null),
      h('td', {}, commandBadge(c.status)),
      h('td', { class: 'nowrap' }, h('time', { datetime: c.createdAt, title: time(c.createdAt) }, ago(c.createdAt))),
      h('td', { class: 'command-outcome' }, outcome(c)),
    );
  });
  return table('Agent commands', ['Command', 'Status', 'Sent', 'Result or message'], rows);
}

/**
 * The commands of the cluster's agent, newest first, read again while one is not final; editors
 * and admins send ping, cordon or drain (a node of the cluster, asked first: the console cannot
 * undo either).
 */
export function commandsSection(clusterId: string, signal: AbortSignal): { el: HTMLElement; update(cluster: Cluster, nodes: readonly NodeSummary[]): void } {
  const path = `/v1/clusters/${encodeURIComponent(clusterId)}/commands`;
  const list = h('div', {}, loading('the commands'));
  const more = h('p', { class: 'muted small', hidden: true }, `The newest ${SHOWN} commands.`);
  const errors = errorSlot();

  const live = refreshWhile(
    REFRESH_MS,
    signal,
    async () => {
      const page = await get<Page<AgentCommand>>(withQuery(path, { limit: SHOWN }), signal);
      fill(list, commandsTable(page.items));
      more.hidden = !page.nextCursor;
      errors.clear();
      return page.items.some((c) => !FINAL.includes(c.status));
    },
    errors.show,
  );

  const form = may('editor') ? sendForm(path, () => live.now()) : undefined;

  return {
    el: h('div', {}, form?.el, errors.el, list, more),
    update: (cluster, nodes) => {
      // Ages stay true between reads: a list of finished commands is not read again.
      for (const t of list.querySelectorAll('time')) t.textContent = ago(t.dateTime);
      form?.update(cluster, nodes);
    },
  };
}

function sendForm(path: string, onSent: () => void): { el: HTMLElement; update(cluster: Cluster, nodes: readonly NodeSummary[]): void } {
  const kind = select(
    [
      ['ping', 'ping: the agent answers with its version'],
      ['cordon', 'cordon: no new pod lands on a node'],
      ['drain', 'drain: cordon a node and evict its pods'],
    ],
    'ping',
  );
  const node = select([], undefined, { required: true });
  const timeout = input({ type: 'number', min: 1, max: DRAIN_MAX_SECONDS, step: 1, value: 300, required: true, inputmode: 'numeric' });
  const nodeField = field('Node', node, { path: 'args.node' });
  const timeoutField = field('Timeout (seconds)', timeout, { path: 'args.timeoutSeconds' });
  const send = h('button', { type: 'submit' }, 'Send command');
  const summary = h('div', { 'aria-live': 'polite' });
  let nodeNames = '';

  // Only what the chosen kind takes is shown, and sent.
  const showArgs = () => {
    nodeField.hidden = node.disabled = kind.value === 'ping';
    timeoutField.hidden = timeout.disabled = kind.value !== 'drain';
  };
  kind.addEventListener('change', showArgs);
  showArgs();

  const confirmed = (k: string, n: string) => {
    if (k === 'cordon') return confirmAction(`Cordon ${n}?`, `No new pod is scheduled on ${n}; the pods on it keep running. The console cannot undo this: kubectl uncordon does.`, 'Cordon node');
    if (k === 'drain') {
      const message = `${n} is cordoned, then its pods are evicted (PodDisruptionBudgets are honoured; DaemonSet pods stay) for up to ${timeout.value} s. The console cannot undo this: kubectl uncordon lets pods back on.`;
      return confirmAction(`Drain ${n}?`, message, 'Drain node');
    }
    return Promise.resolve(true);
  };

  const form: HTMLFormElement = h(
    'form',
    {
      class: 'inline-form',
      'aria-label': 'Send a command',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const k = kind.value;
        const args = k === 'ping' ? {} : k === 'cordon' ? { node: node.value } : { node: node.value, timeoutSeconds: Number(timeout.value) };
        if (!(await confirmed(k, node.value))) return;
        send.disabled = true;
        clearFieldErrors(form);
        summary.replaceChildren();
        try {
          await api<AgentCommand>('POST', path, { body: { kind: k, args } });
          fill(summary, h('p', { class: 'muted small' }, `${k} sent: the agent receives it with its next heartbeat.`));
          onSent();
        } catch (err) {
          showFormError(form, summary, err);
        } finally {
          send.disabled = false;
        }
      },
    },
    field('Command', kind, { path: 'kind' }),
    nodeField,
    timeoutField,
    send,
  );
  // Shown once the cluster is known to take commands.
  const el = h('div', { hidden: true }, form, summary);

  return {
    el,
    update: (cluster, nodes) => {
      el.hidden = cluster.phase === 'Deleting' || cluster.phase === 'Deleted';
      // Options are replaced only when the nodes change: the choice, and an open list, stay.
      const names = nodes.map((n) => n.name);
      if (names.join() === nodeNames) return;
      nodeNames = names.join();
      const chosen = node.value;
      fill(node, names.map((n) => h('option', { value: n }, n)));
      if (names.includes(chosen)) node.value = chosen;
    },
  };
}
