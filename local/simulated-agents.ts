import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { parseAllDocuments } from 'yaml';
import { patchPoolLoop } from '../core/patch-run.js';
import { COMMAND_KINDS, kubeadmVersionMove, parseAgentArgs, type CommandKindName } from '../core/agent-commands.js';
import { valuesDigest, type DesiredPack, type Heartbeat, type HeartbeatResponse, type ReportedNode } from '../core/agent-protocol.js';
import { AGENT_ENV, JOIN_TOKEN_TTL_HOURS, KUBEADM_CONFIG, agentSettingsFrom, agentSettingsFromUserData, bootstrapSettingsFrom } from '../core/bootstrap.js';
import { TAG_CLUSTER, TAG_NAME } from '../core/cloud.js';
import { caCertHash } from '../core/pki.js';
import type { SimInstance, SimulatedCloud } from '../adapters/cloud/simulated/simulated-cloud.js';
import { untarGz } from '../functions/commons/tar.js';
import { clock } from '../core/clock.js';
import type { NodePatchResult } from '../core/os-patch.js';
import { buildLogArchive, commandLeaseName, requestUploadForm, uploadArchive, type AgentApi } from '../agent/logs.js';
import { cisPeriod, DEFAULT_CIS_INTERVAL_HOURS, postComplianceReport } from '../agent/kube-bench.js';
import { simulatedLogFiles } from './simulated-logs.js';
import { simulatedKubeBenchReport } from './simulated-kube-bench.js';

export interface AgentOptions {
  /** Heartbeat period in ms (a real agent: 30 s). */
  readonly intervalMs: number;
  /** Hours of the runtime clock between scheduled CIS scans; 0 for none. @default DEFAULT_CIS_INTERVAL_HOURS */
  readonly cisIntervalHours?: number;
}

/**
 * What a simulated cluster's API server and etcd hold that a node's join depends on: the bootstrap
 * tokens (kubeadm init's, and those createBootstrapToken made), the etcd members, and the
 * kubernetesVersion of kubeadm's ClusterConfiguration.
 */
interface SimClusterState {
  /** kubeadm init's token (InitConfiguration bootstrapTokens[0]) and when it expires (clock ms). */
  initToken?: { readonly token: string; readonly expiresAt: number };
  /** Token id → secret and expiry (clock ms), as the bootstrap-token-<id> Secrets hold them. */
  readonly tokens: Map<string, { readonly secret: string; readonly expiresAt: number }>;
  /** etcd member name (the node's, as kubeadm names it) → the instance whose etcd it is. */
  readonly etcd: Map<string, string>;
  /**
   * kubernetesVersion of the ClusterConfiguration in kube-system/kubeadm-config: kubeadm init's,
   * then what setKubeadmVersion set. A control-plane node that joins renders its static pods from it.
   */
  kubeadmVersion?: string;
  /** Patch runs' leases (strata-patch-<runId>-<pool>) → the agent that holds it: one agent runs a pool's patch. */
  readonly patchLeases: Map<string, string>;
  /** Leases named after the commands one agent runs (collectLogs, runCisScan) → the agent that holds it. */
  readonly commandLeases: Map<string, string>;
}

/** What a cluster's agent sees of the simulated world besides the cloud. */
interface SimClusterView {
  /** The kubelet version an instance booted with. */
  kubeletOf(i: SimInstance): string | undefined;
  /** Whether kubeadm init or join succeeded on the instance: only then is it a Kubernetes node. */
  isNode(i: SimInstance): boolean;
  /** The cluster's API server and etcd state. */
  state(): SimClusterState;
}

/**
 * The simulated nodes and in-cluster agents. A simulated node boots as a real one does: it reads
 * the bootstrap URL and one-time ticket from its own user data and downloads its bundle from the
 * agent API (so a spent or expired ticket leaves it unable to join, as it would a real node), then
 * runs kubeadm with the bundle's configuration: init makes the cluster (its token lives 24 h), join
 * is refused unless its token is one the cluster knows and has not expired, as the API server
 * would. Only a node whose init or join succeeded is a Kubernetes node. A control-plane node's
 * bundle holds the agent's settings, and its agent reports those nodes and installs the packs it is
 * told to, through the public agent API.
 */
export class SimulatedAgents {
  private readonly agents = new Map<string, SimulatedAgent>();
  /** Cluster id → its API server's and etcd's state; gone with the cluster's last node. */
  private readonly clusters = new Map<string, SimClusterState>();
  /** Instance ids whose kubeadm init or join succeeded. */
  private readonly joined = new Set<string>();
  /** Instance id → what its bootstrap came to: the bundle's files (path → mode), or why it failed. */
  readonly bootstraps = new Map<string, { readonly node: string; readonly files?: Record<string, number>; readonly kubeadm?: string; readonly error?: string }>();

  /**
   * Instance id → the kubelet version it booted with. A node keeps the version it was launched
   * with until it is replaced, whatever the cluster is told to run later: that is what makes an
   * upgrade visible node by node.
   */
  private readonly kubelets = new Map<string, string>();
  /** Cluster id → the version its first control-plane node's kubeadm init set up. */
  private readonly initVersions = new Map<string, string>();

  constructor(
    private readonly cloud: SimulatedCloud,
    private readonly options: AgentOptions,
  ) {
    cloud.on('running', (inst: SimInstance) => void this.onRunning(inst));
    cloud.on('terminated', (inst: SimInstance) => {
      this.kubelets.delete(inst.instanceId);
      this.joined.delete(inst.instanceId);
      const clusterId = inst.tags[TAG_CLUSTER] ?? '';
      // Its etcd member stays (removing it is removeEtcdMember's), until the cluster has no node left.
      if (![...this.joined].some((id) => this.cloud.instances.get(id)?.tags[TAG_CLUSTER] === clusterId)) this.clusters.delete(clusterId);
      this.agents.get(clusterId)?.nudge();
    });
  }

