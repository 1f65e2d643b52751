import type { Pack } from './packs.js';
import { PUBLIC_REGISTRY_ID } from './registries.js';

/**
 * The packs of the built-in public registry. Ids are fixed so seeding is idempotent.
 * OS images are the distribution's own, from each cloud's public catalogue: the SSM public
 * parameters Canonical publishes for its Ubuntu AMIs (the same name in every region), Canonical's
 * marketplace URNs on Azure, and the simulated cloud's own image names. Nothing publishes images
 * with Kubernetes on them, so the OS packs install it (skipK8sInstall false): the first cluster
 * bakes it in at its profile's version, and every later cluster with the same signature reuses it.
 */
const canonicalAmi = (release: '22.04' | '24.04', volume: 'ebs-gp2' | 'ebs-gp3') => `resolve:ssm:/aws/service/canonical/ubuntu/server/${release}/stable/current/amd64/hvm/${volume}/ami-id`;
const AWS_REGIONS = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1'];
const AZURE_REGIONS = ['westeurope', 'northeurope', 'eastus', 'westus2'];
const at = '2026-01-01T00:00:00.000Z';
const pub = (p: Omit<Pack, 'registryId' | 'createdAt'>): Pack => ({ ...p, registryId: PUBLIC_REGISTRY_ID, createdAt: at });

const KUBEADM_VALUES = (version: string) => `kubeadmconfig:
  kubernetesVersion: v${version}
  apiServer:
    extraArgs:
      audit-log-maxage: "30"
      profiling: "false"
      anonymous-auth: "true"
  controllerManager:
    extraArgs:
      profiling: "false"
      terminated-pod-gc-threshold: "25"
  kubeletExtraArgs:
    read-only-port: "0"
    event-qps: "0"
    protect-kernel-defaults: "true"
pack:
  podCIDR: 192.168.0.0/16
  serviceClusterIpRange: 10.96.0.0/12
`;

