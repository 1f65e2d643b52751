import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteItem, tenantPk } from '../../adapters/dynamodb/definitions.js';
import { projectSk } from '../../adapters/dynamodb/project-membership.js';
import { moveIntoDefaultProject } from '../../adapters/dynamodb/projects-store.js';
import { ROUTES } from '../../functions/api/routes.js';
import { pkcePair, signInThroughLocalIdp } from '../support/sso.js';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

/**
 * Projects inside a tenant: a key of project "payments" and one of project "web" each see their
 * own project's resources and the tenant's shared ones, and nothing of the other project: every
 * route that names another project's resource answers exactly what it answers for an id that
 * does not exist. The operator key of the runtime is a tenant-wide admin of tenant default.
 */
let api: Api;
const keys: Record<string, string> = {};
/** The resources each project made, by kind. */
const made: Record<'payments' | 'web', { cluster: string; profile: string; account: string; registry: string; pack: string }> = {} as never;
let sharedAccount: string;

const base = ['pk-ubuntu-22-04', 'pk-kubernetes-1-30-14', 'pk-calico-3-29-3', 'pk-aws-ebs-csi-1-44-0'].map((packId) => ({ registryId: 'public', packId }));

async function makeKey(name: string, role: string, projectId?: string): Promise<string> {
  const res = await api.call('POST', '/v1/apikeys', { body: { name, role, ...(projectId ? { projectId } : {}) } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.projectId).toBe(projectId);
  return res.body.key;
}

/** What one project's editor (and admin) make, without naming the project: it goes into the key's only project. */
async function makeResources(project: 'payments' | 'web') {
  const key = keys[`${project}Editor`]!;
  // Cloud accounts are an admin's to add, in a project as in the tenant.
  const account = await api.call('POST', '/v1/cloudaccounts', { key: keys[`${project}Admin`], body: { name: `${project}-sim`, spec: { type: 'local' } } });
  expect(account.status, JSON.stringify(account.body)).toBe(201);
  expect(account.body.projectId).toBe(project);
  const registry = (await api.call('POST', '/v1/registries', { key, body: { name: `${project}-packs` } })).body;
  expect(registry.projectId).toBe(project);
  const pack = await api.call('POST', `/v1/registries/${registry.id}/packs`, { key, body: { layer: 'addon', name: `${project}-tools`, version: '1.0.0' } });
  expect(pack.status, JSON.stringify(pack.body)).toBe(201);
  const profile = await api.call('POST', '/v1/profiles', { key, body: { name: `${project}-base`, layers: [...base, { registryId: registry.id, packId: pack.body.id }] } });
  expect(profile.status, JSON.stringify(profile.body)).toBe(201);
  expect(profile.body.projectId).toBe(project);
  const cluster = await api.call('POST', '/v1/clusters', { key, body: clusterBody(account.body.id, { name: `${project}-one`, profileId: profile.body.id }) });
  expect(cluster.status, JSON.stringify(cluster.body)).toBe(201);
  expect(cluster.body.projectId).toBe(project);
  made[project] = { cluster: cluster.body.id, profile: profile.body.id, account: account.body.id, registry: registry.id, pack: pack.body.id };
}

beforeAll(async () => {
  api = await startApi();
  for (const name of ['payments', 'web']) expect((await api.call('POST', '/v1/projects', { body: { name, description: `team ${name}` } })).status).toBe(201);
  keys.paymentsEditor = await makeKey('payments-editor', 'editor', 'payments');
  keys.paymentsViewer = await makeKey('payments-viewer', 'viewer', 'payments');
  keys.paymentsAdmin = await makeKey('payments-admin', 'admin', 'payments');
  keys.webEditor = await makeKey('web-editor', 'editor', 'web');
  keys.webAdmin = await makeKey('web-admin', 'admin', 'web');
  sharedAccount = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'shared-sim', spec: { type: 'local' } } })).body.id;
  await makeResources('payments');
  await makeResources('web');
}, 60_000);
afterAll(() => api.stop());

/** A route's path with its parameters filled: `{id}` by `id`, the others by names that exist nowhere. */
const fill = (template: string, id: string) =>
  template.replace('{id}', id).replace(/\{(\w+)\}/g, (_, name: string) => (name === 'packId' ? 'pk-nowhere' : name === 'revision' ? '1' : `${name}-nowhere`));

