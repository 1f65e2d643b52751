import { ApiError, api, get } from '../api';
import { fill, facts, h, table } from '../dom';
import { ago, time } from '../format';
import { REFRESH_MS, refreshEvery } from '../live';
import { BRISK_AFTER_NEWS_MS, CLUSTER_PAGE_REFRESH_MS } from '../poll-rates';
import { navigate, type ViewContext } from '../router';
import { projectBadge } from '../projects';
import { mayOn } from '../session';
import type { ClusterPlan, ClusterUpdates, ClusterWithStatus, ConditionList, NodeList, Profile, ProfileRevision, Service } from '../types';
import { healthBadge, phaseBadge, statusBadge } from './badges';
import { downloadKubeconfig, rotateAgentToken } from './cluster-credentials';
import { commandsSection } from './commands-section';
import { conditionsTimeline } from './conditions-timeline';
import { confirmAction } from './dialog';
import { clusterTabs } from './cluster-logs';
import { eventsFeed } from './events-feed';
import { healthSection } from './health-section';
import { imageOfCluster } from './images';
import { errorBox, errorSlot, loading } from './notice';
import { nodesTable } from './nodes-table';
import { planView } from './plan-view';
import { openScaleDialog } from './scale-pool';
import { servicesTable } from './services-table';
import { usageSection } from './usage-section';

const SECTIONS = [
  ['health', 'Health'],
  ['milestones', 'Milestones'],
  ['usage', 'Usage'],
  ['pools', 'Node pools'],
  ['nodes', 'Nodes'],
  ['commands', 'Agent commands'],
  ['services', 'Services'],
  ['plan', 'Plan'],
  ['values', 'Pack values'],
  ['events', 'Events'],
] as const;
type SectionId = (typeof SECTIONS)[number][0];

function section(id: SectionId, title: string, ...content: Node[]): HTMLElement {
  return h('section', { id, class: 'panel', 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), content);
}

/**
 * One cluster: what it is, its health and why, its milestones, usage, pools, nodes, its agent's
 * commands, services, the plan of its latest change and its events, refreshed live; scale a pool,
 * command the agent, rotate its token, download a kubeconfig or delete the cluster from here.
 */
