import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { LogReadError, logPodOf, type LogOperations, type LogPod, type LogText } from './logs.js';
import { buildReport, itemsOf, type ClusterReport, type K8sNodeMetrics, type K8sPod } from './mapping.js';

/** What the agent reads the cluster through; the real one is {@link KubernetesSource}. */
export interface ClusterSource {
  /** Lists the cluster now. Rejects when the Kubernetes API cannot be read. */
  collect(): Promise<ClusterReport & { readonly caCertHash?: string }>;
}

export interface KubernetesSourceOptions {
  /** Page size of list calls (the API server's `limit`). @default 500 */
  readonly pageSize?: number;
  /** Called when node metrics cannot be read (no metrics-server): the report goes without usage. */
  readonly onMetricsError?: (err: unknown) => void;
}

const PAGE_SIZE = 500;
/** Finished pods hold no resources; the API server filters them out before they cross the wire. */
const ACTIVE_PODS = 'status.phase!=Succeeded,status.phase!=Failed';

/**
 * Reads nodes, pods, services and node metrics through @kubernetes/client-node and maps them with
 * the pure functions of mapping.ts. Lists are paged (limit/continue) so a large cluster is never
 * one huge response.
 */
export class KubernetesSource implements ClusterSource {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly pageSize: number;
  private caHash?: Promise<string | undefined>;

  constructor(
    private readonly kc: KubeConfig,
    private readonly options: KubernetesSourceOptions = {},
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.pageSize = options.pageSize ?? PAGE_SIZE;
  }

  async collect(): Promise<ClusterReport & { caCertHash?: string }> {
    const [nodes, pods, services, nodeMetrics, caCertHash] = await Promise.all([
      this.pages((_continue) => this.core.listNode({ limit: this.pageSize, _continue })),
      this.pages((_continue) => this.core.listPodForAllNamespaces({ limit: this.pageSize, _continue, fieldSelector: ACTIVE_PODS })),
      this.pages((_continue) => this.core.listServiceForAllNamespaces({ limit: this.pageSize, _continue })),
      this.nodeMetrics(),
      this.caCertHash(),
    ]);
    const report = buildReport({ nodes, pods, services, nodeMetrics });
    return caCertHash ? { ...report, caCertHash } : report;
  }

  /** metrics.k8s.io NodeMetrics, or undefined when the metrics API is not there (or fails). */
  private async nodeMetrics(): Promise<K8sNodeMetrics[] | undefined> {
    try {
      const list: unknown = await this.custom.listClusterCustomObject({ group: 'metrics.k8s.io', version: 'v1beta1', plural: 'nodes' });
      return itemsOf<K8sNodeMetrics>(list as { items?: K8sNodeMetrics[] });
    } catch (err) {
      this.options.onMetricsError?.(err);
      return undefined;
    }
  }

  private pages<T>(list: (continueToken: string | undefined) => Promise<{ items: T[]; metadata?: { _continue?: string } }>): Promise<T[]> {
    return allPages(list);
  }

  /** kubeadm's discovery hash of the cluster CA the kubeconfig trusts; computed once. */
  private caCertHash(): Promise<string | undefined> {
    this.caHash ??= caCertHashOf(this.kc).catch(() => undefined);
    return this.caHash;
  }
}

/**
 * `sha256:<hex>` of the CA certificate's DER SubjectPublicKeyInfo — the value `kubeadm join
 * --discovery-token-ca-cert-hash` expects — from the current cluster's CA (inline data or file).
 */
export async function caCertHashOf(kc: KubeConfig): Promise<string | undefined> {
  const cluster = kc.getCurrentCluster();
  let pem: string | undefined;
  if (cluster?.caData) pem = Buffer.from(cluster.caData, 'base64').toString('utf8');
  else if (cluster?.caFile) pem = await readFile(cluster.caFile, 'utf8');
  return pem ? caCertHash(pem) : undefined;
}

