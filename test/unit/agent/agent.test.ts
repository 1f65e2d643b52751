import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Heartbeat, type HeartbeatResponse } from '../../../core/agent-protocol.js';
import { Agent, AGENT_VERSION, backoffDelay, configFromEnv, createAgent, silentLogger } from '../../../agent/agent.js';
import { KubernetesSource } from '../../../agent/kubernetes-source.js';
import { KubernetesInstaller, type CommandRunner } from '../../../agent/packs.js';
import { FakeClock, fixtureItems, kubeConfigFor, kubeHandler, sendJson, startServer, until, type ClusterFixtures, type Recorded, type TestServer } from './helpers.js';

const TOKEN = 'sa_cl-1.secret';
const CLUSTER_ID = 'cl-1';

const CLUSTER: ClusterFixtures = {
  nodes: ['nodes/insights-operator-gcp-master-0.json', 'nodes/insights-operator-gcp-worker-b.json'].flatMap(fixtureItems),
  pods: fixtureItems('pods/k9s-pod.json'),
  services: fixtureItems('services/gitops-engine-svc-loadbalancer.yaml'),
  nodeMetrics: fixtureItems('metrics/libcloud-nodemetrics.json'),
};

const CONFIGMAP = `---
# leading empty document, skipped
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: strata-settings
  namespace: strata-system
data:
  region: us-east-1
`;

const DESIRED: HeartbeatResponse = {
  desiredGeneration: 3,
  packs: [
    { name: 'ubuntu', layer: 'os', version: '22.4.0', values: '' }, // no content: the image installs it
    { name: 'settings', layer: 'addon', version: '1.0.0', values: '', content: { type: 'manifests', manifests: CONFIGMAP } },
    {
      name: 'calico',
      layer: 'cni',
      version: '3.29.3',
      values: 'installation:\n  calicoNetwork:\n    ipPools:\n      - cidr: 192.168.0.0/16\n',
      content: { type: 'helm', repository: 'https://docs.tigera.io/calico/charts', chart: 'tigera-operator', version: '3.29.3' },
    },
  ],
  commands: [],
  heartbeatIntervalSeconds: 30,
};

/** A fake Strata agent API: checks each heartbeat, records it, answers with `answer(n)` (n from 1). */
async function strataApi(answer: (n: number, body: Heartbeat) => { status: number; body: unknown }) {
  const beats: Heartbeat[] = [];
  const problems: string[] = [];
  const server = await startServer((req: Recorded, res) => {
    if (req.method !== 'POST' || req.path !== '/agent/v1/heartbeat') return sendJson(res, 404, { message: 'not found' });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) problems.push(`authorization ${req.headers.authorization}`);
    if (req.headers['content-type'] !== 'application/json') problems.push(`content-type ${req.headers['content-type']}`);
    const parsed = Heartbeat.safeParse(JSON.parse(req.body));
    if (!parsed.success) {
      problems.push(parsed.error.message);
      return sendJson(res, 400, { message: parsed.error.message });
    }
    beats.push(parsed.data);
    const a = answer(beats.length, parsed.data);
    sendJson(res, a.status, a.body);
  });
  return { server, beats, problems };
}

const servers: TestServer[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('configFromEnv', () => {
  it('reads the agent.env keys', () => {
    expect(configFromEnv({ STRATA_API_URL: 'https://agent.example.com/', STRATA_CLUSTER_ID: 'cl-1', STRATA_AGENT_TOKEN: 'tok' })).toEqual({
      apiUrl: 'https://agent.example.com',
      clusterId: 'cl-1',
      token: 'tok',
    });
  });

  it('names every missing key', () => {
    expect(() => configFromEnv({ STRATA_API_URL: 'https://x' })).toThrow('STRATA_CLUSTER_ID, STRATA_AGENT_TOKEN');
  });
});

describe('backoffDelay', () => {
  it('doubles from 1 s, with jitter between half and all of the step, capped at 5 min', () => {
    const half = () => 0.5;
    // step n = 1000 · 2^(n-1); with random 0.5: step/2 + step/4 = 0.75 · step
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, half))).toEqual([750, 1500, 3000, 6000, 12000]);
    expect(backoffDelay(1, () => 0)).toBe(500);
    expect(backoffDelay(1, () => 1)).toBe(1000);
    // 2^9 s = 512 s > 300 s: capped
    expect(backoffDelay(10, () => 1)).toBe(300_000);
    expect(backoffDelay(1000, () => 0)).toBe(150_000);
  });
});

