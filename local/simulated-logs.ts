import { createHash } from 'node:crypto';
import type { ManifestMissing } from '../core/log-bundles.js';
import { lastLines, type BundleFile, type CollectLogsArgs } from '../agent/logs.js';

/**
 * The logs of a simulated cluster, as a kubeadm cluster's would read: the kube-system pods (static
 * control-plane pods per control-plane node, kube-proxy per node, two CoreDNS replicas, Cilium's
 * pods when Cilium is the CNI; Calico runs in calico-system under its operator) in each
 * component's own format (klog for Kubernetes' components, zap JSON for etcd, CoreDNS's and
 * Cilium's), the agent's own JSON lines, and kubelet and containerd journal lines per node. Lines
 * fall between the request's sinceMinutes and now (never before the node booted), deterministic for
 * a cluster, node and time; each file holds at most maxLines, the newest.
 */

export interface SimLogNode {
  readonly name: string;
  readonly role: 'controlPlane' | 'worker';
  readonly ip: string;
  /** Clock ms the node booted: no container's log starts before. */
  readonly bootedAt: number;
  readonly kubeletVersion?: string;
}

export interface SimLogCluster {
  readonly clusterId: string;
  readonly nodes: readonly SimLogNode[];
  /** The CNI pack's name (calico, cilium). */
  readonly cni?: string;
  /** The simulated agent's own JSON log lines, oldest first. */
  readonly agentLog: readonly string[];
  /** The agent's name in its log file's name. */
  readonly agentName: string;
  /** Clock ms. */
  readonly now: number;
}

