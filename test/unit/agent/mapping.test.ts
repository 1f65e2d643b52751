import { describe, expect, it } from 'vitest';
import { ReportedNode, ReportedService } from '../../../core/agent-protocol.js';
import { buildReport, formatRequests, itemsOf, mapNode, mapService, nodeRequests, nodeUsage, podRequests } from '../../../agent/mapping.js';
import { fixture, fixtureItems } from './helpers.js';

const MASTER = 'nodes/insights-operator-gcp-master-0.json';
const WORKER = 'nodes/insights-operator-gcp-worker-b.json';
const POPEYE_NODES = 'nodes/popeye-lint-nodes.yaml';

const Mi = 1024 * 1024;

describe('mapNode: OpenShift GCP nodes (insights-operator)', () => {
  it('maps the master: control plane by its legacy master label, zone, instance type, conditions, quantities', () => {
    const n = mapNode(fixture(MASTER));
    expect(n).toEqual({
      name: 'ci-ln-3z9y7mt-f76d1-69jcr-master-0',
      role: 'controlPlane', // node-role.kubernetes.io/master: ""
      zone: 'us-east1-b', // topology.kubernetes.io/zone
      instanceType: 'n1-standard-4', // node.kubernetes.io/instance-type
      providerID: 'gce://openshift-gce-devel-ci/us-east1-b/ci-ln-3z9y7mt-f76d1-69jcr-master-0', // spec.providerID
      addresses: [
        // the ExternalIP with address "" is no address, nor is the anonymised InternalIP "xx.x.x.x"
        { type: 'InternalDNS', address: 'xx-xx-xxxxxxx-xxxxx-xxxxx-xxxxxx-x.x.xxxxxxxxx-xxx-xxxxx-xx.xxxxxxxx' },
        { type: 'Hostname', address: 'xx-xx-xxxxxxx-xxxxx-xxxxx-xxxxxx-x.x.xxxxxxxxx-xxx-xxxxx-xx.xxxxxxxx' },
      ],
      // status.conditions, with when each last changed (node repair reads how long a node has been NotReady)
      conditions: [
        { type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated', message: 'openshift-sdn cleared kubelet-set NoRouteCreated', lastTransitionTime: '2020-06-24T09:13:12.000Z' },
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastTransitionTime: '2020-06-24T09:12:29.000Z' },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', lastTransitionTime: '2020-06-24T09:12:29.000Z' },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', lastTransitionTime: '2020-06-24T09:12:29.000Z' },
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastTransitionTime: '2020-06-24T09:13:19.000Z' },
      ],
      // only cpu, memory and ephemeral-storage, as the node wrote them
      capacity: { cpu: '4', memory: '15389256Ki', 'ephemeral-storage': '133665772Ki' },
      allocatable: { cpu: '3500m', memory: '14238280Ki', 'ephemeral-storage': '122112633448' },
      // status.nodeInfo, as the kubelet wrote it
      kubeletVersion: 'v1.17.1+9d33dd3',
      osImage: 'Red Hat Enterprise Linux CoreOS 44.81.202006231330-0 (Ootpa)',
      kernelVersion: '4.18.0-147.20.1.el8_1.x86_64',
      containerRuntimeVersion: 'cri-o://1.17.4-18.dev.rhaos4.4.gitfb8131a.el8',
      unschedulable: false, // the master's NoSchedule taint is not a cordon
    });
    expect(ReportedNode.safeParse(n).success).toBe(true);
  });

  it('maps the worker: role worker (node-role.kubernetes.io/worker is not a control-plane role)', () => {
    const n = mapNode(fixture(WORKER))!;
    expect(n).toMatchObject({ name: 'ci-ln-3z9y7mt-f76d1-69jcr-worker-b-q6vs9', role: 'worker', zone: 'us-east1-b', instanceType: 'n1-standard-4' });
    expect(n.conditions.map((c) => [c.type, c.status])).toEqual([
      ['NetworkUnavailable', 'False'],
      ['MemoryPressure', 'False'],
      ['DiskPressure', 'False'],
      ['PIDPressure', 'False'],
      ['Ready', 'True'],
    ]);
    expect(n.addresses.map((a) => a.type)).toEqual(['InternalDNS', 'Hostname']); // "xx.x.x.x" is no IP
  });

  it('reports spec.providerID; a missing or malformed one is left out, the node kept', () => {
    const node = fixture(WORKER);
    expect(mapNode(node)!.providerID).toBe('gce://openshift-gce-devel-ci/us-east1-b/ci-ln-3z9y7mt-f76d1-69jcr-worker-b-q6vs9');
    for (const odd of ['', 'i-0abc', 'aws:///us-east-1a/i-0abc with space', `aws:///${'x'.repeat(260)}`, 'AWS:///us-east-1a/i-0abc', 'aws:///zone/\u0000', null]) {
      const mapped = mapNode({ ...node, spec: { ...node.spec, providerID: odd } });
      expect(mapped).toBeDefined();
      expect(mapped).not.toHaveProperty('providerID');
    }
    delete node.spec;
    expect(mapNode(node)).not.toHaveProperty('providerID');
  });

  it('the protocol takes the providerIDs clouds set, and the simulated one; nothing unbounded or unprintable', () => {
    const ok = (id: string) => ReportedNode.shape.providerID.safeParse(id).success;
    expect(ok('aws:///us-east-1a/i-0123456789abcdef0')).toBe(true);
    expect(ok('azure:///subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/demo-cp-0')).toBe(true);
    expect(ok('sim://sim-east-1/sim-east-1a/i-0123456789abcdef')).toBe(true);
    expect(ok(`aws:///${'x'.repeat(250)}`)).toBe(false);
    expect(ok('aws:///zone/i-0abc\n')).toBe(false);
    expect(ok('javascript:alert(1)')).toBe(false);
  });

  it('falls back to the beta zone and instance-type labels', () => {
    const node = fixture(WORKER);
    delete node.metadata.labels['topology.kubernetes.io/zone'];
    delete node.metadata.labels['node.kubernetes.io/instance-type'];
    expect(mapNode(node)).toMatchObject({ zone: 'us-east1-b', instanceType: 'n1-standard-4' }); // failure-domain.beta… / beta.kubernetes.io/instance-type
  });
});

