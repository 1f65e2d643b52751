import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentToken } from '../../core/agent-token.js';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

let api: Api;
let running: string; // a cluster whose simulated agent runs commands
let quiet: string; // a cluster whose agent is this test
let noble: string; // Ubuntu 24.04 and Kubernetes 1.32: node facts follow what a cluster was launched with
beforeAll(async () => {
  api = await startApi();
  const account = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
  const ref = (packId: string) => ({ registryId: 'public', packId });
  const profile = (
    await api.call('POST', '/v1/profiles', {
      body: { name: 'noble-132', layers: [ref('pk-ubuntu-24-04'), ref('pk-kubernetes-1-32-6'), ref('pk-calico-3-29-3'), ref('pk-aws-ebs-csi-1-44-0')] },
    })
  ).body;
  const ids = await Promise.all(
    (['runner', 'quiet', 'noble'] as const).map(async (name) => {
      const id = (await api.call('POST', '/v1/clusters', { body: clusterBody(account, { name, ...(name === 'noble' ? { profileId: profile.id } : {}) }) })).body.id;
      await eventually(async () => ((await api.call('GET', `/v1/clusters/${id}`)).body.phase === 'Running' ? true : undefined), `${name} Running`);
      return id as string;
    }),
  );
  [running, quiet, noble] = ids as [string, string, string];
  await api.call('POST', '/local/faults', { body: { cluster: quiet, agent: 'silent' } });
});
afterAll(() => api.stop());

/** A command sent through the API, once its agent has answered. */
async function outcome(clusterId: string, body: unknown) {
  const sent = await api.call('POST', `/v1/clusters/${clusterId}/commands`, { body });
  expect(sent.status).toBe(202);
  return eventually(async () => {
    const c = (await api.call('GET', `/v1/clusters/${clusterId}/commands/${sent.body.id}`)).body;
    return c.status === 'Succeeded' || c.status === 'Failed' ? c : undefined;
  }, `${JSON.stringify(body)} answered`);
}
const nodeView = async (clusterId: string, name: string) => (await api.call('GET', `/v1/clusters/${clusterId}/nodes`)).body.items.find((n: any) => n.name === name);

const token = (clusterId: string) => agentToken(process.env.PLATFORM_SECRET!, 'default', clusterId);
const beat = (clusterId: string) =>
  api.call('POST', '/agent/v1/heartbeat', { key: token(clusterId), body: { agentVersion: 't', clusterId, observedGeneration: 1, nodes: [] } });
const report = (clusterId: string, id: string, body: unknown) => api.call('POST', `/agent/v1/commands/${id}/result`, { key: token(clusterId), body });

