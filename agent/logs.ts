import { hostname } from 'node:os';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { parseAgentArgs, type AgentArgs } from '../core/agent-commands.js';
import { DnsName } from '../core/agent-protocol.js';
import { LOG_BUNDLE_MAX_BYTES, LOG_MAX_NODES, LogManifest, MANIFEST_PATH, UploadForm, type ManifestFile, type ManifestMissing } from '../core/log-bundles.js';
import { cleanText } from '../core/text.js';
import type { Clock } from './agent.js';
import { CommandDeclined, DEADLINE_MARGIN_MS, type CommandContext } from './commands.js';

/**
 * Log bundles (core/log-bundles.ts), the agent's side: collect kube-system pod logs, the agent's
 * own log lines (and the strata-system pods), and the nodes' kubelet and containerd journals
 * through the kubelet's node log query; pack them with a manifest into one tar.gz; ask the
 * platform for a presigned POST form and upload. The simulated agent (local/) shares the
 * archive, the form request and the upload.
 */

export type CollectLogsArgs = AgentArgs<'collectLogs'>;

/** The Strata agent API as a command sees it: a request with the agent's current token. */
export interface AgentApi {
  /** POST a JSON text (sent as it is). */
  post(path: string, json: string, options?: { readonly signal?: AbortSignal }): Promise<Response>;
}

/** One file of a bundle before it is packed: what the manifest says of it, and its content. */
export type BundleFile = Omit<ManifestFile, 'bytes' | 'lines'> & { readonly content: Buffer | string };

/** Namespace of the platform's own workloads, collected with the platform logs when it exists. */
export const PLATFORM_NAMESPACE = 'strata-system';
export const KUBE_SYSTEM = 'kube-system';
/** The journals the node logs hold, as the kubelet's node log query names them. */
export const NODE_LOG_SOURCES = ['kubelet', 'containerd'] as const;
/** Reads in flight at once: enough to finish a large cluster in time, few enough not to load the API server. */
export const LOG_READ_CONCURRENCY = 8;
/** Longest one read may take. */
export const LOG_READ_TIMEOUT_MS = 30_000;
/** Kept for asking the upload form and uploading, after collection stops. */
export const UPLOAD_RESERVE_MS = 120_000;
/**
 * Most bytes kept of one file (its newest), and of all files together: the archive must stay
 * under the upload cap (logs compress about 10:1), and the agent shares its control-plane node
 * with etcd and the API server, so a collection holds at most this much in memory.
 */
export const LOG_FILE_MAX_BYTES = 16 * 1024 * 1024;
export const LOG_BUNDLE_MAX_RAW_BYTES = 128 * 1024 * 1024;
/** The kubelet's node log query refuses more tail lines than this. */
export const NODE_LOG_MAX_TAIL_LINES = 100_000;
/** Lines of its own log the agent keeps in memory for the platform logs. */
export const AGENT_LOG_RING_LINES = 20_000;

const MAX_LIST = 20_000;

/** Lines of text: a final line without its newline counts. */
export function countLines(text: string | Buffer): number {
  const s = typeof text === 'string' ? text : text.toString('utf8');
  if (s.length === 0) return 0;
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return s.endsWith('\n') ? n : n + 1;
}

/** The newest `maxLines` lines of a text (ending in a newline when it has any), and whether older ones were left out. */
export function lastLines(text: string, maxLines: number): { text: string; lines: number; truncated: boolean } {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const kept = lines.slice(Math.max(0, lines.length - maxLines));
  return { text: kept.length ? `${kept.join('\n')}\n` : '', lines: kept.length, truncated: kept.length < lines.length };
}

/** A reason the manifest can carry: clean text of 1 to 1000 characters. */
export const missingReason = (reason: string) => cleanText(reason).trim().slice(0, 1000) || 'unknown';
const missing = (type: ManifestMissing['type'], target: string, reason: string): ManifestMissing => ({ type, target: target.slice(0, 512), reason: missingReason(reason) });

export interface BundleHeader {
  readonly requestId: string;
  readonly clusterId: string;
  readonly agentVersion: string;
  /** Clock ms. */
  readonly collectedAt: number;
  readonly request: CollectLogsArgs;
}