/** The body a route gets in this test: enough to reach its lookup where a body is read first. */
function bodyFor(method: string, template: string): unknown {
  if (method === 'GET' || method === 'DELETE') return undefined;
  if (template === '/v1/clusters/{id}/logs') return { types: ['platform'] };
  if (template === '/v1/profiles/{id}') return { version: 1, layers: base };
  if (template === '/v1/registries/{id}/packs') return { layer: 'addon', name: 'intruder', version: '1.0.0' };
  return {};
}

const FAMILIES: ReadonlyArray<{ prefix: string; kind: keyof (typeof made)['payments'] }> = [
  { prefix: '/v1/clusters/{id}', kind: 'cluster' },
  { prefix: '/v1/profiles/{id}', kind: 'profile' },
  { prefix: '/v1/cloudaccounts/{id}', kind: 'account' },
  { prefix: '/v1/registries/{id}', kind: 'registry' },
];

describe('projects: isolation', () => {
  it("answers another project's id on every route exactly as an id that does not exist, and reads of it are 404", async () => {
    const checked: string[] = [];
    for (const { prefix, kind } of FAMILIES) {
      // Follows (SSE) are streams; their first check is the same read as the route without /follow.
      for (const route of ROUTES.filter((r) => r.path.startsWith(prefix) && !r.path.endsWith('/follow'))) {
        const body = bodyFor(route.method, route.path);
        const theirs = await api.call(route.method, fill(route.path, made.payments[kind]), { key: keys.webEditor, body });
        const nobodys = await api.call(route.method, fill(route.path, `${kind}-nowhere`), { key: keys.webEditor, body });
        const label = `${route.method} ${route.path}`;
        expect({ status: theirs.status, error: theirs.body?.error }, label).toEqual({ status: nobodys.status, error: nobodys.body?.error });
        if (route.method === 'GET' || route.method === 'DELETE') expect(theirs.status, label).toBe(404);
        checked.push(label);
      }
    }
    expect(checked.length).toBeGreaterThan(35);
    // Nothing of payments was changed or removed by those calls.
    for (const [kind, path] of [
      ['cluster', `/v1/clusters/${made.payments.cluster}`],
      ['profile', `/v1/profiles/${made.payments.profile}`],
      ['account', `/v1/cloudaccounts/${made.payments.account}`],
      ['registry', `/v1/registries/${made.payments.registry}`],
    ]) {
      expect((await api.call('GET', path!, { key: keys.paymentsViewer })).status, kind).toBe(200);
    }
  });

  it('lists show a project its own resources and the shared ones; tenant-wide callers see all', async () => {
    const names = async (path: string, key?: string) => ((await api.call('GET', path, { key })).body.items as { name: string }[]).map((i) => i.name).sort();
    expect(await names('/v1/cloudaccounts', keys.paymentsViewer)).toEqual(['payments-sim', 'shared-sim']);
    expect(await names('/v1/cloudaccounts', keys.webEditor)).toEqual(['shared-sim', 'web-sim']);
    expect(await names('/v1/cloudaccounts')).toEqual(['payments-sim', 'shared-sim', 'web-sim']);
    expect(await names('/v1/clusters', keys.webEditor)).toEqual(['web-one']);
    expect(await names('/v1/clusters')).toEqual(['payments-one', 'web-one']);
    // The sample profile is the tenant's: shared.
    expect(await names('/v1/profiles', keys.webEditor)).toEqual(['ubuntu-k8s-calico', 'web-base']);
    expect(await names('/v1/registries', keys.paymentsViewer)).toEqual(['payments-packs', 'public']);
    expect(await names('/v1/projects', keys.webEditor)).toEqual(['web']);
    expect((await api.call('GET', '/v1/projects', { key: keys.webEditor })).body.items[0]).toMatchObject({ id: 'web', role: 'editor' });
    expect(await names('/v1/projects')).toEqual(['default', 'payments', 'web']);
    // The tenant-wide streams carry only what the caller can see.
    await eventually(async () => ((await api.call('GET', '/v1/events?limit=100', { key: keys.webEditor })).body.items.length > 0 ? true : undefined), 'web events');
    const events = (await api.call('GET', '/v1/events?limit=100', { key: keys.webEditor })).body.items as { clusterId: string }[];
    expect(new Set(events.map((e) => e.clusterId))).toEqual(new Set([made.web.cluster]));
  });

  it("a project's callers cannot reach into another project or change shared resources", async () => {
    // Naming another project is 404, as it does not exist for them.
    const into = await api.call('POST', '/v1/cloudaccounts', { key: keys.webEditor, body: { name: 'sneaky', projectId: 'payments', spec: { type: 'local' } } });
    expect(into.status).toBe(404);
    expect(into.body.details[0].path).toBe('projectId');
    // Using another project's profile or account is 404 naming the field.
    const borrow = await api.call('POST', '/v1/clusters', { key: keys.webEditor, body: clusterBody(made.web.account, { name: 'borrow', profileId: made.payments.profile }) });
    expect(borrow.status).toBe(404);
    expect(borrow.body.details[0].path).toBe('profileId');
    // Even a tenant-wide admin cannot make a cluster of one project with another's profile.
    const mixed = await api.call('POST', '/v1/clusters', { body: { ...clusterBody(made.web.account, { name: 'mixed', profileId: made.payments.profile }), projectId: 'web' } });
    expect(mixed.status).toBe(400);
    expect(mixed.body.details[0].path).toBe('profileId');
    // Shared resources are read and used by every project, changed by tenant-wide roles only.
    expect((await api.call('GET', `/v1/cloudaccounts/${sharedAccount}`, { key: keys.webEditor })).status).toBe(200);
    expect((await api.call('DELETE', `/v1/cloudaccounts/${sharedAccount}`, { key: keys.webEditor })).status).toBe(403);
    // A viewer of payments reads but does not change.
    expect((await api.call('DELETE', `/v1/registries/${made.payments.registry}`, { key: keys.paymentsViewer })).status).toBe(403);
    // Tenant-wide things stay with tenant-wide admins.
    for (const path of ['/v1/sso', '/v1/audit']) expect((await api.call('GET', path, { key: keys.paymentsAdmin })).status, path).toBe(403);
    expect((await api.call('POST', '/v1/projects', { key: keys.paymentsAdmin, body: { name: 'mine' } })).status).toBe(403);
  });

  it("a project's admin manages that project's keys only", async () => {
    const listed = (await api.call('GET', '/v1/apikeys', { key: keys.paymentsAdmin })).body.items as { name: string; projectId?: string }[];
    expect(listed.map((k) => k.name).sort()).toEqual(['payments-admin', 'payments-editor', 'payments-viewer']);
    const made2 = await api.call('POST', '/v1/apikeys', { key: keys.paymentsAdmin, body: { name: 'payments-ci', role: 'editor' } });
    expect(made2.status).toBe(201);
    expect(made2.body.projectId).toBe('payments');
    expect((await api.call('POST', '/v1/apikeys', { key: keys.paymentsAdmin, body: { name: 'web-ci', role: 'editor', projectId: 'web' } })).status).toBe(404);
    const webKey = ((await api.call('GET', '/v1/apikeys')).body.items as { id: string; name: string }[]).find((k) => k.name === 'web-editor')!;
    expect((await api.call('DELETE', `/v1/apikeys/${webKey.id}`, { key: keys.paymentsAdmin })).status).toBe(404);
    expect((await api.call('DELETE', `/v1/apikeys/${made2.body.id}`, { key: keys.paymentsAdmin })).status).toBe(204);
  });

  it('records the project in the audit log, and keeps a project that holds something', async () => {
    const entries = (await api.call('GET', '/v1/audit?project=payments&limit=100')).body.items as { action: string; project: string }[];
    expect(entries.length).toBeGreaterThan(4);
    expect(entries.every((e) => e.project === 'payments')).toBe(true);
    expect(entries.map((e) => e.action)).toContain('POST /v1/clusters');
    const held = await api.call('DELETE', '/v1/projects/payments');
    expect(held.status).toBe(409);
    expect(held.body.message).toContain('still holds');
    expect((await api.call('GET', '/v1/projects/payments')).body.memberCount).toBe(7);
    expect((await api.call('POST', '/v1/projects', { body: { name: 'payments' } })).status).toBe(409);
    expect((await api.call('POST', '/v1/projects', { body: { name: 'Bad Name' } })).body.details[0].path).toBe('name');
    expect((await api.call('POST', '/v1/projects', { body: { name: 'empty' } })).status).toBe(201);
    expect((await api.call('DELETE', '/v1/projects/empty')).status).toBe(204);
    expect((await api.call('GET', '/v1/projects/empty')).status).toBe(404);
  });

  it('a person whose groups map to a project role sees that project only', async () => {
    const groupRoles = [
      { group: 'platform-admins', role: 'admin' },
      { group: 'app-developers', role: 'editor', project: 'payments' },
    ];
    const sso = { issuer: api.runtime.oidcIssuer, clientId: 'strata', scopes: ['openid', 'profile', 'email', 'groups'] };
    const unknown = await api.call('PUT', '/v1/sso', { body: { ...sso, groupRoles: [...groupRoles, { group: 'auditors', role: 'viewer', project: 'nowhere' }] } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details[0].path).toBe('groupRoles[2].project');
    expect((await api.call('PUT', '/v1/sso', { body: { ...sso, groupRoles } })).status).toBe(200);

    const info = (await api.call('GET', '/v1/signin/default', { key: null })).body;
    const { verifier, challenge } = pkcePair();
    const redirectUri = `${api.runtime.url}/`;
    const url = new URL(info.authorizationEndpoint);
    url.search = new URLSearchParams({ response_type: 'code', client_id: info.clientId, redirect_uri: redirectUri, scope: info.scopes.join(' '), state: 's', code_challenge: challenge, code_challenge_method: 'S256', prompt: 'consent' }).toString();
    const { code } = await signInThroughLocalIdp({ authorizeUrl: url.toString(), username: 'bob', password: 'bob-local' });
    const tokens = await api.call('POST', '/v1/signin/default/token', { key: null, body: { code, codeVerifier: verifier, redirectUri } });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(tokens.body).toMatchObject({ role: 'editor', projects: { payments: 'editor' } });
    const bob = tokens.body.idToken as string;
    expect(((await api.call('GET', '/v1/clusters', { key: bob })).body.items as { name: string }[]).map((c) => c.name)).toEqual(['payments-one']);
    expect((await api.call('GET', `/v1/clusters/${made.web.cluster}`, { key: bob })).status).toBe(404);
    expect((await api.call('GET', `/v1/clusters/${made.payments.cluster}`, { key: bob })).status).toBe(200);
  });

  it("moves a tenant's resources made before projects into its default project, once and without loss", async () => {
    const made3 = (await api.call('POST', '/v1/tenants', { body: { name: 'legacy' } })).body;
    const key = made3.apiKey.key as string;
    const account = (await api.call('POST', '/v1/cloudaccounts', { key, body: { name: 'old-sim', spec: { type: 'local' } } })).body;
    const registry = (await api.call('POST', '/v1/registries', { key, body: { name: 'old-packs' } })).body;
    const profile = (await api.call('POST', '/v1/profiles', { key, body: { name: 'old-base', layers: base } })).body;
    const cluster = (await api.call('POST', '/v1/clusters', { key, body: clusterBody(account.id, { name: 'old-one', profileId: profile.id }) })).body;
    expect([account, registry, profile, cluster].map((r) => r.projectId)).toEqual([undefined, undefined, undefined, undefined]);
    // As a tenant made before projects was: no default project, no record of a move.
    await deleteItem(tenantPk('legacy'), projectSk('default'));
    await deleteItem(tenantPk('legacy'), 'PROJECTS#MOVED');

    expect(await moveIntoDefaultProject('legacy')).toEqual({ moved: 4 });
    expect(await moveIntoDefaultProject('legacy')).toEqual({ moved: 0 });
    for (const path of [`/v1/cloudaccounts/${account.id}`, `/v1/registries/${registry.id}`, `/v1/profiles/${profile.id}`, `/v1/clusters/${cluster.id}`]) {
      const now = await api.call('GET', path, { key });
      expect(now.status, path).toBe(200);
      expect(now.body.projectId, path).toBe('default');
      expect(now.body.name, path).toMatch(/^old-/);
    }
    expect((await api.call('GET', '/v1/projects/default', { key })).body.memberCount).toBe(4);
    // The moved resources count: the project is not deleted from under them.
    expect((await api.call('DELETE', '/v1/projects/default', { key })).status).toBe(409);
  });
});
