import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_BUNDLE_MAX_BYTES, LogManifest, MANIFEST_PATH } from '../../core/log-bundles.js';
import { CommandDeclined } from '../../agent/commands.js';
import { KubernetesLogOperations } from '../../agent/kubernetes-source.js';
import { collectLogs, LogRing, logPodOf, type AgentApi } from '../../agent/logs.js';
import { KubernetesHostOperations } from '../../agent/node-patch.js';
import { startS3Local, type S3Local } from '../../local/s3-local.js';
import { fixtureItems, kubeConfigFor, sendJson, startServer, type Recorded, type TestServer } from './agent/helpers.js';

/**
 * The real collector against a fake API server serving real pod and node JSON from the fixtures
 * (bound to kube-system here), container logs and the kubelet's node log query as text, and Leases;
 * the archive goes through a presigned POST made by the AWS SDK to a real s3rver.
 */
const POOL = ['pool-yd23sqk7u-3i7i7', 'pool-yd23sqk7u-3i7it', 'pool-yd23sqk7u-3i7v3'];
const FORBIDDEN_NODE = 'pool-yd23sqk7u-3i7v3';
const NOW = Date.parse('2025-06-02T10:00:00Z');

function kubeSystemPods() {
  const inKubeSystem = (p: any) => ({ ...p, metadata: { ...p.metadata, namespace: 'kube-system' } });
  return [
    inKubeSystem(fixtureItems('pods/k9s-pod.json')[0]), // nginx, running
    inKubeSystem(fixtureItems('pods/k9s-pod-sidecar.json')[0]), // init (terminated), sidecar, sleep
    inKubeSystem(fixtureItems('pods/libcloud-api_v1_pods.json')[0]), // hello-world: CrashLoopBackOff, 2 restarts
    inKubeSystem(fixtureItems('pods/troubleshoot-pending-pod-resources.json')[0]), // Pending, no status
  ];
}

