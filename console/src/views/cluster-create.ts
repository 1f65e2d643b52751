import { api, get, getAll } from '../api';
import { fill, h } from '../dom';
import { chosenProject, loadProjects, projectField, projectSelect } from '../projects';
import { navigate, type ViewContext } from '../router';
import type { CloudAccount, Cluster, NodePool, Page, Profile, ProfileRevision, Project } from '../types';
import { field, input, select, showFormError } from './fields';
import { errorBox, loading } from './notice';

/** A number when it reads as one; otherwise what was typed, for the API to name the field. */
const numberOr = (v: string): number | string | undefined => (v.trim() === '' ? undefined : Number.isFinite(Number(v)) ? Number(v) : v);

interface PoolRow {
  readonly el: HTMLElement;
  value(): Record<string, unknown>;
}

function poolRow(index: number, start: Partial<NodePool>, onRemove: (row: PoolRow) => void): PoolRow {
  const at = `nodePools[${index}]`;
  const name = input({ value: start.name ?? '', required: true });
  const role = select([['worker', 'Worker'], ['controlPlane', 'Control plane']], start.role ?? 'worker');
  const count = input({ type: 'number', min: 0, max: 1000, value: start.count ?? 1, inputmode: 'numeric' });
  const instanceType = input({ value: start.instanceType ?? '', placeholder: 'm6i.large', required: true });
  const zones = input({ value: (start.zones ?? []).join(', '), placeholder: 'us-east-1a, us-east-1b', required: true });
  const disk = input({ type: 'number', min: 20, max: 16384, value: start.diskGiB ?? 50, inputmode: 'numeric' });
  const row: PoolRow = {
    el: h(
      'fieldset',
      { class: 'pool', 'data-pool-index': index },
      h('legend', {}, `Pool ${index + 1}`),
      h(
        'div',
        { class: 'grid' },
        field('Pool name', name, { path: `${at}.name` }),
        field('Role', role, { path: `${at}.role` }),
        field('Nodes', count, { path: `${at}.count` }),
        field('Instance type', instanceType, { path: `${at}.instanceType` }),
        field('Zones', zones, { path: `${at}.zones`, hint: 'Comma-separated, in the region.' }),
        field('Disk (GiB)', disk, { path: `${at}.diskGiB` }),
      ),
      h('button', { type: 'button', class: 'secondary small', onclick: () => onRemove(row) }, `Remove pool ${index + 1}`),
    ),
    value: () => ({
      name: name.value.trim(),
      role: role.value,
      count: numberOr(count.value),
      instanceType: instanceType.value.trim(),
      zones: zones.value.split(/[\s,]+/).filter(Boolean),
      diskGiB: numberOr(disk.value),
    }),
  };
  return row;
}

/**
 * Create a cluster: profile and revision, cloud account, region and pools. The API checks it all
 * (cloud, zones, quotas, the profile's rules) and each problem shows at its field.
 */
export function clusterCreateView(ctx: ViewContext): HTMLElement {
  document.title = 'Create cluster · Strata';
  const root = h('div', {}, loading('profiles and cloud accounts'));

  void (async () => {
    try {
      const [profiles, accounts, projects] = await Promise.all([getAll<Profile>('/v1/profiles', ctx.signal), getAll<CloudAccount>('/v1/cloudaccounts', ctx.signal), loadProjects(ctx.signal).catch(() => [] as Project[])]);
      fill(root, form(profiles, accounts, projects, ctx.signal));
    } catch (err) {
      fill(root, errorBox(err));
    }
  })();

  return h(
    'section',
    { 'aria-labelledby': 'create-title' },
    h('p', { class: 'crumbs' }, h('a', { href: '/clusters' }, 'Clusters'), ' / '),
    h('h1', { id: 'create-title' }, 'Create cluster'),
    root,
  );
}

/** " · project payments" after a choice that belongs to a project; shared ones say nothing. */
const inProject = (projectId: string | undefined) => (projectId ? ` · project ${projectId}` : '');

