import { JOIN_TOKEN_TTL_HOURS } from './bootstrap-tokens.js';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { stringify } from 'yaml';
import { API_PORT } from './cloud.js';
import { osPatchScript } from './os-patch-script.js';
import type { Cloud } from './packs.js';
import type { ClusterPki, ClusterPkiKeys } from './pki.js';
import type { PlannedNode } from './provisioning.js';

/**
 * How a node gets its secrets. User data holds no long-lived secret: only the agent API's URL and
 * a one-time ticket, good for one download within TICKET_TTL_SECONDS of its issue. With it the node
 * fetches its bootstrap bundle (a tar.gz unpacked at /): the kubeadm configuration with the join
 * token, and for control-plane nodes the cluster's CA material and the agent's token. After that the
 * ticket is spent, so what user data still holds is useless (Cluster API Provider AWS's secure
 * bootstrap is the model: the node reads its secret once and it is gone).
 */
export const TICKET_TTL_SECONDS = 3600;

export interface TicketClaims {
  readonly tenantId: string;
  readonly clusterId: string;
  readonly node: string;
  /** Epoch seconds it was issued at: also what tells one issue of a node's ticket from the next. */
  readonly issuedAt: number;
}

const mac = (secret: string, c: TicketClaims) =>
  createHmac('sha256', secret).update(`bootstrap/${c.tenantId}/${c.clusterId}/${c.node}/${c.issuedAt}`).digest('base64url');

/** `sbt.<tenant>.<cluster>.<node>.<issuedAt>.<mac>`: derived, so every retry of a launch writes the same user data. */
export function bootstrapTicket(secret: string, c: TicketClaims): string {
  return `sbt.${c.tenantId}.${c.clusterId}.${c.node}.${c.issuedAt}.${mac(secret, c)}`;
}

const TICKET = /^sbt\.([a-z0-9-]{1,63})\.([a-z0-9-]{1,64})\.([a-z0-9-]{1,63})\.(\d{10})\.([A-Za-z0-9_-]{43})$/;

/** The claims of a ticket whose MAC is right (whether it is still unused is the store's to say). */
export function verifyBootstrapTicket(ticket: string, secret: string): TicketClaims | undefined {
  const m = TICKET.exec(ticket);
  if (!m) return undefined;
  const claims = { tenantId: m[1]!, clusterId: m[2]!, node: m[3]!, issuedAt: Number(m[4]) };
  const want = Buffer.from(mac(secret, claims));
  const got = Buffer.from(m[5]!);
  return want.length === got.length && timingSafeEqual(want, got) ? claims : undefined;
}

export const ticketExpired = (issuedAt: number, now: Date) => now.getTime() / 1000 >= issuedAt + TICKET_TTL_SECONDS;

/** Where the node keeps the ticket until it has used it; the bundle's download removes it. */
export { JOIN_TOKEN_TTL_HOURS };

export const BOOTSTRAP_ENV = '/etc/strata/bootstrap.env';
export const KUBEADM_CONFIG = '/etc/kubernetes/kubeadm.yaml';
export const AGENT_ENV = '/etc/strata/agent.env';
/**
 * Where each cloud's controller manager reads its configuration file on control-plane nodes
 * (cloud-provider-azure's chart mounts /etc/kubernetes from the host and passes this --cloud-config).
 */
export const CLOUD_CONFIG_PATHS: Readonly<Partial<Record<Cloud, string>>> = { azure: '/etc/kubernetes/azure.json' };

export type CloudProviderConfigFile = { readonly path: string; readonly content: Readonly<Record<string, string | number | boolean>> };

/** The controller manager's configuration file for a cluster, where its cloud reads one and the infrastructure recorded it. */
export function cloudProviderConfigFile(cloud: Cloud, content: CloudProviderConfigFile['content'] | undefined): CloudProviderConfigFile | undefined {
  const path = CLOUD_CONFIG_PATHS[cloud];
  return path && content ? { path, content } : undefined;
}

