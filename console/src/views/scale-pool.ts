import { api } from '../api';
import { fill, h } from '../dom';
import { plural } from '../format';
import type { Cluster, PlanPreview } from '../types';
import { modal } from './dialog';
import { clearFieldErrors, field, input, showFormError } from './fields';
import { planSteps, poolSummaries } from './plan-view';

/**
 * Scale one pool, previewed first: PUT ?dryRun=true answers the exact plan (nothing written), the
 * user reads it and confirms, and the same body is sent again without dryRun.
 */
export function openScaleDialog(cluster: Cluster, poolIndex: number, onApplied: () => void): void {
  const pool = cluster.nodePools[poolIndex]!;
  const count = input({ type: 'number', min: pool.role === 'controlPlane' ? 1 : 0, max: 1000, step: pool.role === 'controlPlane' ? 2 : 1, value: pool.count, required: true, inputmode: 'numeric' });
  const summary = h('div', { 'aria-live': 'polite' });
  const preview = h('div', { class: 'preview', 'aria-live': 'polite' });
  const previewButton = h('button', { type: 'submit' }, 'Preview change');
  const cancel = h('button', { type: 'button', class: 'secondary', onclick: () => close() }, 'Cancel');
  let body: { version: number; nodePools: Cluster['nodePools'] } | undefined;

  const wanted = () => ({
    version: cluster.version,
    nodePools: cluster.nodePools.map((p, i) => (i === poolIndex ? { ...p, count: Number(count.value) } : p)),
  });

  const apply = async (button: HTMLButtonElement) => {
    if (!body) return;
    button.disabled = true;
    try {
      await api('PUT', `/v1/clusters/${encodeURIComponent(cluster.id)}`, { body });
      close();
      onApplied();
    } catch (err) {
      showFormError(form, summary, err);
      button.disabled = false;
    }
  };

  const form = h(
    'form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        previewButton.disabled = true;
        clearFieldErrors(form);
        summary.replaceChildren();
        fill(preview, h('p', { class: 'muted', role: 'status' }, 'Asking the planner…'));
        try {
          const next = wanted();
          const answer = await api<PlanPreview>('PUT', `/v1/clusters/${encodeURIComponent(cluster.id)}?dryRun=true`, { body: next });
          body = next;
          const applyButton = h('button', { type: 'button', onclick: () => void apply(applyButton) }, 'Apply change');
          fill(
            preview,
            h('h3', {}, 'What the change will do'),
            h('p', {}, `Pool ${pool.name}: ${pool.count} → ${plural(Number(count.value), 'node')}, ${plural(answer.plan.steps.length, 'step')}. Nothing has changed yet.`),
            poolSummaries(answer.plan.pools),
            planSteps(answer.plan.steps),
            answer.cancels.length ? [h('p', { class: 'notice' }, `This cancels ${plural(answer.cancels.length, 'step')} of the change running now:`), planSteps(answer.cancels)] : null,
            h('div', { class: 'actions' }, applyButton),
          );
          applyButton.focus();
        } catch (err) {
          preview.replaceChildren();
          showFormError(form, summary, err);
        } finally {
          previewButton.disabled = false;
        }
      },
    },
    h('p', {}, `${cluster.name} · pool ${pool.name} (${pool.role === 'controlPlane' ? 'control plane' : 'workers'}, ${pool.instanceType}) has ${plural(pool.count, 'node')}.`),
    field('Nodes', count, { path: `nodePools[${poolIndex}].count`, hint: pool.role === 'controlPlane' ? 'A control plane needs 1, 3, 5 or 7 nodes.' : undefined }),
    summary,
    h('div', { class: 'actions' }, cancel, previewButton),
  );
  // A new count needs a new preview before it can be applied.
  count.addEventListener('input', () => {
    body = undefined;
    preview.replaceChildren();
  });
  const { close } = modal(`Scale pool ${pool.name}`, form, preview);
  count.focus();
  count.select();
}
