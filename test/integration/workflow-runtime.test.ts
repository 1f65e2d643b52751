import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

// Waits here last what they say, on the runtime's clock: the test moves the clock, it never sleeps them.
let api: Api;
let accountId: string;
let profileId: string;
beforeAll(async () => {
  process.env.WORKFLOW_MAX_LOOPS = '4'; // continue as a new execution after 4 retries (500 in production)
  api = await startApi({ workflowWaitMs: undefined });
  accountId = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
  // An OS image used as it is (it ships Kubernetes): these clusters' faults are the only cloud calls that fail, no bake in between.
  const registryId = (await api.call('POST', '/v1/registries', { body: { name: 'runtime' } })).body.id;
  const os = { images: { local: { 'sim-east-1': 'sim-ubuntu-22.04' } }, skipK8sInstall: true, kubernetesVersion: '1.31.10' };
  const packId = (await api.call('POST', `/v1/registries/${registryId}/packs`, { body: { layer: 'os', name: 'shipped', version: '1.0.0', os } })).body.id;
  const layers = [{ registryId, packId }, ...['pk-kubernetes-1-31-10', 'pk-calico-3-29-3', 'pk-aws-ebs-csi-1-44-0'].map((id) => ({ registryId: 'public', packId: id }))];
  profileId = (await api.call('POST', '/v1/profiles', { body: { name: 'runtime', layers } })).body.id;
});
const body = (name: string) => clusterBody(accountId, { name, profileId });
afterAll(async () => {
  await api.stop();
  delete process.env.WORKFLOW_MAX_LOOPS;
});

const fault = (body: unknown) => api.call('POST', '/local/faults', { body });
const condition = async (id: string, type: string) => (await api.call('GET', `/v1/clusters/${id}/conditions`)).body.items.find((c: any) => c.type === type);
/** Move the clock on in steps until `check` holds: backoffs end as the clock passes them. */
async function advanceUntil<T>(check: () => Promise<T | undefined>, what: string, stepMs = 5_000): Promise<T> {
  return eventually(async () => {
    const v = await check();
    if (v === undefined) api.runtime.clock.advance(stepMs);
    return v;
  }, what, 20_000, 20);
}

describe('the step runtime', () => {
  it('waits on the one clock: "next at …" in a condition is when the step really runs again', async () => {
    await fault({ operation: 'RunInstances', error: 'VcpuLimitExceeded', times: 1 });
    const made = (await api.call('POST', '/v1/clusters', { body: body('clocked') })).body;
    const type = 'ControlPlaneNodeAdded/clocked-cp-0';
    const failed = await advanceUntil(async () => {
      const c = await condition(made.id, type);
      return c?.status === 'False' ? c : undefined;
    }, 'the first launch failing', 1_000);
    expect(failed.message).toMatch(/next at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in 5 s\)/);
    await new Promise((r) => setTimeout(r, 1_500)); // real time passes, the clock's backoff does not end
    expect((await condition(made.id, type)).attempts).toBe(1);
    api.runtime.clock.advance(5_000);
    const ok = await advanceUntil(async () => {
      const c = await condition(made.id, type);
      return c?.status === 'True' ? c : undefined;
    }, 'the launch after the backoff', 1_000);
    expect(ok.attempts).toBe(2);
  });

  it('an error no retry can fix blocks the workflow with a remedy; the next change of the cluster starts again', async () => {
    await fault({ operation: 'DescribeImages', error: 'UnauthorizedOperation', times: 1000 });
    const made = (await api.call('POST', '/v1/clusters', { body: body('blocked') })).body;
    // The image step runs right after the network is made: within the settling window the refusal
    // is retried (the cloud may not show what was just made everywhere yet), then it blocks.
    const blocked = await advanceUntil(async () => {
      const c = await condition(made.id, 'ImageReady');
      return c?.status === 'False' && c.message.includes('retrying cannot fix this') ? c : undefined;
    }, 'ImageReady False and blocked');
    expect(blocked).toMatchObject({ reason: 'UnauthorizedOperation' });
    expect(blocked.message).toContain('give the cloud account role the permissions');
    const execution = [...api.runtime.workflows.executions.values()].find((e) => e.name === `${made.id}-g1`)!;
    await execution.done;
    expect(execution.status).toBe('SUCCEEDED'); // ended, in its Blocked state: nothing loops
    api.runtime.clock.advance(3_600_000);
    expect((await condition(made.id, 'ImageReady')).attempts).toBe(blocked.attempts);

    await api.call('DELETE', '/local/faults');
    const cluster = (await api.call('GET', `/v1/clusters/${made.id}`)).body;
    const pools = cluster.nodePools.map((p: any) => (p.role === 'worker' ? { ...p, count: 1 } : p));
    expect((await api.call('PUT', `/v1/clusters/${made.id}`, { body: { version: cluster.version, nodePools: pools } })).status).toBe(200);
    await advanceUntil(async () => ((await api.call('GET', `/v1/clusters/${made.id}`)).body.phase === 'Running' ? true : undefined), 'Running after the change');
  });

  it('an error right after something was made is retried whatever its code (eventual consistency)', async () => {
    // The infrastructure is made first; the launch right after it is refused twice.
    await fault({ operation: 'RunInstances', error: 'UnauthorizedOperation', times: 2 });
    const made = (await api.call('POST', '/v1/clusters', { body: body('settling') })).body;
    await advanceUntil(async () => ((await api.call('GET', `/v1/clusters/${made.id}`)).body.phase === 'Running' ? true : undefined), 'Running despite two refusals');
    const cp = await condition(made.id, 'ControlPlaneNodeAdded/settling-cp-0');
    expect(cp).toMatchObject({ status: 'True', attempts: 3 });
    const events = (await api.call('GET', `/v1/clusters/${made.id}/events?limit=100`)).body.items;
    expect(events.find((e: any) => e.reason === 'UnauthorizedOperation')).toMatchObject({ count: 2, subject: 'ControlPlaneNodeAdded/settling-cp-0' });
    await api.call('DELETE', '/local/faults');
  });

  it('continues a long-retrying execution as a new one, by name, before the history limit', async () => {
    await fault({ operation: 'RunInstances', error: 'InsufficientInstanceCapacity', times: 6 });
    const made = (await api.call('POST', '/v1/clusters', { body: body('looping') })).body;
    await advanceUntil(async () => ((await api.call('GET', `/v1/clusters/${made.id}`)).body.phase === 'Running' ? true : undefined), 'Running');
    const names = [...api.runtime.workflows.executions.values()].filter((e) => e.name.startsWith(made.id)).map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining([`${made.id}-g1`, `${made.id}-g1-c2`]));
    const first = [...api.runtime.workflows.executions.values()].find((e) => e.name === `${made.id}-g1`)!;
    expect(first.status).toBe('SUCCEEDED'); // ended in Continued
    await api.call('DELETE', '/local/faults');
  });
});