/** What a node's user data does besides bootstrapping; the cluster's settings decide. */
export interface UserDataOptions {
  /**
   * An /etc/hosts entry for the API endpoint's name, for clouds where DNS does not give every node
   * a working address for it (InfraRefs.apiHosts of the node's role). A joining control-plane node
   * that maps the name to itself (127.0.0.1) has no API server until kubeadm join has made one, so
   * it reaches the cluster at `joinAddress` (the workers' address) until then, as Cluster API
   * Provider Azure's private clusters do.
   */
  readonly apiHost?: { readonly name: string; readonly address: string; readonly joinAddress?: string };
  /**
   * Patch the OS before the node joins: the distribution's upgrade with the Kubernetes packages
   * held (core/os-patch-script.ts). Absent (clusters stored before the setting): no patch.
   * No reboot at boot: a reboot before kubeadm would run cloud-init's stages again on the way back
   * up. A patch that asks for one leaves /var/run/reboot-required, so the node's next patch run
   * reboots it when the cluster allows.
   */
  readonly patchOnBoot?: boolean;
  /**
   * AWS: give the kubelet its providerID (aws:///<zone>/<instance>) from instance metadata.
   * cloud-provider-aws finds a node without one only by its EC2 private DNS name, which Strata's
   * node names are not, so without it the node would stay uninitialised.
   */
  readonly awsProviderId?: boolean;
  /**
   * Control-plane nodes: where the agent (one bundled file) is fetched from, and its sha256. A node
   * whose image already carries that file runs it; otherwise it downloads it with its ticket (not
   * spending it) and runs it only if the digest matches.
   */
  readonly agent?: { readonly url: string; readonly sha256: string };
}

/** Where the agent lives on a node, and the systemd unit that runs it with Node.js. */
export const AGENT_FILE = '/opt/strata/agent/strata-agent.mjs';
const AGENT_UNIT = `[Unit]
Description=Strata agent: reports the cluster, runs the commands Strata sends
After=network-online.target kubelet.service
Wants=network-online.target

[Service]
EnvironmentFile=${AGENT_ENV}
ExecStart=/usr/bin/env node ${AGENT_FILE}
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
`;

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * The agent's install: kept when the file on the node has the wanted digest (the image carries
 * it), else downloaded, unpacked and checked; a mismatch stops the boot script rather than run it.
 */
function agentInstall(agent: NonNullable<UserDataOptions['agent']>): string {
  if (!SHA256.test(agent.sha256)) throw new Error(`the agent's sha256 must be 64 hex digits, not ${JSON.stringify(agent.sha256)}`);
  const check = (file: string) => `echo "${agent.sha256}  ${file}" | sha256sum -c --status`;
  return [
    'command -v node >/dev/null || { echo "strata: the agent needs Node.js 20 or later on the image" >&2; exit 1; }',
    `if ! ${check(AGENT_FILE)} 2>/dev/null; then`,
    `  . ${BOOTSTRAP_ENV}`,
    `  mkdir -p ${AGENT_FILE.slice(0, AGENT_FILE.lastIndexOf('/'))}`,
    `  curl -fsS --retry 30 --retry-delay 5 --max-time 120 -X POST -H "Authorization: Bearer $STRATA_BOOTSTRAP_TICKET" "${agent.url}" -o /run/strata-agent.mjs.gz`,
    `  gunzip -c /run/strata-agent.mjs.gz > ${AGENT_FILE}.new`,
    '  rm -f /run/strata-agent.mjs.gz',
    `  ${check(`${AGENT_FILE}.new`)} || { echo "strata: the downloaded agent does not have sha256 ${agent.sha256}" >&2; rm -f ${AGENT_FILE}.new; exit 1; }`,
    `  mv ${AGENT_FILE}.new ${AGENT_FILE}`,
    'fi',
  ].join('\n');
}

/**
 * Reads the instance's zone and id over IMDSv2 (from the host: the hop limit is 1) into the
 * kubelet's KUBELET_EXTRA_ARGS, which the kubeadm packages' kubelet unit reads from /etc/default/kubelet.
 */