/** A pseudo-random stream from a seed (mulberry32): the same lines each time for the same cluster, file and time. */
function random(seed: string): () => number {
  let a = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rng: () => number, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const suffix = (seed: string, n: number) => {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const rng = random(seed);
  return Array.from({ length: n }, () => pick(rng, [...alphabet])).join('');
};
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** klog's header: Lmmdd hh:mm:ss.uuuuuu threadid file:line] */
export function klogLine(severity: 'I' | 'W' | 'E', t: number, thread: number, source: string, message: string): string {
  const d = new Date(t);
  const micros = pad(d.getUTCMilliseconds(), 3) + subMs(t);
  return `${severity}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${micros} ${String(thread).padStart(7)} ${source}] ${message}`;
}

/** journalctl's short-precise prefix, as the kubelet's node log query prints it (UTC). */
const journal = (t: number, host: string, unit: string, pid: number, line: string) => {
  const d = new Date(t);
  return `${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}${subMs(t)} ${host} ${unit}[${pid}]: ${line}`;
};

/** What one line's template gets: the time, a random source and the cluster around it. */
interface LineContext {
  readonly t: number;
  readonly rng: () => number;
  readonly node: SimLogNode;
  readonly nodes: readonly SimLogNode[];
  readonly pods: readonly string[];
}

/** A log: lines about every `everyMs` (jittered) from the start, startup lines first. */
interface Stream {
  readonly everyMs: number;
  readonly startup: (c: LineContext) => string[];
  readonly line: (c: LineContext) => string;
}

/** Digits below the millisecond, as a clock with microseconds would show them (steady for a time). */
const subMs = (t: number, digits = 3) => pad(Math.floor(t * 7919) % 10 ** digits, digits);

/**
 * The lines of a stream between max(since, start) and now: only the newest maxLines are made, and
 * truncated says older ones (within the window) were left out.
 */
function render(stream: Stream, seed: string, start: number, since: number, now: number, maxLines: number, ctx: Omit<LineContext, 't' | 'rng'>): { text: string; truncated: boolean } {
  // A container that has not started yet has no log; one that just did has its startup lines.
  if (start > now) return { text: '', truncated: false };
  const from = Math.max(since, start);
  const startup = start >= since ? stream.startup({ ...ctx, t: start, rng: random(`${seed}/startup`) }) : [];
  // Line k falls in [start + k·every, start + (k + 0.8)·every): k from the window's start to the last wholly before now.
  const first = Math.max(1, Math.ceil((from - start) / stream.everyMs));
  const last = Math.floor((now - start) / stream.everyMs) - 1;
  const total = startup.length + Math.max(0, last - first + 1);
  const skip = Math.max(0, total - maxLines);
  const lines = startup.slice(skip);
  for (let k = first + Math.max(0, skip - startup.length); k <= last; k++) {
    const rng = random(`${seed}/${k}`);
    lines.push(stream.line({ ...ctx, t: start + k * stream.everyMs + Math.floor(rng() * stream.everyMs * 0.8), rng }));
  }
  return { text: lines.length ? `${lines.join('\n')}\n` : '', truncated: skip > 0 };
}

const ms = (rng: () => number, max: number) => `${(rng() * max).toFixed(rng() < 0.5 ? 2 : 1)}ms`;
const serviceIp = (rng: () => number) => `10.96.${Math.floor(rng() * 255)}.${1 + Math.floor(rng() * 250)}`;
const podIp = (rng: () => number, nodes: readonly SimLogNode[]) => `10.244.${Math.floor(rng() * Math.max(1, nodes.length))}.${2 + Math.floor(rng() * 200)}`;

function apiserver(version: string): Stream {
  return {
    everyMs: 20_000,
    startup: (c) => [
      klogLine('I', c.t, 1, 'options.go:228', `external host was not specified, using ${c.node.ip}`),
      klogLine('I', c.t + 3, 1, 'server.go:142', `Version: ${version}`),
      klogLine('I', c.t + 5, 1, 'server.go:144', '"Golang settings" GOGC="" GOMAXPROCS="" GOTRACEBACK=""'),
      klogLine('I', c.t + 900, 1, 'secure_serving.go:213', 'Serving securely on [::]:6443'),
      klogLine('I', c.t + 1400, 1, 'storage_scheduling.go:111', 'all system priority classes are created successfully or already exist.'),
    ],
    line: (c) =>
      pick(c.rng, [
        () => klogLine('I', c.t, 1, 'controller.go:615', `quota admission added evaluator for: ${pick(c.rng, ['leases.coordination.k8s.io', 'endpoints', 'events.events.k8s.io', 'serviceaccounts', 'replicasets.apps'])}`),
        () => klogLine('I', c.t, 1, 'alloc.go:330', `"allocated clusterIPs" service="${pick(c.rng, ['default/web', 'monitoring/grafana', 'kube-system/metrics-server'])}" clusterIPs={"IPv4":"${serviceIp(c.rng)}"}`),
        () => klogLine('I', c.t, 1, 'cidrallocator.go:277', '"updated ClusterIP allocator for Service CIDR" CIDR="10.96.0.0/12"'),
        () => klogLine('W', c.t, 1, 'lease.go:265', `Resetting endpoints for master service "kubernetes" to [${c.nodes.filter((n) => n.role === 'controlPlane').map((n) => n.ip).join(' ')}]`),
        () => klogLine('I', c.t, 1, 'handler.go:286', 'Adding GroupVersion metrics.k8s.io v1beta1 to ResourceManager'),
      ])(),
  };
}

function controllerManager(): Stream {
  return {
    everyMs: 30_000,
    startup: (c) => [
      klogLine('I', c.t, 1, 'serving.go:386', 'Generated self-signed cert in-memory'),
      klogLine('I', c.t + 400, 1, 'leaderelection.go:254', 'attempting to acquire leader lease kube-system/kube-controller-manager...'),
      klogLine('I', c.t + 2100, 1, 'leaderelection.go:268', 'successfully acquired lease kube-system/kube-controller-manager'),
      klogLine('I', c.t + 2300, 1, 'controllermanager.go:797', '"Started controller" controller="node-lifecycle-controller"'),
    ],
    line: (c) => {
      const node = pick(c.rng, c.nodes).name;
      const pod = pick(c.rng, c.pods);
      return pick(c.rng, [
        () => klogLine('I', c.t, 1, 'range_allocator.go:241', `"Successfully synced" logger="node-ipam-controller" key="${node}"`),
        () => klogLine('I', c.t, 1, 'replica_set.go:679', `"Finished syncing" logger="replicaset-controller" kind="ReplicaSet" key="${pod.replace(/-[a-z0-9]{5}$/, '')}" duration="${(c.rng() * 90).toFixed(1)}µs"`),
        () => klogLine('I', c.t, 1, 'event.go:389', `"Event occurred" object="default/web" fieldPath="" kind="Deployment" apiVersion="apps/v1" type="Normal" reason="ScalingReplicaSet" message="Scaled up replica set web-5d8f7c9b4 to ${1 + Math.floor(c.rng() * 3)}"`),
        () => klogLine('I', c.t, 1, 'garbagecollector.go:826', '"failed to discover some groups" logger="garbage-collector-controller" groups="map[metrics.k8s.io/v1beta1:stale GroupVersion discovery: metrics.k8s.io/v1beta1]"'),
        () => klogLine('I', c.t, 1, 'node_lifecycle_controller.go:1234', `"Node is ready" logger="node-lifecycle-controller" node="${node}"`),
      ])();
    },
  };
}

function scheduler(): Stream {
  return {
    everyMs: 45_000,
    startup: (c) => [
      klogLine('I', c.t, 1, 'serving.go:386', 'Generated self-signed cert in-memory'),
      klogLine('I', c.t + 600, 1, 'leaderelection.go:254', 'attempting to acquire leader lease kube-system/kube-scheduler...'),
      klogLine('I', c.t + 2400, 1, 'leaderelection.go:268', 'successfully acquired lease kube-system/kube-scheduler'),
    ],
    line: (c) => {
      const workers = c.nodes.filter((n) => n.role === 'worker');
      const node = pick(c.rng, workers.length ? workers : c.nodes).name;
      return c.rng() < 0.85
        ? klogLine('I', c.t, 1, 'schedule_one.go:314', `"Successfully bound pod to node" pod="default/web-5d8f7c9b4-${suffix(`${c.t}`, 5)}" node="${node}" evaluatedNodes=${c.nodes.length} feasibleNodes=${Math.max(1, workers.length)}`)
        : klogLine('W', c.t, 1, 'reflector.go:561', 'k8s.io/client-go/informers/factory.go:160: watch of *v1.Pod ended with: an error on the server ("unable to decode an event from the watch stream: http2: response body closed") has prevented the request from succeeding');
    },
  };
}

function kubeProxy(): Stream {
  return {
    everyMs: 30_000,
    startup: (c) => [
      klogLine('I', c.t, 1, 'server_linux.go:66', '"Using iptables proxy"'),
      klogLine('I', c.t + 20, 1, 'server.go:677', `"Successfully retrieved node IP(s)" IPs=["${c.node.ip}"]`),
      klogLine('I', c.t + 60, 1, 'config.go:199', '"Starting service config controller"'),
      klogLine('I', c.t + 61, 1, 'shared_informer.go:313', 'Waiting for caches to sync for service config'),
      klogLine('I', c.t + 180, 1, 'shared_informer.go:320', 'Caches are synced for service config'),
    ],
    line: (c) => klogLine('I', c.t, 1, 'proxier.go:805', `"SyncProxyRules complete" ipFamily="IPv4" elapsed="${ms(c.rng, 40)}"`),
  };
}

function etcd(memberId: string): Stream {
  const json = (t: number, caller: string, msg: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ level: 'info', ts: new Date(t).toISOString().replace('Z', `${subMs(t)}Z`), caller, msg, ...extra });
  return {
    everyMs: 60_000,
    startup: (c) => [
      json(c.t, 'etcdmain/etcd.go:73', 'Running: ', { args: ['etcd', `--advertise-client-urls=https://${c.node.ip}:2379`, '--data-dir=/var/lib/etcd', `--name=${c.node.name}`] }),
      json(c.t + 40, 'embed/etcd.go:599', 'serving peer traffic', { address: '[::]:2380' }),
      json(c.t + 700, 'etcdserver/server.go:2068', 'published local member to cluster through raft', { 'local-member-id': memberId }),
    ],
    line: (c) => {
      const rev = Math.floor((c.t - c.node.bootedAt) / 1000) * 3 + 1200;
      return pick(c.rng, [
        () => json(c.t, 'mvcc/index.go:214', 'compact tree index', { revision: rev }),
        () =>
          json(c.t, 'mvcc/kvstore_compaction.go:69', 'finished scheduled compaction', {
            'compact-revision': rev,
            took: ms(c.rng, 9),
            hash: Math.floor(c.rng() * 4e9),
            'current-db-size-bytes': 2_457_600,
            'current-db-size': '2.5 MB',
          }),
        () => json(c.t, 'etcdserver/server.go:1440', 'triggering snapshot', { 'local-member-id': memberId, 'local-member-applied-index': rev * 2, 'local-member-snapshot-count': 10000 }),
      ])();
    },
  };
}

