import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { ReportedNode } from '../../../core/agent-protocol.js';
import { caCertHash, caCertHashOf, KubernetesSource, loadKubeConfig } from '../../../agent/kubernetes-source.js';
import { fixtureItems, kubeConfigFor, kubeHandler, startServer, type ClusterFixtures, type TestServer } from './helpers.js';

/** Everything the fixtures hold, as one cluster would list it. */
const CLUSTER: ClusterFixtures = {
  nodes: [
    'nodes/k9s-node-minikube.json',
    'nodes/libcloud-api_v1_nodes.json',
    'nodes/popeye-lint-nodes.yaml',
    'nodes/insights-operator-gcp-master-0.json',
    'nodes/insights-operator-gcp-worker-b.json',
  ].flatMap(fixtureItems),
  pods: [
    'pods/k9s-pod.json',
    'pods/k9s-pod-sidecar.json',
    'pods/libcloud-api_v1_pods.json',
    'pods/popeye-podlist.yaml',
    'pods/troubleshoot-oomkill-pod.json',
    'pods/troubleshoot-pending-node-affinity.json',
    'pods/troubleshoot-pending-pod-resources.json',
  ].flatMap(fixtureItems),
  services: [
    'services/gitops-engine-svc-loadbalancer.yaml',
    'services/gitops-engine-svc-loadbalancer-unassigned.yaml',
    'services/gitops-engine-svc-loadbalancer-nonemptylist.yaml',
    'services/regolibrary-svc-loadbalancer-ip.yaml',
    'services/regolibrary-svc-nodeport.yaml',
    'services/popeye-lint-services.yaml',
    'services/k9s-svc-nodeport.json',
    'services/libcloud-api_v1_services.json',
  ].flatMap(fixtureItems),
  nodeMetrics: ['metrics/libcloud-nodemetrics.json', 'metrics/popeye-nodemetrics.yaml'].flatMap(fixtureItems),
};

