import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

/**
 * Profile updates end to end on the local runtime: a published revision becomes a notification on
 * the cluster, conflicts with its overrides are resolved per key, the update is applied through the
 * reconciler and the agent, rolled back, and a reverted change clears the notification.
 */
let api: Api;
let accountId: string;
let profileId: string;
let profileVersion = 1;
let id: string;
const ref = (packId: string, values?: string) => ({ registryId: 'public', packId, ...(values === undefined ? {} : { values }) });

const EBS_V1 = `# EBS CSI driver, as the platform team runs it
controller:
  # two for a highly available controller
  replicas: 2
  logLevel: 2
node:
  tolerateAllTaints: true
`;
const EBS_V2 = `# EBS CSI driver, as the platform team runs it
controller:
  # three now: one per zone
  replicas: 3
  logLevel: 4
node:
  tolerateAllTaints: true
`;
const OVERRIDE = `controller:
  # this cluster is small: one is enough
  replicas: 1
`;
const PROMETHEUS = ref('pk-prometheus-operator-72-6-2');
const stack = (ebs: string, opts: { k8s?: string; addons?: object[] } = {}) => [
  ref('pk-ubuntu-22-04'),
  ref(opts.k8s ?? 'pk-kubernetes-1-31-10'),
  ref('pk-calico-3-29-3'),
  ref('pk-aws-ebs-csi-1-44-0', ebs),
  ...(opts.addons ?? []),
];

beforeAll(async () => {
  api = await startApi();
  accountId = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
  profileId = (await api.call('POST', '/v1/profiles', { body: { name: 'updates', layers: stack(EBS_V1) } })).body.id;
  const made = await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'upd', profileId, overrides: { 'aws-ebs-csi': OVERRIDE } }) });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  id = made.body.id;
  await eventually(async () => ((await get(`/v1/clusters/${id}`)).phase === 'Running' ? true : undefined), 'cluster Running', 60_000);
}, 90_000);
afterAll(() => api.stop());