describe('mapNode: popeye edge cases', () => {
  const nodes = itemsOf<any>(fixture(POPEYE_NODES)).map((n) => mapNode(n)!);
  const byName = Object.fromEntries(nodes.map((n) => [n.name, n]));

  it('n1: control-plane label, no zone or instance type labels', () => {
    expect(byName.n1).toMatchObject({ role: 'controlPlane', capacity: { cpu: '10', memory: '8124744Ki', 'ephemeral-storage': '816748224Ki' } });
    expect(byName.n1).not.toHaveProperty('zone');
    expect(byName.n1).not.toHaveProperty('instanceType');
    expect(byName.n1!.addresses).toEqual([
      { type: 'InternalIP', address: '192.168.228.3' },
      { type: 'Hostname', address: 'dashb-control-plane' },
    ]);
  });

  it('n2: worker, NetworkUnavailable True kept with its reason and message', () => {
    expect(byName.n2!.role).toBe('worker');
    expect(byName.n2!.conditions.find((c) => c.type === 'NetworkUnavailable')).toEqual({ type: 'NetworkUnavailable', status: 'True', reason: 'blah', message: 'blee', lastTransitionTime: '2024-01-03T20:35:58.000Z' });
  });

  it('n3: every pressure True; no addresses, capacity or allocatable (null spec)', () => {
    expect(byName.n3!.conditions.filter((c) => c.status === 'True').map((c) => c.type)).toEqual(['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready', 'NetworkUnavailable']);
    expect(byName.n3!.addresses).toEqual([]);
    expect(byName.n3).not.toHaveProperty('capacity');
    expect(byName.n3).not.toHaveProperty('allocatable');
  });

  it('n4: the condition with an empty type is skipped, Ready False stays', () => {
    expect(byName.n4!.conditions).toEqual([{ type: 'Ready', status: 'False', reason: 'blee', message: 'bla' }]);
  });

  it('n5: no conditions at all; allocatable cpu 100m against capacity 1', () => {
    expect(byName.n5!.conditions).toEqual([]);
    expect(byName.n5!.capacity).toEqual({ cpu: '1', memory: '10Mi', 'ephemeral-storage': '816748224Ki' });
    expect(byName.n5!.allocatable).toEqual({ cpu: '100m', memory: '10Mi', 'ephemeral-storage': '816748224Ki' });
  });

  it('every mapped node is valid under the protocol', () => {
    expect(nodes.map((n) => n.name)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    for (const n of nodes) expect(ReportedNode.safeParse(n).success).toBe(true);
  });
});

describe('mapNode: node facts (status.nodeInfo, instance-type label, spec.unschedulable)', () => {
  const facts = (n: ReturnType<typeof mapNode>) =>
    n && { name: n.name, instanceType: n.instanceType, kubeletVersion: n.kubeletVersion, osImage: n.osImage, kernelVersion: n.kernelVersion, containerRuntimeVersion: n.containerRuntimeVersion, unschedulable: n.unschedulable };

  it('troubleshoot NodeList: microk8s, DigitalOcean (instance types from node.kubernetes.io/instance-type) and an Ubuntu 22.04.5 node on AWS', () => {
    const nodes = fixtureItems('nodes/troubleshoot-nodes.json').map((n) => facts(mapNode(n)));
    const doks = { kubeletVersion: 'v1.19.3', osImage: 'Debian GNU/Linux 10 (buster)', kernelVersion: '4.19.0-11-amd64', containerRuntimeVersion: 'docker://19.3.13', unschedulable: false };
    expect(nodes).toEqual([
      { name: 'repldev-marc', instanceType: undefined, kubeletVersion: 'v1.16.2', osImage: 'Ubuntu 18.04.2 LTS', kernelVersion: '5.0.0-1021-gcp', containerRuntimeVersion: 'containerd://1.2.5', unschedulable: false },
      { name: 'biggernode-3i745', instanceType: 'g-8vcpu-32gb', ...doks },
      { name: 'pool-yd23sqk7u-3i7i7', instanceType: 's-2vcpu-4gb', ...doks },
      { name: 'pool-yd23sqk7u-3i7it', instanceType: 's-2vcpu-4gb', ...doks },
      { name: 'pool-yd23sqk7u-3i7v3', instanceType: 's-2vcpu-4gb', ...doks },
      { name: 'smallnode-3i74t', instanceType: 's-1vcpu-2gb', ...doks },
      { name: 'ip-172-31-21-92', instanceType: undefined, kubeletVersion: 'v1.29.11', osImage: 'Ubuntu 22.04.5 LTS', kernelVersion: '6.8.0-1015-aws', containerRuntimeVersion: 'containerd://1.6.33', unschedulable: false },
    ]);
    for (const n of fixtureItems('nodes/troubleshoot-nodes.json')) expect(ReportedNode.safeParse(mapNode(n)).success).toBe(true);
  });

  it('a 2016 pre-release kubelet (libcloud) and an OpenShift build suffix are versions too', () => {
    expect(facts(mapNode(fixtureItems('nodes/libcloud-api_v1_nodes.json')[0]))).toMatchObject({
      kubeletVersion: 'v1.2.0-alpha.5.848+3f2e99b7e7d6d8',
      osImage: 'Ubuntu 14.04.2 LTS',
      kernelVersion: '3.13.0-46-generic',
      containerRuntimeVersion: 'docker://1.9.1',
    });
    expect(mapNode(fixture(WORKER))!.kubeletVersion).toBe('v1.17.1+9d33dd3');
  });

  it('popeye: n4 is cordoned (spec.unschedulable); an empty nodeInfo (n3) reports no facts, the node kept', () => {
    const byName: Record<string, NonNullable<ReturnType<typeof facts>>> = Object.fromEntries(itemsOf<any>(fixture(POPEYE_NODES)).map((n) => [n.metadata.name, facts(mapNode(n))!]));
    expect(byName.n1).toMatchObject({ kubeletVersion: 'v1.21.1', osImage: 'Ubuntu 20.10', kernelVersion: '6.5.10-orbstack-00110-gbcfe04c86d2f', containerRuntimeVersion: 'containerd://1.5.1' });
    expect(Object.values(byName).map((n) => [n.name, n.unschedulable])).toEqual([
      ['n1', false],
      ['n2', false],
      ['n3', false],
      ['n4', true],
      ['n5', false],
    ]);
    expect(byName.n3).toEqual({ name: 'n3', unschedulable: false, instanceType: undefined, kubeletVersion: undefined, osImage: undefined, kernelVersion: undefined, containerRuntimeVersion: undefined });
  });

  it('an odd value is left out, not the node: unbounded, multi-line, control characters, not a version, not a string', () => {
    const node = fixture(WORKER);
    const odd = {
      kubeletVersion: ['1.31', 'v1.31.10\nv9', `v1.31.10-${'x'.repeat(80)}`, 'latest', 131],
      osImage: ['', 'Ubuntu\n22.04', 'x'.repeat(129), 'Ubuntu\u0000', { name: 'Ubuntu' }],
      kernelVersion: ['6.8.0\r', 'k'.repeat(200), '\u001b[31m6.8'],
      containerRuntimeVersion: ['containerd 1.7', 'containerd://', 'containerd://1.7 rc', `containerd://${'1'.repeat(120)}`, 'CONTAINERD://1.7'],
    };
    for (const [key, values] of Object.entries(odd)) {
      for (const value of values) {
        const mapped = mapNode({ ...node, status: { ...node.status, nodeInfo: { ...node.status.nodeInfo, [key]: value } } });
        expect(mapped, `${key}=${JSON.stringify(value)}`).toBeDefined();
        expect(mapped, `${key}=${JSON.stringify(value)}`).not.toHaveProperty(key);
        expect(mapped!.name).toBe('ci-ln-3z9y7mt-f76d1-69jcr-worker-b-q6vs9');
      }
    }
    // The schema itself, for what another agent might send.
    expect(ReportedNode.safeParse({ name: 'a', role: 'worker', kubeletVersion: 'v1.31.10\n' }).success).toBe(false);
    expect(ReportedNode.safeParse({ name: 'a', role: 'worker', osImage: 'x'.repeat(129) }).success).toBe(false);
    expect(ReportedNode.safeParse({ name: 'a', role: 'worker', unschedulable: 'yes' }).success).toBe(false);
    expect(ReportedNode.safeParse({ name: 'a', role: 'worker', kubeletVersion: 'v1.31.10', osImage: 'Ubuntu 24.04.2 LTS', kernelVersion: '6.8.0-53-generic', containerRuntimeVersion: 'containerd://1.7.24', unschedulable: true }).success).toBe(true);
  });
});

describe('mapService', () => {
  const one = (path: string) => mapService(fixture(path));

  it('LoadBalancer with a hostname ingress (AWS ELB); port names kept', () => {
    expect(one('services/gitops-engine-svc-loadbalancer.yaml')).toEqual({
      namespace: 'argocd',
      name: 'argocd-server',
      type: 'LoadBalancer',
      ports: [
        { name: 'http', port: 80, nodePort: 30354, protocol: 'TCP' },
        { name: 'https', port: 443, nodePort: 31866, protocol: 'TCP' },
      ],
      ingress: [{ hostname: 'abc123.us-west-2.elb.amazonaws.com' }],
    });
  });

  it('LoadBalancer with an IP ingress; no namespace in the file reads as default, no nodePort is omitted', () => {
    expect(one('services/regolibrary-svc-loadbalancer-ip.yaml')).toEqual({
      namespace: 'default',
      name: 'my-service',
      type: 'LoadBalancer',
      ports: [{ port: 80, protocol: 'TCP' }],
      ingress: [{ ip: '192.0.2.127' }],
    });
  });

  it('LoadBalancer still pending (loadBalancer: {}) and one with ingress: [{}] have no ingress', () => {
    expect(one('services/gitops-engine-svc-loadbalancer-unassigned.yaml')).toEqual({
      namespace: 'argo',
      name: 'argo-artifacts',
      type: 'LoadBalancer',
      ports: [{ name: 'service', port: 9000, nodePort: 32667, protocol: 'TCP' }],
      ingress: [],
    });
    expect(one('services/gitops-engine-svc-loadbalancer-nonemptylist.yaml')).toMatchObject({ name: 'argocd-server', ingress: [] });
  });

  it('NodePort services; a port without protocol is TCP (the API server default)', () => {
    expect(one('services/regolibrary-svc-nodeport.yaml')).toEqual({ namespace: 'ns1', name: 'my-service', type: 'NodePort', ports: [{ port: 80, nodePort: 30007, protocol: 'TCP' }], ingress: [] });
    expect(one('services/k9s-svc-nodeport.json')).toEqual({ namespace: 'default', name: 'nginx', type: 'NodePort', ports: [{ port: 8080, nodePort: 30805, protocol: 'TCP' }], ingress: [] });
  });

  it('popeye list: NodePort svc1 and LoadBalancer svc4 only; ClusterIP svc2, ExternalName svc3 and no-type svc5 are excluded', () => {
    const mapped = fixtureItems('services/popeye-lint-services.yaml').map(mapService);
    expect(mapped).toEqual([
      { namespace: 'default', name: 'svc1', type: 'NodePort', ports: [{ name: 'http', port: 9090, nodePort: 30400, protocol: 'TCP' }], ingress: [] },
      undefined,
      undefined,
      { namespace: 'default', name: 'svc4', type: 'LoadBalancer', ports: [{ name: 'service', port: 80, protocol: 'TCP' }], ingress: [] },
      undefined,
    ]);
  });

  it('every reported service is valid under the protocol', () => {
    const all = [
      'services/gitops-engine-svc-loadbalancer.yaml',
      'services/gitops-engine-svc-loadbalancer-unassigned.yaml',
      'services/gitops-engine-svc-loadbalancer-nonemptylist.yaml',
      'services/regolibrary-svc-loadbalancer-ip.yaml',
      'services/regolibrary-svc-nodeport.yaml',
      'services/popeye-lint-services.yaml',
      'services/k9s-svc-nodeport.json',
      'services/libcloud-api_v1_services.json',
    ]
      .flatMap(fixtureItems)
      .map(mapService)
      .filter(Boolean);
    expect(all).toHaveLength(9);
    for (const s of all) expect(ReportedService.safeParse(s).success).toBe(true);
  });

  it('GKE ServiceList (libcloud): only the NodePort default-http-backend of four', () => {
    const mapped = fixtureItems('services/libcloud-api_v1_services.json').map(mapService).filter(Boolean);
    expect(mapped).toEqual([{ namespace: 'kube-system', name: 'default-http-backend', type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 31542, protocol: 'TCP' }], ingress: [] }]);
  });
});