// A throwaway CA made with `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj /CN=kubernetes`;
// the hash from `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum`.
const TEST_CA = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBgDCCASegAwIBAgIUBFnqufIyZhDhHBoUAVbjTfvwm/EwCgYIKoZIzj0EAwIw',
  'FTETMBEGA1UEAwwKa3ViZXJuZXRlczAgFw0yNjExMjQxMDQ4MDlaGA8yMTI2MTAz',
  'MTEwNDgwOVowFTETMBEGA1UEAwwKa3ViZXJuZXRlczBZMBMGByqGSM49AgEGCCqG',
  'SM49AwEHA0IABHiuv8VKFRImnaqzoSPpGKotUrPTLdTzOs7enUQteMmMOCqGZvV6',
  'VjqVLuqAfuBEkG6yMFhAfnfDUOncFlEB1gajUzBRMB0GA1UdDgQWBBS1tqLlyUFl',
  'jacMuS0LP9VUZHkblzAfBgNVHSMEGDAWgBS1tqLlyUFljacMuS0LP9VUZHkblzAP',
  'BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIDeS00TELV/pzjP8sjDG',
  '+W6XO4kUnzcfGYVJfLvYzU0CAiAw68ywg7IVibzODPcWvORaeG+MSN6ZsbK3/eqc',
  'YnEFCQ==',
  '-----END CERTIFICATE-----',
].join('\n');
const TEST_CA_HASH = 'sha256:ec0b54917667936e505d4930ac8bc58cd26432168ed19e71f2e68d49d8b227c6';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('KubernetesSource against a fake API server', () => {
  it('lists nodes, pods, services and node metrics and maps them', async () => {
    server = await startServer(kubeHandler(CLUSTER));
    const metricsErrors: unknown[] = [];
    const report = await new KubernetesSource(kubeConfigFor(server.url), { onMetricsError: (e) => metricsErrors.push(e) }).collect();
    expect(metricsErrors).toEqual([]);

    expect(report.nodes.map((n) => n.name)).toEqual([
      'minikube',
      '127.0.0.1',
      'n1',
      'n2',
      'n3',
      'n4',
      'n5',
      'ci-ln-3z9y7mt-f76d1-69jcr-master-0',
      'ci-ln-3z9y7mt-f76d1-69jcr-worker-b-q6vs9',
    ]);
    for (const n of report.nodes) expect(ReportedNode.safeParse(n).success).toBe(true);
    const byName = Object.fromEntries(report.nodes.map((n) => [n.name, n]));

    // minikube: k9s po.json (Running, 100m / 70Mi) counts; the OOM-killed pod (phase Failed, 100Mi) does not.
    // 100m = 100000000n; 70Mi = 70 × 1048576 = 73400320
    expect(byName.minikube).toEqual({
      name: 'minikube',
      role: 'controlPlane', // node-role.kubernetes.io/master
      addresses: [
        { type: 'InternalIP', address: '192.168.64.107' },
        { type: 'Hostname', address: 'minikube' },
      ],
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastTransitionTime: '2019-08-26T21:52:06.000Z' },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', lastTransitionTime: '2019-08-26T21:52:06.000Z' },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', lastTransitionTime: '2019-08-26T21:52:06.000Z' },
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastTransitionTime: '2019-08-26T21:52:06.000Z' },
      ],
      capacity: { cpu: '4', memory: '8165556Ki', 'ephemeral-storage': '16954240Ki' },
      allocatable: { cpu: '4', memory: '8063156Ki', 'ephemeral-storage': '15625027559' },
      requests: { cpu: '100000000n', memory: '73400320' },
      // status.nodeInfo
      kubeletVersion: 'v1.15.2',
      osImage: 'Buildroot 2018.05.3',
      kernelVersion: '4.15.0',
      containerRuntimeVersion: 'docker://18.9.8',
      unschedulable: false,
    });
    // libcloud 2016 node: legacy OutOfDisk condition kept, the LegacyHostIP address (no longer a Kubernetes
    // address type) dropped; its hello-world pod has no requests
    expect(byName['127.0.0.1']).toMatchObject({
      role: 'worker',
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      capacity: { cpu: '2', memory: '4048236Ki' },
      requests: { cpu: '0n', memory: '0' },
    });
    expect(byName['127.0.0.1']!.conditions.map((c) => [c.type, c.status])).toEqual([
      ['OutOfDisk', 'False'],
      ['Ready', 'True'],
    ]);
    // popeye metrics name n1 and n5; the GKE metrics name a node this cluster does not list
    expect(byName.n1!.usage).toEqual({ cpu: '144965184n', memory: '770776Ki' });
    expect(byName.n5).not.toHaveProperty('usage'); // 20 cores and 40Mi on a 1-core, 10Mi node: a glitch, not reported
    expect(byName.n4!.conditions).toEqual([{ type: 'Ready', status: 'False', reason: 'blee', message: 'bla' }]);
    expect(byName.minikube).not.toHaveProperty('usage');
    expect(byName['ci-ln-3z9y7mt-f76d1-69jcr-master-0']).toMatchObject({ role: 'controlPlane', zone: 'us-east1-b', instanceType: 'n1-standard-4' });
    expect(byName['ci-ln-3z9y7mt-f76d1-69jcr-worker-b-q6vs9']).toMatchObject({ role: 'worker', zone: 'us-east1-b', instanceType: 'n1-standard-4' });

    expect(report.services).toEqual([
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
      { namespace: 'argo', name: 'argo-artifacts', type: 'LoadBalancer', ports: [{ name: 'service', port: 9000, nodePort: 32667, protocol: 'TCP' }], ingress: [] },
      {
        namespace: 'argocd',
        name: 'argocd-server',
        type: 'LoadBalancer',
        ports: [
          { name: 'http', port: 80, nodePort: 30354, protocol: 'TCP' },
          { name: 'https', port: 443, nodePort: 31866, protocol: 'TCP' },
        ],
        ingress: [],
      },
      { namespace: 'default', name: 'my-service', type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }], ingress: [{ ip: '192.0.2.127' }] },
      { namespace: 'ns1', name: 'my-service', type: 'NodePort', ports: [{ port: 80, nodePort: 30007, protocol: 'TCP' }], ingress: [] },
      { namespace: 'default', name: 'svc1', type: 'NodePort', ports: [{ name: 'http', port: 9090, nodePort: 30400, protocol: 'TCP' }], ingress: [] },
      { namespace: 'default', name: 'svc4', type: 'LoadBalancer', ports: [{ name: 'service', port: 80, protocol: 'TCP' }], ingress: [] },
      { namespace: 'default', name: 'nginx', type: 'NodePort', ports: [{ port: 8080, nodePort: 30805, protocol: 'TCP' }], ingress: [] },
      { namespace: 'kube-system', name: 'default-http-backend', type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 31542, protocol: 'TCP' }], ingress: [] },
    ]);

    // the calls: paged lists, finished pods filtered by the API server, metrics through the custom-objects API
    const gets = server.requests.map((r) => r.path);
    expect(gets.sort()).toEqual(['/api/v1/nodes', '/api/v1/pods', '/api/v1/services', '/apis/metrics.k8s.io/v1beta1/nodes']);
    const pods = server.requests.find((r) => r.path === '/api/v1/pods')!;
    expect(pods.query.get('fieldSelector')).toBe('status.phase!=Succeeded,status.phase!=Failed');
    expect(pods.query.get('limit')).toBe('500');
    expect(pods.headers.authorization).toBe('Bearer t');
  });

  it('follows continue tokens page by page', async () => {
    server = await startServer(kubeHandler(CLUSTER));
    const report = await new KubernetesSource(kubeConfigFor(server.url), { pageSize: 4 }).collect();
    expect(report.nodes).toHaveLength(9);
    expect(report.services).toHaveLength(9);
    // 9 nodes by 4: continue tokens none, 4, 8
    expect(server.requests.filter((r) => r.path === '/api/v1/nodes').map((r) => r.query.get('continue'))).toEqual([null, '4', '8']);
    expect(report.nodes.find((n) => n.name === 'minikube')!.requests).toEqual({ cpu: '100000000n', memory: '73400320' });
  });

  it('reports without usage when metrics.k8s.io is not served', async () => {
    server = await startServer(kubeHandler({ ...CLUSTER, nodeMetrics: undefined }));
    const errors: unknown[] = [];
    const report = await new KubernetesSource(kubeConfigFor(server.url), { onMetricsError: (e) => errors.push(e) }).collect();
    expect(errors).toHaveLength(1);
    expect(report.nodes).toHaveLength(9);
    expect(report.nodes.every((n) => n.usage === undefined)).toBe(true);
  });

  it('rejects when the Kubernetes API is unreachable', async () => {
    server = await startServer(kubeHandler(CLUSTER));
    const url = server.url;
    await server.close();
    await expect(new KubernetesSource(kubeConfigFor(url)).collect()).rejects.toThrow();
  });
});