/**
 * The archive: manifest.json first (checked against LogManifest, so the platform never receives
 * one it refuses), then the files in the order given. Rejects a bundle whose manifest is invalid.
 */
export async function buildLogArchive(header: BundleHeader, files: readonly BundleFile[], missingItems: readonly ManifestMissing[], options: { gzipLevel?: number } = {}) {
  const contents = files.map((f) => (typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content));
  const { request } = header;
  const parsed = LogManifest.safeParse({
    requestId: header.requestId,
    clusterId: header.clusterId,
    collectedAt: new Date(header.collectedAt).toISOString(),
    agentVersion: header.agentVersion.slice(0, 64),
    request: { types: [...request.types], ...(request.nodes ? { nodes: [...request.nodes] } : {}), sinceMinutes: request.sinceMinutes, maxLines: request.maxLines },
    files: files.map(({ content: _c, ...f }, i) => ({ ...f, bytes: contents[i]!.length, lines: countLines(contents[i]!) })),
    missing: missingItems,
  });
  if (!parsed.success) throw new Error(`the bundle's manifest is not valid: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const manifest = parsed.data;
  const mtime = new Date(header.collectedAt);
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  const entry = (name: string, content: Buffer) => archive.entry({ name, mode: 0o644, mtime, uid: 0, gid: 0 }, content);
  entry(MANIFEST_PATH, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
  files.forEach((f, i) => entry(f.path, contents[i]!));
  archive.finalize();
  await done;
  return { archive: gzipSync(Buffer.concat(chunks), { level: options.gzipLevel ?? 6 }), manifest };
}

/**
 * POST /agent/v1/logs/{requestId}/upload: the presigned form for an archive of `bytes`. A 413 says
 * the archive is over the cap, a 409 or 410 that the request is no longer open (expired, done).
 */
export async function requestUploadForm(api: AgentApi, requestId: string, bytes: number, signal?: AbortSignal): Promise<UploadForm> {
  const res = await api.post(`/agent/v1/logs/${encodeURIComponent(requestId)}/upload`, JSON.stringify({ bytes }), signal ? { signal } : {});
  const text = await res.text().catch(() => '');
  const detail = messageOf(text);
  if (res.status === 413) throw new Error(`the archive is ${bytes} bytes, over the platform's cap${detail ? `: ${detail}` : ''}`);
  if (res.status === 409 || res.status === 410) throw new Error(`log request ${requestId} is no longer open (${res.status})${detail ? `: ${detail}` : ''}`);
  if (!res.ok) throw new Error(`asking for the upload form: HTTP ${res.status}${detail ? `: ${detail}` : ''}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error('the upload form is not JSON');
  }
  const form = UploadForm.safeParse(body);
  if (!form.success) throw new Error(`unexpected upload form: ${form.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if (!/^https?:\/\//.test(form.data.url)) throw new Error(`the upload form's url is not http(s): ${form.data.url.slice(0, 200)}`);
  return form.data;
}

/**
 * The presigned POST: multipart/form-data with every field of the form first, then the archive as
 * the field named file (S3 ignores anything after it). S3 answers 204 (or 201/200 when the form
 * asks for it); anything else is a failure with S3's own code and message.
 */
export async function uploadArchive(form: UploadForm, archive: Buffer, fileName: string, options: { fetch?: typeof fetch; signal?: AbortSignal } = {}): Promise<void> {
  const body = new FormData();
  for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
  body.append('file', new Blob([new Uint8Array(archive)], { type: 'application/gzip' }), fileName);
  const res = await (options.fetch ?? globalThis.fetch)(form.url, { method: 'POST', body, ...(options.signal ? { signal: options.signal } : {}) });
  if (res.status === 204 || res.status === 201 || res.status === 200) {
    await res.arrayBuffer().catch(() => undefined);
    return;
  }
  const text = await res.text().catch(() => '');
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  throw new Error(`the upload was refused: HTTP ${res.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : text && !code ? `: ${text.slice(0, 300)}` : ''}`);
}

/** The `message` of a JSON error body, or the text itself (short). */
function messageOf(text: string): string {
  try {
    const m = (JSON.parse(text) as { message?: unknown })?.message;
    if (typeof m === 'string') return m.slice(0, 500);
  } catch {
    // not JSON
  }
  return text.trim().slice(0, 300);
}

/** A pod's containers as log collection sees them. */
export interface LogPod {
  readonly namespace: string;
  readonly name: string;
  readonly node?: string;
  readonly phase?: string;
  readonly containers: readonly LogContainer[];
}

export interface LogContainer {
  readonly name: string;
  /** running, terminated (a log to read), waiting (never started: none), unknown (no status yet). */
  readonly state: 'running' | 'terminated' | 'waiting' | 'unknown';
  readonly waitingReason?: string;
  readonly restartCount: number;
}

/** Why a read failed: the API server's status when it answered. */
export class LogReadError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LogReadError';
  }
}

/** A log as read: its text (the newest `maxBytes` at most) and whether bytes were cut to fit. */
export interface LogText {
  readonly text: string;
  readonly cut: boolean;
}

export interface LogReadOptions {
  readonly tailLines: number;
  readonly signal: AbortSignal;
  readonly maxBytes: number;
}

/** What log collection reads the cluster through; the real one is KubernetesLogOperations (agent/kubernetes-source.ts). */
export interface LogOperations {
  /** Pods of a namespace; none when the namespace does not exist. */
  pods(namespace: string, signal: AbortSignal): Promise<LogPod[]>;
  /** Names of the cluster's nodes. */
  nodes(signal: AbortSignal): Promise<string[]>;
  /** GET …/pods/{pod}/log. Rejects with a LogReadError. */
  podLog(namespace: string, pod: string, container: string, options: LogReadOptions & { readonly sinceSeconds: number; readonly previous: boolean }): Promise<LogText>;
  /** The kubelet's node log query: GET /api/v1/nodes/{node}/proxy/logs/?query=… Rejects with a LogReadError. */
  nodeLog(node: string, query: string, options: LogReadOptions & { readonly sinceTime: string }): Promise<LogText>;
}

/** A container status of the API (V1ContainerStatus, loosely). */
interface StatusLike {
  readonly name?: string | null;
  readonly restartCount?: number | null;
  readonly state?: { readonly running?: unknown; readonly terminated?: unknown; readonly waiting?: { readonly reason?: string | null } | null } | null;
}

/** A pod of the API (V1Pod, loosely) as log collection sees it: every init and app container, with its state. */
export function logPodOf(pod: {
  metadata?: { name?: string | null; namespace?: string | null } | null;
  spec?: { nodeName?: string | null; containers?: readonly ({ name?: string | null } | null)[] | null; initContainers?: readonly ({ name?: string | null } | null)[] | null } | null;
  status?: { phase?: string | null; containerStatuses?: readonly (StatusLike | null)[] | null; initContainerStatuses?: readonly (StatusLike | null)[] | null } | null;
}): LogPod {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c?.name).filter((n): n is string => !!n);
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}),
    ...(pod.status?.phase ? { phase: pod.status.phase } : {}),
    containers: names.map((name) => {
      const s = statuses.find((x) => x?.name === name);
      const st = s?.state;
      const state = st?.running ? 'running' : st?.terminated ? 'terminated' : st?.waiting ? 'waiting' : 'unknown';
      return { name, state, ...(st?.waiting?.reason ? { waitingReason: st.waiting.reason } : {}), restartCount: s?.restartCount ?? 0 };
    }),
  };
}

