import { ApiError, api, get, getAll, withQuery } from '../api';
import { fill, h, table, uid } from '../dom';
import { ago, plural, time } from '../format';
import type { ViewContext } from '../router';
import { may, mayOn } from '../session';
import type { AppliedUpdate, Cluster, ClusterUpdates, PackUpdate, PlanStep, PoolSummary, Resolution, RevisionHistoryEntry, UpdatePreview, ValueUpdate } from '../types';
import { toYaml } from '../yaml';
import { confirmAction } from './dialog';
import { yamlBlock } from './layers-table';
import { errorBox, loading } from './notice';
import { planSteps, poolSummaries } from './plan-view';

const valueText = (v: unknown) => (v === undefined ? '—' : toYaml(v));

/** A value typed in the box: JSON when it reads as JSON (numbers, true, {"a": 1}), else the text itself. */
function typedValue(text: string): unknown {
  const t = text.trim();
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return t;
  }
}

const CHANGE: Record<PackUpdate['change'], string> = { added: 'added', removed: 'removed', upgraded: 'upgraded', downgraded: 'downgraded', values: 'values changed' };

function versions(c: PackUpdate): string {
  if (c.change === 'added') return ` ${c.toVersion ?? ''}`;
  if (c.change === 'removed') return ` ${c.fromVersion ?? ''}`;
  if (c.change === 'values') return '';
  return ` ${c.fromVersion} → ${c.toVersion}`;
}

/** The plan of a dry run, however the API nests it ({steps, pools}, or a whole plan preview). */
function planOf(plan: unknown): { steps: PlanStep[]; pools: PoolSummary[]; cancels: PlanStep[] } {
  const o = (plan ?? {}) as Record<string, unknown>;
  const inner = (o.plan && typeof o.plan === 'object' ? o.plan : o) as { steps?: PlanStep[]; pools?: PoolSummary[] };
  return { steps: inner.steps ?? [], pools: inner.pools ?? [], cancels: (o.cancels as PlanStep[] | undefined) ?? [] };
}

/** The choice for one conflict: keep the cluster's, take the profile's, or a value typed in. */
function conflictControl(v: ValueUpdate, onChange: () => void): { el: HTMLElement; resolution(): Resolution | undefined } {
  const name = uid('res');
  const box = h('input', { type: 'text', class: 'new-value', 'aria-label': `New value for ${v.key}`, disabled: true, autocomplete: 'off', spellcheck: 'false' });
  const radio = (value: string, label: string) => {
    const id = uid('r');
    return h('span', { class: 'choice' }, h('input', { type: 'radio', name, id, value, onchange: () => ((box.disabled = value !== 'value'), value === 'value' && box.focus(), onChange()) }), h('label', { for: id }, label));
  };
  box.addEventListener('input', onChange);
  const el = h(
    'fieldset',
    { class: 'resolution', 'data-key': v.key },
    h('legend', {}, `Resolve ${v.key}`),
    radio('keepCluster', "Keep the cluster's value"),
    radio('takeProfile', "Take the profile's value"),
    radio('value', 'New value'),
    box,
  );
  return {
    el,
    resolution: () => {
      const picked = el.querySelector<HTMLInputElement>('input[type=radio]:checked')?.value;
      if (picked === 'keepCluster' || picked === 'takeProfile') return picked;
      if (picked === 'value' && box.value.trim()) return { value: typedValue(box.value) };
      return undefined;
    },
  };
}

/** One value: the profile before, the profile after, this cluster's; a conflict with its control. */
function valueRow(v: ValueUpdate, control?: HTMLElement): HTMLElement {
  return h(
    'div',
    { class: `value-update ${v.merge}`, 'data-path': v.path, 'data-merge': v.merge },
    h('p', { class: 'value-path' }, h('code', {}, v.path), ` ${v.kind}`, v.merge === 'conflict' ? [' ', h('span', { class: 'badge bad' }, 'Conflict')] : null),
    h(
      'div',
      { class: 'three-way' },
      h('div', {}, h('h4', {}, 'Profile before'), h('pre', {}, valueText(v.from))),
      h('div', {}, h('h4', {}, 'Profile after'), h('pre', {}, valueText(v.to))),
      h('div', {}, h('h4', {}, 'This cluster'), h('pre', {}, v.cluster === undefined ? 'not overridden' : valueText(v.cluster))),
    ),
    control ?? null,
  );
}

/**
 * A cluster's pending profile update (or, with ?to=N, a move to an earlier revision): every pack
 * change, each value side by side with the cluster's own, a control per conflict; a dry run shows
 * the merged values and the plan, and Apply moves the cluster. Below, the revisions it has run,
 * each earlier one a rollback away.
 */