describe('caCertHash', () => {
  it("is kubeadm's sha256 of the CA's DER SubjectPublicKeyInfo", () => {
    const pem = TEST_CA;
    expect(caCertHash(pem)).toBe(TEST_CA_HASH);
  });
});

const CA_PEM_B64 = (pem: string) => Buffer.from(pem).toString('base64');

describe('loadKubeConfig', () => {
  const dirs: string[] = [];
  afterEach(() => {
    vi.unstubAllEnvs();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const kubeconfig = (server: string) =>
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    });

  it('in a pod: the service account and the in-cluster service address', () => {
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '10.96.0.1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', '443');
    expect(loadKubeConfig(process.env).getCurrentCluster()?.server).toBe('https://10.96.0.1:443');
  });

  it("on a control-plane host without KUBECONFIG or ~/.kube/config: kubeadm's admin.conf", () => {
    const home = mkdtempSync(join(tmpdir(), 'strata-home-'));
    dirs.push(home);
    const adminConf = join(home, 'admin.conf');
    writeFileSync(adminConf, kubeconfig('https://10.0.0.10:6443'));
    vi.stubEnv('HOME', home);
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '');
    vi.stubEnv('KUBECONFIG', '');
    expect(loadKubeConfig(process.env, adminConf).getCurrentCluster()?.server).toBe('https://10.0.0.10:6443');
  });

  it('KUBECONFIG wins over admin.conf', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-kc-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'admin.conf'), kubeconfig('https://10.0.0.10:6443'));
    writeFileSync(join(dir, 'config'), kubeconfig('https://api.example.com:6443'));
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '');
    vi.stubEnv('KUBECONFIG', join(dir, 'config'));
    expect(loadKubeConfig(process.env, join(dir, 'admin.conf')).getCurrentCluster()?.server).toBe('https://api.example.com:6443');
  });
});

describe('caCertHashOf', () => {
  it('hashes the CA the kubeconfig trusts (certificate-authority-data)', async () => {
    const kc = kubeConfigFor('http://127.0.0.1:1');
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://10.0.0.10:6443', caData: CA_PEM_B64(TEST_CA) }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    expect(await caCertHashOf(kc)).toBe(TEST_CA_HASH);
    expect(await caCertHashOf(kubeConfigFor('http://127.0.0.1:1'))).toBeUndefined();
  });
});
