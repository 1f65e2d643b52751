import { ApiError, get, getAll, isAbort, withQuery } from '../api';
import { fill, h } from '../dom';
import { time } from '../format';
import { BRISK_AFTER_NEWS_MS, BRISK_POLL_MS, EVENT_POLL_MS } from '../poll-rates';
import { pause, visible } from '../live';
import type { Cluster, ClusterEvent, EventFollow, Page } from '../types';
import { field, input, select } from './fields';
import { errorBox, errorText } from './notice';

const SHOWN = 200;
const RETRY_MS = 5000;

/** What both streams filter by; the API checks each (reason: up to 10, comma-separated). */
export interface EventFilters {
  type?: 'Normal' | 'Warning';
  reason?: string;
  subject?: string;
  /** The tenant-wide stream only: a cluster's id. */
  cluster?: string;
  /** A span back from now: 15m, 1h, 24h, 7d. */
  since?: string;
}

const SINCE: readonly (readonly [string, string])[] = [
  ['', 'Any time'],
  ['15m', 'Last 15 minutes'],
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
];
const SPAN_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** 15m, 1h, 7d → the moment that long ago; anything else → no bound. */
function sinceIso(span: string | undefined): string | undefined {
  const m = /^(\d+)([mhd])$/.exec(span ?? '');
  return m ? new Date(Date.now() - Number(m[1]) * SPAN_MS[m[2]!]!).toISOString() : undefined;
}

/** Filters from a query string (the tenant's Events page keeps them in its URL). */
export function filtersOf(query: URLSearchParams): EventFilters {
  const type = query.get('type');
  return {
    type: type === 'Normal' || type === 'Warning' ? type : undefined,
    reason: query.get('reason') || undefined,
    subject: query.get('subject') || undefined,
    cluster: query.get('cluster') || undefined,
    since: SINCE.some(([v]) => v && v === query.get('since')) ? query.get('since')! : undefined,
  };
}

/** A folded event comes again under a new id with its new count: this is what stays the same. */
const foldOf = (e: ClusterEvent) => `${e.clusterId}|${e.firstSeen}|${e.type}|${e.reason}|${e.subject ?? ''}`;