const AWS_PROVIDER_ID = [
  't=$(curl -fsS --retry 10 -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 300" http://169.254.169.254/latest/api/token)',
  'zone=$(curl -fsS --retry 10 -H "X-aws-ec2-metadata-token: $t" http://169.254.169.254/latest/meta-data/placement/availability-zone)',
  'id=$(curl -fsS --retry 10 -H "X-aws-ec2-metadata-token: $t" http://169.254.169.254/latest/meta-data/instance-id)',
  'echo "KUBELET_EXTRA_ARGS=--provider-id=aws:///$zone/$id" > /etc/default/kubelet',
].join(' && ');

const HOSTS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;

/**
 * A node's user data: one #cloud-config document. It writes the ticket to a root-only file,
 * downloads and unpacks the bundle (which removes that file), then runs kubeadm with the bundle's
 * configuration, and on control-plane nodes starts the agent.
 */
export function userData(node: Pick<PlannedNode, 'role' | 'index'>, bootstrap: { url: string; ticket: string }, options: UserDataOptions = {}): string {
  const first = node.role === 'controlPlane' && node.index === 0;
  const fetchBundle = [
    `. ${BOOTSTRAP_ENV}`,
    'umask 077',
    // --retry covers timeouts and 5xx; a spent or expired ticket (401) is final, as it must be.
    'curl -fsS --retry 30 --retry-delay 5 --max-time 60 -X POST -H "Authorization: Bearer $STRATA_BOOTSTRAP_TICKET" "$STRATA_BOOTSTRAP_URL" -o /run/strata-bootstrap.tar.gz',
    'tar -xzf /run/strata-bootstrap.tar.gz -C /',
    `rm -f /run/strata-bootstrap.tar.gz ${BOOTSTRAP_ENV}`,
  ].join(' && ');
  const kubeadm = first ? ['kubeadm', 'init', '--config', KUBEADM_CONFIG] : ['kubeadm', 'join', '--config', KUBEADM_CONFIG];
  const installAgent = node.role === 'controlPlane' && options.agent ? agentInstall(options.agent) : undefined;
  const runcmd: (string | string[])[] = [
    // Before the bundle: its download spends the ticket the agent's download shows.
    ...(installAgent ? [['sh', '-ec', installAgent]] : []),
    ['sh', '-c', fetchBundle],
    ...(options.awsProviderId ? [['sh', '-c', AWS_PROVIDER_ID]] : []),
    // After the bundle (its ticket is spent at once), before kubeadm. runcmd goes on when it fails:
    // an unpatched node that joins is patched by the next run, one that never joins helps nobody.
    ...(options.patchOnBoot === true ? [['sh', '-c', osPatchScript()]] : []),
    kubeadm,
  ];
  if (node.role === 'controlPlane') {
    if (installAgent) runcmd.push(['systemctl', 'daemon-reload']);
    runcmd.push(['systemctl', 'enable', '--now', 'strata-agent.service']);
  }
  const writeFiles: Record<string, unknown>[] = [
    { path: BOOTSTRAP_ENV, permissions: '0600', owner: 'root:root', content: `STRATA_BOOTSTRAP_URL=${bootstrap.url}\nSTRATA_BOOTSTRAP_TICKET=${bootstrap.ticket}\n` },
    ...(installAgent ? [{ path: '/etc/systemd/system/strata-agent.service', permissions: '0644', owner: 'root:root', content: AGENT_UNIT }] : []),
  ];
  if (options.apiHost) {
    const { name, address, joinAddress } = options.apiHost;
    for (const ip of [address, joinAddress ?? address]) {
      if (!HOSTS_NAME.test(name) || isIP(ip) === 0) throw new Error(`an /etc/hosts entry needs a DNS name and an IP address, not ${JSON.stringify(`${ip} ${name}`)}`);
    }
    const joining = node.role === 'controlPlane' && !first && joinAddress !== undefined && joinAddress !== address;
    const before = joining ? joinAddress : address;
    // Deferred: written in cloud-init's final stage, after its own /etc/hosts handling of this boot
    // and before runcmd, so kubeadm already resolves the name. The leading newline keeps the entry
    // on its own line when the image's file does not end with one.
    writeFiles.push({ path: '/etc/hosts', append: true, defer: true, content: `\n${before} ${name}\n` });
    if (joining) {
      // Joined, the node serves the API itself: the name maps to it from now on (replaced in place,
      // as Ubuntu's `multi on` would otherwise answer with both addresses).
      const re = (text: string) => text.replace(/\./g, '\\.');
      runcmd.splice(runcmd.indexOf(kubeadm) + 1, 0, ['sed', '-i', `s/^${re(before)} ${re(name)}$/${address} ${name}/`, '/etc/hosts']);
    }
  }
  // Not cloud-init's package_upgrade: it would upgrade the kubelet and the container runtime with the rest.
  const doc = {
    write_files: writeFiles,
    runcmd,
  };
  return `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
}

/** The agent download a control-plane node's user data asks for, and the digest it checks (the simulated nodes read it the same way). */
export function agentSettingsFromUserData(userDataText: string): { url: string; sha256: string } | undefined {
  const url = /"(\S+\/agent\/v1\/agent)" -o \/run\/strata-agent\.mjs\.gz/.exec(userDataText)?.[1];
  const sha256 = /echo "([0-9a-f]{64}) {2}\/opt\/strata\/agent\/strata-agent\.mjs\.new"/.exec(userDataText)?.[1];
  return url && sha256 ? { url, sha256 } : undefined;
}

/** The bootstrap settings a node reads from its user data (the simulated nodes do exactly this). */
export function bootstrapSettingsFrom(userDataText: string): { url: string; ticket: string } | undefined {
  const url = /STRATA_BOOTSTRAP_URL=(\S+)/.exec(userDataText)?.[1];
  const ticket = /STRATA_BOOTSTRAP_TICKET=(\S+)/.exec(userDataText)?.[1];
  return url && ticket ? { url, ticket } : undefined;
}

/** The agent settings in the bundle's agent.env. */
export function agentSettingsFrom(envText: string): { apiUrl: string; clusterId: string; token: string } | undefined {
  const get = (key: string) => new RegExp(`^${key}=(\\S+)$`, 'm').exec(envText)?.[1];
  const apiUrl = get('STRATA_API_URL');
  const clusterId = get('STRATA_CLUSTER_ID');
  const token = get('STRATA_AGENT_TOKEN');
  return apiUrl && clusterId && token ? { apiUrl, clusterId, token } : undefined;
}

/**
 * kubeadm's bootstrap token ([a-z0-9]{6}.[a-z0-9]{16}), derived from the platform secret so every
 * node of the cluster gets the same one without storing it.
 */
export function kubeadmBootstrapToken(secret: string, clusterId: string): string {
  const t = createHmac('sha256', secret).update(`${clusterId}/bootstrap-token`).digest('hex').replace(/[^a-z0-9]/g, '');
  return `${t.slice(0, 6)}.${t.slice(6, 22)}`;
}

export interface BundleFile {
  readonly path: string;
  readonly mode: number;
  readonly content: string;
}

export interface BundleInput {
  readonly node: PlannedNode;
  readonly cluster: { readonly id: string; readonly name: string };
  readonly kubernetesVersion: string;
  /** The API load balancer's DNS name: kubeadm's controlPlaneEndpoint, and a name the API server's certificate carries. */
  readonly apiEndpoint: string;
  /** The load balancer's API port. @default API_PORT */
  readonly apiPort?: number;
  readonly podCidr: string;
  readonly serviceCidr: string;
  readonly bootstrapToken: string;
  readonly pki: ClusterPki;
  /** Only for control-plane nodes: the CA keys and the agent's settings. */
  readonly controlPlane?: { readonly keys: ClusterPkiKeys; readonly agent: { readonly apiUrl: string; readonly token: string } };
  /** The cloud controller manager's configuration file (cloudProviderConfigFile), written on control-plane nodes. */
  readonly cloudProviderConfig?: CloudProviderConfigFile;
}

/**
 * What one node's bundle holds. Every node: its kubeadm configuration, joins pinned to the CA hash.
 * Control-plane nodes also: the CAs with their keys and the service-account key pair (kubeadm uses
 * what it finds in /etc/kubernetes/pki, as with Cluster API), the agent's settings, and the cloud
 * controller manager's configuration file where the cloud has one.
 */
export function bundleFiles(i: BundleInput): BundleFile[] {
  const { node } = i;
  const nodeRegistration = {
    name: node.name,
    kubeletExtraArgs: [
      // A cloud controller manager (a pack of the k8s layer) initialises the node and sets its providerID.
      { name: 'cloud-provider', value: 'external' },
      { name: 'node-labels', value: `strata.io/pool=${node.pool}` },
    ],
  };
  const endpoint = `${i.apiEndpoint}:${i.apiPort ?? API_PORT}`;
  let kubeadm: string;
  if (node.role === 'controlPlane' && node.index === 0) {
    kubeadm = yamlDocs(
      {
        apiVersion: 'kubeadm.k8s.io/v1beta4',
        kind: 'InitConfiguration',
        bootstrapTokens: [{ token: i.bootstrapToken, ttl: `${JOIN_TOKEN_TTL_HOURS}h0m0s`, usages: ['signing', 'authentication'], groups: ['system:bootstrappers:kubeadm:default-node-token'] }],
        nodeRegistration,
      },
      {
        apiVersion: 'kubeadm.k8s.io/v1beta4',
        kind: 'ClusterConfiguration',
        clusterName: i.cluster.name,
        kubernetesVersion: `v${i.kubernetesVersion}`,
        controlPlaneEndpoint: endpoint,
        apiServer: { certSANs: [i.apiEndpoint] },
        encryptionAlgorithm: 'ECDSA-P256',
        networking: { podSubnet: i.podCidr, serviceSubnet: i.serviceCidr },
      },
      // kubeadm uploads this to the kubelet-config ConfigMap, so joining nodes get it too.
      {
        apiVersion: 'kubelet.config.k8s.io/v1beta1',
        kind: 'KubeletConfiguration',
        // The node log query (/api/v1/nodes/<node>/proxy/logs/?query=kubelet) that log bundles read.
        enableSystemLogHandler: true,
        enableSystemLogQuery: true,
        featureGates: { NodeLogQuery: true },
      },
    );
  } else {
    kubeadm = yamlDocs({
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'JoinConfiguration',
      discovery: { bootstrapToken: { token: i.bootstrapToken, apiServerEndpoint: endpoint, caCertHashes: [i.pki.caCertHash] } },
      nodeRegistration,
      ...(node.role === 'controlPlane' ? { controlPlane: {} } : {}),
    });
  }
  const files: BundleFile[] = [{ path: KUBEADM_CONFIG, mode: 0o600, content: kubeadm }];
  if (node.role === 'controlPlane') {
    if (!i.controlPlane) throw new Error(`control-plane node ${node.name} needs the CA keys and the agent settings`);
    const { keys, agent } = i.controlPlane;
    const pki = '/etc/kubernetes/pki';
    files.push(
      { path: `${pki}/ca.crt`, mode: 0o644, content: i.pki.certificates.ca },
      { path: `${pki}/ca.key`, mode: 0o600, content: keys.ca },
      { path: `${pki}/etcd/ca.crt`, mode: 0o644, content: i.pki.certificates.etcdCa },
      { path: `${pki}/etcd/ca.key`, mode: 0o600, content: keys.etcdCa },
      { path: `${pki}/front-proxy-ca.crt`, mode: 0o644, content: i.pki.certificates.frontProxyCa },
      { path: `${pki}/front-proxy-ca.key`, mode: 0o600, content: keys.frontProxyCa },
      { path: `${pki}/sa.pub`, mode: 0o644, content: i.pki.serviceAccountPublicKey },
      { path: `${pki}/sa.key`, mode: 0o600, content: keys.serviceAccount },
      { path: AGENT_ENV, mode: 0o600, content: `STRATA_API_URL=${agent.apiUrl}\nSTRATA_CLUSTER_ID=${i.cluster.id}\nSTRATA_AGENT_TOKEN=${agent.token}\n` },
    );
    // Only the controller manager reads it, and it runs on the control plane; workers' node manager uses instance metadata.
    if (i.cloudProviderConfig) files.push({ path: i.cloudProviderConfig.path, mode: 0o600, content: `${JSON.stringify(i.cloudProviderConfig.content, null, 2)}\n` });
  }
  return files;
}

const yamlDocs = (...docs: object[]) => docs.map((d) => stringify(d)).join('---\n');