function coredns(): Stream {
  return {
    everyMs: 15_000,
    startup: () => ['.:53', '[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908', 'CoreDNS-1.11.3', 'linux/amd64, go1.21.11, a6338e9'],
    line: (c) => {
      const name = pick(c.rng, ['kubernetes.default.svc.cluster.local.', 'web.default.svc.cluster.local.', 'grafana.monitoring.svc.cluster.local.', 'api.github.com.']);
      const type = pick(c.rng, ['A', 'AAAA']);
      const rcode = name.endsWith('.com.') || type === 'A' ? 'NOERROR' : 'NXDOMAIN';
      return `[INFO] ${podIp(c.rng, c.nodes)}:${32768 + Math.floor(c.rng() * 28000)} - ${Math.floor(c.rng() * 65535)} "${type} IN ${name} udp ${40 + name.length} false 512" ${rcode} qr,aa,rd ${90 + Math.floor(c.rng() * 60)} ${(c.rng() * 0.0009).toFixed(6)}s`;
    },
  };
}

function cilium(): Stream {
  const line = (t: number, msg: string, subsys: string) => `time="${new Date(t).toISOString()}" level=info msg="${msg}" subsys=${subsys}`;
  return {
    everyMs: 40_000,
    startup: (c) => [line(c.t, 'Cilium 1.17.4 d1a1b4f1 2025-05-12T10:00:00+00:00 go version go1.24.3 linux/amd64', 'daemon'), line(c.t + 2000, 'Daemon initialization completed', 'daemon')],
    line: (c) =>
      pick(c.rng, [
        () => line(c.t, 'Rewrote endpoint BPF program', 'endpoint'),
        () => line(c.t, `Policy imported via API, recalculating... policyAddRequest=${suffix(`${c.t}`, 8)}`, 'daemon'),
        () => line(c.t, `Node updated clusterName=default nodeName=${pick(c.rng, c.nodes).name}`, 'nodemanager'),
      ])(),
  };
}

