import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments, parseDocument } from 'yaml';
import { z } from 'zod';
import type { DesiredPack } from '../core/agent-protocol.js';

/** The field manager of every server-side apply the agent makes. */
export const FIELD_MANAGER = 'strata-agent';

/**
 * What a pack installs. Parsed leniently (unknown keys pass) so a newer control plane can add
 * fields without breaking older agents.
 */
const ManifestContent = z.looseObject({ type: z.literal('manifests'), manifests: z.string() });
const HelmContent = z.looseObject({
  type: z.literal('helm'),
  repository: z.string().min(1),
  chart: z.string().min(1),
  version: z.string().min(1),
  /** Release namespace. @default the pack's name */
  namespace: z.string().min(1).optional(),
});
export const PackContent = z.discriminatedUnion('type', [ManifestContent, HelmContent]);
export type PackContent = z.infer<typeof PackContent>;

/** Result of one command line. */
export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program (the `helm` binary the agent's image ships); injectable so tests need no helm. */
export type CommandRunner = (command: string, args: readonly string[], options?: { readonly signal?: AbortSignal }) => Promise<CommandResult>;

/** Applies one pack; rejects with a message fit for the pack's status. */
export interface PackInstaller {
  install(pack: DesiredPack, signal?: AbortSignal): Promise<void>;
}

export interface KubernetesInstallerOptions {
  /** @default spawnRunner */
  readonly run?: CommandRunner;
  /** The helm executable. @default 'helm' */
  readonly helm?: string;
  /** Where values files are written for helm (and removed after). @default os.tmpdir() */
  readonly tmpDir?: string;
}

const MAX_OUTPUT = 64 * 1024;

/** child_process.spawn, with output kept (bounded) and the child killed on abort. */
export const spawnRunner: CommandRunner = (command, args, options = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal, killSignal: 'SIGTERM' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += d.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });

/** The argv of `helm upgrade --install` for a chart pack. An oci:// repository takes the chart as a reference, not `--repo`. */
export function helmArgs(pack: DesiredPack, content: z.infer<typeof HelmContent>, valuesFile: string): string[] {
  const namespace = content.namespace ?? pack.name;
  const oci = content.repository.startsWith('oci://');
  const chart = oci ? `${content.repository.replace(/\/+$/, '')}/${content.chart}` : content.chart;
  return [
    'upgrade',
    '--install',
    pack.name,
    chart,
    ...(oci ? [] : ['--repo', content.repository]),
    '--version',
    content.version,
    '--namespace',
    namespace,
    '--create-namespace',
    '-f',
    valuesFile,
  ];
}