/** `sha256:<hex>` of a PEM certificate's public key (DER SubjectPublicKeyInfo), as kubeadm computes it. */
export function caCertHash(pem: string): string {
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

async function allPages<T>(list: (continueToken: string | undefined) => Promise<{ items: T[]; metadata?: { _continue?: string } }>): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const page = await list(token);
    out.push(...(page.items ?? []));
    token = page.metadata?._continue || undefined;
  } while (token);
  return out;
}

/** What an eviction came to: accepted, refused for now by a PodDisruptionBudget (429), or the pod was gone already (404). */
export type EvictionOutcome = { readonly outcome: 'evicted' | 'gone' } | { readonly outcome: 'blocked'; readonly reason: string; readonly retryAfterSeconds?: number };

/** What cordon and drain change on a cluster; the real one is {@link KubernetesNodeOperations}. */
export interface NodeOperations {
  /** The node's spec.unschedulable, or undefined when there is no such node. */
  node(name: string): Promise<{ readonly unschedulable: boolean } | undefined>;
  /** Sets spec.unschedulable. */
  setUnschedulable(name: string, unschedulable: boolean): Promise<void>;
  /** Every pod bound to the node, in any phase. */
  podsOn(node: string): Promise<K8sPod[]>;
  /** One policy/v1 Eviction; any answer but 2xx, 404 and 429 rejects. */
  evict(pod: { readonly namespace: string; readonly name: string }): Promise<EvictionOutcome>;
}

/** Node operations through @kubernetes/client-node. */
export class KubernetesNodeOperations implements NodeOperations {
  private readonly core: CoreV1Api;