  private async onRunning(inst: SimInstance) {
    const clusterId = inst.tags[TAG_CLUSTER];
    if (!clusterId) return;
    const agentOk = await this.downloadAgent(inst);
    const bundle = await this.bootstrap(inst);
    this.recordKubelet(inst, clusterId, bundle);
    const joined = bundle !== undefined && inst.state === 'running' && this.kubeadm(inst, clusterId, bundle);
    // kubeadm init or join ran with the bundle's configuration: a control-plane node now serves the API.
    if (joined && inst.tags['strata:role'] === 'controlPlane') inst.apiServing = true;
    const existing = this.agents.get(clusterId);
    if (existing) return existing.nudge();
    const env = bundle?.get(AGENT_ENV)?.content.toString('utf8');
    const settings = env ? agentSettingsFrom(env) : undefined;
    if (!joined || !settings || !agentOk || this.stopped) return; // workers run no agent, nor does a node that could not join or whose agent did not check out
    const ca = bundle!.get('/etc/kubernetes/pki/ca.crt')?.content.toString('utf8');
    const view: SimClusterView = {
      kubeletOf: (i) => this.kubelets.get(i.instanceId),
      isNode: (i) => this.joined.has(i.instanceId),
      state: () => this.state(clusterId),
    };
    const agent = new SimulatedAgent(this.cloud, { ...settings, caCertHash: ca ? caCertHash(ca) : undefined }, this.options, view, () => {
      this.agents.delete(clusterId);
      this.initVersions.delete(clusterId);
    });
    this.agents.set(clusterId, agent);
    agent.start();
  }

  private state(clusterId: string): SimClusterState {
    let s = this.clusters.get(clusterId);
    if (!s) this.clusters.set(clusterId, (s = { tokens: new Map(), etcd: new Map(), patchLeases: new Map(), commandLeases: new Map() }));
    return s;
  }

  /**
   * kubeadm init or join with the bundle's configuration. Init makes the cluster's token (valid for
   * its ttl, 24 h) and the first etcd member; join is refused, as the API server refuses the
   * cluster-info signature, unless its token is init's or one createBootstrapToken made, unexpired;
   * a control-plane join adds an etcd member. A failure is recorded as the node's bootstrap error.
   */
  private kubeadm(inst: SimInstance, clusterId: string, bundle: Map<string, { content: Buffer }>): boolean {
    const node = inst.tags[TAG_NAME] ?? inst.instanceId;
    const fail = (error: string) => {
      this.bootstraps.set(inst.instanceId, { ...this.bootstraps.get(inst.instanceId), node, error });
      return false;
    };
    const config = kubeadmConfig(bundle.get(KUBEADM_CONFIG)?.content.toString('utf8'));
    const now = clock.now();
    if (!config) return fail('kubeadm: no InitConfiguration or JoinConfiguration in the bundle');
    if (config.kind === 'init') {
      const state = this.state(clusterId);
      state.initToken = config.token ? { token: config.token, expiresAt: now + config.ttlMs } : undefined;
      state.etcd.set(node, inst.instanceId);
      // kubeadm init uploads its ClusterConfiguration to kube-system/kubeadm-config.
      state.kubeadmVersion = initKubernetesVersion(bundle.get(KUBEADM_CONFIG)?.content.toString('utf8'));
    } else {
      const state = this.clusters.get(clusterId);
      if (!state) return fail(`kubeadm join: no API server of the cluster answers (no control-plane node has run kubeadm init)`);
      if (!tokenValid(state, config.token, now)) {
        const id = /^([a-z0-9]{6})\./.exec(config.token)?.[1] ?? '(malformed)';
        return fail(`kubeadm join: token ${id}.… is not valid: could not find a JWS signature in the cluster-info ConfigMap for token ID "${id}" (unknown or expired)`);
      }
      if (config.controlPlane) state.etcd.set(node, inst.instanceId);
    }
    this.joined.add(inst.instanceId);
    return true;
  }

  /** A cluster's etcd members (node names), as `etcdctl member list` names them. */
  etcdMembers(clusterId: string): string[] {
    return [...(this.clusters.get(clusterId)?.etcd.keys() ?? [])].sort();
  }

  /**
   * kubernetesVersion of a cluster's kubeadm ClusterConfiguration (as kubeadm spells it, v1.31.10):
   * kubeadm init's, or what setKubeadmVersion set since; undefined before init or after the cluster's last node.
   */
  kubeadmVersion(clusterId: string): string | undefined {
    return this.clusters.get(clusterId)?.kubeadmVersion;
  }

  /** The patch runs' leases of a cluster (strata-patch-<runId>-<pool>) and the agent holding each. */
  patchLeases(clusterId: string): { name: string; holder: string }[] {
    return [...(this.clusters.get(clusterId)?.patchLeases ?? [])].map(([name, holder]) => ({ name, holder }));
  }

  /** The bootstrap tokens createBootstrapToken made in a cluster and not yet expired (kubeadm init's is not one). */
  bootstrapTokens(clusterId: string): { tokenId: string; secret: string; expiration: string }[] {
    const now = clock.now();
    return [...(this.clusters.get(clusterId)?.tokens ?? [])]
      .filter(([, t]) => t.expiresAt > now)
      .map(([tokenId, t]) => ({ tokenId, secret: t.secret, expiration: new Date(t.expiresAt).toISOString() }));
  }

  /** Whether the instance is a Kubernetes node: its kubeadm init or join succeeded. */
  isNode(instanceId: string): boolean {
    return this.joined.has(instanceId);
  }

  /**
   * The kubelet a booted node runs: the first control-plane node's is the version its kubeadm
   * configuration names (ClusterConfiguration.kubernetesVersion); a joining node's configuration
   * names none, so it is the Kubernetes pack the cluster's agent was last told to run, or failing
   * that the version the cluster was made with. Recorded once, at boot.
   */
  private recordKubelet(inst: SimInstance, clusterId: string, bundle: Map<string, { content: Buffer }> | undefined) {
    const init = initKubernetesVersion(bundle?.get(KUBEADM_CONFIG)?.content.toString('utf8'));
    if (init) this.initVersions.set(clusterId, init);
    const version = init ?? this.agents.get(clusterId)?.kubernetesVersion ?? this.initVersions.get(clusterId);
    if (version && inst.state === 'running') this.kubelets.set(inst.instanceId, version);
  }