function form(profiles: Profile[], accounts: CloudAccount[], projects: Project[], signal: AbortSignal): HTMLElement {
  if (!accounts.length) return h('p', { class: 'notice' }, 'A cluster needs a cloud account. ', h('a', { href: '/cloudaccounts' }, 'Add one first.'));
  const name = input({ required: true, autocomplete: 'off' });
  const project = projectSelect(projects, { sharedLabel: 'Shared (whole tenant)' });
  const profile = select(profiles.map((p) => [p.id, `${p.name} (${p.id})${inProject(p.projectId)}`] as const), profiles[0]?.id);
  const revision = select([['', 'Latest']]);
  const account = select(accounts.map((a) => [a.id, `${a.name} · ${a.spec.type}${inProject(a.projectId)}`] as const), accounts[0]?.id);
  // A cluster uses its own project's profile and account, or shared ones: choosing one of a project moves the cluster there.
  const follow = (projectId: string | undefined) => {
    if (projectId && [...project.options].some((o) => o.value === projectId)) project.value = projectId;
  };
  const followChoices = () => {
    follow(profiles.find((p) => p.id === profile.value)?.projectId);
    follow(accounts.find((a) => a.id === account.value)?.projectId);
  };
  profile.addEventListener('change', followChoices);
  account.addEventListener('change', followChoices);
  followChoices();
  const region = input({ required: true, placeholder: 'us-east-1' });
  const pools = h('div', { class: 'pools' });
  const summary = h('div', {});
  const submit = h('button', { type: 'submit' }, 'Create cluster');
  let rows: PoolRow[] = [];

  const renumber = (values: Record<string, unknown>[]) => {
    rows = values.map((v, i) => poolRow(i, v as Partial<NodePool>, remove));
    fill(pools, rows.map((r) => r.el));
  };
  const remove = (row: PoolRow) => renumber(rows.filter((r) => r !== row).map((r) => r.value()));
  renumber([
    { name: 'cp', role: 'controlPlane', count: 1, diskGiB: 50 },
    { name: 'workers', role: 'worker', count: 2, diskGiB: 50 },
  ]);

  const loadRevisions = async () => {
    const id = profile.value;
    if (!id) return;
    const page = await get<Page<ProfileRevision>>(`/v1/profiles/${encodeURIComponent(id)}/revisions?limit=100`, signal).catch(() => ({ items: [] as ProfileRevision[] }));
    fill(revision, h('option', { value: '' }, 'Latest'), page.items.map((r) => h('option', { value: r.revision }, `Revision ${r.revision}`)));
  };
  profile.addEventListener('change', () => void loadRevisions());
  void loadRevisions();

  const el: HTMLFormElement = h(
    'form',
    {
      class: 'card',
      novalidate: true,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        submit.disabled = true;
        const body = {
          name: name.value.trim(),
          ...chosenProject(project),
          profileId: profile.value,
          ...(revision.value ? { profileRevision: Number(revision.value) } : {}),
          cloudAccountId: account.value,
          region: region.value.trim(),
          nodePools: rows.map((r) => r.value()),
        };
        try {
          const created = await api<Cluster>('POST', '/v1/clusters', { body });
          navigate(`/clusters/${encodeURIComponent(created.id)}`);
        } catch (err) {
          showFormError(el, summary, err);
          submit.disabled = false;
        }
      },
    },
    h(
      'div',
      { class: 'grid' },
      field('Cluster name', name, { path: 'name', hint: 'Lower-case letters, digits and dashes.' }),
      projectField(project, "It uses its own project's profiles and cloud accounts, or shared ones."),
      field('Profile', profile, { path: 'profileId' }),
      field('Profile revision', revision, { path: 'profileRevision' }),
      field('Cloud account', account, { path: 'cloudAccountId' }),
      field('Region', region, { path: 'region' }),
    ),
    h('h2', {}, 'Node pools'),
    // Errors of the pools as a whole (exactly one control plane) show here.
    h('div', { id: 'pools-group', 'data-path': 'nodePools', tabindex: -1 }, h('p', { class: 'field-error', id: 'pools-group-error', hidden: true }), pools),
    h('button', { type: 'button', class: 'secondary', onclick: () => renumber([...rows.map((r) => r.value()), { name: '', role: 'worker', count: 1, diskGiB: 50 }]) }, 'Add pool'),
    summary,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => navigate('/clusters') }, 'Cancel'), submit),
  );
  queueMicrotask(() => name.focus());
  return el;
}