  constructor(
    kc: KubeConfig,
    private readonly pageSize = PAGE_SIZE,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async node(name: string) {
    try {
      const n = await this.core.readNode({ name });
      return { unschedulable: n.spec?.unschedulable === true };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async setUnschedulable(name: string, unschedulable: boolean) {
    // A merge patch of the one field, as kubectl cordon does: nothing else of the node is touched.
    await this.core.patchNode({ name, body: { spec: { unschedulable } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  }

  podsOn(node: string): Promise<K8sPod[]> {
    const fieldSelector = `spec.nodeName=${node}`;
    return allPages((_continue) => this.core.listPodForAllNamespaces({ limit: this.pageSize, _continue, fieldSelector })) as Promise<K8sPod[]>;
  }

  async evict(pod: { namespace: string; name: string }): Promise<EvictionOutcome> {
    try {
      await this.core.createNamespacedPodEviction({
        name: pod.name,
        namespace: pod.namespace,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod.name, namespace: pod.namespace } },
      });
      return { outcome: 'evicted' };
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) return { outcome: 'gone' };
      if (status === 429) return { outcome: 'blocked', ...budgetRefusal(err) };
      throw err;
    }
  }
}

/** A Secret as the agent reads it: its type and its data, decoded. */
export interface SecretData {
  readonly type?: string;
  readonly data: Readonly<Record<string, string>>;
}

/** The Secrets the agent makes (bootstrap tokens); the real one is {@link KubernetesSecretOperations}. */
export interface SecretOperations {
  /** Creates the Secret from its string data; 'exists' when one of that name is there already (409). */
  create(namespace: string, secret: { readonly name: string; readonly type: string; readonly stringData: Readonly<Record<string, string>> }): Promise<'created' | 'exists'>;
  /** The Secret, or undefined when there is none of that name. */
  read(namespace: string, name: string): Promise<SecretData | undefined>;
}

/** Secret operations through @kubernetes/client-node. */
export class KubernetesSecretOperations implements SecretOperations {
  private readonly core: CoreV1Api;

  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async create(namespace: string, secret: { name: string; type: string; stringData: Record<string, string> }) {
    try {
      await this.core.createNamespacedSecret({
        namespace,
        body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: secret.name, namespace }, type: secret.type, stringData: { ...secret.stringData } },
      });
      return 'created' as const;
    } catch (err) {
      if (statusOf(err) === 409) return 'exists' as const;
      throw err;
    }
  }

  async read(namespace: string, name: string): Promise<SecretData | undefined> {
    try {
      const s = await this.core.readNamespacedSecret({ name, namespace });
      const data = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      return { ...(s.type ? { type: s.type } : {}), data };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }
}

/** A ConfigMap as the agent reads it: its data, and the resourceVersion a conditional write names. */
export interface ConfigMapData {
  readonly resourceVersion: string;
  readonly data: Readonly<Record<string, string>>;
}

/** The ConfigMaps the agent changes (kubeadm's ClusterConfiguration); the real one is {@link KubernetesConfigMapOperations}. */
export interface ConfigMapOperations {
  /** The ConfigMap, or undefined when there is none of that name. */
  read(namespace: string, name: string): Promise<ConfigMapData | undefined>;
  /**
   * Sets one key of its data, nothing else of it, only if it is still at `resourceVersion`:
   * 'conflict' when it changed since it was read (409), so the caller reads it again.
   */
  setKey(namespace: string, name: string, key: string, value: string, resourceVersion: string): Promise<'updated' | 'conflict'>;
}

/** ConfigMap operations through @kubernetes/client-node. */
export class KubernetesConfigMapOperations implements ConfigMapOperations {
  private readonly core: CoreV1Api;

  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async read(namespace: string, name: string): Promise<ConfigMapData | undefined> {
    try {
      const cm = await this.core.readNamespacedConfigMap({ name, namespace });
      return { resourceVersion: cm.metadata?.resourceVersion ?? '', data: { ...cm.data } };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async setKey(namespace: string, name: string, key: string, value: string, resourceVersion: string) {
    if (!resourceVersion) throw new Error(`configmap ${namespace}/${name} has no resourceVersion: a write could not be made conditional on it`);
    try {
      // A merge patch naming the resourceVersion read: the API server applies it only to that version (409 otherwise), and touches no other key.
      await this.core.patchNamespacedConfigMap(
        { name, namespace, body: { metadata: { resourceVersion }, data: { [key]: value } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      return 'updated' as const;
    } catch (err) {
      if (statusOf(err) === 409) return 'conflict' as const;
      throw err;
    }
  }
}

/** The HTTP status of a client-node error (ApiException's code), if it has one. */
export const statusOf = (err: unknown): number | undefined => {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
};

/** Why the API server refused an eviction with 429 (its Status names the budget), and when to ask again. */
function budgetRefusal(err: unknown): { reason: string; retryAfterSeconds?: number } {
  const e = err as { body?: unknown; headers?: Record<string, string> };
  let status: { message?: unknown; details?: { causes?: { message?: unknown }[]; retryAfterSeconds?: unknown } } | undefined;
  try {
    status = typeof e.body === 'string' ? JSON.parse(e.body) : (e.body as typeof status);
  } catch {
    status = undefined;
  }
  const cause = status?.details?.causes?.find((c) => typeof c?.message === 'string')?.message as string | undefined;
  const message = typeof status?.message === 'string' ? status.message : 'the eviction was refused (429)';
  const after = Number(status?.details?.retryAfterSeconds ?? e.headers?.['retry-after']);
  return { reason: (cause ?? message).slice(0, 300), ...(Number.isFinite(after) && after > 0 ? { retryAfterSeconds: after } : {}) };
}

/** kubeadm's admin kubeconfig: where an agent run as a systemd service on a control-plane node finds the cluster. */
export const KUBEADM_ADMIN_CONF = '/etc/kubernetes/admin.conf';

/**
 * The agent's KubeConfig: in a pod (KUBERNETES_SERVICE_HOST set) its service account; elsewhere
 * KUBECONFIG or ~/.kube/config (loadFromDefault), or, failing both, kubeadm's admin.conf, as on
 * a control-plane node where the agent runs as the strata-agent systemd service.
 */
export function loadKubeConfig(env: NodeJS.ProcessEnv = process.env, adminConf: string = KUBEADM_ADMIN_CONF): KubeConfig {
  const kc = new KubeConfig();
  if (env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else if (!env.KUBECONFIG && !existsSync(join(homedir(), '.kube', 'config')) && existsSync(adminConf)) kc.loadFromFile(adminConf);
  else kc.loadFromDefault();
  return kc;
}

/**
 * GET a path of the API server as text, authenticated as the KubeConfig says (token or client
 * certificate), streaming: only the newest `maxBytes` are kept, so a huge log never fills memory.
 * Anything but 200 rejects with a LogReadError carrying the status and the API server's message.
 */
export async function kubeGetText(kc: KubeConfig, path: string, query: Record<string, string | number | boolean | undefined>, options: { readonly signal: AbortSignal; readonly maxBytes: number }): Promise<LogText> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new LogReadError('the kubeconfig names no cluster server');
  const url = new URL(server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  const opts: RequestOptions & { headers: Record<string, string> } = { method: 'GET', headers: { accept: 'text/plain, application/json' } };
  await kc.applyToHTTPSOptions(opts as Parameters<KubeConfig['applyToHTTPSOptions']>[0]);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<LogText>((resolve, reject) => {
    const req = send(url, { ...opts, signal: options.signal }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let held = 0;
      let cut = false;
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        held += c.length;
        // Drop the oldest chunks while the rest still holds maxBytes.
        while (chunks.length > 1 && held - chunks[0]!.length >= options.maxBytes) {
          held -= chunks.shift()!.length;
          cut = true;
        }
      });
      res.on('error', reject);
      res.on('end', () => {
        let body = Buffer.concat(chunks);
        if (res.statusCode !== 200) return reject(new LogReadError(`${res.statusCode}: ${statusMessage(body.toString('utf8'))}`, res.statusCode));
        if (body.length > options.maxBytes) {
          body = body.subarray(body.length - options.maxBytes);
          // Start at a whole line.
          const nl = body.indexOf(0x0a);
          if (nl >= 0) body = body.subarray(nl + 1);
          cut = true;
        }
        resolve({ text: body.toString('utf8'), cut });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The message of a Kubernetes Status body, or the text. */
function statusMessage(body: string): string {
  try {
    const m = (JSON.parse(body) as { message?: unknown })?.message;
    if (typeof m === 'string') return m.slice(0, 500);
  } catch {
    // not a Status
  }
  return body.trim().slice(0, 300) || 'no message';
}

/** Log collection through the Kubernetes API (agent/logs.ts). */
export class KubernetesLogOperations implements LogOperations {
  private readonly core: CoreV1Api;

  constructor(
    private readonly kc: KubeConfig,
    private readonly pageSize = PAGE_SIZE,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async pods(namespace: string): Promise<LogPod[]> {
    try {
      const pods = await allPages((_continue) => this.core.listNamespacedPod({ namespace, limit: this.pageSize, _continue }));
      return pods.map((p) => logPodOf({ ...p, metadata: { ...p.metadata, namespace: p.metadata?.namespace ?? namespace } }));
    } catch (err) {
      if (statusOf(err) === 404) return [];
      throw err;
    }
  }

  async nodes(): Promise<string[]> {
    const nodes = await allPages((_continue) => this.core.listNode({ limit: this.pageSize, _continue }));
    return nodes.map((n) => n.metadata?.name ?? '').filter(Boolean);
  }

  podLog(namespace: string, pod: string, container: string, o: { sinceSeconds: number; tailLines: number; previous: boolean; signal: AbortSignal; maxBytes: number }) {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`;
    return kubeGetText(this.kc, path, { container, sinceSeconds: o.sinceSeconds, tailLines: o.tailLines, ...(o.previous ? { previous: true } : {}) }, o);
  }

  nodeLog(node: string, query: string, o: { sinceTime: string; tailLines: number; signal: AbortSignal; maxBytes: number }) {
    return kubeGetText(this.kc, `/api/v1/nodes/${encodeURIComponent(node)}/proxy/logs/`, { query, sinceTime: o.sinceTime, tailLines: o.tailLines }, o);
  }
}
