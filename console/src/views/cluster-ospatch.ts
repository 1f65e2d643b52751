import { api, get } from '../api';
import { facts, fill, h, table } from '../dom';
import { ago, fromNow, plural, time } from '../format';
import { REFRESH_MS, refreshEvery } from '../live';
import type { ViewContext } from '../router';
import { may } from '../session';
import type { NodePatchResult, OsPatchSettings, OsPatchView, PatchFrequency, PatchRun, Weekday } from '../types';
import { nameClusterPage } from './cluster-page-name';
import { nodePatchBadge, runStateBadge } from './badges';
import { clearFieldErrors, field, input, select, showFormError } from './fields';
import { errorBox, errorSlot, loading } from './notice';

const WEEKDAYS: readonly (readonly [Weekday, string])[] = [
  ['MON', 'Monday'],
  ['TUE', 'Tuesday'],
  ['WED', 'Wednesday'],
  ['THU', 'Thursday'],
  ['FRI', 'Friday'],
  ['SAT', 'Saturday'],
  ['SUN', 'Sunday'],
];
const FREQUENCIES: readonly (readonly [PatchFrequency, string])[] = [
  ['none', 'None: at boot and when asked'],
  ['daily', 'Daily'],
  ['weekly', 'Weekly'],
  ['monthly', 'Monthly'],
  ['cron', 'Cron expression'],
];

/** 180 → 3 h, 90 → 1 h 30 min. */
const windowText = (minutes: number) => [Math.floor(minutes / 60) ? `${Math.floor(minutes / 60)} h` : '', minutes % 60 ? `${minutes % 60} min` : ''].filter(Boolean).join(' ');

/** The settings in a line: weekly, SUN 03:00 Europe/Berlin, 3 h window, reboot if required, patch on boot. */
export function settingsText(s: OsPatchSettings): string {
  const at = `${s.timeOfDay} ${s.timeZone}`;
  const when = {
    none: 'no schedule',
    daily: `daily, ${at}`,
    weekly: `weekly, ${s.dayOfWeek ?? ''} ${at}`,
    monthly: `monthly, ${s.dayOfMonth === 'last' ? 'last day' : `day ${s.dayOfMonth ?? ''}`} ${at}`,
    cron: `cron ${s.cron ?? ''} ${s.timeZone}`,
  }[s.frequency];
  return [when, s.frequency === 'none' ? '' : `${windowText(s.windowMinutes)} window`, s.rebootIfRequired ? 'reboot if required' : 'no reboots', s.patchOnBoot ? 'patch on boot' : 'not on boot'].filter(Boolean).join(', ');
}

