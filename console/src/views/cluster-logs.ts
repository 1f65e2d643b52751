import { ApiError, api, get, getAll } from '../api';
import { fill, h, table } from '../dom';
import { ago, bytes, plural, time } from '../format';
import { REFRESH_MS, refreshWhile } from '../live';
import type { ViewContext } from '../router';
import { may } from '../session';
import type { LogRequest, LogRequestStatus, LogType, NodeList } from '../types';
import { nameClusterPage } from './cluster-page-name';
import { clearFieldErrors, field, input, select, showFormError } from './fields';
import { errorBox, errorSlot, errorText, loading } from './notice';

const TYPES: readonly (readonly [LogType, string])[] = [
  ['kube-system', 'kube-system: the pods of the control plane and add-ons'],
  ['platform', 'platform: the Strata agent'],
  ['node', 'node: kubelet and container runtime of each node'],
];
const SINCE: readonly (readonly [string, string])[] = [
  ['15', '15 minutes'],
  ['30', '30 minutes'],
  ['60', '1 hour'],
  ['360', '6 hours'],
  ['1440', '24 hours'],
  ['10080', '7 days'],
];
const STATUS_TONE: Record<LogRequestStatus, string> = { Pending: 'neutral', Collecting: 'progress', Ready: 'good', Failed: 'bad' };
/** A URL this close to its end is asked for again rather than started on. */
const URL_MARGIN_MS = 15_000;

const statusBadge = (s: LogRequestStatus) => h('span', { class: `badge ${STATUS_TONE[s]}`, 'data-status': s }, s);
const sinceText = (minutes: number) => (minutes % 1440 === 0 ? plural(minutes / 1440, 'day') : minutes % 60 === 0 ? plural(minutes / 60, 'hour') : `${minutes} min`);

const TABS = [
  ['', 'Overview'],
  ['updates', 'Updates'],
  ['ospatch', 'OS patching'],
  ['logs', 'Logs'],
  ['compliance', 'Compliance'],
] as const;

/** The pages of one cluster, the current one marked. */
export function clusterTabs(clusterId: string, current: (typeof TABS)[number][0]): HTMLElement {
  const base = `/clusters/${encodeURIComponent(clusterId)}`;
  return h(
    'nav',
    { class: 'tabs', 'aria-label': 'Cluster pages' },
    h(
      'ul',
      {},
      TABS.map(([page, label]) => h('li', {}, h('a', { href: page ? `${base}/${page}` : base, 'aria-current': page === current ? 'page' : undefined }, label))),
    ),
  );
}

/** What viewers see instead of the list: log bundles are for editors and admins. */
export const forbiddenNotice = (what: string) => h('p', { class: 'notice', role: 'status' }, `${what} are for editors and admins: this key is a viewer's. Ask an editor, or sign in with an editor's key.`);

/** The presigned URL: fetched without the API key (it carries its own signature); its bytes counted against content-length. */
async function fetchArchive(url: string, onProgress: (received: number, total: number | undefined) => void, signal: AbortSignal): Promise<Blob> {
  const res = await fetch(url, { signal, cache: 'no-store' });
  if (res.status === 403 || res.status === 400) throw new ExpiredUrl(res.status);
  if (!res.ok || !res.body) throw new Error(`The archive's storage answered ${res.status}.`);
  const header = res.headers.get('content-length');
  const total = header === null ? undefined : Number(header);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.byteLength;
    onProgress(received, total);
  }
  if (total !== undefined && received !== total) throw new Error(`The download ended after ${bytes(received)} of ${bytes(total)}.`);
  return new Blob(chunks as BlobPart[], { type: 'application/gzip' });
}

class ExpiredUrl extends Error {
  constructor(status: number) {
    super(`The download URL was refused (${status}).`);
  }
}

