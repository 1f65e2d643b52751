import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMMAND_KINDS } from '../../../core/agent-commands.js';
import { Agent, silentLogger } from '../../../agent/agent.js';
import { clusterConfiguration, commandHandlers, KUBEADM_CONFIG_ATTEMPTS, setKubeadmVersion } from '../../../agent/commands.js';
import { KubernetesConfigMapOperations } from '../../../agent/kubernetes-source.js';
import { KubernetesInstaller } from '../../../agent/packs.js';
import { FakeClock, kubeConfigFor, sendJson, startServer, until, type Recorded, type TestServer } from './helpers.js';

const servers: TestServer[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/**
 * The ClusterConfiguration kubeadm 1.30 uploads (v1beta4, as sigs.k8s.io/yaml writes it: keys
 * sorted, sequences not indented), after a cluster hardened at init: the document of a real
 * cluster's `kubectl -n kube-system get cm kubeadm-config -o yaml`.
 */
const V1BETA4 = `apiServer:
  extraArgs:
  - name: audit-log-path
    value: /var/log/kubernetes/audit/audit.log
  - name: profiling
    value: "false"
  extraVolumes:
  - hostPath: /var/log/kubernetes/audit/
    mountPath: /var/log/kubernetes/audit/
    name: audit-log
    pathType: DirectoryOrCreate
apiVersion: kubeadm.k8s.io/v1beta4
caCertificateValidityPeriod: 87600h0m0s
certificateValidityPeriod: 8760h0m0s
certificatesDir: /etc/kubernetes/pki
clusterName: mr-cilium-7d6460ea
controlPlaneEndpoint: 34.8.0.20:6443
controllerManager:
  extraArgs:
  - name: cloud-provider
    value: external
  - name: terminated-pod-gc-threshold
    value: "1000"
dns: {}
encryptionAlgorithm: RSA-2048
etcd:
  local:
    dataDir: /var/lib/etcd
imageRepository: registry.k8s.io
kind: ClusterConfiguration
kubernetesVersion: v1.30.14
networking:
  dnsDomain: cluster.local
  serviceSubnet: 10.96.0.0/12
proxy: {}
scheduler:
  extraArgs:
  - name: profiling
    value: "false"
`;

/** A v1beta3 one someone edited by hand (kubectl edit): comments, a quoted version, a pinned CoreDNS. */
const V1BETA3 = `apiServer:
  timeoutForControlPlane: 4m0s
apiVersion: kubeadm.k8s.io/v1beta3
certificatesDir: /etc/kubernetes/pki
clusterName: kubernetes
controlPlaneEndpoint: 10.101.11.110:6443
controllerManager: {}
dns:
  imageRepository: registry.k8s.io/coredns
  imageTag: v1.11.3 # pinned when the cluster was made
etcd:
  local:
    dataDir: /var/lib/etcd
imageRepository: registry.k8s.io
kind: ClusterConfiguration
# bumped by the upgrade, one minor at a time
kubernetesVersion: "v1.29.15"
networking:
  dnsDomain: cluster.local
  podSubnet: 172.19.0.0/16
  serviceSubnet: 192.168.0.0/16
scheduler: {}
`;

const status = (code: number, reason: string, message: string, details?: object) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });
const PATH = '/api/v1/namespaces/kube-system/configmaps/kubeadm-config';

/**
 * The API server's kube-system/kubeadm-config, as it answers: GET the ConfigMap (Kubernetes'
 * JSON), a merge patch applied only when the resourceVersion it names is the stored one (409
 * Conflict otherwise, as for any write naming a stale version), every write a new resourceVersion.
 * `beforePatch` changes the stored object first, as another writer would between read and write.
 */
