import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delivered, type Command } from '../../../core/agent-commands.js';
import { bundleFiles, kubeadmBootstrapToken, userData } from '../../../core/bootstrap.js';
import { joinToken, joinTokenId, joinTokenSecret } from '../../../core/bootstrap-tokens.js';
import { TAG_CLUSTER, TAG_NAME } from '../../../core/cloud.js';
import { useClock } from '../../../core/clock.js';
import { generateClusterPki, type ClusterPki, type ClusterPkiKeys } from '../../../core/pki.js';
import type { PlannedNode } from '../../../core/provisioning.js';
import { SimulatedCloud, type SimInstance } from '../../../adapters/cloud/simulated/simulated-cloud.js';
import { tarGz } from '../../../functions/commons/tar.js';
import { SimulatedAgents } from '../../../local/simulated-agents.js';
import { sendJson, startServer, until, type TestServer } from '../agent/helpers.js';

const SECRET = 'platform-secret';
const CLUSTER = 'cl-1';
const INIT_TOKEN = kubeadmBootstrapToken(SECRET, CLUSTER);

let t = Date.parse('2026-01-01T00:00:00.000Z');
let api: TestServer;
let cloud: SimulatedCloud;
let agents: SimulatedAgents;
let material: { pki: ClusterPki; keys: ClusterPkiKeys };
/** Ticket → the bundle it opens (what functions/agent/bootstrap.ts would answer). */
const bundles = new Map<string, Buffer>();
const heartbeats: { nodes: { name: string }[] }[] = [];
/** Commands the heartbeat answers carry until an outcome is reported, and the outcomes. */
const pending: ReturnType<typeof delivered>[] = [];
const outcomes = new Map<string, { status: string; result?: any; message?: string }>();

beforeAll(async () => {
  useClock({ now: () => t });
  material = await generateClusterPki(new Date(t));
  api = await startServer(async (req, res) => {
    if (req.path === '/agent/v1/bootstrap') {
      const bundle = bundles.get(String(req.headers.authorization).replace(/^Bearer /, ''));
      if (!bundle) return sendJson(res, 401, { message: 'no such ticket' });
      res.writeHead(200, { 'content-type': 'application/gzip' }).end(bundle);
      return;
    }
    if (req.path === '/agent/v1/heartbeat') {
      heartbeats.push(JSON.parse(req.body));
      return sendJson(res, 200, { desiredGeneration: 1, packs: [], commands: pending, heartbeatIntervalSeconds: 30 });
    }
    const id = /^\/agent\/v1\/commands\/([^/]+)\/result$/.exec(req.path)?.[1];
    if (id) {
      const report = JSON.parse(req.body);
      outcomes.set(id, report);
      pending.splice(pending.findIndex((c) => c.id === id), 1);
      return sendJson(res, 200, { id, status: report.status });
    }
    sendJson(res, 404, { message: 'no route' });
  });
  cloud = new SimulatedCloud();
  cloud.settings.bootMs = 5;
  cloud.settings.terminateMs = 5;
  agents = new SimulatedAgents(cloud, { intervalMs: 20 });
});
afterAll(async () => {
  agents.stop();
  await api.close();
  useClock();
});

/** Launch a node whose bundle joins (or inits) with `token`, as launch-node.ts would, and wait for its bootstrap to end. */
async function launch(role: PlannedNode['role'], index: number, token: string): Promise<SimInstance> {
  const name = role === 'worker' ? `demo-w-${index}` : `demo-cp-${index}`;
  const node: PlannedNode = { name, pool: role === 'worker' ? 'workers' : 'cp', role, index, zone: 'sim-east-1a', instanceType: 'sim.small', diskGiB: 20, idempotencyToken: name };
  const files = bundleFiles({
    node,
    cluster: { id: CLUSTER, name: 'demo' },
    kubernetesVersion: '1.31.10',
    apiEndpoint: 'api.cl-1.sim.strata.internal',
    podCidr: '192.168.0.0/16',
    serviceCidr: '10.96.0.0/12',
    bootstrapToken: token,
    pki: material.pki,
    ...(role === 'controlPlane' ? { controlPlane: { keys: material.keys, agent: { apiUrl: api.url, token: 'sat.test' } } } : {}),
  });
  const ticket = `ticket-${name}-${t}`;
  bundles.set(ticket, await tarGz(files));
  const inst = cloud.runInstance({
    region: 'sim-east-1',
    zone: 'sim-east-1a',
    instanceType: 'sim.small',
    imageId: 'sim-ubuntu-22.04',
    userData: userData(node, { url: `${api.url}/agent/v1/bootstrap`, ticket }),
    tags: { [TAG_CLUSTER]: CLUSTER, [TAG_NAME]: name, 'strata:role': role },
    clientToken: ticket,
  });
  await until(() => [...agents.bootstraps.keys()].includes(inst.instanceId) && (agents.isNode(inst.instanceId) || agents.bootstraps.get(inst.instanceId)!.error !== undefined));
  return inst;
}

