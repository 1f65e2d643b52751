import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

let api: Api;
let accountId: string;
/** A tenant admin's key: tenants read their quotas, operators set them. */
let adminKey: string;
beforeAll(async () => {
  api = await startApi();
  accountId = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
  adminKey = (await api.call('POST', '/v1/apikeys', { body: { name: 'tenant-admin', role: 'admin' } })).body.key;
});
afterAll(() => api.stop());

/** clusterBody with one control plane node and `workers` workers. */
const body = (name: string, workers: number) => {
  const b = clusterBody(accountId, { name });
  return { ...b, nodePools: b.nodePools.map((p) => (p.role === 'worker' ? { ...p, count: workers } : p)) };
};
const quotas = async () => (await api.call('GET', '/v1/quotas', { key: adminKey })).body;

describe('tenant quotas', () => {
  it('counts clusters and nodes, and refuses a create or a scale past a quota with 403 naming it', async () => {
    expect(await quotas()).toEqual({ tenantId: 'default', quotas: {}, usage: { clusters: 0, nodes: 0 } });
    // Made before any quota: counted when one is set.
    const first = (await api.call('POST', '/v1/clusters', { body: body('first', 2) })).body;
    const set = await api.call('PUT', '/v1/tenants/default/quotas', { body: { clusters: 1, nodes: 4 } });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ tenantId: 'default', quotas: { clusters: 1, nodes: 4 }, usage: { clusters: 1, nodes: 3 } });

    const second = await api.call('POST', '/v1/clusters', { body: body('second', 0) });
    expect(second.status).toBe(403);
    expect(second.body).toMatchObject({ error: 'QuotaExceeded', details: [{ path: 'quotas.clusters' }] });
    expect(second.body.message).toContain('quota of 1 clusters: 1 in use');
    expect((await api.call('GET', '/v1/clusters')).body.items.map((c: any) => c.name)).toEqual(['first']);

    const scale = (workers: number, dryRun = false) =>
      api.call('PUT', `/v1/clusters/${first.id}${dryRun ? '?dryRun=true' : ''}`, { body: { version: 1, nodePools: body('first', workers).nodePools } });
    for (const dryRun of [true, false]) {
      const over = await scale(4, dryRun);
      expect(over.status, `dryRun ${dryRun}`).toBe(403);
      expect(over.body.details[0].path).toBe('quotas.nodes');
    }
    expect((await scale(3)).status).toBe(200);
    expect((await quotas()).usage).toEqual({ clusters: 1, nodes: 4 });
  });

  it('lets exactly the quota through when creates race for the last places', async () => {
    expect((await api.call('PUT', '/v1/tenants/default/quotas', { body: { clusters: 3, nodes: null } })).body.quotas).toEqual({ clusters: 3 });
    const answers = await Promise.all(['race-a', 'race-b', 'race-c', 'race-d'].map((name) => api.call('POST', '/v1/clusters', { body: body(name, 1) })));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(2);
    expect(answers.filter((a) => a.status !== 201).every((a) => a.status === 403 || a.status === 409)).toBe(true);
    expect((await quotas()).usage.clusters).toBe(3);
  });

  it('frees its place once a cluster is deleted', async () => {
    const made = (await api.call('GET', '/v1/clusters')).body.items.find((c: any) => c.name === 'first');
    expect((await api.call('DELETE', `/v1/clusters/${made.id}`)).status).toBe(202);
    // Deleting still counts: its machines run until the cloud side is gone.
    await eventually(async () => ((await api.call('GET', `/v1/clusters/${made.id}`)).body.phase === 'Deleted' ? true : undefined), 'the cluster deleted');
    expect((await quotas()).usage.clusters).toBe(2);
    expect((await api.call('POST', '/v1/clusters', { body: body('after-delete', 1) })).status).toBe(201);
  });

  it('is set by platform operators only, for tenants that exist, with values checked', async () => {
    expect((await api.call('PUT', '/v1/tenants/default/quotas', { key: adminKey, body: { clusters: 100 } })).status).toBe(403);
    expect((await api.call('GET', '/v1/tenants/default/quotas', { key: adminKey })).status).toBe(403);
    expect((await api.call('PUT', '/v1/tenants/nobody/quotas', { body: { clusters: 1 } })).status).toBe(404);
    const bad = await api.call('PUT', '/v1/tenants/default/quotas', { body: { clusters: -1, nodes: 'many' } });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: any) => d.path).sort()).toEqual(['clusters', 'nodes']);
    const lifted = await api.call('PUT', '/v1/tenants/default/quotas', { body: { clusters: null } });
    expect(lifted.body.quotas).toEqual({});
    expect((await api.call('GET', '/v1/tenants/default/quotas')).body).toEqual(lifted.body);
  });
});