export function clusterOverviewView(ctx: ViewContext): HTMLElement {
  const id = ctx.params.id!;
  const path = `/v1/clusters/${encodeURIComponent(id)}`;
  const title = h('h1', { id: 'cluster-title' }, id);
  const badges = h('span', { class: 'title-badges' });
  const actions = h('div', { class: 'actions' });
  const summary = h('div', {}, loading('the cluster'));
  const slots = {} as Record<SectionId, HTMLElement>;
  for (const [s] of SECTIONS) slots[s] = h('div', {});
  const errors = errorSlot();
  /** What an action of the page head answered; kept until the next action, unlike refresh errors. */
  const outcome = h('div', { 'aria-live': 'polite' });
  /** A banner leading to the review page while the profile has a later revision. */
  const updateBanner = h('div', {});
  /** The packs and the update, read again only when the cluster moves to another generation. */
  let packsFor: number | undefined;
  const commands = commandsSection(id, ctx.signal);
  let actionsFor: string | undefined;
  let cluster: ClusterWithStatus | undefined;
  let profileName: string | undefined;
  /**
   * Whether the cluster has a plan to show. A plan exists from the first reconcile on, which says so
   * with a ReconcileStarted event; before that GET /plan is a 404. So the page asks once when it
   * opens on a changed cluster, and otherwise when the event stream says a reconcile started.
   */
  let planKnown = false;
  let firstLoad = true;
  /** The node image, a link to its page when Strata baked it; looked up once per image id. */
  const imageFact = h('span', {}, '—');
  let imageLookedUp: string | undefined;
  const showImage = (c: ClusterWithStatus) => {
    const imageId = c.status?.imageId;
    if (!imageId || imageId === imageLookedUp) return;
    imageLookedUp = imageId;
    fill(imageFact, imageId);
    imageOfCluster(c, ctx.signal).then(
      (image) => {
        if (image && imageLookedUp === imageId) fill(imageFact, h('a', { href: `/images/${encodeURIComponent(image.id)}`, 'data-image': image.id }, image.name), ` · ${imageId}`);
      },
      // A failed look-up leaves the id as it is; the page's own refresh shows the API's errors.
      () => undefined,
    );
  };

  const deleteCluster = async () => {
    if (!cluster) return;
    const ok = await confirmAction(`Delete cluster ${cluster.name}?`, `Every node and everything Strata made for ${cluster.name} in ${cluster.cloud} ${cluster.region} is deleted. This cannot be undone.`, 'Delete cluster');
    if (!ok) return;
    try {
      await api('DELETE', path);
      navigate('/clusters');
    } catch (err) {
      errors.show(err);
    }
  };

  /** Run an action of the page head and show what it answered (nothing when cancelled). */
  const act = async (run: (c: ClusterWithStatus) => Promise<string | undefined>) => {
    if (!cluster) return;
    try {
      const said = await run(cluster);
      if (said) fill(outcome, h('p', { class: 'notice' }, said));
    } catch (err) {
      fill(outcome, errorBox(err));
    }
  };

  const renderActions = (c: ClusterWithStatus) => {
    const going = c.phase === 'Deleting' || c.phase === 'Deleted';
    const canChange = mayOn(c.projectId, 'editor') && !going;
    const canKubeconfig = mayOn(c.projectId, 'admin') && !going && !!c.status?.apiEndpoint;
    // Rebuilt only when what may be done changes: a button replaced on every refresh loses the focus.
    const key = `${canChange} ${canKubeconfig}`;
    if (key === actionsFor) return;
    actionsFor = key;
    fill(
      actions,
      canKubeconfig ? h('button', { type: 'button', class: 'secondary', onclick: () => void act(downloadKubeconfig) }, 'Download kubeconfig') : null,
      canChange ? h('button', { type: 'button', class: 'secondary', onclick: () => void act(rotateAgentToken) }, 'Rotate agent token') : null,
      canChange ? h('button', { type: 'button', class: 'danger', onclick: () => void deleteCluster() }, 'Delete cluster') : null,
    );
  };

  const renderPools = (c: ClusterWithStatus) => {
    const canScale = mayOn(c.projectId, 'editor') && c.phase !== 'Deleting' && c.phase !== 'Deleted';
    const rows = c.nodePools.map((p, i) =>
      h(
        'tr',
        { 'data-pool': p.name },
        h('th', { scope: 'row' }, p.name),
        h('td', {}, p.role === 'controlPlane' ? 'control plane' : 'worker'),
        h('td', { class: 'num' }, p.count),
        h('td', {}, p.instanceType),
        h('td', {}, p.zones.join(', ')),
        h('td', { class: 'num' }, p.diskGiB ? `${p.diskGiB} GiB` : '—'),
        canScale ? h('td', {}, h('button', { type: 'button', class: 'secondary small', 'aria-label': `Scale pool ${p.name}`, onclick: () => openScaleDialog(c, i, readSoon) }, 'Scale')) : null,
      ),
    );
    fill(slots.pools, table('Node pools', ['Pool', 'Role', 'Nodes', 'Instance type', 'Zones', 'Disk', ...(canScale ? ['Change'] : [])], rows));
  };

  /** The packs of the revision it runs, each with its override and a link to its values; and the pending update, if any. */
  const renderPacks = async (c: ClusterWithStatus) => {
    const [revision, updates] = await Promise.all([
      get<ProfileRevision>(`/v1/profiles/${encodeURIComponent(c.profileId)}/revisions/${c.profileRevision}`, ctx.signal),
      get<ClusterUpdates>(`${path}/updates`, ctx.signal),
    ]);
    const rows = revision.layers.map((l) =>
      h(
        'tr',
        { 'data-pack': l.name },
        h('th', { scope: 'row' }, h('a', { href: `/clusters/${encodeURIComponent(c.id)}/values/${encodeURIComponent(l.name)}` }, l.name)),
        h('td', {}, l.layer),
        h('td', {}, l.version),
        h('td', {}, c.overrides?.[l.name] ? 'overridden' : "the profile's"),
      ),
    );
    fill(slots.values, table('Pack values', ['Pack', 'Layer', 'Version', 'Values'], rows));
    fill(
      updateBanner,
      updates.updateAvailable
        ? h(
            'p',
            { class: 'notice update-banner' },
            `Revision ${updates.latestRevision} of profile ${updates.profileName} is available (${updates.revisionsBehind} behind${updates.conflicts.length ? `, ${updates.conflicts.length} conflict(s) with this cluster's overrides` : ''}). `,
            h('a', { href: `/clusters/${encodeURIComponent(c.id)}/updates` }, 'Review the update'),
          )
        : null,
    );
  };

  const renderSummary = (c: ClusterWithStatus) => {
    title.textContent = c.name;
    document.title = `${c.name} · Strata`;
    fill(badges, phaseBadge(c.phase), ' ', healthBadge(c.health.health));
    renderActions(c);
    showImage(c);
    fill(
      summary,
      c.phase === 'Deleted' ? h('p', { class: 'notice' }, 'This cluster has been deleted; its record is kept for a week.') : null,
      facts([
        ['Ready', [statusBadge(c.ready.status), ` ${c.ready.reason}: ${c.ready.message}`]],
        ['Profile', h('span', {}, h('a', { href: `/profiles/${encodeURIComponent(c.profileId)}` }, profileName ?? c.profileId), ` revision ${c.profileRevision} · `, h('a', { href: `/clusters/${encodeURIComponent(c.id)}/updates` }, 'updates and history'))],
        ['Cloud', `${c.cloud} · ${c.region}`],
        ['Cloud account', c.cloudAccountId],
        ['Project', projectBadge(c.projectId)],
        ['Node image', imageFact],
        ['OS patching', h('a', { href: `/clusters/${encodeURIComponent(c.id)}/ospatch` }, 'Schedule and patch runs')],
        ['Generation', `${c.generation} (observed ${c.status?.observedGeneration ?? '—'})`],
        ['API endpoint', c.status?.apiEndpoint ?? '—'],
        ['Created', h('time', { datetime: c.createdAt, title: time(c.createdAt) }, ago(c.createdAt))],
        ['Id', c.id],
      ]),
    );
  };

  // Briskly while something is under way (a phase other than Running or Deleted, or news in the
  // last half minute), slowly otherwise: every change worth seeing comes with an event.
  let briskUntil = 0;
  const settled = () => cluster === undefined || cluster.phase === 'Running' || cluster.phase === 'Deleted';
  const readSoon = () => {
    briskUntil = Date.now() + BRISK_AFTER_NEWS_MS;
    live.now();
  };
  const live = refreshEvery(
    () => (settled() && Date.now() >= briskUntil ? CLUSTER_PAGE_REFRESH_MS : REFRESH_MS),
    ctx.signal,
    async () => {
      const [c, conditions, nodes, services] = await Promise.all([
        get<ClusterWithStatus>(path, ctx.signal),
        get<ConditionList>(`${path}/conditions`, ctx.signal),
        get<NodeList>(`${path}/nodes`, ctx.signal),
        get<{ items: Service[] }>(`${path}/services`, ctx.signal),
      ]);
      cluster = c;
      profileName ??= await get<Profile>(`/v1/profiles/${encodeURIComponent(c.profileId)}`, ctx.signal).then(
        (p) => p.name,
        () => c.profileId,
      );
      renderSummary(c);
      fill(slots.health, ...healthSection(c.health, conditions.items));
      fill(slots.milestones, conditionsTimeline(conditions.items));
      renderPools(c);
      if (packsFor !== c.generation) {
        packsFor = c.generation;
        void renderPacks(c).catch((err) => {
          packsFor = undefined;
          errors.show(err);
        });
      }
      fill(slots.nodes, nodesTable(c.id, nodes.items), nodes.reportedAt ? h('p', { class: 'muted small' }, `Agent report ${ago(nodes.reportedAt)}.`) : null);
      commands.update(c, nodes.items);
      fill(slots.services, servicesTable(services.items));
      if (planKnown || (firstLoad && c.generation > 1)) {
        try {
          fill(slots.plan, ...planView(await get<ClusterPlan>(`${path}/plan`, ctx.signal)));
          planKnown = true;
        } catch (err) {
          if (!(err instanceof ApiError && err.status === 404)) throw err;
        }
      }
      firstLoad = false;
      if (!planKnown) fill(slots.plan, h('p', { class: 'empty' }, 'No change has been planned since the cluster was provisioned.'));
      errors.clear();
    },
    (err) => {
      if (!cluster) fill(summary, errorBox(err));
      else errors.show(err);
    },
  );

  fill(slots.usage, usageSection(id, ctx.signal));
  fill(slots.commands, commands.el);
  fill(
    slots.events,
    eventsFeed(id, ctx.signal, (events, news) => {
      if (events.some((e) => e.reason === 'ReconcileStarted')) planKnown = true;
      // The feed's first page is what the page was loaded with; what follows is news.
      if (news) readSoon();
    }),
  );

  return h(
    'article',
    { 'aria-labelledby': 'cluster-title' },
    h('p', { class: 'crumbs' }, h('a', { href: '/clusters' }, 'Clusters'), ' / '),
    h('div', { class: 'page-head' }, h('div', {}, title, badges), actions),
    clusterTabs(id, ''),
    outcome,
    updateBanner,
    errors.el,
    summary,
    h('nav', { class: 'in-page', 'aria-label': 'Sections' }, h('ul', {}, SECTIONS.map(([s, label]) => h('li', {}, h('a', { href: `#${s}` }, label))))),
    SECTIONS.map(([s, label]) => section(s, label, slots[s])),
  );
}