/** The node names of a heartbeat sent from now on. */
async function reportedNodes(): Promise<string[]> {
  const from = heartbeats.length;
  await until(() => heartbeats.length > from);
  return heartbeats.at(-1)!.nodes.map((n) => n.name).sort();
}

let seq = 0;
/** Issue a command as the platform does (stored args), deliver it as the heartbeat does, and wait for its outcome. */
async function run(kind: Command['kind'], args: Record<string, unknown>) {
  const id = `cmd-${++seq}`;
  const c: Command = { id, clusterId: CLUSTER, kind, args, status: 'Pending', createdAt: '', deadline: '2099-01-01T00:00:00Z', updatedAt: '' };
  pending.push(delivered(c, SECRET));
  await until(() => outcomes.has(id));
  return outcomes.get(id)!;
}

describe('simulated nodes join the way kubeadm and the API server let them', () => {
  let cp0: SimInstance;
  it('kubeadm init makes the cluster: the first control-plane node is a node and the first etcd member', async () => {
    cp0 = await launch('controlPlane', 0, INIT_TOKEN);
    expect(agents.isNode(cp0.instanceId)).toBe(true);
    expect(cp0.apiServing).toBe(true);
    expect(await reportedNodes()).toEqual(['demo-cp-0']);
    expect(agents.etcdMembers(CLUSTER)).toEqual(['demo-cp-0']);
    expect(agents.bootstrapTokens(CLUSTER)).toEqual([]);
  });

  it('a worker joins with the init token; one with a token the cluster does not know never becomes a node', async () => {
    await launch('worker', 0, INIT_TOKEN);
    const bad = await launch('worker', 1, 'zzzzzz.zzzzzzzzzzzzzzzz');
    expect(agents.bootstraps.get(bad.instanceId)!.error).toMatch(/^kubeadm join: token zzzzzz\.… is not valid: could not find a JWS signature in the cluster-info ConfigMap for token ID "zzzzzz"/);
    expect(agents.bootstraps.get(bad.instanceId)!.files).toBeDefined(); // it had its bundle: the join is what failed
    expect(agents.isNode(bad.instanceId)).toBe(false);
    expect(bad.state).toBe('running'); // a running instance, not a node
    expect(await reportedNodes()).toEqual(['demo-cp-0', 'demo-w-0']);
  });

  it('a day after init its token has expired: a node launched then cannot join with it', async () => {
    t += 24 * 3_600_000;
    const late = await launch('worker', 2, INIT_TOKEN);
    expect(agents.bootstraps.get(late.instanceId)!.error).toMatch(/^kubeadm join: token [a-z0-9]{6}\.… is not valid/);
    expect(await reportedNodes()).toEqual(['demo-cp-0', 'demo-w-0']);
  });

  let token: string;
  it('createBootstrapToken makes a fresh token (its secret only in the delivered command); nodes join with it', async () => {
    const tokenId = joinTokenId(`${CLUSTER}/demo-w-3/${t / 1000}`);
    const made = await run('createBootstrapToken', { tokenId, ttlSeconds: 3600, description: 'join of demo-w-3' });
    const expiration = new Date(t + 3_600_000).toISOString().replace('.000Z', 'Z');
    expect(made).toEqual({ status: 'Succeeded', result: { tokenId, expiration } });
    const secret = joinTokenSecret(SECRET, CLUSTER, tokenId);
    expect(agents.bootstrapTokens(CLUSTER)).toEqual([{ tokenId, secret, expiration: new Date(t + 3_600_000).toISOString() }]);
    token = joinToken(tokenId, secret);

    await launch('worker', 3, token);
    // A control-plane node joins with it too, and becomes an etcd member.
    const cp1 = await launch('controlPlane', 1, token);
    expect(cp1.apiServing).toBe(true);
    expect(agents.etcdMembers(CLUSTER)).toEqual(['demo-cp-0', 'demo-cp-1']);
    expect(await reportedNodes()).toEqual(['demo-cp-0', 'demo-cp-1', 'demo-w-0', 'demo-w-3']);

    // The right id with another secret is no token.
    const forged = await launch('worker', 4, joinToken(tokenId, 'aaaaaaaaaaaaaaaa'));
    expect(agents.bootstraps.get(forged.instanceId)!.error).toMatch(/is not valid/);
    // Without the secret (the stored arguments), the agent refuses the command.
    const { tokenSecret: _, ...stored } = delivered({ id: 'x', clusterId: CLUSTER, kind: 'createBootstrapToken', args: { tokenId: 'abcdef', ttlSeconds: 60, description: '' }, status: 'Pending', createdAt: '', deadline: '', updatedAt: '' }, SECRET).args;
    const id = `cmd-${++seq}`;
    pending.push({ id, kind: 'createBootstrapToken', args: stored, deadline: '2099-01-01T00:00:00Z' });
    await until(() => outcomes.has(id));
    expect(outcomes.get(id)).toMatchObject({ status: 'Failed', message: expect.stringMatching(/^bad createBootstrapToken arguments: tokenSecret: /) });
  });

  it('an hour later that token has expired too', async () => {
    t += 3_600_000;
    const late = await launch('worker', 5, token);
    expect(agents.bootstraps.get(late.instanceId)!.error).toMatch(/is not valid/);
    expect(agents.bootstrapTokens(CLUSTER)).toEqual([]);
  });

  it('removeEtcdMember removes a member (once), never the last', async () => {
    const cp1 = [...cloud.instances.values()].find((i) => i.tags[TAG_NAME] === 'demo-cp-1')!;
    expect(await run('removeEtcdMember', { node: 'demo-cp-1' })).toEqual({ status: 'Succeeded', result: { node: 'demo-cp-1', removed: true, members: 1 } });
    expect(agents.etcdMembers(CLUSTER)).toEqual(['demo-cp-0']);
    expect(cp1.apiServing).toBe(false); // its etcd stopped, and its API server with it
    expect(await run('removeEtcdMember', { node: 'demo-cp-1' })).toEqual({ status: 'Succeeded', result: { node: 'demo-cp-1', removed: false, members: 1 } });
    expect(await run('removeEtcdMember', { node: 'demo-cp-0' })).toMatchObject({ status: 'Failed', message: expect.stringMatching(/last etcd member/) });
    expect(agents.etcdMembers(CLUSTER)).toEqual(['demo-cp-0']);
  });

  it('a node that terminates stops being reported; its etcd member stays until removed', async () => {
    const cp1 = [...cloud.instances.values()].find((i) => i.tags[TAG_NAME] === 'demo-cp-1')!;
    cloud.terminate(cp1.instanceId);
    await until(() => cp1.state === 'terminated');
    expect(agents.isNode(cp1.instanceId)).toBe(false);
    expect(await reportedNodes()).toEqual(['demo-cp-0', 'demo-w-0', 'demo-w-3']);
  });

  it("setKubeadmVersion moves the ClusterConfiguration's kubernetesVersion from init's, as the real agent does: one minor at a time, never back", async () => {
    expect(agents.kubeadmVersion(CLUSTER)).toBe('v1.31.10'); // kubeadm init's, from the first control-plane node's bundle
    expect(await run('setKubeadmVersion', { kubernetesVersion: '1.32.6' })).toEqual({ status: 'Succeeded', result: { from: 'v1.31.10', to: 'v1.32.6', changed: true } });
    expect(agents.kubeadmVersion(CLUSTER)).toBe('v1.32.6');
    // Delivered again (or the reconciler asking again): no change.
    expect(await run('setKubeadmVersion', { kubernetesVersion: 'v1.32.6' })).toEqual({ status: 'Succeeded', result: { from: 'v1.32.6', to: 'v1.32.6', changed: false } });
    expect(await run('setKubeadmVersion', { kubernetesVersion: '1.31.10' })).toMatchObject({ status: 'Failed', message: expect.stringMatching(/Kubernetes 1\.32\.6 → 1\.31\.10 is a downgrade/) });
    expect(await run('setKubeadmVersion', { kubernetesVersion: '1.34.0' })).toMatchObject({ status: 'Failed', message: expect.stringMatching(/skips 1 minor version\(s\)/) });
    expect(await run('setKubeadmVersion', { kubernetesVersion: '1.33' })).toMatchObject({ status: 'Failed', message: expect.stringMatching(/^bad setKubeadmVersion arguments: kubernetesVersion: /) });
    expect(agents.kubeadmVersion(CLUSTER)).toBe('v1.32.6');
    expect(agents.kubeadmVersion('cl-other')).toBeUndefined();
    // The kubelets keep the version each node booted with.
    const cp0 = [...cloud.instances.values()].find((i) => i.tags[TAG_NAME] === 'demo-cp-0')!;
    const from = heartbeats.length;
    await until(() => heartbeats.length > from);
    expect((heartbeats.at(-1)!.nodes as { name: string; kubeletVersion?: string }[]).find((n) => n.name === 'demo-cp-0')?.kubeletVersion).toBe('v1.31.10');

    // It lives in the cluster's etcd: gone with the cluster's last node.
    for (const i of cloud.instances.values()) if (i.tags[TAG_CLUSTER] === CLUSTER && i.state === 'running') cloud.terminate(i.instanceId);
    await until(() => cp0.state === 'terminated' && agents.kubeadmVersion(CLUSTER) === undefined);
  });
});
