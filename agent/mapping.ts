import { NodeAddress, NodeFacts, ReportedNode, ReportedService, ServiceIngress, ServicePort } from '../core/agent-protocol.js';
import { usageBeyondCapacity } from '../core/agent-report.js';
import { bytes, cpuNanocores } from '../core/quantity.js';
import { cleanText } from '../core/text.js';

/**
 * Pure mapping from raw Kubernetes objects (the JSON the API server returns, or the same objects
 * as @kubernetes/client-node deserializes them) to the agent protocol's `nodes` and `services`.
 * Nothing here does I/O, so every rule is testable against recorded objects.
 *
 * The input types are structural and lenient on purpose: fields may be missing or null (as in
 * YAML with an empty key), and quantities may be numbers (YAML `cpu: 1`).
 */

type Maybe<T> = T | null | undefined;
type Quantities = Maybe<Readonly<Record<string, Maybe<string | number>>>>;

export interface K8sMeta {
  readonly name?: Maybe<string>;
  readonly namespace?: Maybe<string>;
  readonly uid?: Maybe<string>;
  readonly labels?: Maybe<Readonly<Record<string, string>>>;
  readonly annotations?: Maybe<Readonly<Record<string, string>>>;
  readonly ownerReferences?: Maybe<readonly Maybe<{ readonly kind?: Maybe<string>; readonly name?: Maybe<string>; readonly controller?: Maybe<boolean> }>[]>;
  readonly deletionTimestamp?: Maybe<string | Date>;
}

export interface K8sNodeInfo {
  readonly kubeletVersion?: Maybe<string>;
  readonly osImage?: Maybe<string>;
  readonly kernelVersion?: Maybe<string>;
  readonly containerRuntimeVersion?: Maybe<string>;
}

export interface K8sNode {
  readonly metadata?: Maybe<K8sMeta>;
  readonly spec?: Maybe<{ readonly providerID?: Maybe<string>; readonly unschedulable?: Maybe<boolean> }>;
  readonly status?: Maybe<{
    readonly nodeInfo?: Maybe<K8sNodeInfo>;
    readonly addresses?: Maybe<readonly Maybe<{ readonly type?: Maybe<string>; readonly address?: Maybe<string> }>[]>;
    readonly conditions?: Maybe<
      readonly Maybe<{
        readonly type?: Maybe<string>;
        readonly status?: Maybe<string>;
        readonly reason?: Maybe<string>;
        readonly message?: Maybe<string>;
        readonly lastTransitionTime?: Maybe<string | Date>;
      }>[]
    >;
    readonly capacity?: Quantities;
    readonly allocatable?: Quantities;
  }>;
}

export interface K8sContainer {
  readonly name?: Maybe<string>;
  readonly restartPolicy?: Maybe<string>;
  readonly resources?: Maybe<{ readonly requests?: Quantities }>;
}

export interface K8sPod {
  readonly metadata?: Maybe<K8sMeta>;
  readonly spec?: Maybe<{
    readonly nodeName?: Maybe<string>;
    readonly containers?: Maybe<readonly Maybe<K8sContainer>[]>;
    readonly initContainers?: Maybe<readonly Maybe<K8sContainer>[]>;
    /** Pod-level resources (PodLevelResources): when set for a resource, they replace the containers' sum. */
    readonly resources?: Maybe<{ readonly requests?: Quantities }>;
    /** RuntimeClass overhead, added on top of the requests. */
    readonly overhead?: Quantities;
    readonly volumes?: Maybe<readonly Maybe<{ readonly name?: Maybe<string>; readonly emptyDir?: Maybe<object> }>[]>;
  }>;
  readonly status?: Maybe<{ readonly phase?: Maybe<string> }>;
}

export interface K8sServicePort {
  readonly name?: Maybe<string>;
  readonly port?: Maybe<number>;
  readonly nodePort?: Maybe<number>;
  readonly protocol?: Maybe<string>;
}

