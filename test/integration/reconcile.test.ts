import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

/**
 * The day-2 reconciler end to end on the local runtime: every change is previewed with
 * ?dryRun=true, applied, and the steps the workflow ran (GET /plan) must equal the preview;
 * what happened is then checked from the cloud, the agent's report and the events.
 */
let api: Api;
let accountId: string;
let profileId: string;
let revision = 1;
const ref = (packId: string) => ({ registryId: 'public', packId });
const stack = (k8s: string, os = 'pk-ubuntu-22-04') => [ref(os), ref(k8s), ref('pk-calico-3-29-3'), ref('pk-aws-ebs-csi-1-44-0')];

beforeAll(async () => {
  api = await startApi();
  accountId = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
  profileId = (await api.call('POST', '/v1/profiles', { body: { name: 'day2', layers: stack('pk-kubernetes-1-31-10') } })).body.id;
});
afterAll(() => api.stop());

const get = async (path: string) => (await api.call('GET', path)).body;
const cluster = (id: string) => get(`/v1/clusters/${id}`);
const instances = async (id: string) => (await get('/local/cloud')).instances.filter((i: any) => i.tags['strata:cluster'] === id && i.state !== 'terminated' && i.state !== 'shutting-down');
const nodes = async (id: string) => (await get(`/v1/clusters/${id}/nodes`)).items;
const events = async (id: string) => (await get(`/v1/clusters/${id}/events?limit=100`)).items.reverse(); // oldest first
const untilRunning = (id: string) => eventually(async () => ((await cluster(id)).phase === 'Running' ? true : undefined), `cluster ${id} Running`, 30_000);
const revise = async (layers: unknown[]) => (await api.call('PUT', `/v1/profiles/${profileId}`, { body: { version: revision++, layers } })).body.latestRevision as number;

/** Preview a change, apply it, wait for it to be reconciled; the steps run must be the preview's. */
async function change(id: string, body: (c: any) => Record<string, unknown>) {
  const current = await cluster(id);
  const wanted = { version: current.version, ...body(current) };
  const preview = await api.call('PUT', `/v1/clusters/${id}?dryRun=true`, { body: wanted });
  expect(preview.status, JSON.stringify(preview.body)).toBe(200);
  expect(preview.body.dryRun).toBe(true);
  // A preview writes nothing.
  expect((await cluster(id)).version).toBe(current.version);
  const applied = await api.call('PUT', `/v1/clusters/${id}`, { body: wanted });
  expect(applied.status, JSON.stringify(applied.body)).toBe(200);
  const generation = applied.body.generation;
  const plan = await eventually(
    async () => {
      const [c, p] = await Promise.all([cluster(id), get(`/v1/clusters/${id}/plan`)]);
      return c.status?.observedGeneration === generation && p.generation === generation && p.state === 'Succeeded' ? p : undefined;
    },
    `generation ${generation} reconciled`,
    60_000,
  ).catch(async (err) => {
    const p = await get(`/v1/clusters/${id}/plan`);
    throw new Error(`${(err as Error).message}: plan ${JSON.stringify({ generation: p.generation, state: p.state, done: p.done, waiting: p.waiting, next: p.steps?.[p.done] })}`);
  });
  expect(plan.steps.map((s: any) => s.status)).toEqual(plan.steps.map(() => 'done'));
  expect(plan.steps.map(({ status: _s, finishedAt: _f, ...s }: any) => s)).toEqual(preview.body.plan.steps);
  return { preview: preview.body, plan, generation };
}

const workers = (c: any, over: Record<string, unknown>, pool = 'workers') => c.nodePools.map((p: any) => (p.name === pool ? { ...p, ...over } : p));