describe('requests', () => {
  it('per pod, as the scheduler counts them', () => {
    // k9s po.json: one container, requests cpu 100m, memory 70Mi
    expect(podRequests(fixture('pods/k9s-pod.json'))).toEqual({ cpu: 100_000_000n, memory: BigInt(70 * Mi) }); // 70 × 1048576 = 73400320
    // k9s po_sidecar.json, in order: init "init" 333m/333Mi (runs alone: no sidecar started yet),
    // sidecar (restartPolicy Always) 20m/40Mi, container "sleep" 30m/10Mi.
    //   running sum = 30m + 20m = 50m, 10Mi + 40Mi = 50Mi; init phases: max(333m/333Mi, 20m/40Mi) = 333m/333Mi
    //   effective = max(50m, 333m) = 333m = 333000000n; max(50Mi, 333Mi) = 333Mi = 333 × 1048576 = 349175808
    expect(podRequests(fixture('pods/k9s-pod-sidecar.json'))).toEqual({ cpu: 333_000_000n, memory: 349_175_808n });
    // troubleshoot pending-node-affinity: containers kotsadm 100m/100Mi; init containers 50m/50Mi, 50m/50Mi,
    // 100m/100Mi, 100m/100Mi → largest init 100m/100Mi; max(100m, 100m) = 100m, max(100Mi, 100Mi) = 100Mi = 104857600
    const [affinity] = fixtureItems('pods/troubleshoot-pending-node-affinity.json');
    expect(podRequests(affinity)).toEqual({ cpu: 100_000_000n, memory: 104_857_600n });
    // troubleshoot pending-pod-resources: cpu "3" = 3000000000n, memory 5Gi = 5 × 1073741824 = 5368709120 (nvidia.com/gpu ignored)
    const [pending] = fixtureItems('pods/troubleshoot-pending-pod-resources.json');
    expect(podRequests(pending)).toEqual({ cpu: 3_000_000_000n, memory: 5_368_709_120n });
    // popeye: YAML integer cpu: 1 = 1000000000n, memory 1Mi = 1048576
    expect(fixtureItems('pods/popeye-podlist.yaml').map(podRequests)).toEqual([
      { cpu: 1_000_000_000n, memory: 1_048_576n },
      { cpu: 1_000_000_000n, memory: 1_048_576n },
    ]);
    // libcloud hello-world: no resources at all
    expect(podRequests(fixtureItems('pods/libcloud-api_v1_pods.json')[0])).toEqual({ cpu: 0n, memory: 0n });
  });

  it('a native sidecar adds to the running sum (the k9s sidecar pod without its regular init container)', () => {
    const pod = fixture('pods/k9s-pod-sidecar.json');
    pod.spec.initContainers = pod.spec.initContainers.filter((c: any) => c.restartPolicy === 'Always');
    // sum = sleep 30m + sidecar 20m = 50m = 50000000n; 10Mi + 40Mi = 50Mi = 52428800; init phase 20m/40Mi is lower
    expect(podRequests(pod)).toEqual({ cpu: 50_000_000n, memory: 52_428_800n });
  });

  it('summed per node over every pod fixture: finished pods and unscheduled pods count nowhere', () => {
    const pods = [
      'pods/k9s-pod.json', // minikube, Running: 100m / 70Mi
      'pods/k9s-pod-sidecar.json', // kind-control-plane, Running: 333m / 333Mi (above)
      'pods/libcloud-api_v1_pods.json', // 127.0.0.1, Running, no requests
      'pods/popeye-podlist.yaml', // no nodeName: not counted
      'pods/troubleshoot-oomkill-pod.json', // minikube, phase Failed: not counted (its 100Mi would make 170Mi)
      'pods/troubleshoot-pending-node-affinity.json', // Pending, no nodeName: not counted
      'pods/troubleshoot-pending-pod-resources.json', // Pending, no nodeName: not counted
    ].flatMap(fixtureItems);
    const perNode = nodeRequests(pods);
    expect([...perNode.keys()].sort()).toEqual(['127.0.0.1', 'kind-control-plane', 'minikube']);
    expect(formatRequests(perNode.get('minikube')!)).toEqual({ cpu: '100000000n', memory: '73400320' }); // 70 × 1048576
    expect(formatRequests(perNode.get('kind-control-plane')!)).toEqual({ cpu: '333000000n', memory: '349175808' }); // 333 × 1048576
    expect(formatRequests(perNode.get('127.0.0.1')!)).toEqual({ cpu: '0n', memory: '0' });
  });

  it('a Pending pod already bound to a node counts on that node', () => {
    const [affinity] = fixtureItems('pods/troubleshoot-pending-node-affinity.json');
    affinity.spec.nodeName = 'minikube';
    const perNode = nodeRequests([fixture('pods/k9s-pod.json'), affinity]);
    // 100m + 100m = 200m = 200000000n; 70Mi + 100Mi = 170Mi = 170 × 1048576 = 178257920
    expect(formatRequests(perNode.get('minikube')!)).toEqual({ cpu: '200000000n', memory: '178257920' });
  });
});