  /**
   * What a control-plane node's user data does before the bundle: download the agent with its
   * ticket, unpack it and check its sha256. False when it does not check out (the node runs no
   * agent then); true when the user data asks for no download (the image carries the agent).
   */
  private async downloadAgent(inst: SimInstance): Promise<boolean> {
    const wanted = agentSettingsFromUserData(inst.userData);
    const ticket = bootstrapSettingsFrom(inst.userData)?.ticket;
    if (!wanted) return true;
    for (let attempt = 1; attempt <= 30 && !this.stopped; attempt++) {
      const res = await fetch(wanted.url, { method: 'POST', headers: { authorization: `Bearer ${ticket}` } }).catch(() => undefined);
      if (res?.ok) {
        const sha256 = createHash('sha256').update(gunzipSync(Buffer.from(await res.arrayBuffer()))).digest('hex');
        this.agentDownloads.set(inst.instanceId, { sha256, ok: sha256 === wanted.sha256 });
        return sha256 === wanted.sha256;
      }
      if (res && res.status < 500) {
        this.agentDownloads.set(inst.instanceId, { ok: false, error: `${res.status}: ${await res.text()}` });
        return false;
      }
      await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 1000)));
    }
    return false;
  }

  /** Instance → the agent it downloaded (its sha256) and whether it matched its user data's. */
  readonly agentDownloads = new Map<string, { readonly sha256?: string; readonly ok: boolean; readonly error?: string }>();

  /** What cloud-init's curl does: POST with the ticket, retrying what can pass (no answer, 5xx, not ready yet). */
  private async bootstrap(inst: SimInstance): Promise<Map<string, { content: Buffer; mode: number }> | undefined> {
    const node = inst.tags[TAG_NAME] ?? inst.instanceId;
    const settings = bootstrapSettingsFrom(inst.userData);
    if (!settings) {
      this.bootstraps.set(inst.instanceId, { node, error: 'no bootstrap settings in user data' });
      return undefined;
    }
    for (let attempt = 1; attempt <= 30 && !this.stopped; attempt++) {
      const res = await fetch(settings.url, { method: 'POST', headers: { authorization: `Bearer ${settings.ticket}` } }).catch(() => undefined);
      if (res?.ok) {
        const files = await untarGz(Buffer.from(await res.arrayBuffer()));
        this.bootstraps.set(inst.instanceId, {
          node,
          files: Object.fromEntries([...files].map(([path, f]) => [path, f.mode])),
          kubeadm: files.get(KUBEADM_CONFIG)?.content.toString('utf8'),
        });
        return files;
      }
      if (res && res.status < 500 && res.status !== 409) {
        this.bootstraps.set(inst.instanceId, { node, error: `${res.status}: ${await res.text()}` });
        return undefined;
      }
      await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 1000)));
    }
    this.bootstraps.set(inst.instanceId, { node, error: 'gave up' });
    return undefined;
  }

  private stopped = false;

  get count() {
    return this.agents.size;
  }

  stop() {
    this.stopped = true;
    for (const a of this.agents.values()) a.stop();
    this.agents.clear();
  }
}

class SimulatedAgent {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private inFlight = false;
  private again = false;
  private desired: { generation: number; packs: readonly DesiredPack[] } = { generation: 0, packs: [] };
  private readonly installed = new Map<string, { version: string; values: string; status: 'Installing' | 'Installed' }>();
  private observedGeneration = 0;

  /** Node name → the instance cordoned (a new instance under the name is a new, schedulable node). */
  private readonly cordoned = new Map<string, string>();
  /** Node name → the instance drained: it runs only DaemonSet pods from then on. */
  private readonly drained = new Map<string, string>();

  constructor(
    private readonly cloud: SimulatedCloud,
    private readonly settings: { apiUrl: string; clusterId: string; token: string; caCertHash?: string },
    private readonly options: AgentOptions,
    private readonly view: SimClusterView,
    private readonly onExit: () => void,
  ) {}

  /** The Kubernetes version of the desired k8s pack (the profile's own comes before the cloud controller manager), as kubelet spells it. */
  get kubernetesVersion(): string | undefined {
    const version = this.desired.packs.find((p) => p.layer === 'k8s')?.version;
    return version ? `v${version.replace(/^v/, '')}` : undefined;
  }

  start() {
    this.log('info', 'agent started', { clusterId: this.settings.clusterId, apiUrl: this.settings.apiUrl, agentVersion: SIM_AGENT_VERSION });
    this.nudge();
    this.timer = setInterval(() => this.nudge(), this.options.intervalMs);
    this.timer.unref();
  }

  stop() {
    this.stopped = true;
    clearInterval(this.timer);
    this.onExit();
  }

  /** Report now (a real agent reports on changes it watches, and on its period). */
  nudge() {
    if (this.stopped) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    this.beat()
      .catch(() => undefined) // unreachable API: try again next period, as a real agent backs off
      .finally(() => {
        this.inFlight = false;
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      });
  }

  /** The cluster's Kubernetes nodes: running instances whose kubeadm init or join succeeded. */
  private nodes(): SimInstance[] {
    return [...this.cloud.instances.values()].filter((i) => i.tags[TAG_CLUSTER] === this.settings.clusterId && i.state === 'running' && this.view.isNode(i));
  }

