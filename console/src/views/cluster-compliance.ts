import { ApiError, api, get } from '../api';
import { facts, fill, h, table } from '../dom';
import { ago, plural, time } from '../format';
import { REFRESH_MS, refreshWhile } from '../live';
import type { ViewContext } from '../router';
import { may } from '../session';
import type { AgentCommand, ClusterCompliance, ComplianceRun, ComplianceRunSummary, ComplianceTotals, FailingCheck, ScanAccepted } from '../types';
import { nameClusterPage } from './cluster-page-name';
import { commandBadge } from './badges';
import { clusterTabs, forbiddenNotice } from './cluster-logs';
import { errorBox, errorSlot, loading } from './notice';

/** 12 pass · 5 fail · 30 warn · 0 info, each a badge whose colour repeats its word. */
export function totalsBadges(t: ComplianceTotals): HTMLElement {
  return h(
    'span',
    { class: 'totals' },
    h('span', { class: 'badge good', 'data-count': 'pass' }, `${t.pass} pass`),
    ' ',
    h('span', { class: `badge ${t.fail ? 'bad' : 'neutral'}`, 'data-count': 'fail' }, `${t.fail} fail`),
    ' ',
    h('span', { class: `badge ${t.warn ? 'progress' : 'neutral'}`, 'data-count': 'warn' }, `${t.warn} warn`),
    ' ',
    h('span', { class: 'badge neutral', 'data-count': 'info' }, `${t.info} info`),
  );
}

/** Each failing check: its id, target and text; the remediation opens below it. */
function failingList(run: ComplianceRun): Node {
  if (!run.failing.length) return h('p', { class: 'empty' }, 'No check failed in the latest run.');
  return h(
    'div',
    {},
    h(
      'ol',
      { class: 'failing-checks', 'aria-label': 'Failing checks' },
      run.failing.map((c: FailingCheck) =>
        h(
          'li',
          { 'data-check': c.id, 'data-target': c.target },
          h(
            'details',
            {},
            h('summary', {}, h('code', { class: 'check-id' }, c.id), ' ', h('span', { class: 'muted' }, c.target), ' ', h('span', { class: 'check-text' }, c.text), c.scored ? null : h('span', { class: 'muted small' }, ' (not scored)')),
            h('p', { class: 'muted small' }, c.section),
            h('h4', {}, 'Remediation'),
            h('p', { class: 'remediation' }, c.remediation),
          ),
        ),
      ),
    ),
    run.failingTruncated ? h('p', { class: 'muted small' }, `The first ${run.failing.length} of ${run.totals.fail}: kube-bench's own report has them all.`) : null,
  );
}

function targetsTable(run: ComplianceRun): Node {
  return table(
    'Totals per target',
    ['Target', 'Controls', 'Version', 'Pass', 'Fail', 'Warn', 'Info'],
    run.targets.map((t) =>
      h(
        'tr',
        { 'data-target': t.target },
        h('th', { scope: 'row' }, t.target),
        h('td', {}, `${t.id} ${t.text}`),
        h('td', {}, t.version),
        h('td', { class: 'num' }, t.pass),
        h('td', { class: `num ${t.fail ? 'bad-text' : ''}` }, t.fail),
        h('td', { class: 'num' }, t.warn),
        h('td', { class: 'num' }, t.info),
      ),
    ),
    { class: 'compliance-targets' },
  );
}

function historyTable(runs: readonly ComplianceRunSummary[]): Node {
  if (!runs.length) return h('p', { class: 'empty' }, 'No run yet.');
  return table(
    'Runs',
    ['Run', 'When', 'Trigger', 'Node', 'Totals'],
    runs.map((r) =>
      h(
        'tr',
        { 'data-run': r.id },
        h('th', { scope: 'row' }, r.id),
        h('td', { class: 'nowrap' }, h('time', { datetime: r.at, title: time(r.at) }, ago(r.at))),
        h('td', {}, r.trigger === 'command' ? 'asked for' : 'scheduled'),
        h('td', {}, r.node),
        h('td', {}, totalsBadges(r.totals)),
      ),
    ),
    { class: 'compliance-history' },
  );
}

/**
 * A cluster's CIS results from kube-bench: the latest run's failing checks first (each with its
 * remediation), its warnings, totals per target, and the runs before it; Scan now for editors,
 * followed until its report is in.
 */