/** A bounded ring of the agent's own log lines (JSON, one a line), for the platform logs. */
export class LogRing {
  private readonly buffer: string[] = [];
  private start = 0;

  constructor(readonly capacity: number = AGENT_LOG_RING_LINES) {}

  push(line: string) {
    const l = line.length > 8192 ? `${line.slice(0, 8192)}…` : line;
    if (this.buffer.length < this.capacity) this.buffer.push(l);
    else {
      this.buffer[this.start] = l;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** Oldest first. */
  lines(): string[] {
    return [...this.buffer.slice(this.start), ...this.buffer.slice(0, this.start)];
  }
}

/** The agent's own lines of the last `sinceMs` (by their "time" field; a line without one is kept), newest maxLines. */
export function agentLogFile(lines: readonly string[], sinceMs: number, maxLines: number): { text: string; truncated: boolean } {
  const recent = lines.filter((l) => {
    const m = /"time":"([^"]+)"/.exec(l);
    const t = m ? Date.parse(m[1]!) : NaN;
    return !Number.isFinite(t) || t >= sinceMs;
  });
  const kept = lastLines(recent.length ? `${recent.join('\n')}\n` : '', maxLines);
  return { text: kept.text, truncated: kept.truncated || recent.length < lines.length };
}

export interface CollectDeps {
  readonly logs: LogOperations;
  readonly clock: Pick<Clock, 'now'>;
  /** The agent's own recent log lines (oldest first). */
  readonly ownLog: () => readonly string[];
  /** This agent, in its platform log's file name. @default os.hostname() */
  readonly holder?: string;
  /** @default LOG_READ_CONCURRENCY */
  readonly concurrency?: number;
  /** @default LOG_READ_TIMEOUT_MS */
  readonly readTimeoutMs?: number;
}