async function kubeadmConfigApi(clusterConfiguration: string | undefined, beforePatch?: (n: number, cm: any) => void) {
  let rv = 74880322;
  let cm: any =
    clusterConfiguration === undefined
      ? undefined
      : {
          kind: 'ConfigMap',
          apiVersion: 'v1',
          metadata: {
            name: 'kubeadm-config',
            namespace: 'kube-system',
            uid: 'd479c592-d763-404e-9e46-283df09bfd22',
            resourceVersion: String(rv),
            creationTimestamp: '2024-10-16T07:32:06Z',
            managedFields: [{ manager: 'kubeadm', operation: 'Update', apiVersion: 'v1', time: '2024-10-16T07:32:06Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:ClusterConfiguration': {} } } }],
          },
          data: { ClusterConfiguration: clusterConfiguration },
        };
  let patches = 0;
  const bump = () => (cm.metadata.resourceVersion = String(++rv));
  const server = await startServer((req: Recorded, res) => {
    if (req.path !== PATH) return sendJson(res, 404, status(404, 'NotFound', `no route ${req.method} ${req.path}`));
    if (!cm) return sendJson(res, 404, status(404, 'NotFound', 'configmaps "kubeadm-config" not found', { name: 'kubeadm-config', kind: 'configmaps' }));
    if (req.method === 'GET') return sendJson(res, 200, cm);
    if (req.method === 'PATCH') {
      if (req.headers['content-type'] !== 'application/merge-patch+json') return sendJson(res, 415, status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json`));
      beforePatch?.(++patches, cm);
      const patch = JSON.parse(req.body);
      if (patch.metadata?.resourceVersion !== undefined && patch.metadata.resourceVersion !== cm.metadata.resourceVersion) {
        return sendJson(
          res,
          409,
          status(409, 'Conflict', 'Operation cannot be fulfilled on configmaps "kubeadm-config": the object has been modified; please apply your changes to the latest version and try again', { name: 'kubeadm-config', kind: 'configmaps' }),
        );
      }
      cm = { ...cm, data: { ...cm.data, ...patch.data } };
      bump();
      return sendJson(res, 200, cm);
    }
    return sendJson(res, 405, status(405, 'MethodNotAllowed', `${req.method} is not allowed`));
  });
  servers.push(server);
  return {
    server,
    get cm() {
      return cm;
    },
    /** Another writer's change: the stored object at a new resourceVersion. */
    edit(f: (text: string) => string) {
      cm.data.ClusterConfiguration = f(cm.data.ClusterConfiguration);
      bump();
    },
    configMaps: new KubernetesConfigMapOperations(kubeConfigFor(server.url)),
    calls: () => server.requests.map((r) => `${r.method} ${r.path}`),
  };
}

type KubeadmConfigApi = Awaited<ReturnType<typeof kubeadmConfigApi>>;

describe('setKubeadmVersion against the API server', () => {
  it("sets kubernetesVersion in kubeadm-config's ClusterConfiguration with a merge patch naming the resourceVersion read: nothing else of the document changes", async () => {
    const k = await kubeadmConfigApi(V1BETA4);
    const result = await setKubeadmVersion(k.configMaps, { kubernetesVersion: '1.31.6' });
    expect(result).toEqual({ from: 'v1.30.14', to: 'v1.31.6', changed: true });
    expect(COMMAND_KINDS.setKubeadmVersion.result.safeParse(result).success).toBe(true);

    expect(k.calls()).toEqual([`GET ${PATH}`, `PATCH ${PATH}`]);
    const patch = JSON.parse(k.server.requests[1]!.body);
    expect(patch).toEqual({ metadata: { resourceVersion: '74880322' }, data: { ClusterConfiguration: V1BETA4.replace('kubernetesVersion: v1.30.14', 'kubernetesVersion: v1.31.6') } });
    // Byte for byte the document kubeadm wrote, but for the version; kubeadm reads it as such.
    expect(k.cm.data.ClusterConfiguration).toBe(V1BETA4.replace('kubernetesVersion: v1.30.14\n', 'kubernetesVersion: v1.31.6\n'));
    expect(parse(k.cm.data.ClusterConfiguration)).toEqual({ ...parse(V1BETA4), kubernetesVersion: 'v1.31.6' });
    expect(k.cm.metadata.resourceVersion).toBe('74880323');
  });

  it('keeps comments and the quotes of a hand-edited v1beta3 document', async () => {
    const k = await kubeadmConfigApi(V1BETA3);
    expect(await setKubeadmVersion(k.configMaps, { kubernetesVersion: 'v1.30.0' })).toEqual({ from: 'v1.29.15', to: 'v1.30.0', changed: true });
    expect(k.cm.data.ClusterConfiguration).toBe(V1BETA3.replace('kubernetesVersion: "v1.29.15"', 'kubernetesVersion: "v1.30.0"'));
    expect(k.cm.data.ClusterConfiguration).toContain('imageTag: v1.11.3 # pinned when the cluster was made\n');
  });

  it('the version there already (delivered again, or set by another agent) is success, with no write', async () => {
    const k = await kubeadmConfigApi(V1BETA4.replace('v1.30.14', 'v1.31.6'));
    expect(await setKubeadmVersion(k.configMaps, { kubernetesVersion: 'v1.31.6' })).toEqual({ from: 'v1.31.6', to: 'v1.31.6', changed: false });
    expect(await setKubeadmVersion(k.configMaps, { kubernetesVersion: '1.31.6' })).toEqual({ from: 'v1.31.6', to: 'v1.31.6', changed: false });
    expect(k.calls()).toEqual([`GET ${PATH}`, `GET ${PATH}`]);
  });

  it('a 409 conflict (the ConfigMap changed since it was read) reads it again and makes the change on what it holds now', async () => {
    // Between the first read and write, someone (kubeadm upgrade, an operator) changes another field.
    const k: KubeadmConfigApi = await kubeadmConfigApi(V1BETA4, (n) => {
      if (n === 1) k.edit((text) => text.replace('clusterName: mr-cilium-7d6460ea', 'clusterName: renamed'));
    });
    expect(await setKubeadmVersion(k.configMaps, { kubernetesVersion: '1.31.0' })).toEqual({ from: 'v1.30.14', to: 'v1.31.0', changed: true });
    expect(k.calls()).toEqual([`GET ${PATH}`, `PATCH ${PATH}`, `GET ${PATH}`, `PATCH ${PATH}`]);
    expect(JSON.parse(k.server.requests[1]!.body).metadata).toEqual({ resourceVersion: '74880322' });
    expect(JSON.parse(k.server.requests[3]!.body).metadata).toEqual({ resourceVersion: '74880323' });
    // The other writer's change stays: the write was made on the document read again.
    expect(parse(k.cm.data.ClusterConfiguration)).toMatchObject({ clusterName: 'renamed', kubernetesVersion: 'v1.31.0' });
  });

  it('after a conflict, finding the version set by the other writer is success with no second write', async () => {
    // Another control-plane node's agent ran the same command (delivery is at least once).
    const k: KubeadmConfigApi = await kubeadmConfigApi(V1BETA4, (n) => {
      if (n === 1) k.edit((text) => text.replace('v1.30.14', 'v1.31.2'));
    });
    expect(await setKubeadmVersion(k.configMaps, { kubernetesVersion: '1.31.2' })).toEqual({ from: 'v1.31.2', to: 'v1.31.2', changed: false });
    expect(k.calls()).toEqual([`GET ${PATH}`, `PATCH ${PATH}`, `GET ${PATH}`]);
  });

  it(`gives up after ${KUBEADM_CONFIG_ATTEMPTS} conflicts in a row, saying so`, async () => {
    const k: KubeadmConfigApi = await kubeadmConfigApi(V1BETA4, () => k.edit((text) => text));
    await expect(setKubeadmVersion(k.configMaps, { kubernetesVersion: '1.31.0' })).rejects.toThrow(
      `configmap kube-system/kubeadm-config changed under each of ${KUBEADM_CONFIG_ATTEMPTS} writes (409 conflict): nothing written, try again`,
    );
    expect(k.calls().filter((c) => c.startsWith('PATCH'))).toHaveLength(KUBEADM_CONFIG_ATTEMPTS);
    expect(parse(k.cm.data.ClusterConfiguration).kubernetesVersion).toBe('v1.30.14');
  });

  it('refuses a downgrade, a skipped minor version and another major version, writing nothing', async () => {
    const k = await kubeadmConfigApi(V1BETA4);
    await expect(setKubeadmVersion(k.configMaps, { kubernetesVersion: '1.29.15' })).rejects.toThrow(
      "refusing to set the ClusterConfiguration's kubernetesVersion to v1.29.15: Kubernetes 1.30.14 → 1.29.15 is a downgrade; the control plane's data cannot move back a version",
    );
    await expect(setKubeadmVersion(k.configMaps, { kubernetesVersion: 'v1.30.13' })).rejects.toThrow(/1\.30\.14 → 1\.30\.13 is a downgrade/);
    await expect(setKubeadmVersion(k.configMaps, { kubernetesVersion: '1.32.0' })).rejects.toThrow(/1\.30\.14 → 1\.32\.0 skips 1 minor version\(s\).*\(1\.31 first\)/);
    await expect(setKubeadmVersion(k.configMaps, { kubernetesVersion: '2.0.0' })).rejects.toThrow(/changes the major version/);
    expect(k.calls().every((c) => c.startsWith('GET'))).toBe(true);
    expect(k.cm.data.ClusterConfiguration).toBe(V1BETA4);
    // A patch release of the same minor is a move forward.
    expect(await setKubeadmVersion(k.configMaps, { kubernetesVersion: '1.30.15' })).toEqual({ from: 'v1.30.14', to: 'v1.30.15', changed: true });
  });

  it('fails on what it cannot read: no ConfigMap, no ClusterConfiguration, another document, a version that is no release; bad arguments before any call', async () => {
    const none = await kubeadmConfigApi(undefined);
    await expect(setKubeadmVersion(none.configMaps, { kubernetesVersion: '1.31.0' })).rejects.toThrow('configmap kube-system/kubeadm-config not found');

    for (const [text, error] of [
      ['apiServer: [unclosed\n', /is not a YAML document/],
      [V1BETA4.replace('kind: ClusterConfiguration', 'kind: InitConfiguration'), /holds no kubeadm.k8s.io ClusterConfiguration \(kind InitConfiguration/],
      [V1BETA4.replace('kubernetesVersion: v1.30.14\n', ''), /names kubernetesVersion \(none\), not a release/],
      [V1BETA4.replace('v1.30.14', 'stable-1'), /names kubernetesVersion "stable-1", not a release/],
    ] as const) {
      const k = await kubeadmConfigApi(text);
      await expect(setKubeadmVersion(k.configMaps, { kubernetesVersion: '1.31.0' })).rejects.toThrow(error);
      expect(k.calls()).toEqual([`GET ${PATH}`]);
    }

    const k = await kubeadmConfigApi(V1BETA4);
    for (const bad of [{}, { kubernetesVersion: '1.31' }, { kubernetesVersion: 'v1.31.0-rc.1' }, { kubernetesVersion: 'latest' }, { kubernetesVersion: '1.31.0', extra: 1 }]) {
      await expect(setKubeadmVersion(k.configMaps, bad)).rejects.toThrow(/^bad setKubeadmVersion arguments: /);
    }
    expect(k.server.requests).toHaveLength(0);
  });

  it('a block scalar version (never how kubeadm writes it) is written through the document, comments kept', () => {
    const text = 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n# the version\nkubernetesVersion: |-\n  v1.30.1\n';
    const config = clusterConfiguration(text);
    expect(config.version).toBe('v1.30.1');
    const out = config.withVersion('v1.31.0');
    expect(out).toContain('# the version\n');
    expect(parse(out)).toEqual({ apiVersion: 'kubeadm.k8s.io/v1beta4', kind: 'ClusterConfiguration', kubernetesVersion: 'v1.31.0' });
  });
});

describe('the agent runs setKubeadmVersion from a heartbeat answer', () => {
  it('reports the outcome: the version moved, then a refused downgrade; without the Kubernetes API it fails saying so', async () => {
    const k = await kubeadmConfigApi(V1BETA4);
    const reports: { id: string; body: any }[] = [];
    const api = await startServer((req, res) => {
      if (req.path.startsWith('/agent/v1/commands/')) {
        reports.push({ id: req.path.split('/')[4]!, body: JSON.parse(req.body) });
        return sendJson(res, 200, { id: req.path.split('/')[4], status: 'Succeeded' });
      }
      sendJson(res, 200, {
        desiredGeneration: 1,
        packs: [],
        commands: [
          { id: 'cmd-up', kind: 'setKubeadmVersion', args: { kubernetesVersion: '1.31.6' }, deadline: '2099-01-01T00:00:00Z' },
          { id: 'cmd-down', kind: 'setKubeadmVersion', args: { kubernetesVersion: '1.29.0' }, deadline: '2099-01-01T00:00:00Z' },
        ],
        heartbeatIntervalSeconds: 30,
      });
    });
    servers.push(api);
    const agent = new Agent(
      { apiUrl: api.url, clusterId: 'cl-1', token: 't' },
      {
        source: { collect: async () => ({ nodes: [], services: [] }) },
        installer: new KubernetesInstaller(kubeConfigFor(k.server.url)),
        configMaps: k.configMaps,
        clock: new FakeClock('manual'),
        logger: silentLogger,
      },
    );
    agents.push(agent);
    void agent.run();
    await until(() => reports.filter((r) => r.body.status !== 'Running').length === 2);
    const outcome = (id: string) => reports.find((r) => r.id === id && r.body.status !== 'Running')!.body;
    expect(outcome('cmd-up')).toMatchObject({ status: 'Succeeded', result: { from: 'v1.30.14', to: 'v1.31.6', changed: true } });
    // Run after or before the first: refused either way (a downgrade of 1.30 as of 1.31).
    expect(outcome('cmd-down')).toMatchObject({ status: 'Failed', message: expect.stringMatching(/refusing to set the ClusterConfiguration's kubernetesVersion to v1\.29\.0: .* is a downgrade/) });
    expect(parse(k.cm.data.ClusterConfiguration).kubernetesVersion).toBe('v1.31.6');

    await expect(commandHandlers('1', { clock: new FakeClock('auto') }).setKubeadmVersion({ kubernetesVersion: '1.31.0' }, { signal: new AbortController().signal })).rejects.toThrow(
      'this agent has no access to the Kubernetes API',
    );
  });
});