export function clusterComplianceView(ctx: ViewContext): HTMLElement {
  const id = ctx.params.id!;
  const path = `/v1/clusters/${encodeURIComponent(id)}`;
  const crumbName = h('a', { href: `/clusters/${encodeURIComponent(id)}` }, id);
  const title = h('h1', { id: 'compliance-title' }, 'Compliance');
  const summarySlot = h('div', {}, loading('the compliance results'));
  const failingSlot = h('div', {});
  const targetsSlot = h('div', {});
  const historySlot = h('div', {});
  const scanSlot = h('div', { 'aria-live': 'polite' });
  const errors = errorSlot();
  let named = false;
  /** The scan this page asked for, until its run is in. */
  let asked: ScanAccepted | undefined;
  let drawn = '';

  const scanNow = h('button', { type: 'button' }, 'Scan now');
  scanNow.addEventListener('click', async () => {
    scanNow.disabled = true;
    try {
      asked = await api<ScanAccepted>('POST', `${path}/compliance/scans`);
      fill(scanSlot, h('p', { class: 'notice scan-state', role: 'status', 'data-scan': asked.scanId }, `Scan ${asked.scanId} sent to the agent: kube-bench runs as a Job on a control-plane node.`));
      live.now();
    } catch (err) {
      scanNow.disabled = false;
      fill(scanSlot, err instanceof ApiError && err.status === 403 ? forbiddenNotice('Scans') : errorBox(err));
    }
  });

  const render = (c: ClusterCompliance) => {
    const scanning = c.scanning;
    scanNow.disabled = !!scanning;
    if (scanning) {
      fill(scanSlot, h('p', { class: 'notice scan-state', role: 'status', 'data-scan': scanning.scanId }, `Scan ${scanning.scanId} in progress, asked ${ago(scanning.requestedAt)}: `, commandBadge(scanning.status)));
    } else if (asked && c.latest?.scanId === asked.scanId) {
      fill(scanSlot, h('p', { class: 'notice', role: 'status' }, `Scan ${asked.scanId} done: ${c.latest.totals.fail} failing, ${c.latest.totals.warn} to review.`));
      asked = undefined;
    }
    // An unchanged answer is not drawn again: an opened remediation stays open.
    const key = JSON.stringify({ latest: c.latest?.id, history: c.history.map((r) => r.id) });
    if (key === drawn) return;
    drawn = key;
    const run = c.latest;
    if (!run) {
      fill(summarySlot, h('p', { class: 'empty' }, `No compliance run yet.${may('editor') ? ' Scan now runs kube-bench on the cluster.' : ''}`));
      fill(failingSlot, h('p', { class: 'empty' }, 'No run yet.'));
      fill(targetsSlot);
      fill(historySlot, historyTable(c.history));
      return;
    }
    fill(
      summarySlot,
      facts([
        ['Latest run', h('span', {}, h('time', { datetime: run.at, title: time(run.at) }, ago(run.at)), ` on ${run.node}, ${run.trigger === 'command' ? 'asked for' : 'scheduled'} · `, h('a', { href: run.report.url, target: '_blank', rel: 'noopener' }, "kube-bench's report (JSON)"))],
        ['Totals', totalsBadges(run.totals)],
        ['Warnings', run.totals.warn ? `${plural(run.totals.warn, 'check')} to review by hand (WARN)` : 'none'],
      ]),
    );
    fill(failingSlot, failingList(run));
    fill(targetsSlot, targetsTable(run));
    fill(historySlot, historyTable(c.history));
  };

  const live = refreshWhile(
    REFRESH_MS,
    ctx.signal,
    async () => {
      if (!named) {
        await nameClusterPage(path, ctx.signal, crumbName, title, 'Compliance');
        named = true;
      }
      let c: ClusterCompliance;
      try {
        c = await get<ClusterCompliance>(`${path}/compliance`, ctx.signal);
      } catch (err) {
        if (err instanceof ApiError && err.status === 403) {
          fill(summarySlot, forbiddenNotice('Compliance results'));
          return false;
        }
        throw err;
      }
      if (asked && !c.scanning && c.latest?.scanId !== asked.scanId) {
        // No longer scanning and no run of it: its command says whether it failed.
        const command = await get<AgentCommand>(`${path}/commands/${encodeURIComponent(asked.commandId)}`, ctx.signal);
        if (command.status === 'Failed' || command.status === 'Expired') {
          fill(scanSlot, h('p', { class: 'notice error', role: 'alert' }, `Scan ${asked.scanId} ${command.status}: ${command.message ?? 'the agent gave no reason'}.`));
          asked = undefined;
        }
      }
      render(c);
      errors.clear();
      // Read again while a scan runs, or until the run of the one asked for is in.
      return !!c.scanning || (!!asked && c.latest?.scanId !== asked.scanId);
    },
    (err) => (named ? errors.show(err) : fill(summarySlot, errorBox(err))),
  );

  const panel = (key: string, label: string, ...content: Node[]) => h('section', { class: 'panel', id: `compliance-${key}`, 'aria-labelledby': `compliance-${key}-title` }, h('h2', { id: `compliance-${key}-title` }, label), content);
  return h(
    'article',
    { 'aria-labelledby': 'compliance-title' },
    h('p', { class: 'crumbs' }, h('a', { href: '/clusters' }, 'Clusters'), ' / ', crumbName, ' / '),
    title,
    clusterTabs(id, 'compliance'),
    errors.el,
    summarySlot,
    may('editor') ? h('div', { class: 'actions' }, scanNow) : null,
    scanSlot,
    panel('failing', 'Failing checks', failingSlot),
    panel('targets', 'Totals per target', targetsSlot),
    panel('history', 'Runs', historySlot),
  );
}