/** The filter controls; `onChange` gets them whenever a select changes or the form is applied. */
function filtersForm(initial: EventFilters, tenantWide: boolean, signal: AbortSignal, onChange: (f: EventFilters) => void, onNames: (names: ReadonlyMap<string, string>) => void): HTMLFormElement {
  const type = select(
    [
      ['', 'All'],
      ['Warning', 'Warning'],
      ['Normal', 'Normal'],
    ],
    initial.type ?? '',
  );
  const reason = input({ value: initial.reason ?? '', placeholder: 'NodeRepair,NodePatchFailed' });
  const subject = input({ value: initial.subject ?? '', placeholder: 'a node or a condition' });
  const since = select(SINCE, initial.since ?? '');
  const cluster = select([['', 'All clusters']], '');
  const names = new Map<string, string>();
  if (tenantWide) {
    if (initial.cluster) cluster.append(h('option', { value: initial.cluster }, initial.cluster));
    cluster.value = initial.cluster ?? '';
    getAll<Cluster>('/v1/clusters', signal).then(
      (clusters) => {
        for (const c of clusters) names.set(c.id, c.name);
        onNames(names);
        const chosen = cluster.value;
        fill(cluster, h('option', { value: '' }, 'All clusters'), clusters.map((c) => h('option', { value: c.id }, c.name)));
        cluster.value = chosen;
      },
      // The names only label the choice; the stream itself shows the API's errors.
      () => undefined,
    );
  }
  const read = (): EventFilters => ({
    type: (type.value || undefined) as EventFilters['type'],
    reason: reason.value.replace(/\s+/g, '') || undefined,
    subject: subject.value.trim() || undefined,
    cluster: tenantWide ? cluster.value || undefined : undefined,
    since: since.value || undefined,
  });
  for (const s of [type, since, cluster]) s.addEventListener('change', () => onChange(read()));
  return h(
    'form',
    {
      class: 'event-filters',
      'aria-label': 'Filter the events',
      onsubmit: (e: Event) => {
        e.preventDefault();
        onChange(read());
      },
    },
    field('Type', type, { path: 'type' }),
    tenantWide ? field('Cluster', cluster, { path: 'cluster' }) : null,
    field('Reason', reason, { path: 'reason', hint: 'one, or several separated by commas' }),
    field('Subject', subject, { path: 'subject' }),
    field('Since', since, { path: 'since' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary' }, 'Apply')),
  );
}

/**
 * An event stream, newest first: a cluster's (clusterId) or every cluster's of the tenant, each
 * naming its cluster; the latest page matching the filters, then live: every EVENT_POLL_MS while
 * the tab is visible, what the follow endpoint has after the last id seen (at once, no wait), until
 * the page is left or the filters change.
 */
export function eventsFeed(
  clusterId: string | undefined,
  signal: AbortSignal,
  /** Called with each batch of events shown: the first page (live false), then news from the follow (live true). */
  onEvents?: (events: readonly ClusterEvent[], live: boolean) => void,
  opts: { filters?: EventFilters; onFilters?: (f: EventFilters) => void } = {},
): HTMLElement {
  const tenantWide = clusterId === undefined;
  const base = tenantWide ? '/v1/events' : `/v1/clusters/${encodeURIComponent(clusterId)}/events`;
  let events: ClusterEvent[] = [];
  let filters: EventFilters = { ...opts.filters };
  let stream = new AbortController();
  /** Cluster names by id, for events that name their cluster by id only. */
  let names: ReadonlyMap<string, string> = new Map();
  const list = h('ol', { class: 'events', 'aria-label': 'Events, newest first', 'aria-busy': 'true' });
  const state = h('p', { class: 'muted small live-state' }, 'Loading events…');
  const refused = h('div', {});
  const filtered = () => !!(filters.type || filters.reason || filters.subject || filters.cluster || filters.since);

  const render = () => {
    if (!events.length) return fill(list, h('li', { class: 'empty' }, filtered() ? 'No event matches the filters.' : 'No events yet.'));
    fill(
      list,
      events.map((e) =>
        h(
          'li',
          { class: `event ${e.type === 'Warning' ? 'warning' : ''}`, 'data-reason': e.reason, 'data-type': e.type, 'data-cluster': e.clusterId },
          h('time', { datetime: e.lastSeen }, time(e.lastSeen)),
          ' ',
          h('span', { class: `badge ${e.type === 'Warning' ? 'bad' : 'neutral'}` }, e.type),
          ' ',
          tenantWide ? [h('a', { class: 'event-cluster', href: `/clusters/${encodeURIComponent(e.clusterId)}` }, e.clusterName ?? names.get(e.clusterId) ?? e.clusterId), ' '] : null,
          h('strong', {}, e.reason),
          e.subject ? h('span', { class: 'muted' }, ` ${e.subject}`) : null,
          e.count > 1 ? h('span', { class: 'muted', title: `first seen ${time(e.firstSeen)}` }, ` ×${e.count} since ${time(e.firstSeen)}`) : null,
          h('p', { class: 'event-message' }, e.message),
        ),
      ),
    );
  };

  /** Newer events first; a folded one replaces its earlier self. */
  const add = (incoming: readonly ClusterEvent[], live: boolean) => {
    for (const e of incoming) {
      const fold = foldOf(e);
      events = [e, ...events.filter((x) => x.id !== e.id && foldOf(x) !== fold)];
    }
    events = events.slice(0, SHOWN);
    render();
    if (incoming.length) onEvents?.(incoming, live);
  };

  const follow = async (own: AbortSignal) => {
    const query = { type: filters.type, reason: filters.reason, subject: filters.subject };
    let after: string | undefined;
    // Briskly for a while after opening and after news (what follows comes soon), then at the steady rate.
    let briskUntil = Date.now() + BRISK_AFTER_NEWS_MS;
    while (!own.aborted) {
      try {
        if (after === undefined) {
          const page = await get<Page<ClusterEvent>>(withQuery(base, { ...query, cluster: filters.cluster, since: sinceIso(filters.since), limit: 50 }), own);
          // The newest id is where following starts; with no event yet, the follow starts now.
          after = page.items[0]?.id ?? '';
          add([...page.items].reverse(), false);
          list.setAttribute('aria-busy', 'false');
          state.textContent = 'Following live.';
          continue;
        }
        // With no event yet, the first ask comes at once: its answer is the position to follow from.
        if (after) await pause(Date.now() < briskUntil ? BRISK_POLL_MS : EVENT_POLL_MS, own);
        if (document.hidden) {
          state.textContent = 'Paused while the tab is hidden.';
          await visible(own);
          if (own.aborted) return;
        }
        const news = await get<EventFollow>(withQuery(`${base}/follow`, { ...query, after: after || undefined, waitSeconds: 0 }), own);
        after = news.after;
        // The tenant's follow has no cluster filter: the one chosen is kept here.
        const items = filters.cluster ? news.items.filter((e) => e.clusterId === filters.cluster) : news.items;
        if (items.length) {
          briskUntil = Date.now() + BRISK_AFTER_NEWS_MS;
          add(items, true);
        }
        state.textContent = 'Following live.';
      } catch (err) {
        if (isAbort(err) || own.aborted) return;
        // A refusal (a filter the API does not take, a role without access) does not pass by itself.
        if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) {
          list.setAttribute('aria-busy', 'false');
          state.textContent = 'Not following.';
          fill(refused, errorBox(err));
          return;
        }
        state.textContent = `Event stream interrupted (${errorText(err)}); trying again in ${RETRY_MS / 1000} s.`;
        await pause(RETRY_MS, own);
      }
    }
  };

  const restart = () => {
    stream.abort();
    stream = new AbortController();
    events = [];
    refused.replaceChildren();
    list.setAttribute('aria-busy', 'true');
    state.textContent = 'Loading events…';
    fill(list);
    void follow(AbortSignal.any([signal, stream.signal]));
  };

  const form = filtersForm(
    filters,
    tenantWide,
    signal,
    (f) => {
      if (JSON.stringify(f) === JSON.stringify(filters)) return;
      filters = f;
      opts.onFilters?.(f);
      restart();
    },
    (known) => {
      names = known;
      if (events.length) render();
    },
  );
  restart();
  return h('div', { class: 'events-feed' }, form, state, refused, list);
}