export interface K8sService {
  readonly metadata?: Maybe<K8sMeta>;
  readonly spec?: Maybe<{ readonly type?: Maybe<string>; readonly ports?: Maybe<readonly Maybe<K8sServicePort>[]> }>;
  readonly status?: Maybe<{
    readonly loadBalancer?: Maybe<{ readonly ingress?: Maybe<readonly Maybe<{ readonly ip?: Maybe<string>; readonly hostname?: Maybe<string> }>[]> }>;
  }>;
}

export interface K8sNodeMetrics {
  readonly metadata?: Maybe<K8sMeta>;
  readonly usage?: Quantities;
}

/** Anything with `items`: a NodeList, PodList, `kind: List`, NodeMetricsList… */
export interface K8sList<T> {
  readonly items?: Maybe<readonly Maybe<T>[]>;
}

/** Requests of a pod or a node: CPU in nanocores, memory in bytes. */
export interface Requests {
  readonly cpu: bigint;
  readonly memory: bigint;
}

// Schema limits of the protocol (core/agent-protocol.ts); a report over them would be refused whole.
const LIMITS = { name: 253, reason: 200, message: 2000, addresses: 20, conditions: 50, quantity: 64, ports: 100, ingress: 20 } as const;
export const MAX_NODES = 5000;
export const MAX_SERVICES = 5000;

const ROLE_LABELS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];
const ZONE_LABELS = ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'];
const INSTANCE_TYPE_LABELS = ['node.kubernetes.io/instance-type', 'beta.kubernetes.io/instance-type'];
const REPORTED_QUANTITIES = ['cpu', 'memory', 'ephemeral-storage'] as const;
const CONDITION_STATUSES = new Set(['True', 'False', 'Unknown']);
const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

/** Clipped to the protocol's limit, control characters and lone surrogates made harmless. */
const clip = (s: string, max: number) => cleanText(s.length > max ? s.slice(0, max) : s);
const nonEmpty = (s: Maybe<string>): s is string => typeof s === 'string' && s.length > 0;
const firstLabel = (labels: Maybe<Readonly<Record<string, string>>>, keys: readonly string[]) =>
  keys.map((k) => labels?.[k]).find(nonEmpty);

/** Items of a List (or a lone object, as some recorded files hold), without null entries. */
export function itemsOf<T>(listOrObject: Maybe<K8sList<T> | T>): T[] {
  if (listOrObject === null || listOrObject === undefined) return [];
  if (typeof listOrObject === 'object' && 'items' in listOrObject) {
    const items = (listOrObject as K8sList<T>).items;
    return (items ?? []).filter((i): i is T => i !== null && i !== undefined);
  }
  return [listOrObject as T];
}

/** 'controlPlane' when the node carries a control-plane (or legacy master) role label. */
export function nodeRole(node: K8sNode): ReportedNode['role'] {
  const labels = node.metadata?.labels;
  return labels && ROLE_LABELS.some((k) => k in labels) ? 'controlPlane' : 'worker';
}