describe('the agent command channel', () => {
  it('carries a command to the agent in a heartbeat answer; the agent runs it by kind and reports the outcome', async () => {
    const sent = await api.call('POST', `/v1/clusters/${running}/commands`, { body: { kind: 'ping' } });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ kind: 'ping', status: 'Pending', clusterId: running });
    const done = await eventually(async () => {
      const c = (await api.call('GET', `/v1/clusters/${running}/commands/${sent.body.id}`)).body;
      return c.status === 'Succeeded' ? c : undefined;
    }, 'the ping answered');
    expect(done.result).toEqual({ agentVersion: 'sim-1.0.0' });
    expect(done.deliveredAt).toEqual(expect.any(String));
    const cluster = (await api.call('GET', `/v1/clusters/${running}`)).body;
    expect(cluster.openCommands).toBe(0);
    expect((await api.call('GET', `/v1/clusters/${running}/commands`)).body.items[0].id).toBe(sent.body.id);
  });

  it('delivers at least once, until an outcome is reported; a repeated report is a no-op, another outcome 409', async () => {
    const sent = (await api.call('POST', `/v1/clusters/${quiet}/commands`, { body: { kind: 'ping' } })).body;
    const first = await eventually(async () => {
      const r = await beat(quiet);
      return r.body.commands.length ? r : undefined;
    }, 'the command delivered');
    expect(first.body.commands).toEqual([{ id: sent.id, kind: 'ping', args: {}, deadline: sent.deadline }]);
    expect((await beat(quiet)).body.commands.map((c: { id: string }) => c.id)).toEqual([sent.id]); // again: not reported yet
    expect((await api.call('GET', `/v1/clusters/${quiet}/commands/${sent.id}`)).body.status).toBe('Delivered');

    expect((await report(quiet, sent.id, { status: 'Running', progress: 50 })).status).toBe(200);
    expect((await api.call('GET', `/v1/clusters/${quiet}/commands/${sent.id}`)).body).toMatchObject({ status: 'Running', progress: 50 });
    expect((await report(quiet, sent.id, { status: 'Succeeded', result: { agentVersion: 'x' } })).status).toBe(200);
    expect((await report(quiet, sent.id, { status: 'Succeeded', result: { agentVersion: 'x' } })).status).toBe(200);
    expect((await report(quiet, sent.id, { status: 'Failed', message: 'changed my mind' })).status).toBe(409);
    await eventually(async () => ((await beat(quiet)).body.commands.length === 0 ? true : undefined), 'no more deliveries');
  });

  it('treats reports as untrusted: a result not of the kind’s shape is 400, another cluster’s command is 404', async () => {
    const sent = (await api.call('POST', `/v1/clusters/${quiet}/commands`, { body: { kind: 'ping' } })).body;
    const bad = await report(quiet, sent.id, { status: 'Succeeded', result: { agentVersion: 7 } });
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toBe('result.agentVersion');
    expect((await report(quiet, sent.id, { status: 'Done' })).status).toBe(400);
    expect((await report(running, sent.id, { status: 'Failed' })).status).toBe(404);
    expect((await report(quiet, 'cmd-unknown', { status: 'Failed' })).status).toBe(404);
  });

  it('expires a command with no outcome by its deadline', async () => {
    const sent = (await api.call('POST', `/v1/clusters/${quiet}/commands`, { body: { kind: 'ping', deadlineSeconds: 5 } })).body;
    await eventually(async () => ((await beat(quiet)).body.commands.some((c: { id: string }) => c.id === sent.id) ? true : undefined), 'delivered');
    api.runtime.clock.advance(6_000); // past its deadline: the clock moves, the test does not sleep
    const expired = await eventually(async () => {
      await beat(quiet);
      const c = (await api.call('GET', `/v1/clusters/${quiet}/commands/${sent.id}`)).body;
      return c.status === 'Expired' ? c : undefined;
    }, 'expired');
    expect(expired.message).toContain('deadline');
    expect((await report(quiet, sent.id, { status: 'Succeeded', result: { agentVersion: 'late' } })).status).toBe(410);
  });

  it('refuses bad commands with 400 naming the field', async () => {
    const unknown = await api.call('POST', `/v1/clusters/${quiet}/commands`, { body: { kind: 'reboot' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details[0].path).toBe('kind');
    expect((await api.call('POST', `/v1/clusters/${quiet}/commands`, { body: { kind: 'ping', args: { x: 1 } } })).body.details[0].path).toBe('args.x');
    expect((await api.call('POST', `/v1/clusters/${quiet}/commands`, { body: { kind: 'ping', deadlineSeconds: 1 } })).status).toBe(400);
  });
});