describe('the day-2 reconciler', { timeout: 90_000 }, () => {
  let id: string;
  beforeAll(async () => {
    id = (await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'day2', profileId }) })).body.id;
    await untilRunning(id);
  });

  it('grows 2 → 4 workers a day after the cluster was made, each new node with a fresh bootstrap token', async () => {
    api.runtime.clock.advance(25 * 3_600_000); // kubeadm's init token (24 h) has expired
    const { preview } = await change(id, (c) => ({ nodePools: workers(c, { count: 4 }) }));
    expect(preview.plan.steps.map((s: any) => s.id)).toEqual(['launch:workers:2', 'launch:workers:3', 'waitReady:workers:2', 'waitReady:workers:3']);
    const ready = (await nodes(id)).filter((n: any) => n.role === 'worker' && n.ready);
    expect(ready.map((n: any) => n.name).sort()).toEqual(['day2-workers-0', 'day2-workers-1', 'day2-workers-2', 'day2-workers-3']);
    // Each new node joined with a token the agent made for it in the cluster, an hour long.
    const commands = (await get(`/v1/clusters/${id}/commands?limit=100`)).items.filter((c: any) => c.kind === 'createBootstrapToken');
    expect(commands).toHaveLength(2);
    expect(commands.every((c: any) => c.status === 'Succeeded' && c.args.ttlSeconds <= 3600 && c.args.tokenSecret === undefined)).toBe(true);
    expect(new Set(commands.map((c: any) => c.args.tokenId)).size).toBe(2);
    const pool = (await get(`/v1/clusters/${id}/conditions`)).items.find((c: any) => c.type === 'WorkerPoolReady/workers');
    expect(pool).toMatchObject({ status: 'True', message: expect.stringMatching(/^4 of 4 updated/) });
  });

  it('rebalances the pool when a zone is added', async () => {
    const { plan } = await change(id, (c) => ({ nodePools: workers(c, { zones: ['sim-east-1a', 'sim-east-1b', 'sim-east-1c'] }) }));
    expect(plan.steps.some((s: any) => s.reason === 'rebalance')).toBe(true);
    const zones = (await instances(id)).filter((i: any) => i.tags['strata:pool'] === 'workers').map((i: any) => i.zone);
    expect(zones.sort()).toEqual(['sim-east-1a', 'sim-east-1b', 'sim-east-1c', expect.any(String)].sort());
    expect(new Set(zones)).toEqual(new Set(['sim-east-1a', 'sim-east-1b', 'sim-east-1c']));
  });

  it('shrinks 4 → 2 workers: the newest go, each drained before it is terminated', async () => {
    const before = (await nodes(id)).filter((n: any) => n.role === 'worker');
    const { plan } = await change(id, (c) => ({ nodePools: workers(c, { count: 2, zones: ['sim-east-1a', 'sim-east-1b'] }) }));
    const gone = plan.steps.filter((s: any) => s.kind === 'terminate').map((s: any) => s.node);
    const after = (await nodes(id)).filter((n: any) => n.role === 'worker');
    expect(after).toHaveLength(2);
    expect(after.every((n: any) => n.ready)).toBe(true);
    for (const node of gone) expect(before.some((n: any) => n.name === node)).toBe(true);
    const log = (await events(id)).filter((e: any) => gone.includes(e.subject)).map((e: any) => `${e.reason}:${e.subject}`);
    for (const node of gone) {
      expect(log.indexOf(`NodeDrained:${node}`), node).toBeGreaterThanOrEqual(0);
      expect(log.indexOf(`NodeDrained:${node}`)).toBeLessThan(log.indexOf(`NodeTerminated:${node}`));
    }
  });

  it('replaces every node of a pool for a new instance type, never more than maxUnavailable out', async () => {
    const { plan } = await change(id, (c) => ({ nodePools: workers(c, { instanceType: 'sim.xlarge', rollout: { maxSurge: 1, maxUnavailable: 0 } }) }));
    const pool = (await instances(id)).filter((i: any) => i.tags['strata:pool'] === 'workers');
    expect(pool.map((i: any) => i.instanceType)).toEqual(['sim.xlarge', 'sim.xlarge']);
    // Walk the steps as they ran: Ready nodes of the pool never drop below count − maxUnavailable.
    let inService = 2;
    for (const s of plan.steps.filter((s: any) => s.pool === 'workers')) {
      if (s.kind === 'waitReady') inService++;
      if (s.kind === 'drain') inService--;
      expect(inService, s.id).toBeGreaterThanOrEqual(2);
    }
  });

  it('adds and removes a pool: its nodes are drained and terminated, its condition goes', async () => {
    await change(id, (c) => ({ nodePools: [...c.nodePools, { name: 'batch', role: 'worker', count: 1, instanceType: 'sim.large', zones: ['sim-east-1a'], diskGiB: 50 }] }));
    expect((await instances(id)).filter((i: any) => i.tags['strata:pool'] === 'batch')).toHaveLength(1);
    const { plan } = await change(id, (c) => ({ nodePools: c.nodePools.filter((p: any) => p.name !== 'batch') }));
    expect(plan.steps.map((s: any) => `${s.kind}:${s.reason}`)).toEqual(['drain:poolRemoved', 'terminate:poolRemoved']);
    expect((await instances(id)).filter((i: any) => i.tags['strata:pool'] === 'batch')).toHaveLength(0);
    expect((await get(`/v1/clusters/${id}/conditions`)).items.map((c: any) => c.type)).not.toContain('WorkerPoolReady/batch');
  });

  it('upgrades Kubernetes 1.31 → 1.32, control plane first, every kubelet on the new version', async () => {
    const next = await revise(stack('pk-kubernetes-1-32-6'));
    const { plan } = await change(id, () => ({ profileRevision: next }));
    const firstWorker = plan.steps.findIndex((s: any) => s.pool === 'workers');
    const lastCp = plan.steps.findLastIndex((s: any) => s.pool === 'cp');
    expect(lastCp).toBeLessThan(firstWorker);
    expect(plan.steps.find((s: any) => s.kind === 'launch').details).toContain('kubernetes 1.31.10 → 1.32.6');
    const all = await eventually(async () => {
      const list = await nodes(id);
      return list.length === 3 && list.every((n: any) => n.kubeletVersion === 'v1.32.6' && n.ready) ? list : undefined;
    }, 'every kubelet on v1.32.6');
    expect(all.map((n: any) => n.launchedWith.kubernetesVersion)).toEqual(['1.32.6', '1.32.6', '1.32.6']);
    // kubeadm-config names the new version before the first new control-plane node joins.
    expect(api.runtime.agents.kubeadmVersion(id)).toBe('v1.32.6');
    const commands = (await get(`/v1/clusters/${id}/commands?limit=100`)).items.map((c: any) => c.kind);
    expect(commands.lastIndexOf('setKubeadmVersion')).toBeGreaterThan(commands.indexOf('removeEtcdMember')); // newest first: set before removed
    // The old control-plane node left etcd before it was terminated.
    const reasons = (await events(id)).filter((e: any) => e.subject === 'day2-cp-0').map((e: any) => e.reason);
    expect(reasons.indexOf('EtcdMemberRemoved')).toBeLessThan(reasons.indexOf('NodeTerminated'));
  });

  it('moves the OS from Ubuntu 22.04 to 24.04: every instance on the new image', async () => {
    const next = await revise(stack('pk-kubernetes-1-32-6', 'pk-ubuntu-24-04'));
    await change(id, () => ({ profileRevision: next }));
    // Every node runs the image baked from Ubuntu 24.04 with Kubernetes 1.32.6.
    const baked = (await get('/v1/images?pack=pk-ubuntu-24-04')).items.find((i: any) => i.contents.kubernetesVersion === '1.32.6' && i.status === 'Available');
    const images = (await instances(id)).map((i: any) => i.imageId);
    expect(images).toEqual([baked.imageId, baked.imageId, baked.imageId]);
    const list = await nodes(id);
    expect(list.every((n: any) => n.osImage === 'Ubuntu 24.04.2 LTS')).toBe(true);
  });

  it('refuses a two-minor Kubernetes jump, naming the rule', async () => {
    const c = await cluster(id);
    const jump = await revise(stack('pk-kubernetes-1-30-14', 'pk-ubuntu-24-04'));
    const res = await api.call('PUT', `/v1/clusters/${id}`, { body: { version: c.version, profileRevision: jump } });
    expect(res.status).toBe(400);
    expect(res.body.details).toContainEqual({ path: 'profileRevision', message: expect.stringMatching(/downgrade/) });
  });

  it('takes one of two concurrent changes and answers the other 409', async () => {
    const c = await cluster(id);
    const [a, b] = await Promise.all([
      api.call('PUT', `/v1/clusters/${id}`, { body: { version: c.version, nodePools: workers(c, { count: 3 }) } }),
      api.call('PUT', `/v1/clusters/${id}`, { body: { version: c.version, nodePools: workers(c, { count: 1 }) } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
  });
});

describe('node repair', { timeout: 90_000 }, () => {
  let id: string;
  beforeAll(async () => {
    const body = clusterBody(accountId, { name: 'heal', profileId });
    body.nodePools[1] = { ...body.nodePools[1]!, count: 3 };
    id = (await api.call('POST', '/v1/clusters', { body })).body.id;
    await untilRunning(id);
  });
  const fault = (node: string, status: 'True' | 'False') => api.call('POST', '/local/faults', { body: { node, condition: 'Ready', status } });

  it('replaces a node NotReady for longer than its pool threshold, and says why', async () => {
    await fault('heal-workers-1', 'False');
    // Reported NotReady, but not for 10 minutes yet: nothing happens.
    await eventually(async () => ((await nodes(id)).find((n: any) => n.name === 'heal-workers-1')?.ready === false ? true : undefined), 'heal-workers-1 NotReady');
    expect((await cluster(id)).generation).toBe(1);
    api.runtime.clock.advance(11 * 60_000);
    const repaired = await eventually(async () => {
      const c = await cluster(id);
      const p = c.generation > 1 ? await get(`/v1/clusters/${id}/plan`) : undefined;
      return p?.state === 'Succeeded' && c.status?.observedGeneration === c.generation ? p : undefined;
    }, 'the repair reconciled', 60_000);
    expect(repaired.steps.map((s: any) => `${s.kind}:${s.node}:${s.reason}`)).toEqual([
      'drain:heal-workers-1:repair',
      'terminate:heal-workers-1:repair',
      'launch:heal-workers-3:repair',
      'waitReady:heal-workers-3:repair',
    ]);
    const workers = (await nodes(id)).filter((n: any) => n.role === 'worker');
    expect(workers.map((n: any) => `${n.name}:${n.ready}`).sort()).toEqual(['heal-workers-0:true', 'heal-workers-2:true', 'heal-workers-3:true']);
    const log = (await events(id)).filter((e: any) => e.subject === 'heal-workers-1');
    expect(log.find((e: any) => e.reason === 'NodeRepair')?.message).toMatch(/^heal-workers-1 is replaced: NotReady for 1[01] min \(threshold 10 min\)$/);
    // It could not be drained (NotReady): the event says so rather than pretending.
    expect(log.map((e: any) => e.reason)).toEqual(expect.arrayContaining(['NodeRepair', 'NodeNotDrained', 'NodeTerminated']));
  });

  it('holds repair back when more of the pool is NotReady than maxUnhealthy allows, and a condition says so', async () => {
    await fault('heal-workers-0', 'False');
    await fault('heal-workers-2', 'False');
    const generation = (await cluster(id)).generation;
    api.runtime.clock.advance(11 * 60_000);
    const held = await eventually(async () => (await get(`/v1/clusters/${id}/conditions`)).items.find((c: any) => c.type === 'NodeRepair/workers'), 'NodeRepair/workers');
    expect(held).toMatchObject({ status: 'False', reason: 'RepairHeld', message: expect.stringMatching(/^2 of 3 node\(s\) NotReady .*probably at fault/) });
    expect((await cluster(id)).generation).toBe(generation);
    await fault('heal-workers-0', 'True');
    await fault('heal-workers-2', 'True');
    await eventually(async () => ((await get(`/v1/clusters/${id}/conditions`)).items.some((c: any) => c.type === 'NodeRepair/workers') ? undefined : true), 'NodeRepair/workers gone');
  });
});

describe('a change while a rollout runs', { timeout: 90_000 }, () => {
  it('supersedes the plan at its step boundary, and its preview lists the steps it cancels', async () => {
    const id = (await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'super', profileId }) })).body.id;
    await untilRunning(id);
    // The agent falls silent: the rollout stops at its first launch, waiting for a bootstrap token.
    await api.call('POST', '/local/faults', { body: { cluster: id, agent: 'silent' } });
    const c = await cluster(id);
    expect((await api.call('PUT', `/v1/clusters/${id}`, { body: { version: c.version, nodePools: workers(c, { count: 4 }) } })).status).toBe(200);
    await eventually(async () => ((await get(`/v1/clusters/${id}/plan`)).waiting?.message.includes('createBootstrapToken') ? true : undefined), 'the rollout waiting for the agent');
    const running = await get(`/v1/clusters/${id}/plan`);
    expect(running).toMatchObject({ state: 'Running', done: 0 });
    expect(running.steps[0]).toMatchObject({ id: 'launch:workers:2', status: 'running' });

    const c2 = await cluster(id);
    const wanted = { version: c2.version, nodePools: workers(c2, { count: 3 }) };
    const preview = (await api.call('PUT', `/v1/clusters/${id}?dryRun=true`, { body: wanted })).body;
    // The node recorded for launch stays and is waited for; the rest of the old plan is cancelled.
    expect(preview.plan.steps.map((s: any) => s.id)).toEqual(['waitReady:workers:2']);
    expect(preview.cancels.map((s: any) => s.id)).toEqual(['launch:workers:2', 'launch:workers:3', 'waitReady:workers:3']);
    expect((await api.call('PUT', `/v1/clusters/${id}`, { body: wanted })).status).toBe(200);
    await api.call('POST', '/local/faults', { body: { cluster: id, agent: 'reporting' } });
    const plan = await eventually(async () => {
      const p = await get(`/v1/clusters/${id}/plan`);
      return p.generation === c2.generation + 1 && p.state === 'Succeeded' ? p : undefined;
    }, 'the new plan run', 60_000);
    expect(plan.cancelled).toEqual(preview.cancels);
    expect(plan.steps.map(({ status: _s, finishedAt: _f, ...s }: any) => s)).toEqual(preview.plan.steps);
    const ready = (await nodes(id)).filter((n: any) => n.role === 'worker' && n.ready).map((n: any) => n.name);
    expect(ready.sort()).toEqual(['super-workers-0', 'super-workers-1', 'super-workers-2']);
  });
});