/** cpu, memory and ephemeral-storage, as the node states them (original quantity text). */
function pickQuantities(q: Quantities): Record<string, string> | undefined {
  if (!q) return undefined;
  const out: Record<string, string> = {};
  for (const key of REPORTED_QUANTITIES) {
    const v = q[key];
    if (v !== null && v !== undefined && String(v).length > 0) out[key] = clip(String(v), LIMITS.quantity);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Node conditions; entries without a type are dropped, an unknown status reads as Unknown. */
function mapConditions(node: K8sNode): ReportedNode['conditions'] {
  return (node.status?.conditions ?? [])
    .filter((c) => c !== null && c !== undefined && nonEmpty(c.type))
    .slice(0, LIMITS.conditions)
    .map((c) => {
      const status = (c!.status && CONDITION_STATUSES.has(c!.status) ? c!.status : 'Unknown') as 'True' | 'False' | 'Unknown';
      return {
        type: clip(c!.type!, 100),
        status,
        ...(nonEmpty(c!.reason) ? { reason: clip(c!.reason, LIMITS.reason) } : {}),
        ...(nonEmpty(c!.message) ? { message: clip(c!.message, LIMITS.message) } : {}),
        ...transitionTime(c!.lastTransitionTime),
      };
    });
}

/** The API server's RFC 3339 time (client-node may hand a Date), as ISO 8601; anything unreadable is left out. */
function transitionTime(t: Maybe<string | Date>): { lastTransitionTime?: string } {
  if (t === null || t === undefined) return {};
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isFinite(ms) ? { lastTransitionTime: new Date(ms).toISOString() } : {};
}

/**
 * Addresses the protocol knows (an IP for the IP kinds, a DNS name for the others); an empty one
 * (an ExternalIP the cloud left blank) or an odd one is no address.
 */
function mapAddresses(node: K8sNode): ReportedNode['addresses'] {
  const out: ReportedNode['addresses'] = [];
  for (const a of node.status?.addresses ?? []) {
    const parsed = NodeAddress.safeParse(a);
    if (parsed.success) out.push(parsed.data);
    if (out.length >= LIMITS.addresses) break;
  }
  return out;
}

/**
 * status.nodeInfo's versions, each only when the protocol takes it: an odd one is left out, not
 * the node. (instanceType and zone come from labels, see mapNode.)
 */
export function nodeFacts(node: K8sNode): Pick<ReportedNode, keyof typeof NodeFacts> {
  const info = node.status?.nodeInfo;
  const out: Partial<Record<keyof typeof NodeFacts, string>> = {};
  for (const key of Object.keys(NodeFacts) as (keyof typeof NodeFacts)[]) {
    const value = info?.[key];
    if (nonEmpty(value) && NodeFacts[key].safeParse(value).success) out[key] = value;
  }
  return out;
}

/**
 * One node as the protocol reports it. `usage` comes from metrics.k8s.io, `requests` from the
 * node's pods (see {@link nodeRequests}); both are omitted when unknown.
 */
export function mapNode(node: K8sNode, extra: { usage?: { cpu?: string; memory?: string }; requests?: Requests } = {}): ReportedNode | undefined {
  const name = node.metadata?.name;
  if (!nonEmpty(name) || name.length > LIMITS.name) return undefined;
  const labels = node.metadata?.labels;
  const zone = firstLabel(labels, ZONE_LABELS);
  const instanceType = firstLabel(labels, INSTANCE_TYPE_LABELS);
  const capacity = pickQuantities(node.status?.capacity);
  const allocatable = pickQuantities(node.status?.allocatable);
  const providerID = node.spec?.providerID;
  const mapped: ReportedNode = {
    name,
    role: nodeRole(node),
    ...(zone && LABEL_VALUE.test(zone) ? { zone } : {}),
    ...(instanceType && LABEL_VALUE.test(instanceType) ? { instanceType } : {}),
    // Empty until the cloud controller manager initialises the node; an odd one is left out, not the node.
    ...(nonEmpty(providerID) && ReportedNode.shape.providerID.safeParse(providerID).success ? { providerID } : {}),
    addresses: mapAddresses(node),
    conditions: mapConditions(node),
    ...(capacity ? { capacity } : {}),
    ...(allocatable ? { allocatable } : {}),
    ...plausibleUsage(extra.usage, capacity),
    ...(extra.requests ? { requests: formatRequests(extra.requests) } : {}),
    ...nodeFacts(node),
    unschedulable: node.spec?.unschedulable === true,
  };
  // The platform refuses a whole report for one bad node: send only what its own schema accepts.
  const checked = ReportedNode.safeParse(mapped);
  return checked.success ? checked.data : undefined;
}

const LABEL_VALUE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Usage as metrics.k8s.io states it, less any figure above the node's capacity (beyond the
 * platform's margin): a metrics glitch, which the platform would refuse, is reported as unknown.
 */
function plausibleUsage(usage: { cpu?: string; memory?: string } | undefined, capacity: Record<string, string> | undefined): { usage?: { cpu?: string; memory?: string } } {
  if (!usage) return {};
  const out = { ...usage };
  try {
    for (const over of usageBeyondCapacity({ usage, capacity })) delete out[over.field as 'cpu' | 'memory'];
  } catch {
    return {}; // a quantity that does not parse: the node schema check drops it anyway
  }
  return out.cpu || out.memory ? { usage: out } : {};
}

const ZERO: Requests = { cpu: 0n, memory: 0n };
const add = (a: Requests, b: Requests): Requests => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory });
const max = (a: Requests, b: Requests): Requests => ({ cpu: a.cpu > b.cpu ? a.cpu : b.cpu, memory: a.memory > b.memory ? a.memory : b.memory });