export function clusterUpdatesView(ctx: ViewContext): HTMLElement {
  const id = ctx.params.id!;
  const path = `/v1/clusters/${encodeURIComponent(id)}`;
  let to = Number(ctx.query.get('to')) || undefined;
  const title = h('h1', { id: 'updates-title' }, 'Profile update');
  const crumbName = h('a', { href: `/clusters/${encodeURIComponent(id)}` }, id);
  const body = h('div', {}, loading('the update'));
  const historySlot = h('div', {}, loading('the history'));
  const outcome = h('div', { 'aria-live': 'polite' });

  const load = async () => {
    const [cluster, updates] = await Promise.all([get<Cluster>(path, ctx.signal), get<ClusterUpdates>(withQuery(`${path}/updates`, { toRevision: to }), ctx.signal)]);
    crumbName.textContent = cluster.name;
    document.title = `Update ${cluster.name} · Strata`;
    fill(body, review(cluster, updates));
    const entries = await getAll<RevisionHistoryEntry>(`${path}/revisions`, ctx.signal);
    fill(historySlot, historyTable(cluster, entries));
  };

  const review = (cluster: Cluster, u: ClusterUpdates): HTMLElement => {
    const rollback = u.toRevision < u.currentRevision;
    title.textContent = rollback ? `Roll ${cluster.name} back to revision ${u.toRevision}` : `Profile update of ${cluster.name}`;
    const head = h('p', { class: 'update-summary' }, `Runs revision ${u.currentRevision} of profile `, h('a', { href: `/profiles/${encodeURIComponent(u.profileId)}` }, u.profileName), `; revision ${u.latestRevision} is the latest${u.revisionsBehind ? ` (${plural(u.revisionsBehind, 'revision')} behind)` : ''}.`);
    if (!u.packs.length) {
      const same = u.toRevision === u.currentRevision ? (u.toRevision === u.latestRevision ? 'Up to date: nothing to apply.' : `It runs revision ${u.toRevision} already.`) : `Revisions ${u.currentRevision} and ${u.toRevision} have the same packs and values.`;
      return h('div', {}, head, h('p', { class: 'empty', role: 'status' }, same));
    }
    const controls = new Map<string, ReturnType<typeof conflictControl>>();
    const canApply = may('editor');
    const pending = h('p', { class: 'muted', 'aria-live': 'polite' });
    const preview = h('div', { class: 'preview', 'aria-live': 'polite' });
    const result = h('div', {});
    const resolutions = (): Record<string, Resolution> | undefined => {
      const out: Record<string, Resolution> = {};
      for (const [key, c] of controls) {
        const r = c.resolution();
        if (r === undefined) return undefined;
        out[key] = r;
      }
      return out;
    };
    const previewButton = h('button', { type: 'button', class: 'secondary' }, 'Preview');
    const applyButton = h('button', { type: 'button', class: rollback ? 'danger' : '' }, rollback ? `Roll back to revision ${u.toRevision}` : `Apply revision ${u.toRevision}`);
    const changed = () => {
      const unresolved = [...controls.values()].filter((c) => c.resolution() === undefined).length;
      applyButton.disabled = unresolved > 0;
      pending.textContent = unresolved ? `${plural(unresolved, 'conflict')} to resolve before applying.` : controls.size ? 'Every conflict is resolved.' : 'No conflicts: the cluster’s overrides merge cleanly.';
    };
    const packs = u.packs.map((c) =>
      h(
        'section',
        { class: 'pack-update', 'data-pack': c.name, 'aria-label': `${c.name} ${CHANGE[c.change]}` },
        h('h3', {}, `${c.name} `, h('span', { class: 'muted' }, `(${c.layer}) `), `${CHANGE[c.change]}${versions(c)}`),
        c.overridesDropped ? h('p', { class: 'notice' }, `The cluster overrides values of ${c.name}: they go with the pack.`) : null,
        c.values.map((v) => {
          if (v.merge !== 'conflict' || !canApply) return valueRow(v);
          const control = conflictControl(v, changed);
          controls.set(v.key, control);
          return valueRow(v, control.el);
        }),
      ),
    );
    const body = (): { toRevision: number; version: number; resolutions: Record<string, Resolution> } | undefined => {
      const r = resolutions();
      return r && { toRevision: u.toRevision, version: cluster.version, resolutions: r };
    };
    const dryRun = async (): Promise<UpdatePreview | undefined> => {
      const b = body();
      if (!b) return undefined;
      fill(preview, h('p', { class: 'muted', role: 'status' }, 'Asking for the merge and the plan…'));
      try {
        const answer = await api<UpdatePreview>('POST', `${path}/updates/apply?dryRun=true`, { body: b });
        fill(preview, previewView(answer));
        return answer;
      } catch (err) {
        fill(preview, errorBox(err));
        return undefined;
      }
    };
    previewButton.addEventListener('click', () => void dryRun());
    applyButton.addEventListener('click', async () => {
      const b = body();
      if (!b) return;
      if (rollback) {
        const answer = await dryRun();
        if (!answer) return;
        const steps = planOf(answer.plan).steps.length;
        const ok = await confirmAction(`Roll ${cluster.name} back to revision ${u.toRevision}?`, `The cluster moves from revision ${u.currentRevision} to ${u.toRevision}: ${plural(steps, 'node step')} (the plan is shown under Preview).`, 'Roll back');
        if (!ok) return;
      }
      applyButton.disabled = true;
      try {
        const applied = await api<AppliedUpdate>('POST', `${path}/updates/apply`, { body: b });
        fill(
          outcome,
          h(
            'p',
            { class: 'notice', role: 'status' },
            `${cluster.name} moved from revision ${applied.fromRevision} to ${applied.toRevision} (generation ${applied.cluster.generation}). `,
            h('a', { href: `/clusters/${encodeURIComponent(id)}#plan` }, 'Follow its plan'),
            '.',
          ),
        );
        if (rollback) {
          // Done rolling back: the page is the cluster's pending update again.
          to = undefined;
          window.history.replaceState(null, '', location.pathname);
        }
        await load();
      } catch (err) {
        fill(result, errorBox(err));
        // The conflicts a 409 names, marked at their controls.
        if (err instanceof ApiError) {
          for (const d of err.details) controls.get(d.path.replace(/^(body\.)?resolutions\./, ''))?.el.setAttribute('aria-invalid', 'true');
        }
        applyButton.disabled = false;
      }
    });
    changed();
    return h(
      'div',
      {},
      head,
      h('p', { class: 'update-target' }, rollback ? `Back from revision ${u.currentRevision} to ${u.toRevision}: ` : `Revision ${u.currentRevision} → ${u.toRevision}: `, plural(u.packs.length, 'pack change'), u.conflicts.length ? `, ${plural(u.conflicts.length, 'conflict')}` : ''),
      packs,
      canApply ? h('div', { class: 'actions update-actions' }, pending, previewButton, applyButton) : null,
      result,
      preview,
    );
  };

  const historyTable = (cluster: Cluster, entries: readonly RevisionHistoryEntry[]): Node => {
    if (!entries.length) return h('p', { class: 'empty' }, 'No history yet.');
    const canRollBack = mayOn(cluster.projectId, 'editor');
    const rows = entries.map((e, i) =>
      h(
        'tr',
        { 'data-revision': e.revision },
        h('th', { scope: 'row' }, `Revision ${e.revision}`, i === 0 && e.revision === cluster.profileRevision ? h('span', { class: 'muted' }, ' (running)') : null),
        h('td', {}, e.action),
        h('td', {}, e.fromRevision === undefined ? '—' : `from ${e.fromRevision}`),
        h('td', {}, e.appliedBy),
        h('td', {}, h('time', { datetime: e.appliedAt, title: time(e.appliedAt) }, ago(e.appliedAt))),
        canRollBack
          ? h('td', {}, e.revision < cluster.profileRevision && !entries.slice(0, i).some((x) => x.revision === e.revision) ? h('a', { href: `/clusters/${encodeURIComponent(id)}/updates?to=${e.revision}`, 'aria-label': `Roll back to revision ${e.revision}` }, 'Roll back…') : '')
          : null,
      ),
    );
    return table('Revisions run', ['Revision', 'Action', 'From', 'Applied by', 'When', ...(canRollBack ? ['Rollback'] : [])], rows, { class: 'history' });
  };

  void load().catch((err) => fill(body, errorBox(err)));

  return h(
    'article',
    { 'aria-labelledby': 'updates-title' },
    h('p', { class: 'crumbs' }, h('a', { href: '/clusters' }, 'Clusters'), ' / ', crumbName, ' / '),
    title,
    outcome,
    body,
    h('section', { class: 'panel', 'aria-labelledby': 'history-title' }, h('h2', { id: 'history-title' }, 'History'), historySlot),
  );
}

