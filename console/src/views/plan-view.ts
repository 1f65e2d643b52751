import { h, table } from '../dom';
import { ago, time } from '../format';
import type { ClusterPlan, PlanStep, PoolSummary } from '../types';

const KIND: Record<PlanStep['kind'], string> = { launch: 'Launch', waitReady: 'Wait for Ready', drain: 'Drain', terminate: 'Terminate' };
const STATUS_TONE = { done: 'good', running: 'progress', pending: 'neutral' } as const;

function stepText(s: PlanStep): Node[] {
  return [
    h('strong', {}, `${KIND[s.kind]} ${s.node}`),
    h('span', { class: 'muted' }, ` · pool ${s.pool}${s.zone ? ` · ${s.zone}` : ''} · ${s.reason}${s.replaces ? ` · replaces ${s.replaces}` : ''}`),
    s.details?.length ? h('span', { class: 'muted' }, ` · ${s.details.join('; ')}`) : '',
  ].map((n) => (typeof n === 'string' ? document.createTextNode(n) : n));
}

/** The ordered steps of a plan, each with its state when it has one. */
export function planSteps(steps: readonly (PlanStep & { status?: 'done' | 'running' | 'pending' })[]): HTMLElement {
  if (!steps.length) return h('p', { class: 'empty' }, 'No step: the nodes already match.');
  return h(
    'ol',
    { class: 'plan-steps' },
    steps.map((s) => h('li', { 'data-step': s.id, 'data-status': s.status ?? 'planned' }, s.status ? [h('span', { class: `badge ${STATUS_TONE[s.status]}` }, s.status), ' '] : null, stepText(s))),
  );
}

/** Per pool: what it has, what it will have, and how it gets there. */
export function poolSummaries(pools: readonly PoolSummary[]): HTMLElement {
  const rows = pools.map((p) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, p.pool, p.removed ? h('span', { class: 'muted' }, ' (removed)') : null),
      h('td', { class: 'num' }, p.current),
      h('td', { class: 'num' }, p.desired),
      h('td', { class: 'num' }, p.toLaunch),
      h('td', { class: 'num' }, p.toRemove),
      h('td', { class: 'num' }, p.toReplace),
    ),
  );
  return table('Pools', ['Pool', 'Now', 'Wanted', 'Launch', 'Remove', 'Replace'], rows);
}

/** The plan of the cluster's latest change, as the reconciler runs it. */
export function planView(plan: ClusterPlan): Node[] {
  const running = plan.steps.find((s) => s.status === 'running');
  return [
    h(
      'p',
      {},
      `Generation ${plan.generation}: `,
      h('span', { class: `badge ${plan.state === 'Succeeded' ? 'good' : 'progress'}` }, plan.state),
      ` ${plan.done} of ${plan.steps.length} steps done, started ${ago(plan.startedAt)}, last change ${time(plan.updatedAt)}.`,
    ),
    plan.waiting ? h('p', { class: 'notice' }, `${running ? `${KIND[running.kind]} ${running.node}` : 'Waiting'}: ${plan.waiting.message} (since ${ago(plan.waiting.since)})`) : '',
    planSteps(plan.steps),
    plan.cancelled.length ? h('details', {}, h('summary', {}, `${plan.cancelled.length} step(s) of the previous plan were cancelled`), planSteps(plan.cancelled)) : '',
  ].map((n) => (typeof n === 'string' ? document.createTextNode(n) : n));
}
