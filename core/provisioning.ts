import { createHmac } from 'node:crypto';
import { stringify } from 'yaml';
import type { Cluster, NodePool } from './clusters.js';

/** One node the cluster should have: stable name, zone spread round-robin over the pool's zones. */
export interface PlannedNode {
  readonly name: string;
  readonly pool: string;
  readonly role: NodePool['role'];
  readonly index: number;
  readonly zone: string;
  readonly instanceType: string;
  readonly diskGiB: number;
  /** Client token: the same node asked for twice is one instance (EC2 keeps tokens ~days). */
  readonly idempotencyToken: string;
}

export function planNodes(cluster: Pick<Cluster, 'id' | 'name' | 'nodePools'>): PlannedNode[] {
  return cluster.nodePools.flatMap((pool) =>
    Array.from({ length: pool.count }, (_, index) => ({
      name: `${cluster.name}-${pool.name}-${index}`.slice(0, 63),
      pool: pool.name,
      role: pool.role,
      index,
      zone: pool.zones[index % pool.zones.length]!,
      instanceType: pool.instanceType,
      diskGiB: pool.diskGiB,
      idempotencyToken: `${cluster.id}-${pool.name}-${index}`.slice(0, 64),
    })),
  );
}

/** All zones the cluster's pools use, in first-seen order. */
export function clusterZones(cluster: Pick<Cluster, 'nodePools'>): string[] {
  return [...new Set(cluster.nodePools.flatMap((p) => p.zones))];
}

/**
 * kubeadm's bootstrap token ([a-z0-9]{6}.[a-z0-9]{16}) and certificate key, derived from the
 * platform secret so every retry of a step writes the same user data.
 */
export function kubeadmSecrets(secret: string, clusterId: string) {
  const h = (label: string) => createHmac('sha256', secret).update(`${clusterId}/${label}`).digest('hex');
  const token = h('bootstrap-token').replace(/[^a-z0-9]/g, '');
  return { bootstrapToken: `${token.slice(0, 6)}.${token.slice(6, 22)}`, certificateKey: h('certificate-key').slice(0, 64) };
}

export interface UserDataInput {
  readonly node: PlannedNode;
  readonly cluster: Pick<Cluster, 'id' | 'name'>;
  readonly kubernetesVersion: string;
  readonly apiEndpoint: string;
  readonly podCidr: string;
  readonly serviceCidr: string;
  readonly bootstrapToken: string;
  readonly certificateKey: string;
  /** sha256:<hex> of the cluster CA, as the agent reports it; needed by every joining node. */
  readonly caCertHash?: string;
  /** Control-plane nodes run the agent. */
  readonly agent?: { readonly apiUrl: string; readonly token: string };
}

/**
 * cloud-init for a node: the first control-plane node runs `kubeadm init`, the others join
 * (control-plane nodes with the uploaded certificates), and control-plane nodes start the
 * Strata agent with the cluster's token.
 */
export function userData(i: UserDataInput): string {
  const { node } = i;
  const first = node.role === 'controlPlane' && node.index === 0;
  const files: { path: string; permissions: string; content: string }[] = [];
  const commands: string[] = [];
  if (first) {
    files.push({
      path: '/etc/kubernetes/kubeadm-config.yaml',
      permissions: '0600',
      content:
        stringify({
          apiVersion: 'kubeadm.k8s.io/v1beta4',
          kind: 'InitConfiguration',
          bootstrapTokens: [{ token: i.bootstrapToken, ttl: '24h0m0s', usages: ['signing', 'authentication'], groups: ['system:bootstrappers:kubeadm:default-node-token'] }],
          certificateKey: i.certificateKey,
          nodeRegistration: { name: node.name, kubeletExtraArgs: [{ name: 'node-labels', value: `strata.io/pool=${node.pool}` }] },
        }) +
        '---\n' +
        stringify({
          apiVersion: 'kubeadm.k8s.io/v1beta4',
          kind: 'ClusterConfiguration',
          clusterName: i.cluster.name,
          kubernetesVersion: `v${i.kubernetesVersion}`,
          controlPlaneEndpoint: `${i.apiEndpoint}:6443`,
          networking: { podSubnet: i.podCidr, serviceSubnet: i.serviceCidr },
        }),
    });
    commands.push('kubeadm init --config /etc/kubernetes/kubeadm-config.yaml --upload-certs');
  } else {
    const discovery = i.caCertHash ? `--discovery-token-ca-cert-hash ${i.caCertHash}` : '--discovery-token-unsafe-skip-ca-verification';
    const cp = node.role === 'controlPlane' ? ` --control-plane --certificate-key ${i.certificateKey}` : '';
    commands.push(`kubeadm join ${i.apiEndpoint}:6443 --token ${i.bootstrapToken} ${discovery} --node-name ${node.name}${cp}`);
  }
  if (i.agent) {
    files.push({
      path: '/etc/strata/agent.env',
      permissions: '0600',
      content: `STRATA_API_URL=${i.agent.apiUrl}\nSTRATA_CLUSTER_ID=${i.cluster.id}\nSTRATA_AGENT_TOKEN=${i.agent.token}\n`,
    });
    commands.push('systemctl enable --now strata-agent.service');
  }
  return `#cloud-config\n${stringify({ write_files: files, runcmd: commands }, { lineWidth: 0 })}`;
}

/** Read the agent settings back out of user data, as the node's agent does at boot. */
export function agentSettingsFrom(userDataText: string): { apiUrl: string; clusterId: string; token: string } | undefined {
  const get = (key: string) => new RegExp(`${key}=(\\S+)`).exec(userDataText)?.[1];
  const apiUrl = get('STRATA_API_URL');
  const clusterId = get('STRATA_CLUSTER_ID');
  const token = get('STRATA_AGENT_TOKEN');
  return apiUrl && clusterId && token ? { apiUrl, clusterId, token } : undefined;
}
