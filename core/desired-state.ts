import { stringify } from 'yaml';
import type { DesiredPack } from './agent-protocol.js';
import type { Cluster } from './clusters.js';
import { networkSettings } from './kubernetes-settings.js';
import type { Cloud } from './packs.js';
import type { ResolvedLayer } from './profiles.js';
import { effectiveValues, type Values } from './values.js';

export { mergeValues } from './values.js';

/**
 * What the agent should run: every pack of the pinned revision, the cluster's overrides merged on
 * top (partial documents, core/values.ts effectiveValues).
 * Given the cluster, the k8s layer also brings the cloud's controller manager (right after the
 * Kubernetes pack, so it is installed before the CNI and the rest).
 */
export function desiredPacks(layers: readonly ResolvedLayer[], overrides: Record<string, string>, cluster?: Pick<Cluster, 'id' | 'cloud'>): DesiredPack[] {
  const packs: DesiredPack[] = layers.map((l) => {
    // A pack without an override is sent as pinned, unparsed: the heartbeat asks for this often.
    const override = Object.hasOwn(overrides, l.name) ? overrides[l.name] : undefined;
    const values = override ? effectiveValues(l.values, override) : l.values;
    return { name: l.name, layer: l.layer, version: l.version, values, content: l.content };
  });
  const ccm = cluster && cloudControllerManager(cluster, layers, overrides);
  if (ccm) packs.splice(packs.findIndex((p) => p.layer === 'k8s') + 1, 0, ccm);
  return packs;
}

/**
 * Cloud controller manager images per Kubernetes minor. A CCM must not be newer than the API
 * server and should match its minor, so each minor gets its own line's release: AWS, the newest
 * patch tag of cloud-provider-aws for that minor; Azure, the image the cloud-provider-azure chart
 * itself maps the minor to (its template's table), made explicit so the pack says what runs.
 * One chart version per cloud: the charts are only RBAC and a workload, and the newest carries
 * the host-network and toleration settings used here.
 */
const CCM_IMAGES: Readonly<Record<string, { readonly aws: string; readonly azure: string }>> = {
  '1.30': { aws: 'v1.30.10', azure: 'v1.30.15' },
  '1.31': { aws: 'v1.31.9', azure: 'v1.31.12' },
  '1.32': { aws: 'v1.32.8', azure: 'v1.32.17' },
  '1.33': { aws: 'v1.33.4', azure: 'v1.33.12' },
  '1.34': { aws: 'v1.34.3', azure: 'v1.34.9' },
  '1.35': { aws: 'v1.35.2', azure: 'v1.35.4' },
  '1.36': { aws: 'v1.36.1', azure: 'v1.36.0' },
};

const CCM_CHARTS = {
  aws: { name: 'aws-cloud-controller-manager', repository: 'https://kubernetes.github.io/cloud-provider-aws', chart: 'aws-cloud-controller-manager', version: '0.0.11' },
  azure: { name: 'cloud-provider-azure', repository: 'https://raw.githubusercontent.com/kubernetes-sigs/cloud-provider-azure/master/helm/repo', chart: 'cloud-provider-azure', version: '1.36.0' },
} as const;

/**
 * The images for a Kubernetes version: its minor's, else the newest older minor's (a CCM may lag
 * the API server, never lead it), else the oldest known for a version older than the table.
 */
export function ccmImages(kubernetesVersion: string): { aws: string; azure: string } {
  const minor = (v: string) => Number(v.split('.')[1]);
  const want = minor(kubernetesVersion.replace(/^v/, ''));
  const known = Object.keys(CCM_IMAGES).sort((a, b) => minor(a) - minor(b));
  const pick = [...known].reverse().find((k) => minor(k) <= want) ?? known[0]!;
  return CCM_IMAGES[pick]!;
}

/** Taints a controller manager must run through: it is what lifts the first, and runs before the CNI. */
const CONTROL_PLANE_TOLERATIONS = [
  { key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' },
  { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
];
const ON_CONTROL_PLANE = { 'node-role.kubernetes.io/control-plane': '' };

/**
 * The cluster's cloud controller manager: kubelets run with --cloud-provider=external, so every
 * node stays tainted uninitialised until one sets its providerID, zone and addresses.
 *
 * None for the simulated cloud: its nodes run no kubelet, so there is no taint to lift and no cloud
 * API for a controller to call; its agent reports each node's providerID itself. None either when
 * the profile brings its own (a pack of the same name or chart).
 */
export function cloudControllerManager(cluster: Pick<Cluster, 'id' | 'cloud'>, layers: readonly ResolvedLayer[], overrides: Record<string, string>): DesiredPack | undefined {
  if (!isCcmCloud(cluster.cloud)) return undefined;
  const k8s = layers.find((l) => l.layer === 'k8s');
  if (!k8s) return undefined;
  const chart = CCM_CHARTS[cluster.cloud];
  const own = layers.some((l) => l.name === chart.name || (l.content?.type === 'helm' && l.content.chart === chart.chart));
  if (own) return undefined;
  const image = ccmImages(k8s.version)[cluster.cloud];
  const values = cluster.cloud === 'aws' ? awsValues(cluster.id, image) : azureValues(cluster.id, image, networkSettings(k8s, overrides).podCidr);
  return {
    name: chart.name,
    layer: 'k8s',
    version: chart.version,
    values: stringify(values),
    // The charts put their objects in kube-system; the release goes there too.
    content: { type: 'helm', repository: chart.repository, chart: chart.chart, version: chart.version, namespace: 'kube-system' },
  };
}

const isCcmCloud = (cloud: Cloud): cloud is 'aws' | 'azure' => cloud === 'aws' || cloud === 'azure';

/**
 * A DaemonSet on the control-plane nodes, in the node's network: the instance metadata service
 * answers one hop only (IMDSv2, hop limit 1), and the CCM needs it for the node's credentials.
 */
function awsValues(clusterId: string, image: string): Values {
  return {
    image: { tag: image },
    hostNetworking: true,
    // Pods are routed by the CNI: the CCM keeps out of the VPC's route tables.
    args: ['--v=2', '--cloud-provider=aws', `--cluster-name=${clusterId}`, '--configure-cloud-routes=false'],
    nodeSelector: ON_CONTROL_PLANE,
    tolerations: CONTROL_PLANE_TOLERATIONS,
  };
}

/**
 * The controller manager on the control plane (the chart runs it and the per-node manager in the
 * node's network). Node CIDRs are kube-controller-manager's (kubeadm's podSubnet) and pod routes
 * the CNI's, so the CCM does neither.
 */
function azureValues(clusterId: string, image: string, podCidr: string): Values {
  return {
    infra: { clusterName: clusterId },
    cloudControllerManager: {
      imageTag: image,
      clusterCIDR: podCidr,
      allocateNodeCidrs: 'false',
      configureCloudRoutes: 'false',
      nodeSelector: ON_CONTROL_PLANE,
      tolerations: CONTROL_PLANE_TOLERATIONS,
    },
    cloudNodeManager: { imageTag: image },
  };
}
