import { withQuery } from '../api';
import { h } from '../dom';
import type { ViewContext } from '../router';
import { eventsFeed, filtersOf, type EventFilters } from './events-feed';

/**
 * Every cluster's events in one stream, newest first, each naming its cluster; filtered by type,
 * reason, subject, cluster and time, and followed live. The filters live in the URL, so a
 * filtered stream can be shared and survives a reload.
 */
export function eventsView(ctx: ViewContext): HTMLElement {
  document.title = 'Events · Strata';
  const keepInUrl = (f: EventFilters) => history.replaceState(null, '', withQuery(location.pathname, { type: f.type, reason: f.reason, subject: f.subject, cluster: f.cluster, since: f.since }));
  return h(
    'article',
    { 'aria-labelledby': 'events-title' },
    h('h1', { id: 'events-title' }, 'Events'),
    h('p', { class: 'muted' }, 'The events of all your clusters, newest first, as they happen.'),
    h('section', { class: 'panel', 'aria-label': 'Event stream' }, eventsFeed(undefined, ctx.signal, undefined, { filters: filtersOf(ctx.query), onFilters: keepInUrl })),
  );
}
