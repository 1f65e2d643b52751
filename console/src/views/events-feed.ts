import { get, isAbort, withQuery } from '../api';
import { fill, h } from '../dom';
import { time } from '../format';
import { pause } from '../live';
import type { ClusterEvent, EventFollow, Page } from '../types';
import { errorText } from './notice';

const SHOWN = 200;
const WAIT_SECONDS = 20;
const RETRY_MS = 5000;

/** A folded event comes again under a new id with its new count: this is what stays the same. */
const foldOf = (e: ClusterEvent) => `${e.firstSeen}|${e.type}|${e.reason}|${e.subject ?? ''}`;

/**
 * The cluster's event stream, newest first: the latest page, then live through the follow
 * endpoint (long polling from the last id seen), until the page is left.
 */
export function eventsFeed(clusterId: string, signal: AbortSignal, onEvents?: (events: readonly ClusterEvent[]) => void): HTMLElement {
  const base = `/v1/clusters/${encodeURIComponent(clusterId)}/events`;
  let events: ClusterEvent[] = [];
  const list = h('ol', { class: 'events', 'aria-label': 'Events, newest first' });
  const state = h('p', { class: 'muted small live-state' }, 'Loading events…');

  const render = () => {
    if (!events.length) return fill(list, h('li', { class: 'empty' }, 'No events yet.'));
    fill(
      list,
      events.map((e) =>
        h(
          'li',
          { class: `event ${e.type === 'Warning' ? 'warning' : ''}`, 'data-reason': e.reason },
          h('time', { datetime: e.lastSeen }, time(e.lastSeen)),
          ' ',
          h('span', { class: `badge ${e.type === 'Warning' ? 'bad' : 'neutral'}` }, e.type),
          ' ',
          h('strong', {}, e.reason),
          e.subject ? h('span', { class: 'muted' }, ` ${e.subject}`) : null,
          e.count > 1 ? h('span', { class: 'muted' }, ` ×${e.count}`) : null,
          h('p', { class: 'event-message' }, e.message),
        ),
      ),
    );
  };

  /** Newer events first; a folded one replaces its earlier self. */
  const add = (incoming: readonly ClusterEvent[]) => {
    for (const e of incoming) {
      const fold = foldOf(e);
      events = [e, ...events.filter((x) => x.id !== e.id && foldOf(x) !== fold)];
    }
    events = events.slice(0, SHOWN);
    render();
    if (incoming.length) onEvents?.(incoming);
  };

  void (async () => {
    let after: string | undefined;
    while (!signal.aborted) {
      try {
        if (after === undefined) {
          const page = await get<Page<ClusterEvent>>(withQuery(base, { limit: 50 }), signal);
          // The newest id is where following starts; with no event yet, the follow starts now.
          after = page.items[0]?.id ?? '';
          add([...page.items].reverse());
          state.textContent = 'Following live.';
          continue;
        }
        const news = await get<EventFollow>(withQuery(`${base}/follow`, { after: after || undefined, waitSeconds: WAIT_SECONDS }), signal);
        after = news.after;
        if (news.items.length) add(news.items);
        state.textContent = 'Following live.';
      } catch (err) {
        if (isAbort(err) || signal.aborted) return;
        state.textContent = `Event stream interrupted (${errorText(err)}); trying again in ${RETRY_MS / 1000} s.`;
        await pause(RETRY_MS, signal);
      }
    }
  })();

  return h('div', { class: 'events-feed' }, state, list);
}
