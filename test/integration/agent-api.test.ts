import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentToken } from '../../core/agent-token.js';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

let api: Api;
const ids: string[] = [];
beforeAll(async () => {
  api = await startApi();
  const account = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
  for (const name of ['alpha', 'beta']) {
    const id = (await api.call('POST', '/v1/clusters', { body: clusterBody(account, { name }) })).body.id;
    ids.push(id);
    await eventually(async () => ((await api.call('GET', `/v1/clusters/${id}`)).body.phase === 'Running' ? true : undefined), `${name} Running`);
  }
});
afterAll(() => api.stop());

const tokenFor = (clusterId: string) => agentToken(process.env.PLATFORM_SECRET!, 'default', clusterId);
const beat = (token: string | null, body: unknown) =>
  api.call('POST', '/agent/v1/heartbeat', { key: token, raw: typeof body === 'string' ? body : JSON.stringify(body) });
const report = (clusterId: string) => ({ agentVersion: 'test', clusterId, observedGeneration: 1, nodes: [], packs: [] });

describe('agent API', () => {
  it('answers a cluster token with the desired state', async () => {
    const res = await beat(tokenFor(ids[0]!), report(ids[0]!));
    expect(res.status).toBe(200);
    expect(res.body.desiredGeneration).toBe(1);
    expect(res.body.packs.map((p: any) => p.name)).toEqual(['ubuntu', 'kubernetes', 'calico', 'aws-ebs-csi', 'prometheus-operator']);
  });

  it('refuses a missing or forged token (401) and another cluster’s token (403)', async () => {
    expect((await beat(null, report(ids[0]!))).status).toBe(401);
    expect((await beat(agentToken('not-the-secret', 'default', ids[0]!), report(ids[0]!))).status).toBe(401);
    expect((await beat(api.key, report(ids[0]!))).status).toBe(401); // an API key is no agent token
    const cross = await beat(tokenFor(ids[0]!), report(ids[1]!));
    expect(cross.status).toBe(403);
  });

  it('refuses bodies over 1 MB (413) and bad reports (400 naming the field)', async () => {
    const big = JSON.stringify({ ...report(ids[0]!), pad: 'x'.repeat(1024 * 1024) });
    expect((await beat(tokenFor(ids[0]!), big)).status).toBe(413);
    const bad = await beat(tokenFor(ids[0]!), { ...report(ids[0]!), observedGeneration: 'one' });
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toBe('observedGeneration');
    expect((await beat(tokenFor(ids[0]!), '{nope')).status).toBe(400);
  });
});