/** Kubernetes objects of a multi-document manifest; empty documents skipped, `kind: List` flattened. */
export function manifestObjects(text: string): KubernetesObject[] {
  const out: KubernetesObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`manifests: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const objects = isObject(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items) ? value.items : [value];
    for (const o of objects) {
      if (!isObject(o) || typeof o.kind !== 'string' || typeof o.apiVersion !== 'string') throw new Error('manifests: every document needs apiVersion and kind');
      const meta = o.metadata;
      if (!isObject(meta) || typeof meta.name !== 'string' || meta.name === '') throw new Error(`manifests: ${o.kind} without metadata.name`);
      out.push(o as KubernetesObject);
    }
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A short, readable message from a client-node ApiException (its body is a Status), or any error. */
export function errorMessage(err: unknown): string {
  const e = err as { code?: unknown; body?: unknown; message?: unknown };
  if (typeof e?.code === 'number' && e.body !== undefined) {
    let body: unknown = e.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        // not JSON: keep the text
      }
    }
    const message = isObject(body) && typeof body.message === 'string' ? body.message : typeof body === 'string' ? body : '';
    return `HTTP ${e.code}${message ? `: ${message}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Installs packs into the cluster: manifests by server-side apply (field manager strata-agent,
 * forced, so the agent owns what the pack declares), charts by `helm upgrade --install`. Both are
 * idempotent, so re-applying an installed pack is harmless.
 */
export class KubernetesInstaller implements PackInstaller {
  private readonly objects: KubernetesObjectApi;
  private readonly run: CommandRunner;

  constructor(
    kc: KubeConfig,
    private readonly options: KubernetesInstallerOptions = {},
  ) {
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.run = options.run ?? spawnRunner;
  }

  async install(pack: DesiredPack, signal?: AbortSignal): Promise<void> {
    if (pack.content === undefined || pack.content === null) return; // os, k8s: the image and kubeadm install these
    const parsed = PackContent.safeParse(pack.content);
    if (!parsed.success) {
      const type = isObject(pack.content) ? String(pack.content.type) : typeof pack.content;
      throw new Error(`unsupported pack content (type ${type}): ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    }
    const content = parsed.data;
    if (content.type === 'manifests') return this.apply(content.manifests, signal);
    return this.helm(pack, content, signal);
  }

  private async apply(manifests: string, signal?: AbortSignal) {
    for (const obj of manifestObjects(manifests)) {
      signal?.throwIfAborted();
      try {
        await this.objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
      } catch (err) {
        throw new Error(`apply ${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name}: ${errorMessage(err)}`, { cause: err });
      }
    }
  }

  private async helm(pack: DesiredPack, content: z.infer<typeof HelmContent>, signal?: AbortSignal) {
    const { chartValues, hostNetwork } = splitStrataValues(pack.values ?? '');
    const dir = await mkdtemp(join(this.options.tmpDir ?? tmpdir(), `strata-${pack.name}-`));
    try {
      const valuesFile = join(dir, 'values.yaml');
      await writeFile(valuesFile, chartValues, { mode: 0o600 });
      const args = helmArgs(pack, content, valuesFile);
      const result = await this.run(this.options.helm ?? 'helm', args, { signal });
      if (result.code !== 0) {
        const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-5).join('\n');
        throw new Error(`helm upgrade --install ${pack.name} exited with ${result.code}${detail ? `: ${detail}` : ''}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    for (const ref of hostNetwork) await this.useHostNetwork(ref, content.namespace ?? pack.name, signal);
  }

  /**
   * Nodes allow one hop to the instance metadata service (IMDSv2, hop limit 1), so a pod that needs
   * the node's identity (a CSI or cloud controller) must run in the node's network namespace. Charts
   * that cannot say so themselves get it by a server-side apply of just those two fields.
   */
  private async useHostNetwork(ref: string, releaseNamespace: string, signal?: AbortSignal) {
    signal?.throwIfAborted();
    const [kind, ...rest] = ref.split('/');
    const [namespace, name] = rest.length === 2 ? rest : [releaseNamespace, rest[0]];
    const patch = {
      apiVersion: 'apps/v1',
      kind: kind!,
      metadata: { name: name!, namespace: namespace! },
      spec: { template: { spec: { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } } },
    };
    try {
      await this.objects.patch(patch, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (err) {
      throw new Error(`host network for ${ref}: ${errorMessage(err)}`, { cause: err });
    }
  }
}

/** Workloads a pack runs in the node's network: `Kind/name` (release namespace) or `Kind/namespace/name`. */
const HostNetworkRefs = z.array(z.string().regex(/^(Deployment|DaemonSet|StatefulSet)\/([a-z0-9-]+\/)?[a-z0-9.-]+$/)).max(20);

/**
 * A chart pack's values without Strata's own `strata:` key (which the chart must not see), and
 * what that key asks of the agent: `strata.hostNetwork`, the workloads to run in the node's network.
 */
export function splitStrataValues(text: string): { chartValues: string; hostNetwork: string[] } {
  const doc = parseDocument(text);
  const js = doc.toJS() as { strata?: { hostNetwork?: unknown } } | null;
  if (!isObject(js) || js.strata === undefined) return { chartValues: text, hostNetwork: [] };
  const refs = HostNetworkRefs.safeParse(js.strata?.hostNetwork ?? []);
  if (!refs.success) throw new Error(`values strata.hostNetwork: ${refs.error.issues[0]?.message ?? 'invalid'} (Kind/name or Kind/namespace/name)`);
  doc.delete('strata');
  return { chartValues: doc.toString(), hostNetwork: refs.data };
}

/** Identifies what a pack asks for: a changed version, values or content is a new install. */
export function packKey(pack: DesiredPack): string {
  return createHash('sha256')
    .update(JSON.stringify([pack.layer, pack.version, pack.values ?? '', pack.content ?? null]))
    .digest('hex');
}
