import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

let api: Api;
let accountId: string;
beforeAll(async () => {
  api = await startApi();
  accountId = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
});
afterAll(() => api.stop());

describe('cluster definitions', () => {
  it('stores a created cluster in phase Pending on the latest profile revision', async () => {
    const res = await api.call('POST', '/v1/clusters', {
      body: clusterBody(accountId, { name: 'pending', overrides: { calico: 'installation:\n  calicoNetwork:\n    bgp: Disabled\n' }, osPatch: { frequency: 'weekly', dayOfWeek: 'SUN', timeZone: 'Europe/Berlin' } }),
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ phase: 'Pending', profileRevision: 1, cloud: 'local', generation: 1, version: 1 });
    expect(res.body.osPatch).toEqual({ frequency: 'weekly', dayOfWeek: 'SUN', timeOfDay: '03:00', timeZone: 'Europe/Berlin', windowMinutes: 180, patchOnBoot: false, rebootIfRequired: false });
    expect(res.body.apiAccess).toEqual({ public: false, allowedCidrs: [] });
    const got = await api.call('GET', `/v1/clusters/${res.body.id}`);
    // Provisioning starts at once, so the phase may have moved on; the definition has not.
    const { phase: _p, ...definition } = res.body;
    expect(got.body).toMatchObject(definition);
    expect(['Pending', 'Provisioning', 'Running']).toContain(got.body.phase);
    expect(got.body.ready).toMatchObject({ status: expect.stringMatching(/^(True|False|Unknown)$/) });
    // The phase filter finds it in whatever phase it is in by now (provisioning is fast here).
    await eventually(async () => {
      const phase = (await api.call('GET', `/v1/clusters/${res.body.id}`)).body.phase;
      const list = await api.call('GET', `/v1/clusters?phase=${phase}`);
      return list.body.items.some((c: any) => c.id === res.body.id) ? true : undefined;
    }, 'the cluster in the list of its phase');
  });

  it('updates with the version read; a stale version is 409 and the write is not lost', async () => {
    const made = (await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'scaling' }) })).body;
    const pools = made.nodePools.map((p: any) => (p.role === 'worker' ? { ...p, count: 5 } : p));
    const scaled = await api.call('PUT', `/v1/clusters/${made.id}`, { body: { version: 1, nodePools: pools } });
    expect(scaled.status).toBe(200);
    expect(scaled.body).toMatchObject({ version: 2, generation: 2 });
    const stale = await api.call('PUT', `/v1/clusters/${made.id}`, { body: { version: 1, overrides: {} } });
    expect(stale.status).toBe(409);
    const now = (await api.call('GET', `/v1/clusters/${made.id}`)).body;
    expect(now.nodePools[1].count).toBe(5);
    // Region and cloud account cannot move.
    const moved = await api.call('PUT', `/v1/clusters/${made.id}`, { body: { version: 2, region: 'sim-west-1' } });
    expect(moved.status).toBe(400);
    expect(moved.body.details[0].path).toBe('region');
  });

  it('applies settings at once: a PUT of only health thresholds keeps the generation and starts no workflow', async () => {
    const made = (await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'settings' }) })).body;
    const executions = () => [...api.runtime.workflows.executions.values()].filter((e) => e.name.startsWith(made.id)).length;
    const before = executions();
    const healthChecks = { heartbeatIntervalSeconds: 15, missingAfterSeconds: 45, usageThresholdPercent: 80, usageWindowMinutes: 5 };
    const res = await api.call('PUT', `/v1/clusters/${made.id}`, { body: { version: 1, healthChecks } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ version: 2, generation: 1, healthChecks });
    expect(executions()).toBe(before);
    // The same pools sent back are no change either; new pools are.
    expect((await api.call('PUT', `/v1/clusters/${made.id}`, { body: { version: 2, nodePools: made.nodePools } })).body).toMatchObject({ version: 3, generation: 1 });
    const pools = made.nodePools.map((p: any) => (p.role === 'worker' ? { ...p, count: 3 } : p));
    expect((await api.call('PUT', `/v1/clusters/${made.id}`, { body: { version: 3, nodePools: pools } })).body).toMatchObject({ version: 4, generation: 2 });
    expect(executions()).toBe(before + 1);
  });

  it('deletes the conditions of a pool the cluster no longer has, so Ready never waits for it', async () => {
    // An empty pool: removing one with running nodes is refused until nodes can be drained and removed.
    const pools = [...clusterBody(accountId).nodePools, { name: 'batch', role: 'worker', count: 0, instanceType: 'sim.large', zones: ['sim-east-1b'], diskGiB: 50 }];
    const made = (await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'pooled', nodePools: pools }) })).body;
    const types = async () => (await api.call('GET', `/v1/clusters/${made.id}/conditions`)).body.items.map((c: any) => c.type);
    await eventually(async () => ((await types()).includes('WorkerPoolReady/batch') ? true : undefined), 'the batch pool condition');
    const version = (await api.call('GET', `/v1/clusters/${made.id}`)).body.version;
    expect((await api.call('PUT', `/v1/clusters/${made.id}`, { body: { version, nodePools: pools.slice(0, 2) } })).status).toBe(200);
    await eventually(async () => (!(await types()).includes('WorkerPoolReady/batch') ? true : undefined), 'the batch pool condition gone');
    expect(await types()).toContain('WorkerPoolReady/workers');
  });

  it('lets exactly one of concurrent updates of one version win', async () => {
    const made = (await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'racing' }) })).body;
    const update = (count: number) =>
      api.call('PUT', `/v1/clusters/${made.id}`, { body: { version: 1, nodePools: made.nodePools.map((p: any) => (p.role === 'worker' ? { ...p, count } : p)) } });
    const results = await Promise.all([update(3), update(4), update(6)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    const winner = results.find((r) => r.status === 200)!.body.nodePools[1].count;
    expect((await api.call('GET', `/v1/clusters/${made.id}`)).body.nodePools[1].count).toBe(winner);
  });

  it('makes one cluster for one Idempotency-Key, and refuses the key for another request', async () => {
    const body = clusterBody(accountId, { name: 'idem' });
    const headers = { 'idempotency-key': 'create-idem-1' };
    const first = await api.call('POST', '/v1/clusters', { body, headers });
    const again = await api.call('POST', '/v1/clusters', { body, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const named = (await api.call('GET', '/v1/clusters?limit=100')).body.items.filter((c: any) => c.name === 'idem');
    expect(named).toHaveLength(1);
    const other = await api.call('POST', '/v1/clusters', { body: { ...body, name: 'idem-2' }, headers });
    expect(other.status).toBe(409);
    expect(other.body.details[0].path).toBe('headers.idempotency-key');
  });

  it('keeps cluster names unique per tenant', async () => {
    const results = await Promise.all([1, 2].map(() => api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'twin' }) })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
  });

  it('refuses to delete a profile or cloud account a cluster uses, and allows it once the cluster is gone', async () => {
    const other = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim-2', spec: { type: 'local' } } })).body.id;
    const profile = (
      await api.call('POST', '/v1/profiles', {
        body: { name: 'short-lived', layers: ['pk-ubuntu-24-04', 'pk-kubernetes-1-32-6', 'pk-cilium-1-17-4', 'pk-aws-ebs-csi-1-44-0'].map((packId) => ({ registryId: 'public', packId })) },
      })
    ).body;
    const cluster = (await api.call('POST', '/v1/clusters', { body: clusterBody(other, { name: 'user', profileId: profile.id }) })).body;
    expect((await api.call('DELETE', `/v1/profiles/${profile.id}`)).status).toBe(409);
    expect((await api.call('DELETE', `/v1/cloudaccounts/${other}`)).status).toBe(409);
    expect((await api.call('DELETE', `/v1/clusters/${cluster.id}`)).status).toBe(202);
    // Still referenced while its cloud resources are being removed.
    await eventually(async () => ((await api.call('GET', `/v1/clusters/${cluster.id}`)).body.phase === 'Deleted' ? true : undefined), 'cluster Deleted');
    expect((await api.call('DELETE', `/v1/profiles/${profile.id}`)).status).toBe(204);
    expect((await api.call('DELETE', `/v1/cloudaccounts/${other}`)).status).toBe(204);
    expect((await api.call('GET', `/v1/profiles/${profile.id}/revisions/1`)).status).toBe(404);
  });

  it('pages lists with a cursor', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name }) });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.call('GET', `/v1/clusters?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((c: any) => c.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expect.arrayContaining(['page-a', 'page-b', 'page-c']));
    expect(new Set(seen).size).toBe(seen.length);
  });
});