function parseOr0(parse: (q: string | number) => bigint, q: Maybe<string | number>): bigint {
  if (q === null || q === undefined || q === '') return 0n;
  try {
    return parse(q);
  } catch {
    return 0n; // the API server only stores valid quantities; a recorded oddity counts as nothing
  }
}

/** CPU and memory of a resource list, exactly. */
export function requestsOf(list: Quantities): Requests {
  return { cpu: parseOr0(cpuNanocores, list?.cpu), memory: parseOr0(bytes, list?.memory) };
}

/**
 * The requests the scheduler accounts a pod for, as Kubernetes' own `PodRequests` computes them:
 * the sum of the app containers and of the restartable init containers (native sidecars, which run
 * for the pod's whole life), or the largest of the init phases if higher (each regular init
 * container runs alone, next to the sidecars started before it); pod-level requests replace the
 * containers' figure for the resources they set; RuntimeClass overhead is added on top.
 */
export function podRequests(pod: K8sPod): Requests {
  const spec = pod.spec;
  let sum = (spec?.containers ?? []).reduce<Requests>((acc, c) => add(acc, requestsOf(c?.resources?.requests)), ZERO);
  let sidecars = ZERO;
  let initPhases = ZERO;
  for (const c of spec?.initContainers ?? []) {
    const r = requestsOf(c?.resources?.requests);
    if (c?.restartPolicy === 'Always') {
      sum = add(sum, r);
      sidecars = add(sidecars, r);
      initPhases = max(initPhases, sidecars);
    } else {
      initPhases = max(initPhases, add(r, sidecars));
    }
  }
  let total = max(sum, initPhases);
  const podLevel = spec?.resources?.requests;
  if (podLevel?.cpu !== undefined && podLevel.cpu !== null) total = { ...total, cpu: parseOr0(cpuNanocores, podLevel.cpu) };
  if (podLevel?.memory !== undefined && podLevel.memory !== null) total = { ...total, memory: parseOr0(bytes, podLevel.memory) };
  return add(total, requestsOf(spec?.overhead));
}

/**
 * Requests per node: every pod bound to a node (spec.nodeName) that is not finished (phase
 * Succeeded or Failed: the scheduler no longer counts those). Unscheduled pods count nowhere.
 */
export function nodeRequests(pods: Iterable<K8sPod>): Map<string, Requests> {
  const out = new Map<string, Requests>();
  for (const pod of pods) {
    const node = pod.spec?.nodeName;
    if (!nonEmpty(node) || TERMINAL_PHASES.has(pod.status?.phase ?? '')) continue;
    out.set(node, add(out.get(node) ?? ZERO, podRequests(pod)));
  }
  return out;
}

/** Exact quantity text: CPU as nanocores ('2150000000n'), memory as bytes ('5368709120'). */
export function formatRequests(r: Requests): { cpu: string; memory: string } {
  return { cpu: `${r.cpu}n`, memory: `${r.memory}` };
}

/** Node usage from metrics.k8s.io NodeMetrics, by node name, as the metrics API states it. */
export function nodeUsage(metrics: Iterable<K8sNodeMetrics>): Map<string, { cpu?: string; memory?: string }> {
  const out = new Map<string, { cpu?: string; memory?: string }>();
  for (const m of metrics) {
    const name = m.metadata?.name;
    if (!nonEmpty(name)) continue;
    const cpu = m.usage?.cpu;
    const memory = m.usage?.memory;
    out.set(name, {
      ...(cpu !== null && cpu !== undefined ? { cpu: clip(String(cpu), LIMITS.quantity) } : {}),
      ...(memory !== null && memory !== undefined ? { memory: clip(String(memory), LIMITS.quantity) } : {}),
    });
  }
  return out;
}