describe('Agent', () => {
  it('reports the cluster, installs the desired packs, then reports them Installed with the generation observed', async () => {
    const kube = await startServer(kubeHandler(CLUSTER));
    const api = await strataApi(() => ({ status: 200, body: DESIRED }));
    servers.push(kube, api.server);

    const helmCalls: { command: string; args: readonly string[]; values: string }[] = [];
    const run: CommandRunner = async (command, args) => {
      const valuesFile = args[args.indexOf('-f') + 1]!;
      helmCalls.push({ command, args, values: readFileSync(valuesFile, 'utf8') });
      return { code: 0, stdout: 'Release "calico" has been upgraded. Happy Helming!', stderr: '' };
    };
    const clock = new FakeClock('manual');
    const kc = kubeConfigFor(kube.url);
    const agent = createAgent({ apiUrl: api.server.url, clusterId: CLUSTER_ID, token: TOKEN }, { kubeConfig: kc, run, clock, logger: silentLogger, random: () => 0.5 });
    agents.push(agent);
    const done = agent.run();

    await until(() => api.beats.length >= 2);
    expect(api.problems).toEqual([]);

    // 1st heartbeat: the cluster as it is, nothing desired known yet
    const [first, second] = api.beats;
    expect(first).toMatchObject({ protocolVersion: 1, agentVersion: AGENT_VERSION, clusterId: CLUSTER_ID, observedGeneration: 0, packs: [] });
    expect(first!.nodes.map((n) => [n.name, n.role, n.zone])).toEqual([
      ['ci-ln-3z9y7mt-f76d1-69jcr-master-0', 'controlPlane', 'us-east1-b'],
      ['ci-ln-3z9y7mt-f76d1-69jcr-worker-b-q6vs9', 'worker', 'us-east1-b'],
    ]);
    expect(first!.services).toEqual([
      {
        namespace: 'argocd',
        name: 'argocd-server',
        type: 'LoadBalancer',
        ports: [
          { name: 'http', port: 80, nodePort: 30354, protocol: 'TCP' },
          { name: 'https', port: 443, nodePort: 31866, protocol: 'TCP' },
        ],
        ingress: [{ hostname: 'abc123.us-west-2.elb.amazonaws.com' }],
      },
    ]);

    // helm: upgrade --install with the chart, repository, version, namespace and the values in a file
    expect(helmCalls).toHaveLength(1);
    const call = helmCalls[0]!;
    expect(call.command).toBe('helm');
    expect(call.args).toEqual([
      'upgrade',
      '--install',
      'calico',
      'tigera-operator',
      '--repo',
      'https://docs.tigera.io/calico/charts',
      '--version',
      '3.29.3',
      '--namespace',
      'calico',
      '--create-namespace',
      '-f',
      call.args[12],
    ]);
    expect(call.values).toBe(DESIRED.packs[2]!.values);

    // manifests: server-side apply of the ConfigMap, field manager strata-agent, forced
    const patches = kube.requests.filter((r) => r.method === 'PATCH');
    expect(patches).toHaveLength(1);
    const patch = patches[0]!;
    expect(patch.path).toBe('/api/v1/namespaces/strata-system/configmaps/strata-settings');
    expect(patch.headers['content-type']).toBe('application/apply-patch+yaml');
    expect(patch.query.get('fieldManager')).toBe('strata-agent');
    expect(patch.query.get('force')).toBe('true');
    expect(JSON.parse(patch.body)).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'strata-settings', namespace: 'strata-system' }, data: { region: 'us-east-1' } });

    // 2nd heartbeat, right after the installs finished: every pack Installed, generation 3 observed
    expect(second!.observedGeneration).toBe(3);
    expect(second!.packs).toEqual([
      { name: 'ubuntu', version: '22.4.0', status: 'Installed', valuesDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
      { name: 'settings', version: '1.0.0', status: 'Installed', valuesDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
      { name: 'calico', version: '3.29.3', status: 'Installed', valuesDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
    ]);
    expect(agent.observedGeneration).toBe(3);

    // the period comes from the answer; nothing is installed twice
    expect(clock.sleeps[0]).toBe(30_000);
    await until(() => clock.sleeping);
    clock.elapse();
    await until(() => api.beats.length >= 3);
    expect(helmCalls).toHaveLength(1);
    expect(kube.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
    expect(api.beats[2]!.observedGeneration).toBe(3);

    await agent.stop();
    await done;
  });

  it('reports a failed pack with its error and no new generation, then retries it after its backoff', async () => {
    const kube = await startServer(kubeHandler(CLUSTER));
    const api = await strataApi(() => ({ status: 200, body: DESIRED }));
    servers.push(kube, api.server);
    let helmRuns = 0;
    const run: CommandRunner = async () => {
      helmRuns += 1;
      return helmRuns === 1
        ? { code: 1, stdout: '', stderr: 'Error: INSTALLATION FAILED: failed to download "tigera-operator" at version "3.29.3"\n' }
        : { code: 0, stdout: '', stderr: '' };
    };
    const clock = new FakeClock('manual');
    const agent = createAgent({ apiUrl: api.server.url, clusterId: CLUSTER_ID, token: TOKEN }, { kubeConfig: kubeConfigFor(kube.url), run, clock, logger: silentLogger, random: () => 0.5 });
    agents.push(agent);
    void agent.run();

    await until(() => api.beats.length >= 2);
    expect(api.beats[1]!.observedGeneration).toBe(0);
    expect(api.beats[1]!.packs).toEqual([
      { name: 'ubuntu', version: '22.4.0', status: 'Installed', valuesDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
      { name: 'settings', version: '1.0.0', status: 'Installed', valuesDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
      {
        name: 'calico',
        version: '3.29.3',
        status: 'Failed',
        message: 'helm upgrade --install calico exited with 1: Error: INSTALLATION FAILED: failed to download "tigera-operator" at version "3.29.3"',
        valuesDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      },
    ]);

    // the next period (30 s later) is past the pack's retry delay (10 s step · 0.75 = 7.5 s): tried again, installed
    await until(() => clock.sleeping);
    clock.elapse();
    await until(() => api.beats.some((b) => b.observedGeneration === 3));
    expect(helmRuns).toBe(2);
    expect(api.beats.at(-1)!.packs.map((p) => p.status)).toEqual(['Installed', 'Installed', 'Installed']);
    expect(api.problems).toEqual([]);
  });

  it('backs off with growing delays while the API answers 503 or refuses connections, and recovers', async () => {
    const kube = await startServer(kubeHandler(CLUSTER));
    servers.push(kube);
    let recovered!: () => void;
    const recoveredP = new Promise<void>((r) => (recovered = r));
    const api = await strataApi((n) => (n <= 2 ? { status: 503, body: { message: 'Service Unavailable' } } : { status: 200, body: { ...DESIRED, packs: [] } }));
    servers.push(api.server);
    // attempts 1-2: 503; before attempts 3-4 the API stops listening (connection refused); before 5 it is back
    const clock = new FakeClock('auto', async (ms, i) => {
      if (i === 2) await api.server.close();
      if (i === 4) await api.server.listen();
      if (ms === 30_000) recovered();
    });
    const agent = new Agent(
      { apiUrl: api.server.url, clusterId: CLUSTER_ID, token: TOKEN },
      { ...sourceAndInstaller(kube.url), clock, logger: silentLogger, random: () => 0.5 },
    );
    agents.push(agent);
    void agent.run();
    await recoveredP;

    // 0.75 · 1 s, 2 s, 4 s, 8 s; then the answer's 30 s period
    expect(clock.sleeps.slice(0, 5)).toEqual([750, 1500, 3000, 6000, 30_000]);
    // two answered 503, two never arrived, one answered 200 (generation 3, no packs), and at once
    // (no sleep) one more to say generation 3 is installed
    expect(api.beats.map((b) => b.observedGeneration)).toEqual([0, 0, 0, 3]);
    await agent.stop();
  });

  it('backs off while the Kubernetes API is unreachable, sending nothing, and recovers', async () => {
    const kube = await startServer(kubeHandler(CLUSTER));
    await kube.close(); // refused until the 3rd sleep
    const api = await strataApi(() => ({ status: 200, body: { ...DESIRED, packs: [] } }));
    servers.push(kube, api.server);
    let recovered!: () => void;
    const recoveredP = new Promise<void>((r) => (recovered = r));
    const beatsAtSleep: number[] = [];
    const clock = new FakeClock('auto', async (ms, i) => {
      beatsAtSleep.push(api.beats.length);
      if (i === 3) await kube.listen();
      if (ms === 30_000) recovered();
    });
    const agent = new Agent({ apiUrl: api.server.url, clusterId: CLUSTER_ID, token: TOKEN }, { ...sourceAndInstaller(kube.url), clock, logger: silentLogger, random: () => 0.5 });
    agents.push(agent);
    void agent.run();
    await recoveredP;
    expect(clock.sleeps.slice(0, 4)).toEqual([750, 1500, 3000, 30_000]);
    // nothing sent while the cluster cannot be read; then the report, and at once the one observing generation 3
    expect(beatsAtSleep.slice(0, 4)).toEqual([0, 0, 0, 2]);
    expect(api.beats[0]!.nodes).toHaveLength(2);
  });

  it('stops at once on stop() while sleeping, and a 401 does not end the loop', async () => {
    const kube = await startServer(kubeHandler(CLUSTER));
    const api = await strataApi(() => ({ status: 401, body: { message: 'unknown or revoked agent token' } }));
    servers.push(kube, api.server);
    const clock = new FakeClock('manual');
    const agent = new Agent({ apiUrl: api.server.url, clusterId: CLUSTER_ID, token: TOKEN }, { ...sourceAndInstaller(kube.url), clock, logger: silentLogger, random: () => 0.5 });
    const done = agent.run();
    await until(() => clock.sleeping);
    clock.elapse();
    await until(() => clock.sleeps.length === 2);
    expect(clock.sleeps).toEqual([750, 1500]); // still trying, backing off
    await agent.stop(); // ends the manual sleep that would otherwise never end
    await expect(done).resolves.toBeUndefined();
    expect(api.beats).toHaveLength(2);
  });
});

describe('Agent token rotation', () => {
  it('takes the new token from a heartbeat answer, uses it from the next request on, and keeps it', async () => {
    const NEXT = 'sat.default.cl-1.2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const kube = await startServer(kubeHandler(CLUSTER));
    const auth: string[] = [];
    const api = await startServer((req: Recorded, res) => {
      auth.push(String(req.headers.authorization));
      sendJson(res, 200, { ...DESIRED, packs: [], ...(auth.length === 1 ? { agentToken: NEXT } : {}) });
    });
    servers.push(kube, api);
    const saved: string[] = [];
    const clock = new FakeClock('auto');
    const agent = new Agent(
      { apiUrl: api.url, clusterId: CLUSTER_ID, token: TOKEN },
      { ...sourceAndInstaller(kube.url), clock, logger: silentLogger, random: () => 0.5, saveToken: async (t) => void saved.push(t) },
    );
    agents.push(agent);
    void agent.run();
    await until(() => auth.length >= 3);
    expect(auth.slice(0, 3)).toEqual([`Bearer ${TOKEN}`, `Bearer ${NEXT}`, `Bearer ${NEXT}`]);
    expect(saved).toEqual([NEXT]);
  });
});

describe('Agent commands', () => {
  it('runs each command once by its kind, however often it is delivered, and reports the outcome', async () => {
    const kube = await startServer(kubeHandler(CLUSTER));
    const results: { path: string; body: any }[] = [];
    const commands = [
      { id: 'cmd-1', kind: 'ping', args: {}, deadline: '2099-01-01T00:00:00Z' },
      { id: 'cmd-2', kind: 'teleport', args: {}, deadline: '2099-01-01T00:00:00Z' },
    ];
    const api = await startServer((req: Recorded, res) => {
      if (req.path.startsWith('/agent/v1/commands/')) {
        results.push({ path: req.path, body: JSON.parse(req.body) });
        return sendJson(res, 200, { id: req.path.split('/')[4], status: 'Succeeded' });
      }
      sendJson(res, 200, { ...DESIRED, packs: [], commands }); // delivered with every answer
    });
    servers.push(kube, api);
    const agent = new Agent({ apiUrl: api.url, clusterId: CLUSTER_ID, token: TOKEN }, { ...sourceAndInstaller(kube.url), clock: new FakeClock('auto'), logger: silentLogger, random: () => 0.5, agentVersion: '9.9.9' });
    agents.push(agent);
    void agent.run();
    await until(() => results.length >= 2);
    await new Promise((r) => setTimeout(r, 100)); // more heartbeats, the same commands: nothing runs twice
    expect(results.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: '/agent/v1/commands/cmd-1/result', body: { status: 'Succeeded', result: { agentVersion: '9.9.9' } } },
      { path: '/agent/v1/commands/cmd-2/result', body: { status: 'Failed', message: 'this agent does not know command kind teleport' } },
    ]);
  });
});

/** The real source and installer on a fake Kubernetes API; helm must not be needed. */
function sourceAndInstaller(kubeUrl: string) {
  const kc = kubeConfigFor(kubeUrl);
  const noHelm: CommandRunner = async () => {
    throw new Error('helm is not expected here');
  };
  return { source: new KubernetesSource(kc), installer: new KubernetesInstaller(kc, { run: noHelm }) };
}
