import { get, getAll, withQuery } from '../api';
import { fill, h, table } from '../dom';
import { REFRESH_MS, refreshEvery } from '../live';
import { projectBadge } from '../projects';
import { navigate, type ViewContext } from '../router';
import { may } from '../session';
import type { Cluster, ClusterWithStatus, HealthState, Page, Profile, Quotas } from '../types';
import { healthBadge, phaseBadge, updateBadge } from './badges';
import { field, input, select } from './fields';
import { errorSlot, loading } from './notice';
import { mapLimited } from './map-limited';

const HEALTH_FILTERS = ['Healthy', 'Unhealthy', 'Unknown'] as const;

/** Every cluster of the tenant, with its health (a GET per cluster: the list does not carry it). */
async function loadClusters(signal: AbortSignal): Promise<ClusterWithStatus[]> {
  const clusters: Cluster[] = [];
  let cursor: string | undefined;
  do {
    const page = await get<Page<Cluster>>(withQuery('/v1/clusters', { limit: 100, cursor }), signal);
    clusters.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  // The list says which clusters are behind their profile; one cluster's GET does not.
  return mapLimited(clusters, 5, (c) =>
    get<ClusterWithStatus>(`/v1/clusters/${encodeURIComponent(c.id)}`, signal).then(
      (full) => ({ ...full, pendingUpdate: c.pendingUpdate }),
      () => ({ ...c, ready: { status: 'Unknown', reason: '', message: '' }, health: { health: 'Unknown', reasons: [] } }) as ClusterWithStatus,
    ),
  );
}

const nodeCount = (c: Cluster) => c.nodePools.reduce((n, p) => n + p.count, 0);

/** "2 of 3 clusters · 12 of 50 nodes": the tenant's quotas, when an operator set any. */
function quotaText(q: Quotas): string | undefined {
  const parts = (['clusters', 'nodes'] as const).flatMap((kind) => (q.quotas[kind] === undefined ? [] : [`${q.usage[kind]} of ${q.quotas[kind]} ${kind}`]));
  return parts.length ? `Quota: ${parts.join(' · ')}` : undefined;
}

export function clustersListView(ctx: ViewContext): HTMLElement {
  const nameFilter = input({ type: 'search', name: 'name', value: ctx.query.get('name') ?? '' });
  const healthFilter = select([['', 'Any health'], ...HEALTH_FILTERS.map((x) => [x, x] as const)], ctx.query.get('health') ?? '', { name: 'health' });
  const body = h('div', {}, loading('clusters'));
  const updated = h('p', { class: 'muted small', 'aria-live': 'off' });
  const quota = h('p', { class: 'muted small', 'data-quotas': '' });
  // Once per visit: counting the tenant's clusters is a read of each; a refused create names the quota anyway.
  get<Quotas>('/v1/quotas', ctx.signal).then(
    (q) => fill(quota, quotaText(q) ?? ''),
    () => undefined,
  );
  const errors = errorSlot();
  let clusters: ClusterWithStatus[] | undefined;
  let profiles = new Map<string, string>();
  let marked = false;

  const render = () => {
    if (!clusters) return;
    const name = nameFilter.value.trim().toLowerCase();
    const health = healthFilter.value as HealthState | '';
    const shown = clusters.filter((c) => (!name || c.name.toLowerCase().includes(name)) && (!health || c.health.health === health));
    const rows = shown.map((c) =>
      h(
        'tr',
        { 'data-cluster': c.name },
        // The project beside the name (the other cells are the cluster's state); shared clusters carry none.
        h('th', { scope: 'row' }, h('a', { href: `/clusters/${encodeURIComponent(c.id)}` }, c.name), c.projectId ? [' ', projectBadge(c.projectId)] : null),
        h('td', {}, phaseBadge(c.phase)),
        h('td', {}, healthBadge(c.health.health)),
        h(
          'td',
          {},
          `${profiles.get(c.profileId) ?? c.profileId} · rev ${c.profileRevision}`,
          c.pendingUpdate ? [' ', h('a', { href: `/clusters/${encodeURIComponent(c.id)}/updates`, class: 'badge-link' }, updateBadge(c.pendingUpdate))] : null,
        ),
        h('td', { class: 'num' }, nodeCount(c)),
        h('td', {}, c.cloud),
        h('td', {}, c.region),
      ),
    );
    fill(
      body,
      clusters.length === 0
        ? h('p', { class: 'empty' }, 'No clusters yet.', may('editor') ? [' ', h('a', { href: '/clusters/new' }, 'Create the first one.')] : null)
        : shown.length === 0
          ? h('p', { class: 'empty' }, 'No cluster matches the filter.')
          : table('Clusters', ['Name', 'Phase', 'Health', 'Profile', 'Nodes', 'Cloud', 'Region'], rows, { class: 'clusters', 'data-state': 'ready' }),
    );
    if (!marked) {
      marked = true;
      // The bench reads this: navigation start → the list on screen.
      performance.mark('clusters-rendered');
    }
  };

  const filtersChanged = () => {
    const q = withQuery(location.pathname, { name: nameFilter.value.trim() || undefined, health: healthFilter.value || undefined });
    history.replaceState(null, '', q);
    render();
  };
  nameFilter.addEventListener('input', filtersChanged);
  healthFilter.addEventListener('change', filtersChanged);

  refreshEvery(
    REFRESH_MS,
    ctx.signal,
    async () => {
      const [list, profileList] = await Promise.all([loadClusters(ctx.signal), profiles.size ? undefined : getAll<Profile>('/v1/profiles', ctx.signal)]);
      if (profileList) profiles = new Map(profileList.map((p) => [p.id, p.name]));
      clusters = list;
      errors.clear();
      render();
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every ${REFRESH_MS / 1000} s.`;
    },
    errors.show,
  );

  return h(
    'section',
    { 'aria-labelledby': 'clusters-title' },
    h(
      'div',
      { class: 'page-head' },
      h('h1', { id: 'clusters-title' }, 'Clusters'),
      may('editor') ? h('button', { type: 'button', onclick: () => navigate('/clusters/new') }, 'Create cluster') : null,
    ),
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter clusters', onsubmit: (e: Event) => e.preventDefault() }, field('Name contains', nameFilter), field('Health', healthFilter)),
    quota,
    errors.el,
    body,
    updated,
  );
}