  private async beat() {
    if (this.cloud.silencedAgents.has(this.settings.clusterId)) return;
    const nodes = this.nodes();
    if (!nodes.some((n) => n.tags['strata:role'] === 'controlPlane')) return this.stop(); // its control plane is gone
    this.applyDesired();
    const body: Heartbeat = {
      protocolVersion: 1,
      agentVersion: SIM_AGENT_VERSION,
      clusterId: this.settings.clusterId,
      observedGeneration: this.observedGeneration,
      ...(this.settings.caCertHash ? { caCertHash: this.settings.caCertHash } : {}),
      nodes: nodes.map((n) => this.reportNode(n)),
      services: this.services(nodes),
      packs: [...this.installed].map(([name, p]) => ({ name, version: p.version, status: p.status, valuesDigest: valuesDigest(p.values) })),
    };
    const res = await fetch(`${this.settings.apiUrl}/agent/v1/heartbeat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.settings.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status === 401 || res.status === 403) return this.stop();
    if (!res.ok) return;
    const answer = (await res.json()) as HeartbeatResponse;
    if (answer.agentToken) this.settings.token = answer.agentToken; // rotated: use the new one from now on
    for (const command of answer.commands) void this.runCommand(command);
    this.scheduledScan();
    const changed = answer.desiredGeneration !== this.desired.generation;
    if (changed) this.log('info', 'desired generation', { generation: answer.desiredGeneration, packs: answer.packs.map((p) => `${p.name}@${p.version}`) });
    this.desired = { generation: answer.desiredGeneration, packs: answer.packs };
    if (changed) this.nudge();
  }

  /** Command ids run: delivery is at least once, each runs once (as the real agent does). */
  private readonly commandsSeen = new Set<string>();

  /**
   * Run a command by its kind, as the real agent does: a handler may take its time (a patch run),
   * reporting Running with its progress as it goes, one report after another and all before the
   * outcome; heartbeats go on meanwhile. A declined command gets no report (another agent's).
   */
  private async runCommand(command: HeartbeatResponse['commands'][number]) {
    if (this.commandsSeen.has(command.id)) return;
    this.commandsSeen.add(command.id);
    const handler = this.handlers[command.kind as CommandKindName] as SimHandler | undefined;
    const post = (report: Record<string, unknown>) =>
      fetch(`${this.settings.apiUrl}/agent/v1/commands/${command.id}/result`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.settings.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(report),
      }).catch(() => undefined);
    let reports: Promise<unknown> = Promise.resolve();
    const progress = (percent: number, message: string, result?: unknown) => {
      const report = { status: 'Running', progress: Math.max(0, Math.min(100, Math.round(percent))), message: message.slice(0, 2000), ...(result !== undefined ? { result } : {}) };
      reports = reports.then(() => post(report));
    };
    let report: Record<string, unknown>;
    try {
      report = handler ? { status: 'Succeeded', result: await handler(command.args, { progress, commandId: command.id }) } : { status: 'Failed', message: `the simulated agent does not know command kind ${command.kind}` };
    } catch (err) {
      if (err instanceof SimDeclined) return this.log('info', 'command declined', { id: command.id, kind: command.kind });
      report = { status: 'Failed', message: (err as Error).message.slice(0, 2000), ...(err instanceof SimFailure ? { result: err.result } : {}) };
    }
    await reports;
    this.log('info', 'command done', { id: command.id, kind: command.kind, status: report.status });
    const res = await post(report);
    if (!res || (!res.ok && res.status !== 409 && res.status !== 410)) this.commandsSeen.delete(command.id); // try again when delivered again
  }

  /** What the simulated agent answers per command kind (the real one: agent/commands.ts). */
  private readonly handlers: { [K in CommandKindName]: SimHandler } = {
    ping: () => ({ agentVersion: SIM_AGENT_VERSION }),
    cordon: (args) => {
      const { node } = COMMAND_KINDS.cordon.args.parse(args);
      const inst = this.instanceOf(node);
      const already = this.cordoned.get(node) === inst.instanceId;
      this.cordoned.set(node, inst.instanceId);
      this.nudge();
      return { node, alreadyUnschedulable: already };
    },
    drain: (args) => this.drain(COMMAND_KINDS.drain.args.parse(args).node),
    createBootstrapToken: (args) => {
      const a = parseAgentArgs('createBootstrapToken', args);
      const state = this.view.state();
      const now = clock.now();
      // The token cleaner deletes expired tokens' Secrets.
      for (const [id, t] of state.tokens) if (t.expiresAt <= now) state.tokens.delete(id);
      const existing = state.tokens.get(a.tokenId);
      const taken = state.initToken?.token.startsWith(`${a.tokenId}.`) || (existing && existing.secret !== a.tokenSecret);
      if (taken) throw new Error(`another bootstrap token has the id ${a.tokenId} (Secret kube-system/bootstrap-token-${a.tokenId})`);
      // Delivered again: the token made the first time.
      const expiresAt = existing?.expiresAt ?? Math.floor((now + a.ttlSeconds * 1000) / 1000) * 1000;
      state.tokens.set(a.tokenId, { secret: a.tokenSecret, expiresAt });
      return { tokenId: a.tokenId, expiration: new Date(expiresAt).toISOString().replace('.000Z', 'Z') };
    },
    removeEtcdMember: (args) => {
      const { node } = parseAgentArgs('removeEtcdMember', args);
      const { etcd } = this.view.state();
      const instanceId = etcd.get(node);
      if (instanceId === undefined) return { node, removed: false, members: etcd.size };
      if (etcd.size <= 1) throw new Error(`${node} is the cluster's last etcd member: removing it would lose the cluster's data`);
      etcd.delete(node);
      // Its etcd stops, and the API server that uses it with it.
      const inst = this.cloud.instances.get(instanceId);
      if (inst) inst.apiServing = false;
      return { node, removed: true, members: etcd.size };
    },
    setKubeadmVersion: (args) => {
      const { kubernetesVersion } = parseAgentArgs('setKubeadmVersion', args);
      const state = this.view.state();
      // The real agent's rule: the same version is no change, a downgrade or a skipped minor is refused.
      const move = kubeadmVersionMove(state.kubeadmVersion, kubernetesVersion);
      if (move.changed) state.kubeadmVersion = move.to;
      return move;
    },
    patchNodes: (args, context) => this.patchNodes(args, context),
    collectLogs: (args, context) => this.collectLogs(args, context),
    runCisScan: async (args, context) => {
      const { scanId } = parseAgentArgs('runCisScan', args);
      this.claim('runCisScan', context.commandId);
      const node = await this.postKubeBench(scanId);
      return { scanId, node };
    },
  };

  /** The simulated agent's own log: JSON lines as the real agent writes them, on the runtime clock, the newest few thousand. */
  private readonly ownLog: string[] = [];
  private log(level: 'info' | 'warn', message: string, data: Record<string, unknown> = {}) {
    this.ownLog.push(JSON.stringify({ time: clock.date().toISOString(), level, message, ...data }));
    if (this.ownLog.length > 5_000) this.ownLog.splice(0, this.ownLog.length - 5_000);
  }

  /** The agent API with the agent's current token, as the real agent's commands use it. */
  private readonly api: AgentApi = {
    post: (path, json, options) =>
      fetch(`${this.settings.apiUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.settings.token}`, 'content-type': 'application/json' },
        body: json,
        ...(options?.signal ? { signal: options.signal } : {}),
      }),
  };

  /** The command's Lease in the cluster's shared state, as the real agent takes it: declined when another agent holds it. */
  private claim(kind: string, commandId: string) {
    const leases = this.view.state().commandLeases;
    const name = commandLeaseName(kind, commandId);
    const holder = leases.get(name);
    if (holder !== undefined && holder !== this.identity) throw new SimDeclined();
    leases.set(name, this.identity);
  }

  /**
   * collectLogs as the real agent runs it (agent/logs.ts), on the simulated cluster: realistic
   * files (local/simulated-logs.ts), the same archive, the same upload form request and multipart
   * POST to the URL it gets (s3rver locally). A `logs` fault (local/faults.ts) makes it fail, take
   * its time before uploading, or upload more than the form's maxBytes.
   */
  private async collectLogs(args: Record<string, unknown>, context: SimCommandContext) {
    const request = parseAgentArgs('collectLogs', args);
    this.claim('collectLogs', context.commandId);
    const fault = this.cloud.due(`${LOGS_FAULT}${this.settings.clusterId}`);
    if (fault?.error === 'LogsFailed') throw new Error(fault.message ?? 'collecting logs failed: listing pods in kube-system: Get "https://10.96.0.1:443/api/v1/namespaces/kube-system/pods": dial tcp 10.96.0.1:443: i/o timeout');
    context.progress(5, 'collecting logs');
    const nodes = this.nodes().map((i) => ({
      name: i.tags[TAG_NAME] ?? i.instanceId,
      role: i.tags['strata:role'] === 'controlPlane' ? ('controlPlane' as const) : ('worker' as const),
      ip: i.privateIp,
      bootedAt: i.launchedAt + this.cloud.settings.bootMs,
      ...(this.view.kubeletOf(i) ? { kubeletVersion: this.view.kubeletOf(i) } : {}),
    }));
    const cni = this.desired.packs.find((p) => p.layer === 'cni')?.name;
    const { files, missing } = simulatedLogFiles({ clusterId: this.settings.clusterId, nodes, ...(cni ? { cni } : {}), agentLog: this.ownLog, agentName: this.identity, now: clock.now() }, request);
    if (fault?.error === 'LogsSlow') await this.sleep((fault.seconds ?? 600) * 1000);
    const header = { requestId: request.requestId, clusterId: this.settings.clusterId, agentVersion: SIM_AGENT_VERSION, collectedAt: clock.now(), request };
    let { archive } = await buildLogArchive(header, files, missing);
    const form = await requestUploadForm(this.api, request.requestId, archive.length);
    if (fault?.error === 'LogsOversize') {
      // Past the form's cap whatever it is: stored blocks (no compression) of one padded file.
      const padding = { path: 'platform/padding.log', type: 'platform' as const, content: Buffer.alloc(form.maxBytes + 64 * 1024, 0x20), truncated: false };
      archive = (await buildLogArchive(header, [...files, padding], missing, { gzipLevel: 0 })).archive;
    }
    context.progress(85, `uploading ${archive.length} bytes`);
    await uploadArchive(form, archive, `${request.requestId}.tar.gz`);
    this.log('info', 'log bundle uploaded', { requestId: request.requestId, bytes: archive.length, files: files.length, missing: missing.length });
    return { requestId: request.requestId, bytes: archive.length, files: files.length + (fault?.error === 'LogsOversize' ? 1 : 0), missing: missing.length };
  }

  /** kube-bench's report of the cluster posted from its first control-plane node, as the real agent posts it; the node's name. */
  private async postKubeBench(scanId?: string): Promise<string> {
    const cp = this.nodes().find((i) => i.tags['strata:role'] === 'controlPlane');
    if (!cp) throw new Error('no control-plane node to run kube-bench on');
    const node = cp.tags[TAG_NAME] ?? cp.instanceId;
    const report = simulatedKubeBenchReport(this.settings.clusterId, this.view.kubeletOf(cp));
    await postComplianceReport(this.api, JSON.stringify(report), node, scanId);
    return node;
  }

  /** The period of the last scheduled scan (the runtime clock's), so each period posts one. */
  private scanPeriod?: number;
  private scheduledScan() {
    const hours = this.options.cisIntervalHours ?? DEFAULT_CIS_INTERVAL_HOURS;
    if (hours <= 0) return;
    const period = cisPeriod(clock.now(), hours, this.settings.clusterId).number;
    if (period === this.scanPeriod) return;
    this.scanPeriod = period;
    void this.postKubeBench().then(
      (node) => this.log('info', 'scheduled CIS scan posted', { job: `strata-kube-bench-${period}`, node }),
      (err: unknown) => this.log('warn', 'scheduled CIS scan failed', { job: `strata-kube-bench-${period}`, error: (err as Error).message }),
    );
  }

  /** Cordons the node and evicts what it runs besides DaemonSet pods, as the drain command does. */
  private drain(node: string) {
    const inst = this.instanceOf(node);
    this.cordoned.set(node, inst.instanceId);
    // What a node of its role runs besides DaemonSets: a few app pods on a worker, CoreDNS at most on the control plane.
    const hash = parseInt(createHash('sha1').update(node).digest('hex').slice(0, 4), 16);
    const evicted = this.drained.get(node) === inst.instanceId ? 0 : inst.tags['strata:role'] === 'controlPlane' ? hash % 3 : 4 + (hash % 8);
    this.drained.set(node, inst.instanceId);
    this.nudge();
    return { evicted, remaining: [], durationSeconds: evicted ? Math.round((2 + evicted * 1.5) * 10) / 10 : 0.2 };
  }

  /** Who this agent is in a patch run's lease. */
  private readonly identity = `sim-agent-${randomBytes(4).toString('hex')}`;
  /** Node name → the instance rebooting and since when (NotReady until it is back; for good when a notReady fault keeps it down). */
  private readonly rebooting = new Map<string, { readonly instanceId: string; readonly since: number }>();
  /** Instance → its boot: a reboot makes a new one. */
  private readonly boots = new Map<string, number>();
  /** Instance → the packages its patches upgraded (a second run does not offer them again), and the kernel it booted into. */
  private readonly upgraded = new Map<string, Set<string>>();
  private readonly kernels = new Map<string, string>();

  /** The runtime clock's sleep (tests move it with clock.advance). */
  private sleep(ms: number) {
    return this.cloud.settings.sleep(ms);
  }

  /** Ready as its kubelet would say: not while it reboots, nor with a Ready fault set on it. */
  private nodeReady(node: string): boolean {
    const inst = this.nodes().find((i) => (i.tags[TAG_NAME] ?? i.instanceId) === node);
    if (!inst || this.rebooting.get(node)?.instanceId === inst.instanceId) return false;
    return (this.cloud.nodeFaults.find((f) => f.node === node && f.condition === 'Ready')?.status ?? 'True') === 'True';
  }

  /**
   * patchNodes as the real agent runs it (agent/node-patch.ts), on simulated nodes and the runtime
   * clock: the run's lease in the cluster's shared state, node by node with at most maxUnavailable
   * out, cordon and drain, an upgrade that takes a boot's time and names packages of the node's
   * Ubuntu release (never the held Kubernetes ones), a reboot (NotReady for a boot's time, then
   * Ready on a new boot) when a new kernel asks for one and the run allows it, uncordon. A `patch`
   * fault (local/faults.ts) fails a node's upgrade or keeps it from coming back.
   */
  private async patchNodes(args: Record<string, unknown>, context: SimCommandContext) {
    const a = parseAgentArgs('patchNodes', args);
    const leases = this.view.state().patchLeases;
    const lease = `strata-patch-${a.runId}-${a.pool}`;
    const holder = leases.get(lease);
    if (holder !== undefined && holder !== this.identity) throw new SimDeclined();
    leases.set(lease, this.identity);

    const stopAt = Date.parse(a.stopAt);
    let results: readonly NodePatchResult[] = [];
    const iso = () => clock.date().toISOString();
    const report = (message: string) => {
      const done = results.filter((r) => r.status !== 'pending' && r.status !== 'patching').length;
      context.progress((100 * done) / results.length, message, { nodes: structuredClone(results), stoppedAtWindowEnd: false });
    };
    const bootMs = Math.max(1, this.cloud.settings.bootMs);

    const backReady = async (node: string, bootBefore: number | undefined, instanceId: string) => {
      const end = clock.now() + a.readyTimeoutSeconds * 1000;
      for (;;) {
        if (this.nodeReady(node) && (bootBefore === undefined || this.boots.get(instanceId) !== bootBefore)) return true;
        const now = clock.now();
        if (now >= end || this.stopped) return false;
        await this.sleep(Math.min(this.options.intervalMs, end - now));
      }
    };

    const patchOne = async (r: NodePatchResult) => {
      let inst: SimInstance;
      try {
        inst = this.instanceOf(r.node);
      } catch (err) {
        Object.assign(r, { status: 'failed', startedAt: iso(), finishedAt: iso(), message: (err as Error).message });
        return report(`${r.node}: ${r.message}`);
      }
      const cordonedBefore = this.cordoned.get(r.node) === inst.instanceId;
      this.cordoned.set(r.node, inst.instanceId);
      Object.assign(r, { status: 'patching', startedAt: iso() });
      report(`patching ${r.node}`);
      this.drain(r.node);
      const fault = this.cloud.due(`${PATCH_FAULT}${r.node}`);
      await this.sleep(fault?.error === 'PatchSlow' ? (fault.seconds ?? 600) * 1000 : bootMs);
      if (fault?.error === 'PatchFailed') {
        if (!cordonedBefore) this.uncordon(r.node);
        Object.assign(r, { status: 'failed', finishedAt: iso(), message: `the OS patch on ${r.node} failed: exit code 100 (Error): ${fault.message ?? 'E: Sub-process /usr/bin/dpkg returned an error code (1)'}` });
        return report(`${r.node} failed: ${r.message}`);
      }
      const patch = this.upgrade(inst, a.runId, r.node);
      Object.assign(r, { packages: patch.packages, rebootRequired: patch.kernel !== undefined });
      const bootBefore = this.boots.get(inst.instanceId) ?? 0;
      const reboot = patch.kernel !== undefined && a.rebootIfRequired;
      const neverBack = fault?.error === 'NodeNotReady';
      if (reboot || neverBack) {
        this.rebooting.set(r.node, { instanceId: inst.instanceId, since: clock.now() });
        r.rebooted = reboot;
        this.nudge();
        if (!neverBack) {
          void this.sleep(bootMs).then(() => {
            this.boots.set(inst.instanceId, bootBefore + 1);
            if (patch.kernel) this.kernels.set(inst.instanceId, patch.kernel);
            this.rebooting.delete(r.node);
            this.nudge();
          });
        }
      }
      if (!(await backReady(r.node, reboot ? bootBefore : undefined, inst.instanceId))) {
        Object.assign(r, { status: 'notReady', finishedAt: iso(), message: `${r.node} was not Ready${reboot ? ' on a new boot' : ''} within ${a.readyTimeoutSeconds} s after its patch; it stays cordoned` });
        return report(r.message!);
      }
      if (!cordonedBefore) this.uncordon(r.node);
      Object.assign(r, { status: 'patched', finishedAt: iso() });
      report(`patched ${r.node}: ${r.packages.length} package(s)${r.rebooted ? ', rebooted' : ''}`);
    };

    const { outcome, failure } = await patchPoolLoop(a.nodes, { pool: a.pool, maxUnavailable: a.maxUnavailable, stopAt, now: () => clock.now(), stopped: () => this.stopped }, (r, all) => {
      results = all;
      return patchOne(r);
    });
    if (failure) throw new SimFailure(failure, outcome);
    return outcome;
  }

  private uncordon(node: string) {
    this.cordoned.delete(node);
    // Its pods come back.
    this.drained.delete(node);
    this.nudge();
  }

  /**
   * What an upgrade of the instance's Ubuntu installs in a run: security updates picked by a hash of
   * the run and the node (the same each time it is asked), less what earlier runs upgraded; a new
   * kernel now and then, which requires a reboot.
   */
  private upgrade(inst: SimInstance, runId: string, node: string): { packages: NodePatchResult['packages']; kernel?: string } {
    const release = SIM_UPDATES[this.baseImage(inst)] ?? SIM_UPDATES['sim-ubuntu-22.04']!;
    const hash = createHash('sha256').update(`${runId}/${node}`).digest();
    const done = this.upgraded.get(inst.instanceId) ?? new Set<string>();
    this.upgraded.set(inst.instanceId, done);
    // The first group (OpenSSL) in every run; the others by a bit of the hash each.
    const groups = release.groups.filter((_, i) => i === 0 || (hash[i]! & 1) === 1);
    const withKernel = hash[0]! % 3 === 0 && !done.has(release.kernel.image);
    const packages = [...groups.flat(), ...(withKernel ? release.kernel.packages : [])].filter((p) => !done.has(p.name));
    for (const p of packages) done.add(p.name);
    return { packages: packages.map((p) => ({ ...p })), ...(withKernel ? { kernel: release.kernel.version } : {}) };
  }

  private baseImage(i: SimInstance): string {
    return this.cloud.image(i.region, i.imageId)?.baseImageId ?? i.imageId;
  }

  /** The running instance behind a node name, as the Kubernetes API would find the node. */
  private instanceOf(node: string): SimInstance {
    const inst = this.nodes().find((i) => (i.tags[TAG_NAME] ?? i.instanceId) === node);
    if (!inst) throw new Error(`node ${node} not found`);
    return inst;
  }

  /** A node as kubelet and metrics-server would show it: usage that moves with time, faults applied. */
  private reportNode(i: SimInstance): ReportedNode {
    const name = i.tags[TAG_NAME] ?? i.instanceId;
    const allocMilli = i.vcpus * 1000 - 100;
    const allocMiB = (i.vcpus * 4 - 1) * 1024;
    const phase = (parseInt(createHash('sha1').update(name).digest('hex').slice(0, 4), 16) / 0xffff) * 2 * Math.PI;
    const t = clock.now() / 60_000; // one slow wave every ~6 minutes, phase-shifted per node
    const forced = this.cloud.cpuOverrides.get(this.settings.clusterId);
    // Drained, it runs only its DaemonSet pods.
    const drained = this.drained.get(name) === i.instanceId;
    const load = drained ? 0.15 : 1;
    const cpuFraction = forced !== undefined ? forced / 100 : load * (0.3 + 0.15 * Math.sin(t + phase) + 0.05 * Math.random());
    const memFraction = load * (0.45 + 0.1 * Math.sin(t / 3 + phase));
    const kubelet = this.view.kubeletOf(i);
    // A baked image reports the OS of the base image it was made from.
    const image = SIM_IMAGES[this.baseImage(i)];
    const kernel = this.kernels.get(i.instanceId);
    const down = this.rebooting.get(name);
    const rebooting = down?.instanceId === i.instanceId;
    const conditions = CONDITIONS.map((type) => {
      // Down for a reboot, the kubelet posts nothing: the node controller's Unknown.
      if (type === 'Ready' && rebooting) return { type, status: 'Unknown' as const, reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: new Date(down!.since).toISOString() };
      const fault = this.cloud.nodeFaults.find((f) => f.node === name && f.condition === type);
      const status = fault?.status ?? HEALTHY[type]!;
      const reason = type === 'Ready' ? (status === 'True' ? 'KubeletReady' : 'KubeletNotReady') : status === 'True' ? `KubeletHas${type}` : `KubeletHasNo${type}`;
      const since = new Date(fault?.since ?? i.launchedAt).toISOString();
      return { type, status, reason, message: fault ? `simulated fault: ${type}=${status}` : type === 'Ready' ? 'kubelet is posting ready status' : `kubelet has no ${type}`, lastTransitionTime: since };
    });
    return {
      name,
      role: i.tags['strata:role'] === 'controlPlane' ? 'controlPlane' : 'worker',
      zone: i.zone,
      instanceType: i.instanceType,
      // What a cloud controller manager would set; the simulated cloud runs none, its agent knows the instance.
      providerID: `sim://${i.region}/${i.zone}/${i.instanceId}`,
      addresses: [{ type: 'InternalIP', address: i.privateIp }, { type: 'Hostname', address: name }],
      conditions,
      capacity: { cpu: String(i.vcpus), memory: `${i.vcpus * 4}Gi`, 'ephemeral-storage': '50Gi' },
      allocatable: { cpu: `${allocMilli}m`, memory: `${allocMiB}Mi`, 'ephemeral-storage': '46Gi' },
      usage: { cpu: `${Math.round(allocMilli * cpuFraction * 1e6)}n`, memory: `${Math.round(allocMiB * memFraction * 1024)}Ki`, disk: `${Math.round(46 * 0.3 * 1024)}Mi` },
      requests: { cpu: `${Math.round(allocMilli * 0.4 * load)}m`, memory: `${Math.round(allocMiB * 0.5 * load)}Mi` },
      ...(kubelet ? { kubeletVersion: kubelet } : {}),
      ...(image ?? {}),
      ...(kernel ? { kernelVersion: kernel } : {}),
      unschedulable: this.cordoned.get(name) === i.instanceId,
    };
  }

