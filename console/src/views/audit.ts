import { ApiError, bearerToken, get, isAbort, withQuery } from '../api';
import { fill, h } from '../dom';
import { ago, plural, time } from '../format';
import { loadProjects, projectBadge } from '../projects';
import type { ViewContext } from '../router';
import { mayTenantWide } from '../session';
import type { AuditEntry, AuditOutcome, Page } from '../types';
import { field, input, select } from './fields';
import { errorBox, errorSlot, loading } from './notice';

const PAGE_SIZE = 50;

const OUTCOME_TONE: Record<AuditOutcome, string> = { success: 'good', refused: 'progress', error: 'bad' };

const SINCE: readonly (readonly [string, string])[] = [
  ['', 'Any time'],
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
];
const SPAN_MS: Record<string, number> = { h: 3_600_000, d: 86_400_000 };

/** What the page filters by, as its URL keeps it. */
interface AuditFilters {
  outcome?: AuditOutcome;
  resourceType?: string;
  actor?: string;
  project?: string;
  /** A span back from now: 1h, 24h, 7d, 30d. */
  since?: string;
}

function filtersOf(query: URLSearchParams): AuditFilters {
  const outcome = query.get('outcome');
  const since = query.get('since');
  return {
    outcome: outcome && outcome in OUTCOME_TONE ? (outcome as AuditOutcome) : undefined,
    resourceType: query.get('resourceType') || undefined,
    actor: query.get('actor') || undefined,
    project: query.get('project') || undefined,
    since: SINCE.some(([v]) => v && v === since) ? since! : undefined,
  };
}

/** The API's query: the span made a moment. */
function apiQuery(f: AuditFilters): Record<string, string | undefined> {
  const span = /^(\d+)([hd])$/.exec(f.since ?? '');
  const since = span ? new Date(Date.now() - Number(span[1]) * SPAN_MS[span[2]!]!).toISOString() : undefined;
  return { outcome: f.outcome, resourceType: f.resourceType, actor: f.actor, project: f.project, since };
}

export const outcomeBadge = (outcome: AuditOutcome) => h('span', { class: `badge ${OUTCOME_TONE[outcome]}`, 'data-outcome': outcome }, outcome);

function resourceCell(e: AuditEntry): HTMLElement {
  const name = e.resourceId ? `${e.resourceType}/${e.resourceId}` : e.resourceType;
  if (e.resourceType === 'clusters' && e.resourceId) return h('td', { class: 'nowrap' }, h('a', { href: `/clusters/${encodeURIComponent(e.resourceId)}` }, name));
  return h('td', { class: 'nowrap' }, name);
}

/** A person by the e-mail address or name their token gave (their id on hover); a key by its id. */
function actorCell(actor: AuditEntry['actor']): HTMLElement {
  if (actor.type === 'user') return h('td', { class: 'nowrap', 'data-actor-type': 'user' }, h('span', { title: actor.id }, actor.name ?? actor.id), h('span', { class: 'muted' }, ` · user · ${actor.role}`));
  return h('td', { class: 'nowrap', 'data-actor-type': actor.type }, h('code', {}, actor.id), h('span', { class: 'muted' }, ` · ${actor.role}`));
}

function row(e: AuditEntry): HTMLElement {
  return h(
    'tr',
    { 'data-entry': e.id, 'data-action': e.action, 'data-outcome': e.outcome, class: e.outcome === 'error' ? 'abnormal' : undefined },
    h('td', { class: 'nowrap' }, h('time', { datetime: e.at, title: ago(e.at) }, time(e.at))),
    actorCell(e.actor),
    h('td', {}, h('code', {}, e.action)),
    resourceCell(e),
    h('td', {}, e.project ? projectBadge(e.project) : h('span', { class: 'muted', 'data-project': '' }, '—')),
    h('td', {}, outcomeBadge(e.outcome), e.message ? h('p', { class: 'muted small' }, e.error ? `${e.error}: ${e.message}` : e.message) : null),
    h('td', { class: 'num' }, e.status),
    h('td', {}, e.sourceIp),
  );
}