/** A dry run: the plan, then each pack's merged values and the overrides after the merge. */
function previewView(p: UpdatePreview): HTMLElement {
  const plan = planOf(p.plan);
  const touched = new Set(p.packs.map((c) => c.name));
  return h(
    'div',
    { class: 'update-preview' },
    h('h3', {}, `What moving to revision ${p.toRevision} does`),
    h('p', {}, `Nothing has changed yet. ${plural(plan.steps.length, 'node step')}.`),
    plan.pools.some((x) => x.removed || x.toLaunch || x.toRemove || x.toReplace || x.desired !== x.current) ? poolSummaries(plan.pools) : null,
    planSteps(plan.steps),
    plan.cancels.length ? [h('p', { class: 'notice' }, `This cancels ${plural(plan.cancels.length, 'step')} of the change running now:`), planSteps(plan.cancels)] : null,
    h('h3', {}, 'Values after the merge'),
    h(
      'ul',
      { class: 'plain merged-values' },
      Object.entries(p.values)
        .filter(([pack]) => touched.has(pack) || p.overrides[pack])
        .map(([pack, yaml]) => h('li', { 'data-pack': pack }, yamlBlock(`${pack}: values applied`, yaml), p.overrides[pack] ? yamlBlock(`${pack}: the cluster's overrides`, p.overrides[pack]) : null)),
    ),
  );
}