/** `count` lines, numbered, as a container or journal would print them. */
const numbered = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix} line ${i + 1}`);
/** The API server's tailLines: the last n lines. */
const tail = (lines: string[], n: string | null) => `${(n ? lines.slice(-Number(n)) : lines).join('\n')}\n`;
const status = (code: number, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code });

async function fakeKube() {
  const leases = new Map<string, any>();
  const pods = kubeSystemPods();
  const nodes = fixtureItems('nodes/troubleshoot-nodes.json').filter((n) => POOL.includes(n.metadata.name));
  const server = await startServer((req: Recorded, res) => {
    const text = (body: string) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
    };
    if (req.method === 'GET' && req.path === '/api/v1/namespaces/kube-system/pods') return sendJson(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: pods });
    if (req.method === 'GET' && req.path === '/api/v1/namespaces/strata-system/pods') return sendJson(res, 404, status(404, 'namespaces "strata-system" not found'));
    if (req.method === 'GET' && req.path === '/api/v1/nodes') return sendJson(res, 200, { kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: nodes });
    const log = /^\/api\/v1\/namespaces\/kube-system\/pods\/([^/]+)\/log$/.exec(req.path);
    if (req.method === 'GET' && log) {
      const container = req.query.get('container')!;
      const previous = req.query.get('previous') === 'true';
      // nginx writes 30 lines, the others 5; the previous hello-world wrote its greeting.
      const lines = previous ? ['Hello from the previous run'] : numbered(`${log[1]}/${container}`, container === 'nginx' ? 30 : 5);
      return text(tail(lines, req.query.get('tailLines')));
    }
    const nodeLog = /^\/api\/v1\/nodes\/([^/]+)\/proxy\/logs\/$/.exec(req.path);
    if (req.method === 'GET' && nodeLog) {
      if (nodeLog[1] === FORBIDDEN_NODE) return sendJson(res, 403, status(403, `nodes "${FORBIDDEN_NODE}" is forbidden: User "system:serviceaccount:kube-system:strata-agent" cannot get resource "nodes/proxy"`));
      const query = req.query.get('query')!;
      return text(tail(numbered(`Jun 02 09:59:00.000000 ${nodeLog[1]} ${query}[812]: I0602 09:59:00.000000     812 kubelet.go:2407]`, 12), req.query.get('tailLines')));
    }
    if (req.method === 'POST' && req.path === '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases') {
      const lease = JSON.parse(req.body);
      if (leases.has(lease.metadata.name)) return sendJson(res, 409, status(409, 'already exists'));
      leases.set(lease.metadata.name, lease);
      return sendJson(res, 201, lease);
    }
    const lease = /^\/apis\/coordination.k8s.io\/v1\/namespaces\/kube-system\/leases\/(.+)$/.exec(req.path);
    if (req.method === 'GET' && lease && leases.has(lease[1]!)) return sendJson(res, 200, leases.get(lease[1]!));
    return sendJson(res, 404, status(404, `no route ${req.method} ${req.path}`));
  });
  return { server, leases };
}

let s3: S3Local;
let client: S3Client;
let kube: Awaited<ReturnType<typeof fakeKube>>;
let platform: TestServer;
/** What the platform answers the form request with, per test. */
let formAnswer: (bytes: number, requestId: string) => Promise<{ status: number; body: unknown }>;

beforeAll(async () => {
  s3 = await startS3Local();
  client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestChecksumCalculation: 'WHEN_REQUIRED' });
  kube = await fakeKube();
  platform = await startServer(async (req, res) => {
    const m = /^\/agent\/v1\/logs\/([^/]+)\/upload$/.exec(req.path);
    if (req.method !== 'POST' || !m || req.headers.authorization !== 'Bearer sat.agent') return sendJson(res, 404, { message: 'no' });
    const { bytes } = JSON.parse(req.body) as { bytes: number };
    const answer = await formAnswer(bytes, m[1]!);
    sendJson(res, answer.status, answer.body);
  });
});
afterAll(async () => {
  await kube?.server.close();
  await platform?.close();
  client?.destroy();
  await s3?.stop();
});

const presignedForm = async (requestId: string, maxBytes = LOG_BUNDLE_MAX_BYTES) => {
  const post = await createPresignedPost(client, { Bucket: s3.bucket, Key: `logs/t-1/cl-1/${requestId}.tar.gz`, Conditions: [['content-length-range', 1, maxBytes]], Expires: 300 });
  return { status: 200, body: { url: post.url, fields: post.fields, maxBytes, expiresAt: new Date(Date.now() + 300_000).toISOString() } };
};

const api: AgentApi = {
  post: (path, json) => fetch(`${platform.url}${path}`, { method: 'POST', headers: { authorization: 'Bearer sat.agent', 'content-type': 'application/json' }, body: json }),
};

function deps(holder = 'cp-1', ring = new LogRing()) {
  const kc = kubeConfigFor(kube.server.url);
  return {
    logs: new KubernetesLogOperations(kc),
    leases: new KubernetesHostOperations(kc),
    api,
    clusterId: 'cl-1',
    agentVersion: '0.1.0',
    clock: { now: () => NOW },
    ownLog: () => ring.lines(),
    holder,
  };
}

const context = (commandId: string) => ({ commandId, signal: new AbortController().signal, deadline: NOW + 900_000 });

/** The entries of a tar.gz in their order: name → text. */
async function untar(archive: Buffer): Promise<[string, string][]> {
  const out: [string, string][] = [];
  const reader = extract();
  const done = new Promise<void>((resolve, reject) => {
    reader.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c as Buffer));
      stream.on('end', () => {
        out.push([header.name, Buffer.concat(chunks).toString('utf8')]);
        next();
      });
    });
    reader.on('finish', resolve);
    reader.on('error', reject);
  });
  reader.end(gunzipSync(archive));
  await done;
  return out;
}

describe('collectLogs (the real agent)', () => {
  it('collects pod, platform and node logs, packs them behind a valid manifest and uploads them through the presigned POST', async () => {
    formAnswer = (_bytes, id) => presignedForm(id);
    const ring = new LogRing(3);
    for (const message of ['old, before the window', 'heartbeat failed', 'heartbeat recovered', 'command done']) {
      const time = message.startsWith('old') ? new Date(NOW - 3 * 3_600_000).toISOString() : new Date(NOW - 60_000).toISOString();
      ring.push(JSON.stringify({ time, level: 'info', message }));
    }
    const args = { requestId: 'lr-one', types: ['kube-system', 'platform', 'node'], nodes: [POOL[0], FORBIDDEN_NODE, 'no-such-node'], sinceMinutes: 60, maxLines: 10 };
    const result = await collectLogs(deps('cp-1', ring), args, context('cmd-logs-1'));

    const stored = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'logs/t-1/cl-1/lr-one.tar.gz' }));
    const archive = Buffer.from(await stored.Body!.transformToByteArray());
    expect(result).toEqual({ requestId: 'lr-one', bytes: archive.length, files: expect.any(Number), missing: expect.any(Number) });
    const entries = await untar(archive);
    expect(entries[0]![0]).toBe(MANIFEST_PATH);
    const manifest = LogManifest.parse(JSON.parse(entries[0]![1]));
    const files = new Map(entries.slice(1));
    expect(manifest.files.map((f) => f.path).sort()).toEqual([...files.keys()].sort());
    expect(result.files).toBe(manifest.files.length);
    expect(result.missing).toBe(manifest.missing.length);
    expect(manifest).toMatchObject({ requestId: 'lr-one', clusterId: 'cl-1', request: { types: args.types, nodes: args.nodes, sinceMinutes: 60, maxLines: 10 } });

    // kube-system: every container that ran, the previous run of a restarted one; at most maxLines, the newest.
    expect([...files.keys()].filter((p) => p.startsWith('kube-system/')).sort()).toEqual([
      'kube-system/hello-world/hello-world-previous.log',
      'kube-system/nginx/nginx.log',
      'kube-system/sleep/init.log',
      'kube-system/sleep/sidecar.log',
      'kube-system/sleep/sleep.log',
    ]);
    const nginx = manifest.files.find((f) => f.path === 'kube-system/nginx/nginx.log')!;
    expect(nginx).toMatchObject({ type: 'kube-system', pod: 'kube-system/nginx', container: 'nginx', node: 'minikube', lines: 10, truncated: true });
    expect(files.get('kube-system/nginx/nginx.log')!.trimEnd().split('\n')).toEqual(numbered('nginx/nginx', 30).slice(-10));
    expect(manifest.files.find((f) => f.path === 'kube-system/sleep/sleep.log')).toMatchObject({ lines: 5, truncated: false });
    expect(files.get('kube-system/hello-world/hello-world-previous.log')).toBe('Hello from the previous run\n');
    const podLogs = kube.server.requests.filter((r) => r.path.endsWith('/nginx/log'));
    expect(podLogs.at(-1)!.query.get('sinceSeconds')).toBe('3600');
    expect(podLogs.at(-1)!.query.get('tailLines')).toBe('11');

    // platform: the agent's own lines of the window, from its bounded ring.
    expect(files.get('platform/strata-agent-cp-1.log')!.trimEnd().split('\n').map((l) => JSON.parse(l).message)).toEqual(['heartbeat failed', 'heartbeat recovered', 'command done']);

    // node: the kubelet's node log query per source; a 403 and an unknown node are missing, with why.
    expect(files.get(`nodes/${POOL[0]}/kubelet.log`)!.trimEnd().split('\n')).toHaveLength(10);
    expect(manifest.files.find((f) => f.path === `nodes/${POOL[0]}/containerd.log`)).toMatchObject({ type: 'node', node: POOL[0], source: 'containerd', truncated: true });
    const query = kube.server.requests.find((r) => r.path === `/api/v1/nodes/${POOL[0]}/proxy/logs/` && r.query.get('query') === 'kubelet')!;
    expect(query.query.get('sinceTime')).toBe('2025-06-02T09:00:00Z');
    expect(query.query.get('tailLines')).toBe('11');
    const why = Object.fromEntries(manifest.missing.map((m) => [m.target, m.reason]));
    expect(why['kube-system/hello-world/hello-world']).toBe('container waiting: CrashLoopBackOff');
    expect(why['kube-system/pending-pod-resources-5fddcf7688-djjfc/nginx']).toMatch(/not started \(pod Pending\)/);
    expect(why[`${FORBIDDEN_NODE}/kubelet`]).toMatch(/answered 403.*enableSystemLogQuery.*NodeLogQuery.*cannot get resource "nodes\/proxy"/);
    expect(why[`${FORBIDDEN_NODE}/containerd`]).toMatch(/403/);
    expect(why['no-such-node']).toBe('no node named no-such-node in the cluster');
    expect(files.has(`nodes/${FORBIDDEN_NODE}/kubelet.log`)).toBe(false);

    const head = await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'logs/t-1/cl-1/lr-one.tar.gz' }));
    expect(head.ContentLength).toBe(result.bytes);
  });

  it('runs on one agent only: another holding the command lease declines, and uploads nothing', async () => {
    let forms = 0;
    formAnswer = (_bytes, id) => {
      forms += 1;
      return presignedForm(id);
    };
    const args = { requestId: 'lr-two', types: ['platform'], sinceMinutes: 5, maxLines: 100 };
    await collectLogs(deps('cp-1'), args, context('cmd-logs-2'));
    await expect(collectLogs(deps('cp-2'), args, context('cmd-logs-2'))).rejects.toBeInstanceOf(CommandDeclined);
    expect(forms).toBe(1);
    expect(kube.leases.get('strata-collectlogs-cmd-logs-2')?.spec.holderIdentity).toBe('cp-1');
  });

  it('fails saying why when the platform refuses the size or the request is closed', async () => {
    formAnswer = async () => ({ status: 413, body: { message: 'bytes: at most 104857600' } });
    await expect(collectLogs(deps(), { requestId: 'lr-big', types: ['platform'], sinceMinutes: 5, maxLines: 10 }, context('cmd-logs-3'))).rejects.toThrow(/over the platform's cap: bytes: at most/);
    formAnswer = async () => ({ status: 410, body: { message: 'the log request expired' } });
    await expect(collectLogs(deps(), { requestId: 'lr-gone', types: ['platform'], sinceMinutes: 5, maxLines: 10 }, context('cmd-logs-4'))).rejects.toThrow(/no longer open \(410\): the log request expired/);
  });

  it("fails with S3's own reason when the upload is refused", async () => {
    formAnswer = async (_bytes, id) => {
      const post = await createPresignedPost(client, { Bucket: 'no-such-bucket', Key: `logs/${id}.tar.gz`, Conditions: [['content-length-range', 1, 1000]], Expires: 300 });
      return { status: 200, body: { url: post.url, fields: post.fields, maxBytes: 1000, expiresAt: new Date(Date.now() + 300_000).toISOString() } };
    };
    await expect(collectLogs(deps(), { requestId: 'lr-nobucket', types: ['platform'], sinceMinutes: 5, maxLines: 10 }, context('cmd-logs-5'))).rejects.toThrow(/the upload was refused: HTTP 404 NoSuchBucket/);
  });

  it("refuses an archive larger than the form's maxBytes before uploading it", async () => {
    formAnswer = async (_bytes, id) => {
      const form = await presignedForm(id, 100);
      return form;
    };
    await expect(collectLogs(deps(), { requestId: 'lr-cap', types: ['kube-system'], sinceMinutes: 5, maxLines: 10 }, context('cmd-logs-6'))).rejects.toThrow(/over the form's 100/);
    await expect(client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'logs/t-1/cl-1/lr-cap.tar.gz' }))).rejects.toThrow();
  });
});

describe('logPodOf', () => {
  it('lists init containers (native sidecars) and app containers with their states', () => {
    const pod = logPodOf(fixtureItems('pods/k9s-pod-sidecar.json')[0]);
    expect(pod.containers).toEqual([
      { name: 'init', state: 'terminated', restartCount: 0 },
      { name: 'sidecar', state: 'running', restartCount: 0 },
      { name: 'sleep', state: 'running', restartCount: 0 },
    ]);
  });
});