/** RFC 3339 in whole seconds, as the kubelet's node log query reads sinceTime. */
const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** A file name's segment: what the manifest's paths allow. */
const segment = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 253) || '_';

/**
 * Collects what the request asks for into files and a list of what could not be read, and why.
 * Nothing that fails aborts the bundle: a container that never started, a node that does not exist
 * or whose log query is off (403/404), a read that times out all land in `missing`. At most
 * `concurrency` reads run at once; none starts after `until` (clock ms), those left are missing
 * saying the time ran out. Each file holds at most maxLines lines (the newest; truncated when cut).
 */
export async function collectLogFiles(deps: CollectDeps, request: CollectLogsArgs, until: number, signal: AbortSignal): Promise<{ files: BundleFile[]; missing: ManifestMissing[] }> {
  const { logs, clock } = deps;
  const files: BundleFile[] = [];
  const miss: ManifestMissing[] = [];
  const readTimeout = deps.readTimeoutMs ?? LOG_READ_TIMEOUT_MS;
  const now = clock.now();
  const sinceMs = now - request.sinceMinutes * 60_000;
  // One line more than kept: whether the API had more to give.
  const tailLines = Math.min(request.maxLines + 1, NODE_LOG_MAX_TAIL_LINES);
  let rawBytes = 0;
  const tasks: { target: string; type: ManifestMissing['type']; run: (signal: AbortSignal) => Promise<void> }[] = [];

  const keep = (file: Omit<BundleFile, 'content' | 'truncated'>, read: LogText) => {
    const cut = lastLines(read.text, request.maxLines);
    const bytes = Buffer.byteLength(cut.text);
    if (rawBytes + bytes > LOG_BUNDLE_MAX_RAW_BYTES) return miss.push(missing(file.type, file.path, `left out: the bundle reached ${LOG_BUNDLE_MAX_RAW_BYTES} bytes of logs`));
    rawBytes += bytes;
    // With tailLines at the query's own cap, a full answer may have been cut by it.
    const full = tailLines === request.maxLines && cut.lines === request.maxLines;
    files.push({ ...file, content: cut.text, truncated: cut.truncated || read.cut || full });
  };
  const why = (err: unknown) => {
    if (err instanceof LogReadError) return err.message;
    const e = err as { name?: string; message?: string };
    if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `timed out after ${Math.round(readTimeout / 1000)} s`;
    return e?.message ?? String(err);
  };

  const podTasks = (type: ManifestMissing['type'], pods: readonly LogPod[]) => {
    for (const pod of pods) {
      const podName = `${pod.namespace}/${pod.name}`;
      // Only what the manifest takes: one bad field would refuse the whole bundle.
      const node = pod.node && DnsName.safeParse(pod.node).success ? pod.node : undefined;
      if (pod.containers.length === 0) miss.push(missing(type, podName, `pod ${pod.phase ?? 'without status'}: no containers`));
      for (const c of pod.containers) {
        const target = `${podName}/${c.name}`;
        const base = { type, pod: podName, container: c.name, ...(node ? { node } : {}) };
        const dir = `${segment(pod.namespace)}/${segment(pod.name)}`;
        const read = (previous: boolean) => async (s: AbortSignal) => {
          const path = `${dir}/${segment(c.name)}${previous ? '-previous' : ''}.log`;
          try {
            keep({ ...base, path }, await logs.podLog(pod.namespace, pod.name, c.name, { sinceSeconds: request.sinceMinutes * 60, tailLines, previous, signal: s, maxBytes: LOG_FILE_MAX_BYTES }));
          } catch (err) {
            miss.push(missing(type, previous ? `${target} (previous)` : target, why(err)));
          }
        };
        if (c.state === 'waiting' || c.state === 'unknown') {
          const reason = c.state === 'waiting' ? `container waiting${c.waitingReason ? `: ${c.waitingReason}` : ''}` : `container not started (pod ${pod.phase ?? 'without status'})`;
          miss.push(missing(type, target, reason));
        } else tasks.push({ target, type, run: read(false) });
        if (c.restartCount > 0) tasks.push({ target: `${target} (previous)`, type, run: read(true) });
      }
    }
  };

  const listed = async <T>(type: ManifestMissing['type'], target: string, list: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await list();
    } catch (err) {
      miss.push(missing(type, target, `listing: ${why(err)}`));
      return undefined;
    }
  };
  const listSignal = () => AbortSignal.any([signal, AbortSignal.timeout(readTimeout)]);

  if (request.types.includes('kube-system')) {
    podTasks('kube-system', (await listed('kube-system', KUBE_SYSTEM, () => logs.pods(KUBE_SYSTEM, listSignal()))) ?? []);
  }
  if (request.types.includes('platform')) {
    const own = agentLogFile(deps.ownLog(), sinceMs, request.maxLines);
    files.push({ path: `platform/strata-agent-${segment(deps.holder ?? hostname())}.log`, type: 'platform', source: 'strata-agent', content: own.text, truncated: own.truncated });
    podTasks('platform', (await listed('platform', PLATFORM_NAMESPACE, () => logs.pods(PLATFORM_NAMESPACE, listSignal()))) ?? []);
  }
  if (request.types.includes('node')) {
    const all = await listed('node', 'nodes', () => logs.nodes(listSignal()));
    if (all) {
      const wanted = request.nodes ?? all.slice(0, LOG_MAX_NODES);
      if (!request.nodes && all.length > LOG_MAX_NODES) miss.push(missing('node', 'nodes', `${all.length - LOG_MAX_NODES} node(s) left out: a bundle holds at most ${LOG_MAX_NODES} nodes' logs; name the nodes to collect others`));
      for (const node of wanted) {
        if (!all.includes(node)) {
          miss.push(missing('node', node, `no node named ${node} in the cluster`));
          continue;
        }
        for (const source of NODE_LOG_SOURCES) {
          tasks.push({
            target: `${node}/${source}`,
            type: 'node',
            run: async (s) => {
              try {
                const read = await logs.nodeLog(node, source, { sinceTime: rfc3339(sinceMs), tailLines, signal: s, maxBytes: LOG_FILE_MAX_BYTES });
                keep({ path: `nodes/${segment(node)}/${source}.log`, type: 'node', node, source }, read);
              } catch (err) {
                const status = err instanceof LogReadError ? err.status : undefined;
                const off =
                  status === 403 || status === 404
                    ? `the node log query answered ${status}: it needs the kubelet's enableSystemLogHandler and enableSystemLogQuery with the NodeLogQuery feature gate, and nodes/proxy access for the agent`
                    : undefined;
                miss.push(missing('node', `${node}/${source}`, off ? `${off} (${why(err)})` : why(err)));
              }
            },
          });
        }
      }
    }
  }

  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      const left = until - clock.now();
      if (signal.aborted || left <= 0) {
        miss.push(missing(task.type, task.target, signal.aborted ? 'not collected: the agent stopped' : 'not collected: the time for collecting ran out before the command deadline'));
        continue;
      }
      await task.run(AbortSignal.any([signal, AbortSignal.timeout(Math.min(readTimeout, left))]));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, deps.concurrency ?? LOG_READ_CONCURRENCY) }, worker));
  return { files: files.slice(0, MAX_LIST), missing: miss.slice(0, MAX_LIST) };
}