/** A Service of type LoadBalancer or NodePort; anything else (ClusterIP, ExternalName, no type) is not reported. */
export function mapService(svc: K8sService): ReportedService | undefined {
  const type = svc.spec?.type;
  if (type !== 'LoadBalancer' && type !== 'NodePort') return undefined;
  const name = svc.metadata?.name;
  if (!nonEmpty(name) || name.length > LIMITS.name) return undefined;
  const namespace = nonEmpty(svc.metadata?.namespace) ? svc.metadata.namespace : 'default';
  const ports: ReportedService['ports'] = [];
  for (const p of svc.spec?.ports ?? []) {
    if (!isPort(p?.port)) continue;
    const parsed = ServicePort.safeParse({
      ...(nonEmpty(p!.name) ? { name: p!.name } : {}),
      port: p!.port,
      ...(isPort(p!.nodePort) ? { nodePort: p!.nodePort } : {}),
      ...(nonEmpty(p!.protocol) ? { protocol: p!.protocol } : {}), // TCP by default, as the API server's
    });
    if (parsed.success) ports.push(parsed.data);
    if (ports.length >= LIMITS.ports) break;
  }
  const ingress = type === 'LoadBalancer' ? mapIngress(svc) : [];
  const checked = ReportedService.safeParse({ namespace, name, type, ports, ingress });
  return checked.success ? checked.data : undefined;
}

const isPort = (n: Maybe<number>): n is number => Number.isInteger(n) && n! >= 1 && n! <= 65535;

/** Load balancer addresses that a link can open: an IP or a DNS name, each checked; `{}` is nothing to link to. */
function mapIngress(svc: K8sService): ReportedService['ingress'] {
  const out: ReportedService['ingress'] = [];
  for (const i of svc.status?.loadBalancer?.ingress ?? []) {
    const ip = nonEmpty(i?.ip) && ServiceIngress.shape.ip.safeParse(i.ip).success ? i.ip : undefined;
    const hostname = nonEmpty(i?.hostname) && ServiceIngress.shape.hostname.safeParse(i.hostname).success ? i.hostname : undefined;
    if (ip || hostname) out.push({ ...(ip ? { ip } : {}), ...(hostname ? { hostname } : {}) });
    if (out.length >= LIMITS.ingress) break;
  }
  return out;
}

export interface RawCluster {
  readonly nodes: Iterable<K8sNode>;
  readonly pods: Iterable<K8sPod>;
  readonly services: Iterable<K8sService>;
  /** NodeMetrics; absent when metrics.k8s.io is not served (no metrics-server). */
  readonly nodeMetrics?: Iterable<K8sNodeMetrics>;
}

export interface ClusterReport {
  readonly nodes: ReportedNode[];
  readonly services: ReportedService[];
}

/** The whole report from what the Kubernetes API listed. */
export function buildReport(raw: RawCluster): ClusterReport {
  const requests = nodeRequests(raw.pods);
  const usage = raw.nodeMetrics ? nodeUsage(raw.nodeMetrics) : new Map<string, { cpu?: string; memory?: string }>();
  const nodes: ReportedNode[] = [];
  for (const n of raw.nodes) {
    const name = n.metadata?.name ?? '';
    const mapped = mapNode(n, { usage: usage.get(name), requests: requests.get(name) ?? ZERO });
    if (mapped) nodes.push(mapped);
    if (nodes.length >= MAX_NODES) break;
  }
  const services: ReportedService[] = [];
  for (const s of raw.services) {
    const mapped = mapService(s);
    if (mapped) services.push(mapped);
    if (services.length >= MAX_SERVICES) break;
  }
  return { nodes, services };
}
