import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../agent/agent.js';
import { CommandDeclined } from '../../agent/commands.js';
import {
  CisSchedule,
  cisOptionsFromEnv,
  cisPeriod,
  CONTROL_PLANE_LABEL,
  KUBE_BENCH_HOST_PATHS,
  KUBE_BENCH_IMAGE,
  kubeBenchJob,
  kubeBenchOutput,
  KubernetesBenchOperations,
  runCisScan,
  scanJobName,
  scheduledJobName,
} from '../../agent/kube-bench.js';
import type { AgentApi } from '../../agent/logs.js';
import { KubernetesHostOperations } from '../../agent/node-patch.js';
import { FakeClock, FIXTURES, kubeConfigFor, sendJson, startServer, type Recorded, type TestServer } from './agent/helpers.js';

/** kube-bench's own --json output (object form), as its log holds it. */
const REPORT = readFileSync(`${FIXTURES}kube-bench/aquasecurity-result.json`, 'utf8');
const NODE = 'cp-1';
const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason, message, code });

interface JobPlan {
  /** Reads of the Job before it ends. @default 2 */
  readonly runningReads?: number;
  /** How it ends. @default complete */
  readonly outcome?: 'complete' | 'imagePull';
  /** What the pod's log holds. @default a klog warning on stderr, then the report */
  readonly log?: string;
}

/** A batch/v1 and core/v1 API server whose kube-bench Jobs run to the plan, and Leases. */
async function fakeCluster(plan: JobPlan = {}) {
  const jobs = new Map<string, { body: any; reads: number; deleted: boolean }>();
  const leases = new Map<string, any>();
  const server = await startServer((req: Recorded, res) => {
    const base = '/apis/batch/v1/namespaces/kube-system/jobs';
    if (req.method === 'POST' && req.path === base) {
      const body = JSON.parse(req.body);
      if (jobs.has(body.metadata.name)) return sendJson(res, 409, status(409, 'AlreadyExists', `jobs.batch "${body.metadata.name}" already exists`));
      jobs.set(body.metadata.name, { body, reads: 0, deleted: false });
      return sendJson(res, 201, body);
    }
    const one = new RegExp(`^${base}/([^/]+)$`).exec(req.path);
    if (one) {
      const job = jobs.get(one[1]!);
      if (!job || job.deleted) return sendJson(res, 404, status(404, 'NotFound', 'not found'));
      if (req.method === 'DELETE') {
        job.deleted = true;
        return sendJson(res, 200, status(200, '', ''));
      }
      job.reads += 1;
      const done = job.reads > (plan.runningReads ?? 2);
      const conditions = !done ? [] : plan.outcome === 'imagePull' ? [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }] : [{ type: 'Complete', status: 'True' }];
      return sendJson(res, 200, { ...job.body, status: { conditions, ...(done && plan.outcome !== 'imagePull' ? { succeeded: 1 } : { active: 1 }) } });
    }
    if (req.method === 'GET' && req.path === '/api/v1/namespaces/kube-system/pods') {
      const name = /strata.io\/kube-bench=(.+)$/.exec(req.query.get('labelSelector') ?? '')?.[1];
      const job = name ? jobs.get(name) : undefined;
      if (!job) return sendJson(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [] });
      const state = plan.outcome === 'imagePull' ? { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${KUBE_BENCH_IMAGE}"` } } : { terminated: { exitCode: 0, reason: 'Completed' } };
      const pod = { metadata: { name: `${name}-x7k2p`, namespace: 'kube-system', labels: job.body.spec.template.metadata.labels }, spec: { nodeName: NODE }, status: { phase: 'Succeeded', containerStatuses: [{ name: 'kube-bench', state, restartCount: 0 }] } };
      return sendJson(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [pod] });
    }
    if (req.method === 'GET' && /^\/api\/v1\/namespaces\/kube-system\/pods\/[^/]+\/log$/.test(req.path)) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(plan.log ?? `W0602 10:00:01.000000    1 util.go:87] unable to find the kubelet binary\n${REPORT}\n`);
      return;
    }
    if (req.method === 'POST' && req.path === '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases') {
      const lease = JSON.parse(req.body);
      if (leases.has(lease.metadata.name)) return sendJson(res, 409, status(409, 'AlreadyExists', 'exists'));
      leases.set(lease.metadata.name, lease);
      return sendJson(res, 201, lease);
    }
    const lease = /^\/apis\/coordination.k8s.io\/v1\/namespaces\/kube-system\/leases\/(.+)$/.exec(req.path);
    if (req.method === 'GET' && lease && leases.has(lease[1]!)) return sendJson(res, 200, leases.get(lease[1]!));
    return sendJson(res, 404, status(404, 'NotFound', `no route ${req.method} ${req.path}`));
  });
  servers.push(server);
  const kc = kubeConfigFor(server.url);
  return { server, jobs, bench: new KubernetesBenchOperations(kc, new KubernetesHostOperations(kc)) };
}