const get = async (path: string) => (await api.call('GET', path)).body;
const updates = () => get(`/v1/clusters/${id}/updates`);
const publish = async (layers: object[]) => {
  const res = await api.call('PUT', `/v1/profiles/${profileId}`, { body: { version: profileVersion, layers } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  profileVersion = res.body.version;
  return res.body.latestRevision as number;
};
const apply = (body: object, dryRun = false) => api.call('POST', `/v1/clusters/${id}/updates/apply${dryRun ? '?dryRun=true' : ''}`, { body });
const eventsOf = async (reason: string) => (await get(`/v1/clusters/${id}/events?limit=100`)).items.filter((e: any) => e.reason === reason);
/** Wait until the cluster has reconciled its latest generation (nodes, packs and all). */
async function reconciled() {
  const generation = (await get(`/v1/clusters/${id}`)).generation;
  await eventually(
    async () => {
      const [c, conditions] = await Promise.all([get(`/v1/clusters/${id}`), get(`/v1/clusters/${id}/conditions`)]);
      const packs = conditions.items.find((x: any) => x.type === 'PacksInstalled');
      return c.status?.observedGeneration === generation && packs?.status === 'True' && packs.observedGeneration >= generation ? true : undefined;
    },
    `generation ${generation} reconciled`,
    90_000,
  );
}
/** The services the agent reports: prometheus-operator's grafana shows whether that pack is installed. */
const reportedPacks = async () => (await get(`/v1/clusters/${id}/services`)).items.map((s: any) => s.name);

describe('profile updates', { timeout: 120_000 }, () => {
  let r2: number;

  it('a value change is a notification on the cluster: the overridden path conflicts, the other merges cleanly', async () => {
    r2 = await publish(stack(EBS_V2));
    const u = await updates();
    expect(u).toMatchObject({ clusterId: id, currentRevision: 1, latestRevision: r2, toRevision: r2, updateAvailable: true, revisionsBehind: 1 });
    expect(u.conflicts).toEqual(['aws-ebs-csi/controller.replicas']);
    expect(u.packs).toHaveLength(1);
    expect(u.packs[0]).toMatchObject({ name: 'aws-ebs-csi', change: 'values' });
    const byPath = Object.fromEntries(u.packs[0].values.map((v: any) => [v.path, v]));
    expect(byPath['controller.replicas']).toMatchObject({ kind: 'changed', from: 2, to: 3, cluster: 1, merge: 'conflict' });
    expect(byPath['controller.logLevel']).toMatchObject({ kind: 'changed', from: 2, to: 4, merge: 'clean' });
    // The fan-out tells the cluster, asynchronously.
    const [event] = await eventually(async () => ((await eventsOf('UpdateAvailable')).length ? eventsOf('UpdateAvailable') : undefined), 'UpdateAvailable event');
    expect(event.message).toMatch(new RegExp(`revision ${r2} of profile updates is available \\(this cluster runs 1\\).*1 value\\(s\\) this cluster overrides conflict`));
    // The list carries the badge; the profile says how far behind each cluster is.
    const listed = (await get('/v1/clusters')).items.find((c: any) => c.id === id);
    expect(listed.pendingUpdate).toEqual({ latestRevision: r2, revisionsBehind: 1 });
    const onProfile = await get(`/v1/profiles/${profileId}/clusters`);
    expect(onProfile).toMatchObject({ profileId, latestRevision: r2 });
    expect(onProfile.items).toEqual([{ id, name: 'upd', phase: 'Running', profileRevision: 1, revisionsBehind: 1, updateAvailable: true }]);
  });

  it('refuses to apply with a conflict unresolved (409 naming it) or a resolution of no conflict (400)', async () => {
    const refused = await apply({ toRevision: r2 });
    expect(refused.status).toBe(409);
    expect(refused.body.details).toEqual([{ path: 'resolutions.aws-ebs-csi/controller.replicas', message: 'the profile changes it from 2 to 3; this cluster sets 1' }]);
    const unknown = await apply({ toRevision: r2, resolutions: { 'aws-ebs-csi/controller.replicas': 'keepCluster', 'aws-ebs-csi/node.tolerateAllTaints': 'takeProfile' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details[0].path).toBe('resolutions.aws-ebs-csi/node.tolerateAllTaints');
    const bad = await apply({ toRevision: r2, resolutions: { 'aws-ebs-csi/controller.replicas': 'keepMine' } });
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toMatch(/^resolutions/);
    expect((await apply({ toRevision: 99, resolutions: {} })).status).toBe(404);
    expect((await get(`/v1/clusters/${id}`)).profileRevision).toBe(1);
  });

  it('resolves a conflict each of three ways, keeping the comments of the profile values and of the override', async () => {
    const preview = async (resolution: unknown) => {
      const res = await apply({ toRevision: r2, resolutions: { 'aws-ebs-csi/controller.replicas': resolution } }, true);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ dryRun: true, fromRevision: 1, toRevision: r2 });
      return res.body;
    };
    const keep = await preview('keepCluster');
    expect(parse(keep.values['aws-ebs-csi'])).toEqual({ controller: { replicas: 1, logLevel: 4 }, node: { tolerateAllTaints: true } });
    expect(keep.values['aws-ebs-csi']).toContain('# EBS CSI driver, as the platform team runs it');
    expect(keep.overrides['aws-ebs-csi']).toContain('# this cluster is small: one is enough');
    const take = await preview('takeProfile');
    expect(parse(take.values['aws-ebs-csi'])).toEqual({ controller: { replicas: 3, logLevel: 4 }, node: { tolerateAllTaints: true } });
    expect(take.values['aws-ebs-csi']).toContain('# three now: one per zone');
    expect(take.overrides['aws-ebs-csi']).toBeUndefined();
    const mine = await preview({ value: 5 });
    expect(parse(mine.values['aws-ebs-csi']).controller.replicas).toBe(5);
    expect(parse(mine.overrides['aws-ebs-csi'])).toEqual({ controller: { replicas: 5 } });
    expect(mine.overrides['aws-ebs-csi']).toContain('# this cluster is small');
    // A values-only update replaces no node.
    expect(keep.plan.steps).toEqual([]);
    expect((await get(`/v1/clusters/${id}`)).profileRevision).toBe(1);
  });

  it('two applies at once: one succeeds, the other is 409; the values reach the agent', async () => {
    const body = { toRevision: r2, resolutions: { 'aws-ebs-csi/controller.replicas': 'keepCluster' } };
    const answers = await Promise.all([apply(body), apply(body)]);
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    const ok = answers.find((a) => a.status === 202)!.body;
    expect(ok).toMatchObject({ fromRevision: 1, toRevision: r2, cluster: { profileRevision: r2 } });
    await reconciled();
    const values = await get(`/v1/clusters/${id}/packs/aws-ebs-csi/values`);
    expect(parse(values.values)).toEqual({ controller: { replicas: 1, logLevel: 4 }, node: { tolerateAllTaints: true } });
    expect(values.differences).toEqual([{ path: 'controller.replicas', profile: 3, cluster: 1 }]);
    await eventually(async () => ((await get(`/v1/clusters/${id}/packs/aws-ebs-csi/values`)).status?.valuesApplied ? true : undefined), 'values applied by the agent');
    expect((await updates()).updateAvailable).toBe(false);
    expect((await eventsOf('UpdateApplied'))[0].message).toMatch(/updated from revision 1 to \d+ \(aws-ebs-csi values \(2\)\); 1 conflict\(s\) resolved/);
  });

  it('an override applies at once: a new generation the agent applies and reports', async () => {
    const before = await get(`/v1/clusters/${id}`);
    const set = await api.call('PUT', `/v1/clusters/${id}/packs/aws-ebs-csi/values`, { body: { values: 'controller:\n  replicas: 1\n  logLevel: 6\n' } });
    expect(set.status, JSON.stringify(set.body)).toBe(202);
    expect(set.body.generation).toBe(before.generation + 1);
    expect(set.body.differences).toEqual([
      { path: 'controller.logLevel', profile: 4, cluster: 6 },
      { path: 'controller.replicas', profile: 3, cluster: 1 },
    ]);
    await reconciled();
    const seen = await eventually(async () => {
      const v = await get(`/v1/clusters/${id}/packs/aws-ebs-csi/values`);
      return v.status?.valuesApplied && v.observedGeneration === set.body.generation ? v : undefined;
    }, 'override applied by the agent');
    expect(parse(seen.values).controller).toEqual({ replicas: 1, logLevel: 6 });
    // Bad input is a 4xx naming the field; a pack the cluster does not run is 404.
    expect((await api.call('PUT', `/v1/clusters/${id}/packs/aws-ebs-csi/values`, { body: { values: 'a: [' } })).body.details[0].path).toBe('values');
    expect((await api.call('PUT', `/v1/clusters/${id}/packs/nginx/values`, { body: { values: 'a: 1' } })).status).toBe(404);
    const cidr = await api.call('PUT', `/v1/clusters/${id}/packs/kubernetes/values`, { body: { values: 'pack:\n  podCIDR: 10.99.0.0/16\n' } });
    expect(cidr.status).toBe(400);
    expect(cidr.body.details[0]).toMatchObject({ path: 'overrides.kubernetes', message: expect.stringMatching(/fixed when a cluster is made/) });
  });

  it('a pack added, then removed, each a notification applied end to end; a rollback; a reverted change clears the notification', async () => {
    const r3 = await publish(stack(EBS_V2, { addons: [PROMETHEUS] }));
    const added = await updates();
    expect(added.packs).toEqual([{ name: 'prometheus-operator', layer: 'addon', change: 'added', toVersion: '72.6.2', values: [] }]);
    expect((await apply({ toRevision: r3 })).status).toBe(202);
    await reconciled();
    expect(await reportedPacks()).toContain('grafana');

    const r4 = await publish(stack(EBS_V2));
    expect((await updates()).packs).toEqual([{ name: 'prometheus-operator', layer: 'addon', change: 'removed', fromVersion: '72.6.2', values: [] }]);
    expect((await apply({ toRevision: r4 })).status).toBe(202);
    await reconciled();
    expect(await reportedPacks()).not.toContain('grafana');

    // Roll back to r3: the pack comes back, the history says who did what.
    const back = await apply({ toRevision: r3 });
    expect(back.status, JSON.stringify(back.body)).toBe(202);
    await reconciled();
    expect(await reportedPacks()).toContain('grafana');
    const history = (await get(`/v1/clusters/${id}/revisions`)).items;
    expect(history.map((h: any) => [h.action, h.fromRevision, h.revision])).toEqual([
      ['rollback', r4, r3],
      ['apply', r3, r4],
      ['apply', r2, r3],
      ['apply', 1, r2],
      ['create', undefined, 1],
    ]);
    expect(history.every((h: any) => h.appliedBy.length > 0 && h.appliedAt)).toBe(true);
    expect((await updates()).updateAvailable).toBe(true); // r4 (prometheus removed) is still the latest

    // Revert r4 in the profile before the cluster applies it: nothing is pending any more.
    const r5 = await publish(stack(EBS_V2, { addons: [PROMETHEUS] }));
    const cleared = await updates();
    expect(cleared).toMatchObject({ latestRevision: r5, updateAvailable: false, revisionsBehind: 0, packs: [] });
    expect((await get('/v1/clusters')).items.find((c: any) => c.id === id).pendingUpdate).toBeUndefined();
    await eventually(async () => ((await eventsOf('UpdateWithdrawn')).length ? true : undefined), 'UpdateWithdrawn event');
  });

  it('a Kubernetes upgrade replaces every node; a rollback below it is refused by the skew rules', async () => {
    const r6 = await publish(stack(EBS_V2, { k8s: 'pk-kubernetes-1-32-6', addons: [PROMETHEUS] }));
    const u = await updates();
    expect(u.packs).toEqual([expect.objectContaining({ name: 'kubernetes', change: 'upgraded', fromVersion: '1.31.10', toVersion: '1.32.6' })]);
    const preview = await apply({ toRevision: r6 }, true);
    expect(preview.body.plan.steps.filter((s: any) => s.reason === 'replace').length).toBeGreaterThan(0);
    expect((await apply({ toRevision: r6 })).status).toBe(202);
    await reconciled();
    const nodes = (await get(`/v1/clusters/${id}/nodes`)).items;
    expect(nodes.length).toBe(3);
    expect(nodes.every((n: any) => n.kubeletVersion?.replace(/^v/, '') === '1.32.6')).toBe(true);
    const down = await apply({ toRevision: r6 - 1 });
    expect(down.status).toBe(400);
    expect(down.body.details[0]).toMatchObject({ path: 'toRevision', message: expect.stringMatching(/downgrade/) });
  });

  it("another tenant sees none of it", async () => {
    const other: string = (await api.call('POST', '/v1/tenants', { body: { name: 'upd-stranger' } })).body.apiKey.key;
    for (const path of [`/v1/clusters/${id}/updates`, `/v1/clusters/${id}/revisions`, `/v1/clusters/${id}/packs/aws-ebs-csi/values`, `/v1/profiles/${profileId}/clusters`]) {
      expect((await api.call('GET', path, { key: other })).status, path).toBe(404);
    }
    expect((await api.call('POST', `/v1/clusters/${id}/updates/apply`, { key: other, body: { toRevision: 1 } })).status).toBe(404);
  });
});