describe('node facts and cordon / drain through the simulated agent', () => {
  it('shows each node’s kubelet, OS image, kernel and runtime as its agent reports them, from what the node was launched with', async () => {
    const facts = (n: any) => [n.name, n.instanceType, n.kubeletVersion, n.osImage, n.kernelVersion, n.containerRuntimeVersion, n.unschedulable];
    const jammy = ['v1.31.10', 'Ubuntu 22.04.5 LTS', '5.15.0-131-generic', 'containerd://1.7.24', false];
    const runner = await eventually(async () => {
      const items = (await api.call('GET', `/v1/clusters/${running}/nodes`)).body.items;
      return items.length === 3 && items.every((n: any) => n.kubeletVersion) ? items : undefined;
    }, 'runner nodes with their facts');
    expect(runner.map(facts).sort()).toEqual([
      ['runner-cp-0', 'sim.large', ...jammy],
      ['runner-workers-0', 'sim.large', ...jammy],
      ['runner-workers-1', 'sim.large', ...jammy],
    ]);
    const nobleNodes = await eventually(async () => {
      const items = (await api.call('GET', `/v1/clusters/${noble}/nodes`)).body.items;
      return items.length === 3 && items.every((n: any) => n.kubeletVersion) ? items : undefined;
    }, 'noble nodes with their facts');
    for (const n of nobleNodes) expect(facts(n).slice(2)).toEqual(['v1.32.6', 'Ubuntu 24.04.2 LTS', '6.8.0-53-generic', 'containerd://1.7.24', false]);
    const detail = (await api.call('GET', `/v1/clusters/${noble}/nodes/noble-workers-0`)).body;
    expect(detail).toMatchObject({ name: 'noble-workers-0', kubeletVersion: 'v1.32.6', osImage: 'Ubuntu 24.04.2 LTS', unschedulable: false });
  });

  it('cordons a node: the agent marks it unschedulable and both node views show it; cordoning it again says it was already', async () => {
    const done = await outcome(running, { kind: 'cordon', args: { node: 'runner-workers-0' } });
    expect(done).toMatchObject({ status: 'Succeeded', args: { node: 'runner-workers-0' }, result: { node: 'runner-workers-0', alreadyUnschedulable: false } });
    await eventually(async () => ((await nodeView(running, 'runner-workers-0')).unschedulable === true ? true : undefined), 'the cordon reported');
    expect((await api.call('GET', `/v1/clusters/${running}/nodes/runner-workers-0`)).body.unschedulable).toBe(true);
    expect((await nodeView(running, 'runner-workers-1')).unschedulable).toBe(false);
    expect((await outcome(running, { kind: 'cordon', args: { node: 'runner-workers-0' } })).result).toEqual({ node: 'runner-workers-0', alreadyUnschedulable: true });
  });

  it('drains a node with the default settings: evicted pods counted, nothing left, and the node stays reported, unschedulable', async () => {
    const done = await outcome(running, { kind: 'drain', args: { node: 'runner-workers-1' } });
    expect(done.args).toEqual({ node: 'runner-workers-1', timeoutSeconds: 300, ignoreDaemonSets: true, deleteEmptyDirData: true });
    expect(done.status).toBe('Succeeded');
    expect(done.result).toEqual({ evicted: expect.any(Number), remaining: [], durationSeconds: expect.any(Number) });
    expect(done.result.evicted).toBeGreaterThan(0);
    // The deadline leaves room for the longest timeout.
    expect(Date.parse(done.deadline) - Date.parse(done.createdAt)).toBe(2400 * 1000);
    const node = await eventually(async () => {
      const n = await nodeView(running, 'runner-workers-1');
      return n?.unschedulable ? n : undefined;
    }, 'the drain reported');
    expect(node).toMatchObject({ ready: true, kubeletVersion: 'v1.31.10' }); // still reported, while its instance runs
    expect((await outcome(running, { kind: 'drain', args: { node: 'runner-workers-1' } })).result.evicted).toBe(0); // nothing left to move
  });

  it('fails a command for a node the cluster does not have, naming it', async () => {
    const failed = await outcome(running, { kind: 'drain', args: { node: 'runner-workers-9', timeoutSeconds: 60 } });
    expect(failed).toMatchObject({ status: 'Failed', message: 'node runner-workers-9 not found' });
  });

  it('refuses bad cordon and drain arguments with 400 naming the field, and viewers cannot send them', async () => {
    const send = (body: unknown, key?: string) => api.call('POST', `/v1/clusters/${quiet}/commands`, { body, ...(key ? { key } : {}) });
    for (const [body, path] of [
      [{ kind: 'drain', args: { node: 'w', timeoutSeconds: 1801 } }, 'args.timeoutSeconds'],
      [{ kind: 'drain', args: { node: 'w', timeoutSeconds: 0 } }, 'args.timeoutSeconds'],
      [{ kind: 'drain', args: { node: 'w', ignoreDaemonSets: 'yes' } }, 'args.ignoreDaemonSets'],
      [{ kind: 'drain', args: {} }, 'args.node'],
      [{ kind: 'cordon', args: { node: 'Not_A_Node' } }, 'args.node'],
      [{ kind: 'cordon', args: { node: 'w', force: true } }, 'args.force'],
    ] as const) {
      const res = await send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.details[0].path, JSON.stringify(body)).toBe(path);
    }
    const viewer = (await api.call('POST', '/v1/apikeys', { body: { name: 'looker', role: 'viewer' } })).body.key;
    expect((await send({ kind: 'cordon', args: { node: 'quiet-workers-0' } }, viewer)).status).toBe(403);
  });

  it('checks a failed drain’s result as strictly as a success’s', async () => {
    const sent = (await api.call('POST', `/v1/clusters/${quiet}/commands`, { body: { kind: 'drain', args: { node: 'quiet-workers-0', timeoutSeconds: 30 } } })).body;
    await eventually(async () => ((await beat(quiet)).body.commands.some((c: { id: string }) => c.id === sent.id) ? true : undefined), 'delivered');
    const bad = await report(quiet, sent.id, { status: 'Failed', message: 'timed out', result: { evicted: 1, remaining: ['<script>'], durationSeconds: 30 } });
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toBe('result.remaining[0]');
    expect((await report(quiet, sent.id, { status: 'Failed', message: 'timed out', result: { evicted: 1, remaining: Array(251).fill('ns/p'), durationSeconds: 30 } })).status).toBe(400);
    const result = { evicted: 2, remaining: ['default/web-0'], durationSeconds: 30 };
    expect((await report(quiet, sent.id, { status: 'Failed', message: 'timed out draining quiet-workers-0 after 30 s with 1 pod(s) left: default/web-0', result })).status).toBe(200);
    expect((await api.call('GET', `/v1/clusters/${quiet}/commands/${sent.id}`)).body).toMatchObject({ status: 'Failed', result });
  });
});
