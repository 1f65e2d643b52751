import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentToken } from '../../core/agent-token.js';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

let api: Api;
let running: string; // a cluster whose simulated agent runs commands
let quiet: string; // a cluster whose agent is this test
beforeAll(async () => {
  api = await startApi();
  const account = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
  for (const name of ['runner', 'quiet']) {
    const id = (await api.call('POST', '/v1/clusters', { body: clusterBody(account, { name }) })).body.id;
    await eventually(async () => ((await api.call('GET', `/v1/clusters/${id}`)).body.phase === 'Running' ? true : undefined), `${name} Running`);
    if (name === 'runner') running = id;
    else quiet = id;
  }
  await api.call('POST', '/local/faults', { body: { cluster: quiet, agent: 'silent' } });
});
afterAll(() => api.stop());

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