/** A moment on the clock of a time zone: 2026-12-06 06:00. */
function clockIn(iso: string, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

function nextRunsTable(v: OsPatchView): Node {
  const tz = v.settings.timeZone;
  if (!v.nextRuns.length) return h('p', { class: 'empty' }, v.settings.frequency === 'none' ? 'No schedule: nodes are patched at boot (when that is on) and when asked.' : 'No run in sight.');
  return table(
    'Next runs',
    ['Start', `Window ends (${tz})`, 'In'],
    v.nextRuns.map((r) => h('tr', { 'data-at': r.at }, h('th', { scope: 'row' }, r.local), h('td', {}, clockIn(r.windowEndsAt, tz)), h('td', {}, fromNow(r.at)))),
    { class: 'next-runs' },
  );
}

const packagesCell = (n: NodePatchResult) =>
  n.packages.length
    ? h('details', {}, h('summary', {}, plural(n.packages.length, 'package')), h('ul', { class: 'plain small' }, n.packages.map((p) => h('li', {}, `${p.name} ${p.from ?? '—'} → ${p.to}`))))
    : n.status === 'patched'
      ? 'up to date'
      : '—';

export const rebootText = (n: { rebooted: boolean; rebootRequired: boolean }) => (n.rebooted ? 'rebooted' : n.rebootRequired ? 'required, not done' : 'no');

function nodesTable(run: PatchRun): Node {
  if (!run.nodes.length) return h('p', { class: 'empty' }, 'No node reported yet.');
  return table(
    `Nodes of run ${run.id}`,
    ['Node', 'Status', 'Packages', 'Reboot', 'Finished', 'Message'],
    run.nodes.map((n) =>
      h(
        'tr',
        { 'data-node': n.node, 'data-status': n.status },
        h('th', { scope: 'row' }, n.node),
        h('td', {}, nodePatchBadge(n.status)),
        h('td', {}, packagesCell(n)),
        h('td', {}, rebootText(n)),
        h('td', {}, n.finishedAt ? h('time', { datetime: n.finishedAt, title: time(n.finishedAt) }, ago(n.finishedAt)) : '—'),
        h('td', {}, n.message ?? ''),
      ),
    ),
    { class: 'patch-nodes' },
  );
}

const DONE = new Set(['patched', 'failed', 'notReady', 'skipped']);

/** A run in a line: its state, who or what started it, its window, and how far it got (its own words when it has them). */
function runHead(run: PatchRun, tz: string): Node {
  const done = run.nodes.filter((n) => DONE.has(n.status)).length;
  const patched = run.nodes.filter((n) => n.status === 'patched').length;
  return h(
    'p',
    { class: 'run-head' },
    runStateBadge(run.state),
    ` ${run.trigger === 'manual' ? `Asked for${run.requestedBy ? ` by ${run.requestedBy}` : ''}` : 'Scheduled'}, started ${clockIn(run.startedAt, tz)} (${ago(run.startedAt)}); window ends ${clockIn(run.windowEndsAt, tz)} (${tz}). `,
    run.message ?? `${done} of ${plural(run.nodes.length, 'node')} done, ${patched} patched.`,
  );
}

/** The controls of the settings; `settings()` reads them, sending only what the frequency uses. */
function settingsForm(s: OsPatchSettings) {
  const frequency = select(FREQUENCIES, s.frequency);
  const day = select(WEEKDAYS, s.dayOfWeek ?? 'SUN');
  const dayOfMonth = select([...Array.from({ length: 28 }, (_, i) => [String(i + 1), String(i + 1)] as const), ['last', 'Last day']], String(s.dayOfMonth ?? 1));
  const cron = input({ value: s.cron ?? '', placeholder: '0 3 * * 1-5' });
  const timeOfDay = input({ type: 'time', value: s.timeOfDay, required: true });
  const timeZone = input({ value: s.timeZone, list: 'time-zones', required: true });
  const windowMinutes = input({ type: 'number', min: 30, max: 720, step: 15, value: s.windowMinutes, inputmode: 'numeric', required: true });
  const patchOnBoot = h('input', { type: 'checkbox', checked: s.patchOnBoot, 'data-path': 'patchOnBoot' });
  const reboot = h('input', { type: 'checkbox', checked: s.rebootIfRequired, 'data-path': 'rebootIfRequired' });
  const zones = h('datalist', { id: 'time-zones' }, Intl.supportedValuesOf('timeZone').map((z) => h('option', { value: z })));
  const shown = {
    day: field('Day', day, { path: 'dayOfWeek' }),
    dayOfMonth: field('Day of month', dayOfMonth, { path: 'dayOfMonth', hint: '1 to 28 are in every month' }),
    cron: field('Cron expression', cron, { path: 'cron', hint: 'minute hour day-of-month month day-of-week, in the time zone; not both days' }),
    time: field('Time', timeOfDay, { path: 'timeOfDay' }),
    timeZone: field('Time zone', timeZone, { path: 'timeZone', hint: 'IANA, e.g. Europe/Berlin' }),
    window: field('Window (minutes)', windowMinutes, { path: 'windowMinutes', hint: 'a run starts no node past it' }),
  };
  // Only the fields the frequency reads are shown, and sent.
  const showFields = () => {
    const f = frequency.value as PatchFrequency;
    shown.day.hidden = f !== 'weekly';
    shown.dayOfMonth.hidden = f !== 'monthly';
    shown.cron.hidden = f !== 'cron';
    shown.time.hidden = f === 'none' || f === 'cron';
    shown.timeZone.hidden = shown.window.hidden = f === 'none';
  };
  frequency.addEventListener('change', showFields);
  showFields();
  const settings = (): OsPatchSettings => {
    const f = frequency.value as PatchFrequency;
    return {
      frequency: f,
      timeOfDay: timeOfDay.value,
      timeZone: timeZone.value.trim(),
      windowMinutes: Number(windowMinutes.value),
      patchOnBoot: patchOnBoot.checked,
      rebootIfRequired: reboot.checked,
      ...(f === 'weekly' ? { dayOfWeek: day.value as Weekday } : {}),
      ...(f === 'monthly' ? { dayOfMonth: dayOfMonth.value === 'last' ? 'last' : Number(dayOfMonth.value) } : {}),
      ...(f === 'cron' ? { cron: cron.value.trim() } : {}),
    };
  };
  const controls = h(
    'div',
    {},
    h('div', { class: 'grid' }, field('Frequency', frequency, { path: 'frequency' }), shown.day, shown.dayOfMonth, shown.cron, shown.time, shown.timeZone, shown.window),
    h('label', { class: 'check' }, patchOnBoot, ' Patch on boot: a new node is patched before it joins'),
    h('label', { class: 'check' }, reboot, ' Reboot a node when a package requires it'),
    zones,
  );
  return { controls, settings };
}

/**
 * A cluster's OS patching: the schedule (frequency, time, time zone, window; patch on boot,
 * reboots) previewed with its next runs before it is saved, Patch now, the run in progress node
 * by node, and the runs before it with each node's packages.
 */
export function clusterOsPatchView(ctx: ViewContext): HTMLElement {
  const id = ctx.params.id!;
  const path = `/v1/clusters/${encodeURIComponent(id)}`;
  const crumbName = h('a', { href: `/clusters/${encodeURIComponent(id)}` }, id);
  const title = h('h1', { id: 'ospatch-title' }, 'OS patching');
  const formSlot = h('div', {}, loading('the settings'));
  const scheduleSlot = h('div', {});
  const runSlot = h('div', {});
  const historySlot = h('div', {});
  const runOutcome = h('div', { 'aria-live': 'polite' });
  const errors = errorSlot();
  const canChange = may('editor');
  let formBuilt = false;

  const patchNow = h('button', { type: 'button' }, 'Patch now');
  patchNow.addEventListener('click', async () => {
    patchNow.disabled = true;
    try {
      const run = await api<PatchRun>('POST', `${path}/ospatch/run`);
      fill(runOutcome, h('p', { class: 'notice', role: 'status' }, `Patch run ${run.id} started.`));
    } catch (err) {
      fill(runOutcome, errorBox(err));
    }
    live.now();
  });

  const activeSlot = h('div', {});
  fill(runSlot, activeSlot, canChange ? h('div', { class: 'actions' }, patchNow) : null, runOutcome);
  /** What was drawn last: an unchanged answer is not drawn again (an opened package list stays open). */
  let drawn = '';
  const render = (v: OsPatchView) => {
    patchNow.disabled = !!v.activeRun;
    const key = JSON.stringify(v);
    if (key === drawn) return;
    drawn = key;
    const tz = v.settings.timeZone;
    fill(
      scheduleSlot,
      facts([
        ['Settings', settingsText(v.settings)],
        ['Scheduler expression', v.scheduleExpression ? h('code', {}, v.scheduleExpression) : 'none'],
      ]),
      nextRunsTable(v),
    );
    const active = v.activeRun;
    fill(activeSlot, active ? h('div', { class: 'active-run', 'data-run': active.id, 'data-state': active.state }, runHead(active, tz), nodesTable(active)) : h('p', { class: 'empty' }, 'No run in progress.'));
    const past = v.runs.filter((r) => r.id !== active?.id);
    fill(historySlot, past.length ? past.map((r) => h('section', { class: 'patch-run', 'data-run': r.id, 'data-state': r.state, 'aria-label': `Run ${r.id}` }, runHead(r, tz), nodesTable(r))) : h('p', { class: 'empty' }, 'No run yet.'));
  };

  const buildForm = (v: OsPatchView) => {
    formBuilt = true;
    if (!canChange) return fill(formSlot, h('p', {}, settingsText(v.settings)));
    const { controls, settings } = settingsForm(v.settings);
    const summary = h('div', { 'aria-live': 'polite' });
    const preview = h('div', { class: 'preview', 'aria-live': 'polite' });
    const previewButton = h('button', { type: 'button', class: 'secondary' }, 'Preview');
    const save = h('button', { type: 'submit' }, 'Save');
    const put = async (dryRun: boolean) => {
      clearFieldErrors(form);
      summary.replaceChildren();
      try {
        return await api<OsPatchView>('PUT', `${path}/ospatch${dryRun ? '?dryRun=true' : ''}`, { body: settings() });
      } catch (err) {
        showFormError(form, summary, err);
        return undefined;
      }
    };
    previewButton.addEventListener('click', async () => {
      fill(preview, h('p', { class: 'muted', role: 'status' }, 'Asking for the next runs…'));
      const answer = await put(true);
      fill(preview, answer ? [h('h3', {}, 'Next runs with these settings'), h('p', { class: 'muted' }, `Nothing saved yet: ${settingsText(answer.settings)}.`), nextRunsTable(answer)] : null);
    });
    const form = h(
      'form',
      {
        class: 'ospatch-form',
        onsubmit: async (e: Event) => {
          e.preventDefault();
          save.disabled = true;
          const answer = await put(false);
          save.disabled = false;
          if (!answer) return;
          preview.replaceChildren();
          fill(summary, h('p', { class: 'notice', role: 'status' }, `Saved: ${settingsText(answer.settings)}.`));
          render(answer);
        },
      },
      controls,
      h('div', { class: 'actions' }, previewButton, save),
    );
    fill(formSlot, form, summary, preview);
  };

  const live = refreshEvery(
    REFRESH_MS,
    ctx.signal,
    async () => {
      if (!formBuilt) {
        await nameClusterPage(path, ctx.signal, crumbName, title, 'OS patching');
      }
      const v = await get<OsPatchView>(`${path}/ospatch`, ctx.signal);
      if (!formBuilt) buildForm(v);
      render(v);
      errors.clear();
    },
    (err) => (formBuilt ? errors.show(err) : fill(formSlot, errorBox(err))),
  );

  const panel = (key: string, label: string, ...content: Node[]) => h('section', { class: 'panel', 'aria-labelledby': `ospatch-${key}` }, h('h2', { id: `ospatch-${key}` }, label), content);
  return h(
    'article',
    { 'aria-labelledby': 'ospatch-title' },
    h('p', { class: 'crumbs' }, h('a', { href: '/clusters' }, 'Clusters'), ' / ', crumbName, ' / '),
    title,
    errors.el,
    panel('settings', 'Settings', formSlot),
    panel('schedule', 'Schedule', scheduleSlot),
    panel('run', 'Current run', runSlot),
    panel('history', 'Runs', historySlot),
  );
}
