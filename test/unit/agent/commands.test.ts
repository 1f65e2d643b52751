import { afterEach, describe, expect, it } from 'vitest';
import { COMMAND_KINDS } from '../../../core/agent-commands.js';
import { Agent, silentLogger } from '../../../agent/agent.js';
import { CommandFailure, commandHandlers, cordon, drain, DEADLINE_MARGIN_MS, EVICTION_RETRY_MS } from '../../../agent/commands.js';
import { KubernetesNodeOperations } from '../../../agent/kubernetes-source.js';
import { KubernetesInstaller } from '../../../agent/packs.js';
import { FakeClock, fixture, fixtureItems, kubeConfigFor, sendJson, startServer, until, type Recorded, type TestServer } from './helpers.js';

/**
 * The pods of minikube (k9s' node), from the fixtures: nginx (Running, no owner) and the
 * OOM-killed Job pod (Failed). The DaemonSet, mirror and emptyDir pods are real pods of other
 * fixtures bound to minikube here (their files hold them on other nodes, or on none).
 */
function minikubePods() {
  const one = (path: string) => fixtureItems(path)[0];
  const nginx = one('pods/k9s-pod.json');
  const oomKilled = one('pods/troubleshoot-oomkill-pod.json');
  const p1 = one('pods/popeye-podlist.yaml');
  const daemonSet = { ...p1, spec: { ...p1.spec, nodeName: 'minikube' } };
  const sidecar = one('pods/k9s-pod-sidecar.json');
  const mirror = {
    ...sidecar,
    metadata: { ...sidecar.metadata, annotations: { ...sidecar.metadata.annotations, 'kubernetes.io/config.mirror': '2b1e0c1ad4a8e1d8d8d9' } },
    spec: { ...sidecar.spec, nodeName: 'minikube' },
  };
  const kotsadm = fixtureItems('pods/troubleshoot-pending-node-affinity.json').find((p) => p.metadata.name.startsWith('kotsadm-'));
  const emptyDir = { ...kotsadm, spec: { ...kotsadm.spec, nodeName: 'minikube' }, status: { ...kotsadm.status, phase: 'Running' } };
  return { nginx, oomKilled, daemonSet, mirror, emptyDir };
}

/** The API server's answer when a PodDisruptionBudget allows no disruption now (pkg/registry/core/pod/storage/eviction.go). */
const budgetRefusal = (retryAfterSeconds: number) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: "Cannot evict pod as it would violate the pod's disruption budget.",
  reason: 'TooManyRequests',
  details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web-pdb needs 1 healthy pods and has 1 currently' }], retryAfterSeconds },
  code: 429,
});

const notFound = (what: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `${what} not found`, reason: 'NotFound', code: 404 });

interface FakeCluster {
  readonly node: any;
  readonly pods: any[];
  /** Pod name → how many evictions a budget refuses (429) before it allows one; Infinity: never. */
  readonly budgets?: Record<string, number>;
  /** Listings an evicted pod stays for while it terminates. @default 1 */
  readonly lingers?: number;
}