/** The platform's POST /agent/v1/compliance, recorded. */
async function fakePlatform() {
  const posts: Recorded[] = [];
  const server = await startServer((req, res) => {
    posts.push(req);
    if (req.path !== '/agent/v1/compliance') return sendJson(res, 404, { message: 'no' });
    sendJson(res, 201, { runId: 'cr-1', totals: { pass: 67, fail: 11, warn: 45, info: 0 } });
  });
  servers.push(server);
  const api: AgentApi = { post: (path, json) => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: json }) };
  return { posts, api };
}

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const context = (commandId: string, clock: FakeClock) => ({ commandId, signal: new AbortController().signal, deadline: clock.now() + 1_800_000 });

describe('the kube-bench Job', () => {
  const job = kubeBenchJob('strata-kube-bench-1', { activeDeadlineSeconds: 600, ttlSecondsAfterFinished: 3600 });
  const pod = job.spec!.template.spec!;

  it("runs kube-bench's image, every target, JSON out, once", () => {
    expect(pod.containers).toHaveLength(1);
    expect(pod.containers[0]).toMatchObject({ name: 'kube-bench', image: KUBE_BENCH_IMAGE, command: ['kube-bench', 'run', '--json'] });
    expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 600, ttlSecondsAfterFinished: 3600 });
    expect(pod.restartPolicy).toBe('Never');
  });

  it("sees the host's processes and mounts its job manifests' host paths read-only, nothing else", () => {
    expect(pod.hostPID).toBe(true);
    expect(pod.containers[0]!.securityContext?.privileged).toBeUndefined();
    const mounts = pod.containers[0]!.volumeMounts!;
    expect(mounts.every((m) => m.readOnly === true)).toBe(true);
    const hostPaths = Object.fromEntries(pod.volumes!.map((v) => [v.name, v.hostPath?.path]));
    const mounted = Object.fromEntries(mounts.map((m) => [hostPaths[m.name], m.mountPath]));
    expect(mounted).toMatchObject({
      '/var/lib/etcd': '/var/lib/etcd',
      '/var/lib/kubelet': '/var/lib/kubelet',
      '/var/lib/kube-scheduler': '/var/lib/kube-scheduler',
      '/var/lib/kube-controller-manager': '/var/lib/kube-controller-manager',
      '/etc/systemd': '/etc/systemd',
      '/lib/systemd': '/lib/systemd',
      '/srv/kubernetes': '/srv/kubernetes',
      '/etc/kubernetes': '/etc/kubernetes',
      '/usr/bin': '/usr/local/mount-from-host/bin',
      '/etc/cni/net.d': '/etc/cni/net.d',
      '/opt/cni/bin': '/opt/cni/bin',
    });
    expect(pod.volumes!.every((v) => v.hostPath && Object.keys(v).length === 2)).toBe(true);
    expect(mounts).toHaveLength(KUBE_BENCH_HOST_PATHS.length);
  });

  it('lands on a control-plane node, tolerating its taint', () => {
    expect(pod.nodeSelector).toEqual({ [CONTROL_PLANE_LABEL]: '' });
    expect(pod.tolerations).toContainEqual({ key: CONTROL_PLANE_LABEL, operator: 'Exists', effect: 'NoSchedule' });
  });

  it('has a name Kubernetes takes as a label value for any scan id', () => {
    for (const id of ['cs-3k9x0q2m7vza', 'Scan_With_Upper_And_Underscores', 'x'.repeat(100)]) {
      expect(scanJobName(id)).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    }
    expect(scanJobName('A_b')).not.toBe(scanJobName('a-b'));
  });
});

describe('kubeBenchOutput', () => {
  it('is the report as printed, whether alone or after stderr lines', () => {
    expect(kubeBenchOutput(REPORT)).toBe(REPORT.trim());
    const oneLine = JSON.stringify(JSON.parse(REPORT));
    expect(kubeBenchOutput(`W0602 10:00:01.000000    1 util.go:87] unable to find the kubelet binary\n${oneLine}\n`)).toBe(oneLine);
    expect(() => kubeBenchOutput('F0602 10:00:01.000000    1 run.go:50] unable to determine benchmark version\n')).toThrow(/printed no JSON report: F0602.*benchmark version/);
  });
});