/**
 * The export (JSON lines, newest first), answer after answer while x-next-cursor says more
 * follow. Its own fetch: the answers are lines of JSON, not one document.
 */
async function exportLines(query: Record<string, string | undefined>, signal: AbortSignal): Promise<string[]> {
  const parts: string[] = [];
  let cursor: string | undefined;
  do {
    const res = await fetch(withQuery('/v1/audit/export', { ...query, cursor }), {
      headers: { accept: 'application/x-ndjson', authorization: `Bearer ${(await bearerToken()) ?? ''}` },
      signal,
      cache: 'no-store',
    });
    const text = await res.text();
    if (!res.ok) {
      let body: { error?: string; message?: string } = {};
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: the status says it
      }
      throw new ApiError(res.status, body.error ?? `HTTP${res.status}`, body.message ?? `GET /v1/audit/export answered ${res.status}`);
    }
    if (text) parts.push(text.endsWith('\n') ? text : `${text}\n`);
    cursor = res.headers.get('x-next-cursor') ?? undefined;
  } while (cursor);
  return parts;
}

/** Save text as a file of that name, the way a download link does. */
function save(parts: string[], fileName: string): void {
  const url = URL.createObjectURL(new Blob(parts, { type: 'application/x-ndjson' }));
  const a = h('a', { href: url, download: fileName, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  // Not at once: some browsers read the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * The tenant's audit log (admins): who changed what and who read credentials, newest first,
 * filtered by outcome, resource type, actor, project and time (kept in the URL), page after page, and
 * exported as JSON lines.
 */
export function auditView(ctx: ViewContext): HTMLElement {
  document.title = 'Audit · Strata';
  if (!mayTenantWide('admin')) {
    return h('article', { 'aria-labelledby': 'audit-title' }, h('h1', { id: 'audit-title' }, 'Audit'), h('p', { class: 'notice' }, "Only tenant-wide admins read the tenant's audit log."));
  }
  let filters = filtersOf(ctx.query);
  const outcome = select(
    [
      ['', 'Any outcome'],
      ['success', 'Success'],
      ['refused', 'Refused'],
      ['error', 'Error'],
    ],
    filters.outcome ?? '',
    { name: 'outcome' },
  );
  const resourceType = input({ type: 'search', name: 'resourceType', value: filters.resourceType ?? '', placeholder: 'clusters' });
  const actor = input({ type: 'search', name: 'actor', value: filters.actor ?? '', placeholder: 'key-…' });
  const since = select(SINCE, filters.since ?? '', { name: 'since' });
  // The project of the URL is a choice before the list of projects comes.
  const project = select([['', 'Any project'], ...(filters.project ? [[filters.project, filters.project] as const] : [])], filters.project ?? '', { name: 'project' });
  loadProjects(ctx.signal).then(
    (projects) => {
      const chosen = project.value;
      const ids = [...new Set([...projects.map((p) => p.id), ...(chosen ? [chosen] : [])])].sort();
      fill(project, h('option', { value: '' }, 'Any project'), ids.map((id) => h('option', { value: id }, id)));
      project.value = chosen;
    },
    () => undefined,
  );

  const rows = h('tbody', {});
  const list = h(
    'table',
    { 'aria-label': 'Audit log, newest first', class: 'audit' },
    h('thead', {}, h('tr', {}, ['Time', 'Actor', 'Action', 'Resource', 'Project', 'Outcome', 'Status', 'Source IP'].map((t) => h('th', { scope: 'col' }, t)))),
    rows,
  );
  const body = h('div', {}, loading('the audit log'));
  const more = h('div', { class: 'actions' });
  const exported = h('p', { class: 'muted small', role: 'status' });
  const exportErrors = errorSlot();
  const listErrors = errorSlot();
  let cursor: string | undefined;
  /** Aborted when the filters change: an older answer never lands in the new list. */
  let listing = new AbortController();

  const loadMore = (own: AbortSignal) => h('button', { type: 'button', class: 'secondary', onclick: () => void load(own) }, 'Load more');
  const load = async (own: AbortSignal) => {
    // One page at a time: a second click would ask for the same page again.
    more.replaceChildren();
    try {
      const page = await get<Page<AuditEntry>>(withQuery('/v1/audit', { ...apiQuery(filters), limit: PAGE_SIZE, cursor }), own);
      if (own.aborted) return;
      rows.append(...page.items.map(row));
      cursor = page.nextCursor;
      const filtered = Object.values(filters).some((v) => v !== undefined);
      fill(body, rows.childElementCount ? list : h('p', { class: 'empty' }, filtered ? 'No entry matches the filters.' : 'No entries yet.'));
      list.dataset.state = 'ready';
      listErrors.clear();
      fill(more, cursor ? loadMore(own) : null);
    } catch (err) {
      if (isAbort(err) || own.aborted) return;
      if (!rows.childElementCount) return fill(body, errorBox(err));
      // A later page failed: the entries shown stay, and the button tries that page again.
      listErrors.show(err);
      fill(more, loadMore(own));
    }
  };

  const restart = () => {
    listing.abort();
    listing = new AbortController();
    cursor = undefined;
    rows.replaceChildren();
    listErrors.clear();
    list.dataset.state = 'loading';
    fill(body, loading('the audit log'));
    void load(AbortSignal.any([ctx.signal, listing.signal]));
  };

  const read = (): AuditFilters => ({
    outcome: (outcome.value || undefined) as AuditOutcome | undefined,
    resourceType: resourceType.value.trim().toLowerCase() || undefined,
    actor: actor.value.trim() || undefined,
    project: project.value || undefined,
    since: since.value || undefined,
  });
  const filtersChanged = () => {
    const next = read();
    if (JSON.stringify(next) === JSON.stringify(filters)) return;
    filters = next;
    history.replaceState(null, '', withQuery(location.pathname, { ...filters }));
    restart();
  };
  for (const s of [outcome, project, since]) s.addEventListener('change', filtersChanged);
  // Typed filters apply on Enter or when the field is left, not on every key.
  for (const i of [resourceType, actor]) {
    i.addEventListener('change', filtersChanged);
    i.addEventListener('search', filtersChanged);
  }

  const exportButton = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      onclick: async () => {
        exportButton.disabled = true;
        exported.textContent = 'Exporting…';
        exportErrors.clear();
        try {
          const parts = await exportLines(apiQuery(filters), ctx.signal);
          const count = parts.reduce((n, p) => n + p.split('\n').filter(Boolean).length, 0);
          const file = `strata-audit-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.jsonl`;
          save(parts, file);
          exported.textContent = `Exported ${plural(count, 'entry', 'entries')} to ${file}.`;
        } catch (err) {
          if (isAbort(err)) return;
          exported.textContent = '';
          exportErrors.show(err);
        } finally {
          exportButton.disabled = false;
        }
      },
    },
    'Export JSON lines',
  );

  restart();
  return h(
    'article',
    { 'aria-labelledby': 'audit-title' },
    h('h1', { id: 'audit-title' }, 'Audit'),
    h('p', { class: 'muted' }, 'Every change made through the API, and every read of credentials, newest first: who, what, from where and with what outcome. Kept for a year; nothing changes or deletes an entry.'),
    h(
      'form',
      { class: 'filters', role: 'search', 'aria-label': 'Filter the audit log', onsubmit: (e: Event) => (e.preventDefault(), filtersChanged()) },
      field('Outcome', outcome),
      field('Resource type', resourceType, { hint: 'e.g. clusters, profiles, apikeys' }),
      field('Actor', actor, { hint: 'an API key id, or user:<subject> for a person' }),
      field('Project', project),
      field('Since', since),
      h('div', { class: 'actions' }, exportButton),
    ),
    exportErrors.el,
    exported,
    h('section', { class: 'panel', 'aria-label': 'Audit entries' }, body),
    listErrors.el,
    more,
  );
}