function kubelet(version: string, pods: readonly string[]): Stream {
  return {
    everyMs: 20_000,
    startup: (c) => [
      klogLine('I', c.t, 812, 'server.go:486', `"Kubelet version" kubeletVersion="${version}"`),
      klogLine('I', c.t + 40, 812, 'kubelet.go:2380', '"Starting kubelet main sync loop"'),
      klogLine('I', c.t + 900, 812, 'kubelet_node_status.go:75', `"Successfully registered node" node="${c.node.name}"`),
    ],
    line: (c) => {
      const pod = pick(c.rng, pods.length ? pods : ['kube-system/kube-proxy']);
      return pick(c.rng, [
        () => klogLine('I', c.t, 812, 'kubelet.go:2407', `"SyncLoop (PLEG): event for pod" pod="${pod}" event={"Type":"ContainerStarted"}`),
        () => klogLine('I', c.t, 812, 'pod_startup_latency_tracker.go:104', `"Observed pod startup duration" pod="${pod}" podStartSLOduration=${(1 + c.rng() * 4).toFixed(6)}`),
        () => klogLine('I', c.t, 812, 'reconciler_common.go:245', `"operationExecutor.VerifyControllerAttachedVolume started for volume \\"kube-api-access\\"" pod="${pod}"`),
        () => klogLine('W', c.t, 812, 'container_gc.go:88', '"Attempting to delete unused containers"'),
      ])();
    },
  };
}

function containerd(): Stream {
  const line = (t: number, level: string, msg: string) => `time="${new Date(t).toISOString().replace('Z', '')}${subMs(t, 6)}Z" level=${level} msg="${msg}"`;
  return {
    everyMs: 30_000,
    startup: (c) => [line(c.t, 'info', 'starting containerd" revision=88bf19b2105c8b17560993bee28a01ddc2f97182 version=1.7.24'), line(c.t + 300, 'info', 'containerd successfully booted in 0.041s')],
    line: (c) =>
      pick(c.rng, [
        () => line(c.t, 'info', `ImageCreate event name:\\"registry.k8s.io/pause:3.10\\"`),
        () => line(c.t, 'info', `StartContainer for \\"${suffix(`${c.t}`, 12)}\\" returns successfully`),
        () => line(c.t, 'info', `RunPodSandbox for &PodSandboxMetadata{Name:web-5d8f7c9b4-${suffix(`${c.t}`, 5)},Namespace:default,Attempt:0,}`),
      ])(),
  };
}

interface SimPod {
  readonly name: string;
  readonly node: SimLogNode;
  readonly containers: readonly { readonly name: string; readonly stream: Stream }[];
}