describe('runCisScan (the real agent)', () => {
  it('runs the Job, waits for it, posts its log unchanged with the node and scan, and deletes it', async () => {
    const cluster = await fakeCluster({ log: REPORT });
    const platform = await fakePlatform();
    const clock = new FakeClock('auto');
    const result = await runCisScan({ bench: cluster.bench, api: platform.api, clock, holder: 'cp-1' }, { scanId: 'cs-1' }, context('cmd-cis-1', clock));
    expect(result).toEqual({ scanId: 'cs-1', node: NODE });
    expect(platform.posts).toHaveLength(1);
    expect(Object.fromEntries(new URL(platform.posts[0]!.path + '?' + platform.posts[0]!.query, 'http://x').searchParams)).toEqual({ node: NODE, scanId: 'cs-1' });
    expect(platform.posts[0]!.body).toBe(REPORT.trim());
    const name = scanJobName('cs-1');
    expect(cluster.jobs.get(name)).toMatchObject({ deleted: true, reads: 3 });
    expect(cluster.jobs.get(name)!.body.metadata.annotations).toEqual({ 'strata.io/scan-id': 'cs-1' });
    // It polled, on its clock.
    expect(clock.sleeps.length).toBe(2);
  });

  it('fails with why the Job failed (an image that cannot be pulled), posting nothing', async () => {
    const cluster = await fakeCluster({ outcome: 'imagePull', runningReads: 1 });
    const platform = await fakePlatform();
    const clock = new FakeClock('auto');
    await expect(runCisScan({ bench: cluster.bench, api: platform.api, clock }, { scanId: 'cs-2' }, context('cmd-cis-2', clock))).rejects.toThrow(/failed: DeadlineExceeded: .*container ImagePullBackOff: Back-off pulling image/);
    expect(platform.posts).toHaveLength(0);
    expect(cluster.jobs.get(scanJobName('cs-2'))!.deleted).toBe(true);
  });

  it('runs on one agent: another holding the command lease declines', async () => {
    const cluster = await fakeCluster();
    const platform = await fakePlatform();
    const clock = new FakeClock('auto');
    await runCisScan({ bench: cluster.bench, api: platform.api, clock, holder: 'cp-1' }, { scanId: 'cs-3' }, context('cmd-cis-3', clock));
    await expect(runCisScan({ bench: cluster.bench, api: platform.api, clock, holder: 'cp-2' }, { scanId: 'cs-3' }, context('cmd-cis-3', clock))).rejects.toBeInstanceOf(CommandDeclined);
    expect(platform.posts).toHaveLength(1);
  });
});

describe('scheduled scans', () => {
  it('name each period deterministically, the same for every agent of a cluster', () => {
    const t = Date.parse('2025-06-02T10:00:00Z');
    const p = cisPeriod(t, 168, 'cl-1');
    expect(cisPeriod(t, 168, 'cl-1')).toEqual(p);
    expect(p.endsAt).toBeGreaterThan(t);
    expect(p.endsAt - t).toBeLessThanOrEqual(168 * 3_600_000);
    expect(cisPeriod(p.endsAt - 1, 168, 'cl-1').number).toBe(p.number);
    expect(cisPeriod(p.endsAt, 168, 'cl-1').number).toBe(p.number + 1);
    expect(scheduledJobName(p.number)).toBe(`strata-kube-bench-${p.number}`);
  });

  it("one agent runs a period's scan and posts it without a scan id; another finds the Job (AlreadyExists) and leaves it", async () => {
    const cluster = await fakeCluster();
    const platform = await fakePlatform();
    const clock = new FakeClock('auto');
    const deps = { bench: cluster.bench, api: platform.api, clock, logger: silentLogger, clusterId: 'cl-1' };
    const first = new CisSchedule(deps, 168);
    const second = new CisSchedule(deps, 168);
    const stop = new AbortController();
    first.tick(stop.signal);
    await first.pending;
    second.tick(stop.signal);
    await second.pending;
    const name = scheduledJobName(cisPeriod(clock.now(), 168, 'cl-1').number);
    expect(platform.posts).toHaveLength(1);
    expect(platform.posts[0]!.query.get('node')).toBe(NODE);
    expect(platform.posts[0]!.query.has('scanId')).toBe(false);
    expect(JSON.parse(platform.posts[0]!.body)).toEqual(JSON.parse(REPORT));
    expect(cluster.server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/jobs'))).toHaveLength(2);
    // Kept for its period (its TTL), so the name keeps saying the period is taken.
    const job = cluster.jobs.get(name)!;
    expect(job.deleted).toBe(false);
    expect(job.body.spec.ttlSecondsAfterFinished).toBeGreaterThanOrEqual(3600);
    // Same period again: nothing more.
    first.tick(stop.signal);
    expect(first.pending).toBeUndefined();
  });

  it('read their interval and image from the environment', () => {
    expect(cisOptionsFromEnv({})).toEqual({ cisIntervalHours: 168 });
    expect(cisOptionsFromEnv({ STRATA_CIS_INTERVAL_HOURS: '0', STRATA_KUBE_BENCH_IMAGE: 'registry.example/kube-bench:v0.15.6' })).toEqual({ cisIntervalHours: 0, benchImage: 'registry.example/kube-bench:v0.15.6' });
    expect(() => cisOptionsFromEnv({ STRATA_CIS_INTERVAL_HOURS: 'weekly' })).toThrow(/STRATA_CIS_INTERVAL_HOURS/);
  });
});