  /** Services of the installed packs, as their charts would make them. */
  private services(nodes: SimInstance[]): Heartbeat['services'] {
    const out: Heartbeat['services'] = [{ namespace: 'kube-system', name: 'kube-dns', type: 'ClusterIP', ports: [{ port: 53, protocol: 'UDP' }], ingress: [] }];
    const installed = (name: string) => this.installed.get(name)?.status === 'Installed';
    if (installed('prometheus-operator')) {
      out.push(
        { namespace: 'monitoring', name: 'grafana', type: 'LoadBalancer', ports: [{ name: 'http', port: 80, nodePort: 31080, protocol: 'TCP' }], ingress: [{ hostname: `grafana-${this.settings.clusterId}.elb.sim.strata.internal` }] },
        { namespace: 'monitoring', name: 'prometheus', type: 'NodePort', ports: [{ name: 'web', port: 9090, nodePort: 30090, protocol: 'TCP' }], ingress: [] },
      );
    }
    if (installed('cilium')) out.push({ namespace: 'kube-system', name: 'hubble-ui', type: 'NodePort', ports: [{ port: 80, nodePort: 31235, protocol: 'TCP' }], ingress: [] });
    return nodes.length ? out : [];
  }

  /** Install what the last answer asked for: a pack is Installing for one report, then Installed. */
  private applyDesired() {
    for (const p of this.desired.packs) {
      const have = this.installed.get(p.name);
      // New values are an upgrade of the release, as helm upgrade makes one.
      if (!have || have.version !== p.version || have.values !== p.values) this.installed.set(p.name, { version: p.version, values: p.values, status: 'Installing' });
      else if (have.status === 'Installing') this.installed.set(p.name, { version: p.version, values: p.values, status: 'Installed' });
    }
    for (const name of this.installed.keys()) if (!this.desired.packs.some((p) => p.name === name)) this.installed.delete(name);
    if ([...this.installed.values()].every((p) => p.status === 'Installed') && this.installed.size === this.desired.packs.length) {
      this.observedGeneration = this.desired.generation;
    } else if ([...this.installed.values()].some((p) => p.status === 'Installing')) {
      this.again = true; // report again right away, as installs finish
    }
  }
}