/** The kube-system pods a kubeadm cluster of these nodes runs, named as their controllers name them. */
export function kubeSystemPods(cluster: Pick<SimLogCluster, 'clusterId' | 'nodes' | 'cni'>): SimPod[] {
  const id = cluster.clusterId;
  const version = cluster.nodes.find((n) => n.kubeletVersion)?.kubeletVersion ?? 'v1.31.10';
  const pods: SimPod[] = [];
  const controlPlane = cluster.nodes.filter((n) => n.role === 'controlPlane');
  for (const cp of controlPlane) {
    pods.push(
      { name: `etcd-${cp.name}`, node: cp, containers: [{ name: 'etcd', stream: etcd(createHash('sha256').update(cp.name).digest('hex').slice(0, 16)) }] },
      { name: `kube-apiserver-${cp.name}`, node: cp, containers: [{ name: 'kube-apiserver', stream: apiserver(version) }] },
      { name: `kube-controller-manager-${cp.name}`, node: cp, containers: [{ name: 'kube-controller-manager', stream: controllerManager() }] },
      { name: `kube-scheduler-${cp.name}`, node: cp, containers: [{ name: 'kube-scheduler', stream: scheduler() }] },
    );
  }
  for (const n of cluster.nodes) pods.push({ name: `kube-proxy-${suffix(`${id}/${n.name}/kube-proxy`, 5)}`, node: n, containers: [{ name: 'kube-proxy', stream: kubeProxy() }] });
  const rs = suffix(`${id}/coredns`, 10).replace(/^(.{10}).*/, '$1');
  for (let i = 0; i < 2 && cluster.nodes.length; i++) {
    const node = controlPlane[i % Math.max(1, controlPlane.length)] ?? cluster.nodes[0]!;
    pods.push({ name: `coredns-${rs}-${suffix(`${id}/coredns/${i}`, 5)}`, node, containers: [{ name: 'coredns', stream: coredns() }] });
  }
  if (cluster.cni === 'cilium') {
    for (const n of cluster.nodes) pods.push({ name: `cilium-${suffix(`${id}/${n.name}/cilium`, 5)}`, node: n, containers: [{ name: 'cilium-agent', stream: cilium() }] });
    if (controlPlane[0]) pods.push({ name: `cilium-operator-${suffix(`${id}/cilium-operator`, 10)}-${suffix(`${id}/cilium-operator/0`, 5)}`, node: controlPlane[0], containers: [{ name: 'cilium-operator', stream: cilium() }] });
  }
  return pods;
}

/** The files and missing entries of a simulated cluster's bundle for the request. */
export function simulatedLogFiles(cluster: SimLogCluster, request: CollectLogsArgs): { files: BundleFile[]; missing: ManifestMissing[] } {
  const files: BundleFile[] = [];
  const missing: ManifestMissing[] = [];
  const since = cluster.now - request.sinceMinutes * 60_000;
  const pods = kubeSystemPods(cluster);
  const podNames = pods.map((p) => `kube-system/${p.name}`);
  const ctx = (node: SimLogNode) => ({ node, nodes: cluster.nodes, pods: podNames });
  if (request.types.includes('kube-system')) {
    for (const pod of pods) {
      for (const c of pod.containers) {
        const seed = `${cluster.clusterId}/${pod.name}/${c.name}`;
        const out = render(c.stream, seed, pod.node.bootedAt + 20_000, since, cluster.now, request.maxLines, ctx(pod.node));
        files.push({ path: `kube-system/${pod.name}/${c.name}.log`, type: 'kube-system', node: pod.node.name, pod: `kube-system/${pod.name}`, container: c.name, content: out.text, truncated: out.truncated });
      }
    }
  }
  if (request.types.includes('platform')) {
    const recent = cluster.agentLog.filter((l) => {
      const t = Date.parse(/"time":"([^"]+)"/.exec(l)?.[1] ?? '');
      return !Number.isFinite(t) || t >= since;
    });
    const kept = lastLines(recent.length ? `${recent.join('\n')}\n` : '', request.maxLines);
    files.push({ path: `platform/strata-agent-${cluster.agentName}.log`, type: 'platform', source: 'strata-agent', content: kept.text, truncated: kept.truncated || recent.length < cluster.agentLog.length });
  }
  if (request.types.includes('node')) {
    const wanted = request.nodes ?? cluster.nodes.slice(0, 50).map((n) => n.name);
    for (const name of wanted) {
      const node = cluster.nodes.find((n) => n.name === name);
      if (!node) {
        missing.push({ type: 'node', target: name, reason: `no node named ${name} in the cluster` });
        continue;
      }
      const onNode = podNames.filter((_, i) => pods[i]!.node.name === name);
      const sources = [
        { source: 'kubelet', pid: 812, stream: kubelet(node.kubeletVersion ?? 'v1.31.10', onNode) },
        { source: 'containerd', pid: 640, stream: containerd() },
      ];
      for (const s of sources) {
        const seed = `${cluster.clusterId}/${name}/${s.source}`;
        const out = render({ ...s.stream, line: (c) => journal(c.t, name, s.source, s.pid, s.stream.line(c)), startup: (c) => s.stream.startup(c).map((l, i) => journal(c.t + i * 10, name, s.source, s.pid, l)) }, seed, node.bootedAt + 5_000, since, cluster.now, request.maxLines, ctx(node));
        files.push({ path: `nodes/${name}/${s.source}.log`, type: 'node', node: name, source: s.source, content: out.text, truncated: out.truncated });
      }
    }
  }
  return { files, missing };
}