describe('nodeUsage (metrics.k8s.io)', () => {
  it('GKE NodeMetricsList (libcloud): nanocores and Ki as written', () => {
    expect(Object.fromEntries(nodeUsage(itemsOf(fixture('metrics/libcloud-nodemetrics.json'))))).toEqual({
      'gke-cluster-3-default-pool-76fd57f7-l83v': { cpu: '110691045n', memory: '801112Ki' },
    });
  });

  it('popeye List: an unquoted integer cpu (20) becomes the quantity "20"', () => {
    expect(Object.fromEntries(nodeUsage(itemsOf(fixture('metrics/popeye-nodemetrics.yaml'))))).toEqual({
      n1: { cpu: '144965184n', memory: '770776Ki' },
      n5: { cpu: '20', memory: '40Mi' },
    });
  });
});

describe('buildReport', () => {
  it('joins nodes, requests and usage by node name; services filtered', () => {
    const report = buildReport({
      nodes: itemsOf(fixture(POPEYE_NODES)),
      pods: fixtureItems('pods/popeye-podlist.yaml'), // unbound: every node's requests are zero
      services: fixtureItems('services/popeye-lint-services.yaml'),
      nodeMetrics: itemsOf(fixture('metrics/popeye-nodemetrics.yaml')),
    });
    expect(report.nodes.map((n) => [n.name, n.usage, n.requests])).toEqual([
      ['n1', { cpu: '144965184n', memory: '770776Ki' }, { cpu: '0n', memory: '0' }],
      ['n2', undefined, { cpu: '0n', memory: '0' }],
      ['n3', undefined, { cpu: '0n', memory: '0' }],
      ['n4', undefined, { cpu: '0n', memory: '0' }],
      // n5's metrics say 20 cores and 40Mi on a node of 1 core and 10Mi: a glitch the platform
      // would refuse, so the agent reports its usage as unknown.
      ['n5', undefined, { cpu: '0n', memory: '0' }],
    ]);
    expect(report.services.map((s) => s.name)).toEqual(['svc1', 'svc4']);
  });

  it('without metrics (no metrics-server) nodes have no usage', () => {
    const report = buildReport({ nodes: [fixture(WORKER)], pods: [], services: [] });
    expect(report.nodes[0]).not.toHaveProperty('usage');
    expect(report.nodes[0]!.requests).toEqual({ cpu: '0n', memory: '0' });
  });
});