/** What a simulated command handler gets besides its arguments. */
interface SimCommandContext {
  /** A Running report (with the kind's progressResult when given), sent in order, before the outcome. */
  progress(percent: number, message: string, result?: unknown): void;
  readonly commandId: string;
}
/** A handler's result, now or later; a thrown SimFailure carries the Failed outcome's result, a SimDeclined sends none. */
type SimHandler = (args: Record<string, unknown>, context: SimCommandContext) => unknown;

/** Another agent of the cluster runs the command: this one reports nothing. */
class SimDeclined extends Error {}
class SimFailure extends Error {
  constructor(
    message: string,
    readonly result: unknown,
  ) {
    super(message);
  }
}

/** The simulated cloud's fault operation for a node's OS patch: PatchNode:<node> (local/faults.ts sets it). */
export const PATCH_FAULT = 'PatchNode:';
/** The simulated cloud's fault operation for a cluster's log collection: CollectLogs:<cluster> (local/faults.ts sets it). */
export const LOGS_FAULT = 'CollectLogs:';

type SimPackage = { readonly name: string; readonly from?: string; readonly to: string };
const same = (names: string[], from: string, to: string): SimPackage[] => names.map((name) => ({ name, from, to }));

/** Updates the Ubuntu archive offers each simulated image: groups of packages built from one source, and a kernel. */
const SIM_UPDATES: Record<string, { groups: SimPackage[][]; kernel: { image: string; version: string; packages: SimPackage[] } }> = {
  'sim-ubuntu-22.04': {
    groups: [
      same(['libssl3', 'openssl'], '3.0.2-0ubuntu1.18', '3.0.2-0ubuntu1.19'),
      same(['libc-bin', 'libc6'], '2.35-0ubuntu3.8', '2.35-0ubuntu3.9'),
      same(['tzdata'], '2024b-0ubuntu0.22.04.1', '2025a-0ubuntu0.22.04'),
      same(['curl', 'libcurl4'], '7.81.0-1ubuntu1.18', '7.81.0-1ubuntu1.20'),
      same(['sudo'], '1.9.9-1ubuntu2.4', '1.9.9-1ubuntu2.5'),
      same(['libsystemd0', 'systemd', 'systemd-sysv'], '249.11-0ubuntu3.12', '249.11-0ubuntu3.15'),
    ],
    kernel: {
      image: 'linux-image-5.15.0-140-generic',
      version: '5.15.0-140-generic',
      packages: [
        { name: 'linux-image-5.15.0-140-generic', to: '5.15.0-140.150' },
        { name: 'linux-modules-5.15.0-140-generic', to: '5.15.0-140.150' },
        { name: 'linux-image-generic', from: '5.15.0.131.129', to: '5.15.0.140.135' },
      ],
    },
  },
  'sim-ubuntu-24.04': {
    groups: [
      same(['libssl3t64', 'openssl'], '3.0.13-0ubuntu3.4', '3.0.13-0ubuntu3.5'),
      same(['libc-bin', 'libc6'], '2.39-0ubuntu8.3', '2.39-0ubuntu8.4'),
      same(['tzdata'], '2024b-0ubuntu0.24.04.1', '2025a-0ubuntu0.24.04'),
      same(['curl', 'libcurl4t64'], '8.5.0-2ubuntu10.6', '8.5.0-2ubuntu10.7'),
      same(['sudo'], '1.9.15p5-3ubuntu5', '1.9.15p5-3ubuntu5.24.04.1'),
      same(['libsystemd0', 'systemd', 'systemd-sysv'], '255.4-1ubuntu8.4', '255.4-1ubuntu8.6'),
    ],
    kernel: {
      image: 'linux-image-6.8.0-57-generic',
      version: '6.8.0-57-generic',
      packages: [
        { name: 'linux-image-6.8.0-57-generic', to: '6.8.0-57.59' },
        { name: 'linux-modules-6.8.0-57-generic', to: '6.8.0-57.59' },
        { name: 'linux-image-generic', from: '6.8.0-53.55', to: '6.8.0-57.59' },
      ],
    },
  },
};

const CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'];
const HEALTHY: Record<string, 'True' | 'False'> = { Ready: 'True', MemoryPressure: 'False', DiskPressure: 'False', PIDPressure: 'False', NetworkUnavailable: 'False' };
const SIM_AGENT_VERSION = 'sim-1.0.0';

/** What the simulated images hold, as their kubelet reports it in status.nodeInfo. */
const SIM_IMAGES: Record<string, Pick<ReportedNode, 'osImage' | 'kernelVersion' | 'containerRuntimeVersion'>> = {
  'sim-ubuntu-22.04': { osImage: 'Ubuntu 22.04.5 LTS', kernelVersion: '5.15.0-131-generic', containerRuntimeVersion: 'containerd://1.7.24' },
  'sim-ubuntu-24.04': { osImage: 'Ubuntu 24.04.2 LTS', kernelVersion: '6.8.0-53-generic', containerRuntimeVersion: 'containerd://1.7.24' },
};

/** What kubeadm runs with: init (its first bootstrap token and that token's ttl) or join (its discovery token). */
type KubeadmConfig = { readonly kind: 'init'; readonly token?: string; readonly ttlMs: number } | { readonly kind: 'join'; readonly token: string; readonly controlPlane: boolean };

function kubeadmConfig(text: string | undefined): KubeadmConfig | undefined {
  if (!text) return undefined;
  for (const doc of parseAllDocuments(text)) {
    const o = doc.toJS() as { kind?: unknown; bootstrapTokens?: { token?: unknown; ttl?: unknown }[]; discovery?: { bootstrapToken?: { token?: unknown } }; controlPlane?: unknown } | null;
    if (o?.kind === 'InitConfiguration') {
      const t = o.bootstrapTokens?.[0];
      return { kind: 'init', ...(typeof t?.token === 'string' ? { token: t.token } : {}), ttlMs: goDurationMs(t?.ttl) ?? JOIN_TOKEN_TTL_HOURS * 3_600_000 };
    }
    if (o?.kind === 'JoinConfiguration') return { kind: 'join', token: String(o.discovery?.bootstrapToken?.token ?? ''), controlPlane: o.controlPlane != null };
  }
  return undefined;
}

/** A Go duration as kubeadm writes a ttl (24h0m0s), in ms. */
function goDurationMs(v: unknown): number | undefined {
  const m = typeof v === 'string' ? /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v) : null;
  if (!m || !v) return undefined;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

/** Whether the API server takes the token: kubeadm init's or one createBootstrapToken made, unexpired. */
function tokenValid(state: SimClusterState, token: string, now: number): boolean {
  const m = /^([a-z0-9]{6})\.([a-z0-9]{16})$/.exec(token);
  if (!m) return false;
  if (state.initToken?.token === token && now < state.initToken.expiresAt) return true;
  const made = state.tokens.get(m[1]!);
  return made !== undefined && made.secret === m[2] && now < made.expiresAt;
}

/** ClusterConfiguration.kubernetesVersion of a kubeadm configuration (only kubeadm init's names one). */
function initKubernetesVersion(text: string | undefined): string | undefined {
  if (!text) return undefined;
  for (const doc of parseAllDocuments(text)) {
    const o = doc.toJS() as { kind?: unknown; kubernetesVersion?: unknown } | null;
    if (o?.kind === 'ClusterConfiguration' && typeof o.kubernetesVersion === 'string') return o.kubernetesVersion;
  }
  return undefined;
}
