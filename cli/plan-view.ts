import type { ClusterPlan, PlanStep, PoolSummary } from './api-types.js';
import type { Palette } from './colour.js';
import { renderTable, type Column } from './table.js';

type Step = PlanStep & { status?: ClusterPlan['steps'][number]['status'] };

const stepColumns = (p: Palette, withStatus: boolean): Column<{ step: Step; n: number }>[] => [
  { header: '#', cell: ({ n }) => String(n) },
  ...(withStatus ? [{ header: 'STATUS', cell: ({ step }: { step: Step }) => statusText(p, step.status) }] : []),
  { header: 'KIND', cell: ({ step }) => step.kind },
  { header: 'POOL', cell: ({ step }) => step.pool },
  { header: 'NODE', cell: ({ step }) => step.node },
  { header: 'ZONE', cell: ({ step }) => step.zone ?? '' },
  { header: 'REASON', cell: ({ step }) => step.reason },
  { header: 'DETAILS', cell: ({ step }) => [...(step.details ?? []), ...(step.replaces ? [`replaces ${step.replaces}`] : [])].join('; ') },
];

function statusText(p: Palette, status: Step['status']): string {
  if (status === 'done') return p.green('done');
  if (status === 'running') return p.yellow('running');
  return status ?? '';
}

/** A plan's steps in order: kind, pool, node, zone, reason and what differs; with their status when it runs. */
export function stepsTable(steps: readonly Step[], p: Palette): string {
  const withStatus = steps.some((s) => s.status);
  return renderTable(stepColumns(p, withStatus), steps.map((step, i) => ({ step, n: i + 1 })), p.bold);
}

/** The pools a plan touches: how many nodes each should have, has, and what is launched, removed, replaced. */
export function poolsTable(pools: readonly PoolSummary[], p: Palette): string {
  const touched = pools.filter((x) => x.removed || x.toLaunch || x.toRemove || x.toReplace || x.desired !== x.current);
  if (!touched.length) return '';
  return renderTable(
    [
      { header: 'POOL', cell: (x) => (x.removed ? `${x.pool} (removed)` : x.pool) },
      { header: 'DESIRED', cell: (x) => String(x.desired) },
      { header: 'CURRENT', cell: (x) => String(x.current) },
      { header: 'LAUNCH', cell: (x) => String(x.toLaunch) },
      { header: 'REMOVE', cell: (x) => String(x.toRemove) },
      { header: 'REPLACE', cell: (x) => String(x.toReplace) },
    ],
    touched,
    p.bold,
  );
}

/** What a dry run says a change would do: its pools, its ordered steps, and the running steps it cancels. */
export function previewText(plan: { steps: readonly PlanStep[]; pools: readonly PoolSummary[] }, cancels: readonly PlanStep[], p: Palette): string {
  const parts: string[] = [];
  if (!plan.steps.length) parts.push('No node changes: the new settings apply at once.\n');
  else {
    const pools = poolsTable(plan.pools, p);
    if (pools) parts.push(pools);
    parts.push(`${plan.steps.length} step(s), in order:\n${stepsTable(plan.steps, p)}`);
  }
  if (cancels.length) parts.push(`${p.yellow(`It cancels ${cancels.length} step(s) of the plan running now`)}, which will never run:\n${stepsTable(cancels, p)}`);
  return parts.join('\n');
}
