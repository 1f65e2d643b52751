import type { ClusterCompliance, ComplianceRunSummary, ComplianceTarget, ComplianceTotals, FailingCheck, TenantComplianceItem } from './api-types.js';
import type { Palette } from './colour.js';
import { renderFacts, renderTable } from './table.js';
import { age } from './time.js';

/** A tenant's row: its cluster's latest totals, or none when it has no run yet. */
export interface ComplianceRow {
  readonly clusterId: string;
  readonly clusterName: string;
  readonly latest?: TenantComplianceItem;
}

/** 12 pass, 5 fail, 30 warn, 0 info. */
export const totalsText = (t: ComplianceTotals) => `${t.pass} pass, ${t.fail} fail, ${t.warn} warn, ${t.info} info`;

const failColour = (p: Palette, n: number) => (n > 0 ? p.red(String(n)) : p.green(String(n)));
const warnColour = (p: Palette, n: number) => (n > 0 ? p.yellow(String(n)) : String(n));

/** Most failing first, then most warning, then by name; clusters never scanned last. */
export function byMostFailing(rows: readonly ComplianceRow[]): ComplianceRow[] {
  return [...rows].sort((a, b) => {
    if (!a.latest || !b.latest) return (a.latest ? 0 : 1) - (b.latest ? 0 : 1) || a.clusterName.localeCompare(b.clusterName);
    return b.latest.totals.fail - a.latest.totals.fail || b.latest.totals.warn - a.latest.totals.warn || a.clusterName.localeCompare(b.clusterName);
  });
}

export function tenantTable(rows: readonly ComplianceRow[], p: Palette): string {
  const count = (r: ComplianceRow, k: keyof ComplianceTotals, colour?: (p: Palette, n: number) => string) => (r.latest ? (colour ? colour(p, r.latest.totals[k]) : String(r.latest.totals[k])) : '—');
  return renderTable(
    [
      { header: 'CLUSTER', cell: (r: ComplianceRow) => r.clusterName },
      { header: 'PASS', cell: (r) => count(r, 'pass') },
      { header: 'FAIL', cell: (r) => count(r, 'fail', failColour) },
      { header: 'WARN', cell: (r) => count(r, 'warn', warnColour) },
      { header: 'INFO', cell: (r) => count(r, 'info') },
      { header: 'LAST RUN', cell: (r) => (r.latest ? `${age(r.latest.at)} ago` : p.dim('never')) },
    ],
    rows,
    p.bold,
  );
}

function targetsTable(targets: readonly ComplianceTarget[], p: Palette): string {
  return renderTable(
    [
      { header: 'TARGET', cell: (t: ComplianceTarget) => t.target },
      { header: 'CONTROLS', cell: (t) => `${t.id} ${t.text}` },
      { header: 'VERSION', cell: (t) => t.version },
      { header: 'PASS', cell: (t) => String(t.pass) },
      { header: 'FAIL', cell: (t) => failColour(p, t.fail) },
      { header: 'WARN', cell: (t) => warnColour(p, t.warn) },
      { header: 'INFO', cell: (t) => String(t.info) },
    ],
    targets,
    p.bold,
  );
}

/** Remediations are paragraphs: one line in a table. */
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

function failingTable(failing: readonly FailingCheck[], wide: boolean, p: Palette): string {
  return renderTable(
    [
      { header: 'ID', cell: (c: FailingCheck) => p.red(c.id) },
      { header: 'TARGET', cell: (c) => c.target },
      { header: 'TEXT', cell: (c) => `${oneLine(c.text)}${c.scored ? '' : p.dim(' (not scored)')}` },
      ...(wide ? [{ header: 'REMEDIATION', cell: (c: FailingCheck) => oneLine(c.remediation) }] : []),
    ],
    failing,
    p.bold,
  );
}

function historyTable(runs: readonly ComplianceRunSummary[], p: Palette): string {
  return renderTable(
    [
      { header: 'RUN', cell: (r: ComplianceRunSummary) => r.id },
      { header: 'AT', cell: (r) => r.at },
      { header: 'AGE', cell: (r) => age(r.at) },
      { header: 'TRIGGER', cell: (r) => r.trigger },
      { header: 'NODE', cell: (r) => r.node },
      { header: 'PASS', cell: (r) => String(r.totals.pass) },
      { header: 'FAIL', cell: (r) => failColour(p, r.totals.fail) },
      { header: 'WARN', cell: (r) => warnColour(p, r.totals.warn) },
      { header: 'INFO', cell: (r) => String(r.totals.info) },
    ],
    runs,
    p.bold,
  );
}

/**
 * A cluster's CIS results: the latest run's totals per target, its failing checks (with their
 * remediation when wide), then the runs before it.
 */
export function complianceText(c: ClusterCompliance, clusterName: string, wide: boolean, p: Palette): string {
  const scanning = c.scanning ? `scan ${c.scanning.scanId} ${c.scanning.status} (asked ${age(c.scanning.requestedAt)} ago)` : undefined;
  const latest = c.latest;
  if (!latest) {
    return renderFacts([['Cluster', clusterName], ['Scanning', scanning]], p.bold) + `\nNo compliance run yet${scanning ? '' : `; strata compliance scan cluster ${clusterName} runs kube-bench now`}.\n`;
  }
  const out = [
    renderFacts(
      [
        ['Cluster', clusterName],
        ['Last run', `${latest.id}, ${latest.at} (${age(latest.at)} ago) on node ${latest.node}, ${latest.trigger === 'command' ? 'asked for' : 'scheduled'}`],
        ['Totals', totalsText(latest.totals)],
        ['Scanning', scanning],
      ],
      p.bold,
    ),
    '\n',
    targetsTable(latest.targets, p),
  ];
  if (latest.failing.length) {
    out.push(`\nFailing checks (${latest.failing.length}${latest.failingTruncated ? ` shown of ${latest.totals.fail}: the report has them all` : ''}):\n`, failingTable(latest.failing, wide, p));
    if (!wide) out.push(p.dim(`-o wide adds each check's remediation\n`));
  } else {
    out.push(`\n${p.green('No failing check.')}\n`);
  }
  if (latest.totals.warn) out.push(`${latest.totals.warn} check(s) to review by hand (WARN).\n`);
  const earlier = c.history.filter((r) => r.id !== latest.id);
  out.push(`\nHistory:\n`, earlier.length ? historyTable(c.history, p) : 'No earlier run.\n');
  return out.join('');
}