/** A stateful fake of the API server's node, pod list and eviction endpoints, answering with Kubernetes' own JSON. */
function kubeApi(cluster: FakeCluster) {
  const refusals: Record<string, number> = {};
  const terminating = new Map<string, number>();
  const evictions: string[] = [];
  const handler = (req: Recorded, res: import('node:http').ServerResponse) => {
    const nodePath = /^\/api\/v1\/nodes\/([^/]+)$/.exec(req.path);
    if (nodePath) {
      if (nodePath[1] !== cluster.node.metadata.name) return sendJson(res, 404, notFound(`nodes "${nodePath[1]}"`));
      if (req.method === 'GET') return sendJson(res, 200, cluster.node);
      if (req.method === 'PATCH') {
        if (req.headers['content-type'] !== 'application/merge-patch+json') return sendJson(res, 415, { kind: 'Status', code: 415, message: `unsupported ${req.headers['content-type']}` });
        const patch = JSON.parse(req.body);
        cluster.node.spec = { ...cluster.node.spec, ...patch.spec };
        return sendJson(res, 200, cluster.node);
      }
    }
    if (req.method === 'GET' && req.path === '/api/v1/pods') {
      const selector = req.query.get('fieldSelector') ?? '';
      const on = /^spec\.nodeName=(.+)$/.exec(selector)?.[1];
      for (const [key, left] of terminating) {
        // Terminating pods go after a few listings, as their containers stop.
        if (left <= 0) {
          const i = cluster.pods.findIndex((p) => `${p.metadata.namespace}/${p.metadata.name}` === key);
          if (i >= 0) cluster.pods.splice(i, 1);
          terminating.delete(key);
        } else terminating.set(key, left - 1);
      }
      const items = cluster.pods.filter((p) => p.spec?.nodeName === on);
      return sendJson(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items });
    }
    const eviction = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(req.path);
    if (req.method === 'POST' && eviction) {
      const [, namespace, name] = eviction as unknown as [string, string, string];
      const body = JSON.parse(req.body);
      if (body.apiVersion !== 'policy/v1' || body.kind !== 'Eviction' || body.metadata?.name !== name || body.metadata?.namespace !== namespace) {
        return sendJson(res, 400, { kind: 'Status', code: 400, message: `bad eviction ${req.body}` });
      }
      const pod = cluster.pods.find((p) => p.metadata.namespace === namespace && p.metadata.name === name);
      if (!pod) return sendJson(res, 404, notFound(`pods "${name}"`));
      const budget = cluster.budgets?.[name] ?? 0;
      const refused = refusals[name] ?? 0;
      refusals[name] = refused;
      if (refused < budget) {
        refusals[name] = refused + 1;
        res.setHeader('retry-after', '10');
        return sendJson(res, 429, budgetRefusal(10));
      }
      evictions.push(`${namespace}/${name}`);
      pod.metadata = { ...pod.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' };
      if (!terminating.has(`${namespace}/${name}`)) terminating.set(`${namespace}/${name}`, cluster.lingers ?? 1);
      return sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    }
    return sendJson(res, 404, notFound(`${req.method} ${req.path}`));
  };
  return { handler, evictions, refusals };
}