export const PUBLIC_PACKS: readonly Pack[] = [
  pub({
    id: 'pk-ubuntu-22-04',
    layer: 'os',
    name: 'ubuntu',
    version: '22.4.5',
    description: "Ubuntu 22.04 LTS from Canonical's own images; the first cluster bakes kubeadm, kubelet, kubectl and containerd at its profile's version into an image every later one reuses",
    values: 'kubeadmconfig:\n  preKubeadmCommands:\n    - echo "node bootstrap"\n',
    os: {
      images: {
        aws: Object.fromEntries(AWS_REGIONS.map((r) => [r, canonicalAmi('22.04', 'ebs-gp2')])),
        azure: Object.fromEntries(AZURE_REGIONS.map((r) => [r, 'Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest'])),
        local: { 'sim-east-1': 'sim-ubuntu-22.04', 'sim-west-1': 'sim-ubuntu-22.04' },
      },
      skipK8sInstall: false,
      ansibleRoles: [],
      arch: 'amd64',
    },
  }),
  pub({
    id: 'pk-ubuntu-24-04',
    layer: 'os',
    name: 'ubuntu',
    version: '24.4.2',
    description: "Ubuntu 24.04 LTS from Canonical's own images; the first cluster bakes kubeadm, kubelet, kubectl and containerd at its profile's version into an image every later one reuses",
    values: 'kubeadmconfig:\n  preKubeadmCommands:\n    - echo "node bootstrap"\n',
    os: {
      images: {
        aws: Object.fromEntries(AWS_REGIONS.map((r) => [r, canonicalAmi('24.04', 'ebs-gp3')])),
        azure: Object.fromEntries(AZURE_REGIONS.map((r) => [r, 'Canonical:ubuntu-24_04-lts:server:latest'])),
        local: { 'sim-east-1': 'sim-ubuntu-24.04', 'sim-west-1': 'sim-ubuntu-24.04' },
      },
      skipK8sInstall: false,
      ansibleRoles: [],
      arch: 'amd64',
    },
  }),
  ...['1.30.14', '1.31.10', '1.32.6'].map((v) =>
    pub({ id: `pk-kubernetes-${v.replace(/\./g, '-')}`, layer: 'k8s', name: 'kubernetes', version: v, description: `Kubernetes ${v} (kubeadm), CIS-hardened defaults`, values: KUBEADM_VALUES(v) }),
  ),
  pub({
    id: 'pk-calico-3-29-3',
    layer: 'cni',
    name: 'calico',
    version: '3.29.3',
    description: 'Calico networking through the Tigera operator',
    values: 'installation:\n  calicoNetwork:\n    ipPools:\n      - cidr: 192.168.0.0/16\n        encapsulation: VXLAN\n',
    content: { type: 'helm', repository: 'https://docs.tigera.io/calico/charts', chart: 'tigera-operator', version: '3.29.3' },
  }),
  pub({
    id: 'pk-cilium-1-17-4',
    layer: 'cni',
    name: 'cilium',
    version: '1.17.4',
    description: 'Cilium eBPF networking',
    values: 'ipam:\n  mode: kubernetes\nkubeProxyReplacement: false\nhubble:\n  enabled: true\n',
    content: { type: 'helm', repository: 'https://helm.cilium.io', chart: 'cilium', version: '1.17.4' },
  }),
  pub({
    id: 'pk-aws-ebs-csi-1-44-0',
    layer: 'csi',
    name: 'aws-ebs-csi',
    version: '1.44.0',
    description: 'Amazon EBS CSI driver with an encrypted gp3 default storage class',
    // IMDSv2 allows one hop: the controller (and the node plugin) reach the node's identity only in its network.
    values:
      'storageClasses:\n  - name: gp3-encrypted\n    annotations:\n      storageclass.kubernetes.io/is-default-class: "true"\n    parameters:\n      type: gp3\n      encrypted: "true"\nnode:\n  hostNetwork: true\nstrata:\n  hostNetwork:\n    - Deployment/ebs-csi-controller\n',
    content: { type: 'helm', repository: 'https://kubernetes-sigs.github.io/aws-ebs-csi-driver', chart: 'aws-ebs-csi-driver', version: '2.44.0' },
  }),
  pub({
    id: 'pk-azure-disk-csi-1-33-0',
    layer: 'csi',
    name: 'azure-disk-csi',
    version: '1.33.0',
    description: 'Azure Disk CSI driver',
    values: 'controller:\n  replicas: 2\nlinux:\n  enabled: true\n',
    content: { type: 'helm', repository: 'https://raw.githubusercontent.com/kubernetes-sigs/azuredisk-csi-driver/master/charts', chart: 'azuredisk-csi-driver', version: '1.33.0' },
  }),
  pub({
    id: 'pk-prometheus-operator-72-6-2',
    layer: 'addon',
    name: 'prometheus-operator',
    version: '72.6.2',
    description: 'kube-prometheus-stack: Prometheus operator, Prometheus, Alertmanager and Grafana',
    values: 'prometheus:\n  prometheusSpec:\n    retention: 10d\n    replicas: 1\ngrafana:\n  enabled: true\n  service:\n    type: LoadBalancer\nalertmanager:\n  enabled: true\n',
    content: { type: 'helm', repository: 'https://prometheus-community.github.io/helm-charts', chart: 'kube-prometheus-stack', version: '72.6.2' },
  }),
];

/** The sample profile made for tenant "default": a small, complete stack. */
export const SAMPLE_PROFILE = {
  name: 'ubuntu-k8s-calico',
  description: 'Sample: Ubuntu 22.04, Kubernetes 1.31, Calico, EBS CSI, Prometheus operator',
  packIds: ['pk-ubuntu-22-04', 'pk-kubernetes-1-31-10', 'pk-calico-3-29-3', 'pk-aws-ebs-csi-1-44-0', 'pk-prometheus-operator-72-6-2'],
} as const;