/** Who holds a command's run: a Lease named after the command. */
export interface CommandLeases {
  /** true when `holder` created the lease or holds it already; false when another does. */
  claim(name: string, holder: string, durationSeconds: number): Promise<boolean>;
}

/** The Lease one agent of the cluster takes to run a command all of them receive (a name Kubernetes takes). */
export function commandLeaseName(kind: string, commandId: string): string {
  const id = commandId.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return `strata-${kind.toLowerCase()}-${id}`.slice(0, 253).replace(/-+$/, '');
}

/** Takes the command's Lease until its deadline, or declines: another agent of the cluster runs it. */
export async function claimCommand(leases: CommandLeases, kind: string, key: string, holder: string, clock: Pick<Clock, 'now'>, context: CommandContext): Promise<void> {
  const name = commandLeaseName(kind, context.commandId ?? key);
  const seconds = Math.max(60, Math.ceil(((context.deadline ?? clock.now() + 3_600_000) - clock.now()) / 1000));
  if (!(await leases.claim(name, holder, seconds))) throw new CommandDeclined(`another agent holds lease ${name}: it runs this ${kind}`);
}

export interface LogBundleDeps extends CollectDeps {
  readonly api: AgentApi;
  readonly leases: CommandLeases;
  readonly clusterId: string;
  readonly agentVersion: string;
  /** For the upload to S3. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/**
 * collectLogs: one agent of the cluster (the one that takes the command's Lease) collects, packs
 * and uploads; the others decline. Collection stops in time for the upload to finish before the
 * command's deadline. The result says what was uploaded; a failure (the form refused, the upload
 * refused) is the command's Failed outcome with the reason.
 */
export async function collectLogs(deps: LogBundleDeps, args: Record<string, unknown>, context: CommandContext) {
  const request = parseAgentArgs('collectLogs', args);
  const holder = deps.holder ?? hostname();
  await claimCommand(deps.leases, 'collectLogs', request.requestId, holder, deps.clock, context);
  const start = deps.clock.now();
  const deadline = context.deadline !== undefined ? context.deadline - DEADLINE_MARGIN_MS : start + 15 * 60_000;
  const until = Math.max(start + 10_000, deadline - UPLOAD_RESERVE_MS);
  context.progress?.(5, 'collecting logs');
  const { files, missing: miss } = await collectLogFiles({ ...deps, holder }, request, until, context.signal);
  context.progress?.(70, `collected ${files.length} file(s), ${miss.length} missing; packing`);
  const header = { requestId: request.requestId, clusterId: deps.clusterId, agentVersion: deps.agentVersion, collectedAt: deps.clock.now(), request };
  const { archive } = await buildLogArchive(header, files, miss);
  if (archive.length > LOG_BUNDLE_MAX_BYTES) throw new Error(`the archive is ${archive.length} bytes, over the ${LOG_BUNDLE_MAX_BYTES}-byte cap: ask for fewer lines, minutes or nodes`);
  const form = await requestUploadForm(deps.api, request.requestId, archive.length, context.signal);
  if (archive.length > form.maxBytes) throw new Error(`the archive is ${archive.length} bytes, over the form's ${form.maxBytes}`);
  context.progress?.(85, `uploading ${archive.length} bytes`);
  await uploadArchive(form, archive, `${request.requestId}.tar.gz`, { ...(deps.fetch ? { fetch: deps.fetch } : {}), signal: AbortSignal.any([context.signal, AbortSignal.timeout(Math.max(30_000, deadline - deps.clock.now()))]) });
  return { requestId: request.requestId, bytes: archive.length, files: files.length, missing: miss.length };
}