/** Save a Blob as a file of that name, the way a download link does. */
function save(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: fileName, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * A cluster's log bundles: ask for one (types, nodes, how far back, lines a file), the requests
 * with their status, and a download of each Ready one with its progress. Editors and admins only.
 */
export function clusterLogsView(ctx: ViewContext): HTMLElement {
  const id = ctx.params.id!;
  const path = `/v1/clusters/${encodeURIComponent(id)}`;
  const crumbName = h('a', { href: `/clusters/${encodeURIComponent(id)}` }, id);
  const title = h('h1', { id: 'logs-title' }, 'Logs');
  const formSlot = h('div', {});
  const listSlot = h('div', {}, loading('the log requests'));
  const errors = errorSlot();
  /** Downloads in progress, by request id: their rows keep the progress bar across refreshes. */
  const downloads = new Map<string, HTMLElement>();
  let named = false;
  let forbidden = false;

  const showForbidden = () => {
    forbidden = true;
    fill(formSlot);
    fill(listSlot, forbiddenNotice('Log bundles'));
  };

  const download = async (r: LogRequest, cell: HTMLElement) => {
    const bar = h('progress', { max: 100, value: 0, 'aria-label': `Download of ${r.id}` });
    const text = h('span', { class: 'small muted download-text' }, 'Starting…');
    const box = h('div', { class: 'download', 'data-request': r.id }, bar, ' ', text);
    downloads.set(r.id, box);
    fill(cell, box);
    let request = r;
    try {
      for (let attempt = 1; ; attempt++) {
        if (!request.download || Date.parse(request.download.expiresAt) - Date.now() < URL_MARGIN_MS) request = await get<LogRequest>(`${path}/logs/${encodeURIComponent(r.id)}`, ctx.signal);
        if (!request.download) throw new Error(`Request ${r.id} is ${request.status} and has no download.`);
        try {
          const blob = await fetchArchive(
            request.download.url,
            (received, total) => {
              if (total) {
                bar.max = total;
                bar.value = received;
              } else bar.removeAttribute('value');
              text.textContent = total ? `${bytes(received)} of ${bytes(total)} (${Math.floor((received / total) * 100)} %)` : bytes(received);
            },
            ctx.signal,
          );
          save(blob, request.download.fileName);
          text.textContent = `${text.textContent} · saved as ${request.download.fileName}`;
          box.dataset.state = 'done';
          return;
        } catch (err) {
          if (!(err instanceof ExpiredUrl) || attempt >= 3) throw err;
          request = { ...request, download: undefined };
        }
      }
    } catch (err) {
      if (ctx.signal.aborted) return;
      if (err instanceof TypeError && request.download) {
        // The storage does not let this page read it (CORS, or the page's connect-src): the browser downloads it itself, without progress.
        box.dataset.state = 'direct';
        fill(box, h('span', { class: 'small muted' }, `This page could not read the archive (${err.message}); your browser downloads ${request.download.fileName} itself.`));
        const a = h('a', { href: request.download.url, download: request.download.fileName, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        return;
      }
      box.dataset.state = 'failed';
      fill(box, h('span', { class: 'notice error', role: 'alert' }, errorText(err)));
    } finally {
      // A finished download's row is drawn again at the next refresh, with its button.
      setTimeout(() => downloads.delete(r.id), 10_000);
    }
  };

  const row = (r: LogRequest) => {
    const action = h('td', { class: 'download-cell' });
    const shown = downloads.get(r.id);
    if (shown) fill(action, shown);
    else if (r.status === 'Ready') fill(action, h('button', { type: 'button', class: 'secondary small', 'aria-label': `Download ${r.id}`, onclick: () => void download(r, action) }, 'Download'));
    else if (r.status === 'Failed') fill(action, r.message ?? 'Failed.');
    else fill(action, r.status === 'Pending' ? 'Waiting for the agent.' : 'The agent is collecting.');
    return h(
      'tr',
      { 'data-request': r.id, 'data-status': r.status },
      h('th', { scope: 'row' }, r.id),
      h('td', {}, statusBadge(r.status)),
      h('td', {}, r.types.join(', '), r.nodes?.length ? h('span', { class: 'muted' }, ` · ${r.nodes.join(', ')}`) : null),
      h('td', {}, `last ${sinceText(r.sinceMinutes)}, ${r.maxLines} lines a file`),
      h('td', { class: 'nowrap' }, h('time', { datetime: r.requestedAt, title: time(r.requestedAt) }, ago(r.requestedAt)), h('span', { class: 'muted small' }, ` by ${r.requestedBy}`)),
      h('td', {}, r.status === 'Ready' ? `${plural(r.files ?? 0, 'file')}, ${r.missing ?? 0} missing · ${r.bytes === undefined ? '' : bytes(r.bytes)}` : '—'),
      action,
    );
  };

  const live = refreshWhile(
    REFRESH_MS,
    ctx.signal,
    async () => {
      if (!named) {
        await nameClusterPage(path, ctx.signal, crumbName, title, 'Logs');
        named = true;
      }
      if (forbidden) return false;
      let items: LogRequest[];
      try {
        items = await getAll<LogRequest>(`${path}/logs`, ctx.signal);
      } catch (err) {
        if (err instanceof ApiError && err.status === 403) {
          showForbidden();
          return false;
        }
        throw err;
      }
      fill(listSlot, items.length ? table('Log requests', ['Request', 'Status', 'What', 'Span', 'Asked', 'Bundle', 'Download'], items.map(row), { class: 'log-requests' }) : h('p', { class: 'empty' }, 'No log bundle asked for yet.'));
      errors.clear();
      return items.some((r) => r.status === 'Pending' || r.status === 'Collecting');
    },
    (err) => (named ? errors.show(err) : fill(listSlot, errorBox(err))),
  );

  const buildForm = async () => {
    const checks = TYPES.map(([value, label]) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'types', value, checked: value !== 'node' }), ` ${label}`));
    const typesGroup = h('fieldset', { class: 'types', id: 'log-types', 'data-path': 'types', tabindex: -1 }, h('legend', {}, 'What to collect'), checks, h('p', { class: 'field-error', id: 'log-types-error', hidden: true }));
    const nodes = h('select', { multiple: true, size: 4, 'data-path': 'nodes' });
    const since = select(SINCE, '60');
    const maxLines = input({ type: 'number', min: 1, max: 100_000, step: 1, value: 5000, inputmode: 'numeric', required: true });
    const summary = h('div', { 'aria-live': 'polite' });
    const submit = h('button', { type: 'submit' }, 'Request logs');
    const form = h(
      'form',
      {
        class: 'logs-form',
        onsubmit: async (e: Event) => {
          e.preventDefault();
          clearFieldErrors(form);
          summary.replaceChildren();
          const types = checks.map((c) => c.querySelector('input')!).filter((c) => c.checked).map((c) => c.value as LogType);
          const chosen = [...nodes.selectedOptions].map((o) => o.value);
          submit.disabled = true;
          try {
            const r = await api<LogRequest>('POST', `${path}/logs`, { body: { types, ...(chosen.length ? { nodes: chosen } : {}), sinceMinutes: Number(since.value), maxLines: Number(maxLines.value) } });
            fill(summary, h('p', { class: 'notice', role: 'status' }, `Log request ${r.id} sent to the agent: ${r.types.join(', ')}.`));
            live.now();
          } catch (err) {
            if (err instanceof ApiError && err.status === 403) showForbidden();
            else showFormError(form, summary, err);
          } finally {
            submit.disabled = false;
          }
        },
      },
      typesGroup,
      h('div', { class: 'grid' }, field('Nodes (node logs)', nodes, { path: 'nodes', hint: 'none chosen: every node' }), field('Since', since, { path: 'sinceMinutes' }), field('Lines a file at most', maxLines, { path: 'maxLines' })),
      h('div', { class: 'actions' }, submit),
    );
    fill(formSlot, form, summary);
    try {
      const list = await get<NodeList>(`${path}/nodes`, ctx.signal);
      fill(nodes, list.items.map((n) => h('option', { value: n.name }, `${n.name}${n.role === 'controlPlane' ? ' (control plane)' : ''}`)));
    } catch (err) {
      if (!ctx.signal.aborted) errors.show(err);
    }
  };

  if (may('editor')) void buildForm();
  else showForbidden();

  const panel = (key: string, label: string, ...content: Node[]) => h('section', { class: 'panel', 'aria-labelledby': `logs-${key}` }, h('h2', { id: `logs-${key}` }, label), content);
  return h(
    'article',
    { 'aria-labelledby': 'logs-title' },
    h('p', { class: 'crumbs' }, h('a', { href: '/clusters' }, 'Clusters'), ' / ', crumbName, ' / '),
    title,
    clusterTabs(id, 'logs'),
    errors.el,
    may('editor') ? panel('request', 'Request a log bundle', formSlot) : null,
    panel('list', 'Log bundles', listSlot),
  );
}