const servers: TestServer[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function fakeCluster(cluster: FakeCluster) {
  const api = kubeApi(cluster);
  const server = await startServer(api.handler);
  servers.push(server);
  return { ...api, server, ops: new KubernetesNodeOperations(kubeConfigFor(server.url)) };
}

const ctx = (over: Partial<Parameters<typeof drain>[3]> = {}) => ({ signal: new AbortController().signal, ...over });

describe('cordon', () => {
  it('sets spec.unschedulable with a merge patch of that field alone', async () => {
    const node = fixture('nodes/k9s-node-minikube.json');
    const k = await fakeCluster({ node, pods: [] });
    const result = await cordon(k.ops, { node: 'minikube' });
    expect(result).toEqual({ node: 'minikube', alreadyUnschedulable: false });
    expect(COMMAND_KINDS.cordon.result.safeParse(result).success).toBe(true);
    const patch = k.server.requests.find((r) => r.method === 'PATCH')!;
    expect(patch.path).toBe('/api/v1/nodes/minikube');
    expect(JSON.parse(patch.body)).toEqual({ spec: { unschedulable: true } });
    expect(node.spec.unschedulable).toBe(true);
  });

  it('leaves a cordoned node as it is and says so (popeye n4 is unschedulable); a missing node fails', async () => {
    const n4 = fixtureItems('nodes/popeye-lint-nodes.yaml').find((n) => n.metadata.name === 'n4');
    const k = await fakeCluster({ node: n4, pods: [] });
    expect(await cordon(k.ops, { node: 'n4' })).toEqual({ node: 'n4', alreadyUnschedulable: true });
    expect(k.server.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
    await expect(cordon(k.ops, { node: 'n9' })).rejects.toThrow('node n9 not found');
    await expect(cordon(k.ops, { node: 'Not A Node!' })).rejects.toThrow(/bad cordon arguments: node/);
  });
});

describe('drain against a fake API server', () => {
  it('cordons, evicts every pod but DaemonSet and mirror pods, retries one a PodDisruptionBudget refuses (429) until it clears, and waits until they are gone', async () => {
    const p = minikubePods();
    const k = await fakeCluster({ node: fixture('nodes/k9s-node-minikube.json'), pods: Object.values(p), budgets: { nginx: 2 }, lingers: 2 });
    const clock = new FakeClock('auto');
    const progress: [number, string][] = [];
    const result = await drain(k.ops, clock, { node: 'minikube' }, ctx({ progress: (pct, msg) => progress.push([pct, msg]) }));

    // nginx twice refused, then evicted; the Job's failed pod and the emptyDir pod at once; the DaemonSet and mirror pods stay.
    expect(result).toEqual({ evicted: 3, remaining: [], durationSeconds: expect.any(Number) });
    expect(COMMAND_KINDS.drain.result.safeParse(result).success).toBe(true);
    expect(k.refusals).toEqual({ nginx: 2, 'oom-kill-job3-gbb89': 0, [p.emptyDir.metadata.name]: 0 });
    expect(k.evictions.sort()).toEqual(['default/nginx', 'message-oomkill-pod/oom-kill-job3-gbb89', `message-pending-node-affinity/${p.emptyDir.metadata.name}`].sort());
    expect(k.server.requests.some((r) => r.path.includes(`/pods/${p.daemonSet.metadata.name}/`) || r.path.includes(`/pods/${p.mirror.metadata.name}/`))).toBe(false);
    // Cordoned first, through the same merge patch as cordon.
    const first = k.server.requests.findIndex((r) => r.method === 'PATCH');
    expect(first).toBeGreaterThan(-1);
    expect(first).toBeLessThan(k.server.requests.findIndex((r) => r.path.endsWith('/eviction')));
    // The refusals' Retry-After (10 s) paced the retries; the pods were listed by node.
    expect(clock.sleeps.filter((ms) => ms === 10_000)).toHaveLength(2);
    expect(k.server.requests.find((r) => r.path === '/api/v1/pods')!.query.get('fieldSelector')).toBe('spec.nodeName=minikube');
    expect(result.durationSeconds).toBeGreaterThanOrEqual(20);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every(([pct]) => pct >= 0 && pct < 100)).toBe(true);
  });

  it('times out naming what is left when a budget never allows the eviction: a failed result, the node still cordoned', async () => {
    const p = minikubePods();
    const node = fixture('nodes/k9s-node-minikube.json');
    const k = await fakeCluster({ node, pods: [p.nginx, p.daemonSet], budgets: { nginx: Infinity } });
    const clock = new FakeClock('auto');
    const err = await drain(k.ops, clock, { node: 'minikube', timeoutSeconds: 60 }, ctx()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CommandFailure);
    const failure = err as CommandFailure;
    expect(failure.message).toMatch(/^timed out draining minikube after 60 s with 1 pod\(s\) left: default\/nginx; evictions refused: default\/nginx \(The disruption budget web-pdb needs 1 healthy pods and has 1 currently\)$/);
    expect(failure.result).toEqual({ evicted: 0, remaining: ['default/nginx'], durationSeconds: 60 });
    expect(COMMAND_KINDS.drain.failureResult.safeParse(failure.result).success).toBe(true);
    expect(node.spec.unschedulable).toBe(true);
    expect(clock.t - 1_000_000).toBe(60_000); // never past the timeout
  });

  it('stops before the command deadline when that comes first', async () => {
    const p = minikubePods();
    const k = await fakeCluster({ node: fixture('nodes/k9s-node-minikube.json'), pods: [p.nginx], budgets: { nginx: Infinity } });
    const clock = new FakeClock('auto');
    const deadline = clock.now() + 45_000;
    const err = (await drain(k.ops, clock, { node: 'minikube', timeoutSeconds: 1800 }, ctx({ deadline })).catch((e: unknown) => e)) as CommandFailure;
    expect(err.result).toMatchObject({ remaining: ['default/nginx'], durationSeconds: (45_000 - DEADLINE_MARGIN_MS) / 1000 });
  });

  it('refuses, as kubectl does, DaemonSet pods without ignoreDaemonSets and emptyDir data without deleteEmptyDirData, evicting nothing', async () => {
    const p = minikubePods();
    const k = await fakeCluster({ node: fixture('nodes/k9s-node-minikube.json'), pods: Object.values(p) });
    const clock = new FakeClock('auto');
    const ds = (await drain(k.ops, clock, { node: 'minikube', ignoreDaemonSets: false }, ctx()).catch((e: unknown) => e)) as CommandFailure;
    expect(ds.message).toBe('cannot drain minikube: DaemonSet pods ns1/p1 (ignoreDaemonSets is false); the node stays cordoned');
    expect(ds.result).toMatchObject({ evicted: 0, remaining: ['ns1/p1'] });
    const local = (await drain(k.ops, clock, { node: 'minikube', deleteEmptyDirData: false }, ctx()).catch((e: unknown) => e)) as CommandFailure;
    expect(local.message).toBe(`cannot drain minikube: pods with emptyDir data message-pending-node-affinity/${p.emptyDir.metadata.name} (deleteEmptyDirData is false); the node stays cordoned`);
    expect(k.evictions).toEqual([]);
    await expect(drain(k.ops, clock, { node: 'nope' }, ctx())).rejects.toThrow('node nope not found');
  });

  it('a node with nothing to evict is drained at once', async () => {
    const p = minikubePods();
    const k = await fakeCluster({ node: fixture('nodes/k9s-node-minikube.json'), pods: [p.daemonSet, p.mirror] });
    expect(await drain(k.ops, new FakeClock('auto'), { node: 'minikube' }, ctx())).toEqual({ evicted: 0, remaining: [], durationSeconds: 0 });
  });
});

describe('the agent runs cordon and drain from heartbeat answers', () => {
  it('reports progress, then the outcome: a drained node, and a drain that timed out with what is left', async () => {
    const p = minikubePods();
    const k = await fakeCluster({ node: fixture('nodes/k9s-node-minikube.json'), pods: [p.nginx, p.oomKilled, p.daemonSet], budgets: { 'oom-kill-job3-gbb89': 1, nginx: Infinity } });
    const reports: { id: string; body: any }[] = [];
    const commands = [
      { id: 'cmd-cordon', kind: 'cordon', args: { node: 'minikube' }, deadline: '2099-01-01T00:00:00Z' },
      { id: 'cmd-drain', kind: 'drain', args: { node: 'minikube', timeoutSeconds: 30, ignoreDaemonSets: true, deleteEmptyDirData: true }, deadline: '2099-01-01T00:00:00Z' },
    ];
    const api = await startServer((req, res) => {
      if (req.path.startsWith('/agent/v1/commands/')) {
        reports.push({ id: req.path.split('/')[4]!, body: JSON.parse(req.body) });
        return sendJson(res, 200, { id: req.path.split('/')[4], status: 'Running' });
      }
      sendJson(res, 200, { desiredGeneration: 1, packs: [], commands, heartbeatIntervalSeconds: 30 });
    });
    servers.push(api);
    const kc = kubeConfigFor(k.server.url);
    // The handlers keep their own clock: the loop's fake one ends one sleep at a time.
    const handlers = commandHandlers('9.9.9', { nodes: new KubernetesNodeOperations(kc), clock: new FakeClock('auto') });
    const agent = new Agent(
      { apiUrl: api.url, clusterId: 'cl-1', token: 't' },
      // What the heartbeat reports is not the point here.
      { source: { collect: async () => ({ nodes: [], services: [] }) }, installer: new KubernetesInstaller(kc), commands: handlers, clock: new FakeClock('manual'), logger: silentLogger },
    );
    agents.push(agent);
    void agent.run();
    await until(() => reports.filter((r) => r.body.status !== 'Running').length >= 2);

    const outcome = (id: string) => reports.find((r) => r.id === id && r.body.status !== 'Running')!.body;
    expect(outcome('cmd-cordon')).toEqual({ status: 'Succeeded', result: { node: 'minikube', alreadyUnschedulable: false } });
    const drained = outcome('cmd-drain');
    expect(drained).toEqual({
      status: 'Failed',
      message: expect.stringMatching(/^timed out draining minikube after 30 s with 1 pod\(s\) left: default\/nginx; evictions refused: /),
      result: { evicted: 1, remaining: ['default/nginx'], durationSeconds: 30 },
    });
    expect(COMMAND_KINDS.drain.failureResult.safeParse(drained.result).success).toBe(true);
    // Progress came before the outcome, never after it.
    const drainReports = reports.filter((r) => r.id === 'cmd-drain');
    expect(drainReports.at(-1)!.body.status).toBe('Failed');
    expect(drainReports.slice(0, -1).every((r) => r.body.status === 'Running' && Number.isInteger(r.body.progress) && /evicted, \d+ left on minikube$/.test(r.body.message))).toBe(true);
    expect(drainReports.length).toBeGreaterThan(1);
    expect(k.evictions).toEqual(['message-oomkill-pod/oom-kill-job3-gbb89']);
  });

  it('without Kubernetes access, cordon and drain fail saying so', async () => {
    const handlers = commandHandlers('1', { clock: new FakeClock('auto') });
    await expect(handlers.cordon({ node: 'a' }, ctx())).rejects.toThrow('this agent has no access to the Kubernetes API');
    await expect(handlers.drain({ node: 'a' }, ctx())).rejects.toThrow('this agent has no access to the Kubernetes API');
    expect(EVICTION_RETRY_MS).toBe(5_000);
  });
});
