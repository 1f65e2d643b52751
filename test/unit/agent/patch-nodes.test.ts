import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_KINDS } from '../../../core/agent-commands.js';
import { Agent, silentLogger } from '../../../agent/agent.js';
import { commandHandlers } from '../../../agent/commands.js';
import { KubernetesNodeOperations } from '../../../agent/kubernetes-source.js';
import { DEFAULT_HOST_IMAGE, KubernetesHostOperations, patchLeaseName, patchNodes, REBOOT_SCRIPT } from '../../../agent/node-patch.js';
import { KubernetesInstaller } from '../../../agent/packs.js';
import { FakeClock, fixtureItems, kubeConfigFor, sendJson, startServer, until, type Recorded, type TestServer } from './helpers.js';

/**
 * A fake API server with real Kubernetes JSON (the troubleshoot fixture's pool of three DigitalOcean
 * nodes), whose Jobs run for real: a patch Job's script runs under sh in the node's scratch "host",
 * where dpkg-query, apt-mark and apt-get are stand-ins over a package list; a reboot Job gives the
 * node a new boot ID after a few NotReady reads.
 */
const POOL = ['pool-yd23sqk7u-3i7i7', 'pool-yd23sqk7u-3i7it', 'pool-yd23sqk7u-3i7v3'];
const INSTALLED = ['kubelet 1.31.10-1.1', 'kubeadm 1.31.10-1.1', 'kubectl 1.31.10-1.1', 'containerd 1.7.24-0ubuntu1~22.04.1', 'libssl3 3.0.2-0ubuntu1.18', 'openssl 3.0.2-0ubuntu1.18', 'tzdata 2024b-0ubuntu0.22.04.1'];
const UPDATES = { kubelet: '1.32.6-1.1', containerd: '1.7.27-0ubuntu1~22.04.1', openssl: '3.0.2-0ubuntu1.19', libssl3: '3.0.2-0ubuntu1.19' };

interface HostSpec {
  /** Upgrades the archive offers: package → version. @default UPDATES */
  readonly updates?: Record<string, string>;
  /** The upgrade leaves /var/run/reboot-required. */
  readonly rebootRequired?: boolean;
  /** apt-get upgrade fails (dpkg error, exit 100). */
  readonly aptFails?: boolean;
  /** After a reboot it never comes back Ready. */
  readonly neverBack?: boolean;
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'strata-patch-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A node's host: the stand-ins on PATH, its package list (name version [held]) and its reboot-required file. */
async function makeHost(node: string, spec: HostSpec) {
  const root = await mkdtemp(join(scratch, `${node}-`));
  await mkdir(join(root, 'bin'));
  await writeFile(join(root, 'packages'), `${INSTALLED.join('\n')}\n`);
  const updates = { ...UPDATES, ...spec.updates, ...(spec.rebootRequired ? { 'linux-image-5.15.0-140-generic': '5.15.0-140.150' } : {}) };
  await writeFile(join(root, 'updates'), `${Object.entries(updates).map(([p, v]) => `${p} ${v}`).join('\n')}\n`);
  const bin = (name: string, body: string) => writeFile(join(root, 'bin', name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  await bin('dpkg-query', `awk -v pkg="$3" -v fmt="$2" '(pkg == "" || $1 == pkg) { s = ($3 == "held" ? "hi " : "ii "); if (fmt ~ /Package/) print s, $1, $2; else printf "%s", s; found = 1 } END { exit(found ? 0 : 1) }' "${root}/packages"`);
  await bin('apt-mark', `awk -v pkg="$2" '$1 == pkg { $3 = "held" } { print }' "${root}/packages" > "${root}/p.new" && mv "${root}/p.new" "${root}/packages"`);
  await bin(
    'apt-get',
    [
      'case "$*" in *upgrade*) ;; *) echo "Reading package lists... Done"; exit 0;; esac',
      spec.aptFails ? 'echo "E: Sub-process /usr/bin/dpkg returned an error code (1)" >&2; exit 100' : '',
      `awk 'NR == FNR { to[$1] = $2; next } ($1 in to) { if ($3 != "held") $2 = to[$1]; delete to[$1] } { print } END { for (p in to) print p, to[p] }' "${root}/updates" "${root}/packages" > "${root}/p.new" && mv "${root}/p.new" "${root}/packages"`,
      spec.rebootRequired ? `touch "${root}/reboot-required"` : '',
    ].join('\n'),
  );
  return {
    root,
    run: (script: string) =>
      new Promise<{ code: number; log: string }>((resolve) =>
        execFile('sh', ['-c', script.replaceAll('/var/run/reboot-required', `${root}/reboot-required`)], { env: { PATH: `${root}/bin:/usr/bin:/bin` } }, (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, log: `${stdout}${stderr}` }),
        ),
      ),
    packages: () => readFile(join(root, 'packages'), 'utf8'),
    rebooted: () => rm(join(root, 'reboot-required'), { force: true }),
  };
}

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

/** The API server: nodes, pods (one app pod per node), evictions, Leases, Jobs and their pods' logs. */
async function fakeCluster(hosts: Record<string, HostSpec> = {}) {
  const nodes = new Map<string, any>(fixtureItems('nodes/troubleshoot-nodes.json').filter((n) => POOL.includes(n.metadata.name)).map((n) => [n.metadata.name, n]));
  const machines = new Map(await Promise.all(POOL.map(async (n) => [n, await makeHost(n, hosts[n] ?? {})] as const)));
  const nginx = fixtureItems('pods/k9s-pod.json')[0];
  const pods: any[] = POOL.map((node, i) => ({ ...nginx, metadata: { ...nginx.metadata, name: `web-${i}`, uid: `uid-web-${i}` }, spec: { ...nginx.spec, nodeName: node } }));
  const leases = new Map<string, any>();
  const jobs = new Map<string, { job: any; pod: any; log: string; polls: number }>();
  const created: any[] = [];
  const deleted: string[] = [];
  const events: string[] = [];
  /** Node → NotReady reads left after a reboot (Infinity: never back). */
  const rebooting = new Map<string, number>();
  let cordonedAtOnce = 0;
  let boots = 0;

  const setReady = (node: any, ready: boolean) => {
    for (const c of node.status.conditions) if (c.type === 'Ready') Object.assign(c, { status: ready ? 'True' : 'Unknown', reason: ready ? 'KubeletReady' : 'NodeStatusUnknown' });
  };

  const handler = async (req: Recorded, res: ServerResponse) => {
    const nodePath = /^\/api\/v1\/nodes\/([^/]+)$/.exec(req.path);
    if (nodePath) {
      const node = nodes.get(nodePath[1]!);
      if (!node) return sendJson(res, 404, status(404, 'NotFound', `nodes "${nodePath[1]}" not found`));
      if (req.method === 'GET') {
        const left = rebooting.get(node.metadata.name);
        if (left !== undefined) {
          if (left <= 0) {
            rebooting.delete(node.metadata.name);
            setReady(node, true);
          } else rebooting.set(node.metadata.name, left - 1);
        }
        return sendJson(res, 200, node);
      }
      if (req.method === 'PATCH') {
        if (req.headers['content-type'] !== 'application/merge-patch+json') return sendJson(res, 415, status(415, 'UnsupportedMediaType', String(req.headers['content-type'])));
        const unschedulable = JSON.parse(req.body).spec.unschedulable;
        node.spec = { ...node.spec, unschedulable };
        events.push(`${unschedulable ? 'cordon' : 'uncordon'} ${node.metadata.name}`);
        cordonedAtOnce = Math.max(cordonedAtOnce, [...nodes.values()].filter((n) => n.spec.unschedulable).length);
        return sendJson(res, 200, node);
      }
    }
    if (req.method === 'GET' && req.path === '/api/v1/pods') {
      const on = /^spec\.nodeName=(.+)$/.exec(req.query.get('fieldSelector') ?? '')?.[1];
      // An evicted pod is gone by the next listing.
      for (let i = pods.length - 1; i >= 0; i--) if (pods[i].metadata.deletionTimestamp) pods.splice(i, 1);
      return sendJson(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '9' }, items: pods.filter((p) => p.spec.nodeName === on) });
    }
    const eviction = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(req.path);
    if (req.method === 'POST' && eviction) {
      const pod = pods.find((p) => p.metadata.namespace === eviction[1] && p.metadata.name === eviction[2]);
      if (!pod) return sendJson(res, 404, status(404, 'NotFound', `pods "${eviction[2]}" not found`));
      pod.metadata = { ...pod.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' };
      events.push(`evict ${pod.spec.nodeName}`);
      return sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    }
    if (req.path === '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases' && req.method === 'POST') {
      const lease = JSON.parse(req.body);
      if (leases.has(lease.metadata.name)) return sendJson(res, 409, status(409, 'AlreadyExists', `leases.coordination.k8s.io "${lease.metadata.name}" already exists`));
      leases.set(lease.metadata.name, { ...lease, metadata: { ...lease.metadata, resourceVersion: '1', uid: 'lease-uid' } });
      return sendJson(res, 201, leases.get(lease.metadata.name));
    }
    const leasePath = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/kube-system\/leases\/([^/]+)$/.exec(req.path);
    if (leasePath && req.method === 'GET') {
      const lease = leases.get(leasePath[1]!);
      return lease ? sendJson(res, 200, lease) : sendJson(res, 404, status(404, 'NotFound', 'lease not found'));
    }
    if (req.path === '/apis/batch/v1/namespaces/kube-system/jobs' && req.method === 'POST') {
      const job = JSON.parse(req.body);
      created.push(job);
      const spec = job.spec.template.spec;
      const script: string = spec.containers[0].command.at(-1);
      const node = spec.nodeName;
      events.push(`${script === REBOOT_SCRIPT ? 'reboot' : 'patch'} ${node}`);
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${job.metadata.name}-x7k2p`, namespace: 'kube-system', labels: { ...spec.labels, ...job.spec.template.metadata.labels } }, spec, status: { phase: 'Running' } as any };
      const entry = { job: { ...job, status: { active: 1 } }, pod, log: '', polls: 0 };
      jobs.set(job.metadata.name, entry);
      if (script === REBOOT_SCRIPT) {
        // The node goes away and comes back on a new boot, what the patch required done.
        const n = nodes.get(node);
        n.status.nodeInfo.bootID = `00000000-0000-4000-8000-${String(++boots).padStart(12, '0')}`;
        setReady(n, false);
        rebooting.set(node, hosts[node]?.neverBack ? Infinity : 2);
        await machines.get(node)!.rebooted();
      } else {
        const out = await machines.get(node)!.run(script);
        entry.log = out.log;
        // Running at the first look, ended at the next.
        entry.pod.status = { phase: 'Running', containerStatuses: [{ name: 'host', state: { running: {} } }] };
        (entry as any).outcome = out;
      }
      return sendJson(res, 201, entry.job);
    }
    if (req.method === 'GET' && req.path === '/api/v1/namespaces/kube-system/pods') {
      const [, value] = (req.query.get('labelSelector') ?? '').split('=');
      const entry = jobs.get(value!);
      if (entry && (entry as any).outcome && entry.polls++ >= 1) {
        const { code } = (entry as any).outcome;
        entry.pod.status = { phase: code === 0 ? 'Succeeded' : 'Failed', containerStatuses: [{ name: 'host', state: { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error' } } }] };
      }
      return sendJson(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: entry ? [entry.pod] : [] });
    }
    const logPath = /^\/api\/v1\/namespaces\/kube-system\/pods\/([^/]+)\/log$/.exec(req.path);
    if (logPath) {
      const entry = [...jobs.values()].find((j) => j.pod.metadata.name === logPath[1]);
      if (!entry) return sendJson(res, 404, status(404, 'NotFound', 'pod not found'));
      res.writeHead(200, { 'content-type': 'text/plain' }).end(entry.log);
      return;
    }
    const jobPath = /^\/apis\/batch\/v1\/namespaces\/kube-system\/jobs\/([^/]+)$/.exec(req.path);
    if (jobPath) {
      const entry = jobs.get(jobPath[1]!);
      if (!entry) return sendJson(res, 404, status(404, 'NotFound', `jobs.batch "${jobPath[1]}" not found`));
      if (req.method === 'GET') return sendJson(res, 200, entry.job);
      if (req.method === 'DELETE') {
        deleted.push(jobPath[1]!);
        jobs.delete(jobPath[1]!);
        return sendJson(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: jobPath[1], group: 'batch', kind: 'jobs' } });
      }
    }
    return sendJson(res, 404, status(404, 'NotFound', `no route ${req.method} ${req.path}`));
  };
  const server = await startServer(handler);
  servers.push(server);
  const kc = kubeConfigFor(server.url);
  return {
    server,
    nodes,
    machines,
    leases,
    created,
    deleted,
    events,
    jobsLeft: () => [...jobs.keys()],
    maxCordoned: () => cordonedAtOnce,
    deps: (clock: FakeClock, holder = 'cp-0') => ({ nodes: new KubernetesNodeOperations(kc), host: new KubernetesHostOperations(kc, { clock }), clock, holder }),
    kc,
  };
}

const servers: TestServer[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const args = (over: Record<string, unknown> = {}) => ({
  runId: 'run-1',
  pool: 'workers',
  nodes: POOL,
  maxUnavailable: 1,
  rebootIfRequired: true,
  stopAt: '2099-01-01T00:00:00Z',
  readyTimeoutSeconds: 120,
  drainTimeoutSeconds: 60,
  ...over,
});

/** A handler context that records what it reports. */
function recorder() {
  const reports: { percent: number; message: string; result: any }[] = [];
  return { reports, context: { signal: new AbortController().signal, progress: (percent: number, message: string, result?: unknown) => reports.push({ percent, message, result }) } };
}

const statuses = (result: { nodes: { status: string }[] }) => result.nodes.map((n) => n.status).join(' ');

describe('patchNodes against a fake API server whose Jobs run the patch script', () => {
  it('patches node by node: cordon, drain, the upgrade with the Kubernetes packages held, a reboot where required, Ready on a new boot, uncordon', async () => {
    const k = await fakeCluster({ [POOL[1]!]: { rebootRequired: true } });
    const bootBefore = k.nodes.get(POOL[1]!).status.nodeInfo.bootID;
    const { reports, context } = recorder();
    const result = await patchNodes(k.deps(new FakeClock('auto')), args(), context);

    expect(COMMAND_KINDS.patchNodes.result.safeParse(result).success).toBe(true);
    expect(statuses(result)).toBe('patched patched patched');
    expect(result.stoppedAtWindowEnd).toBe(false);
    const openssl = { name: 'openssl', from: '3.0.2-0ubuntu1.18', to: '3.0.2-0ubuntu1.19' };
    expect(result.nodes[0]).toMatchObject({ node: POOL[0], packages: [{ name: 'libssl3', from: '3.0.2-0ubuntu1.18', to: '3.0.2-0ubuntu1.19' }, openssl], rebootRequired: false, rebooted: false });
    expect(result.nodes[1]).toMatchObject({ node: POOL[1], rebootRequired: true, rebooted: true, packages: expect.arrayContaining([{ name: 'linux-image-5.15.0-140-generic', to: '5.15.0-140.150' }, openssl]) });
    // Held: the archive offered a new kubelet and containerd, the nodes kept theirs.
    for (const host of k.machines.values()) expect(await host.packages()).toMatch(/^kubelet 1\.31\.10-1\.1 held$[\s\S]*^containerd 1\.7\.24-0ubuntu1~22\.04\.1 held$/m);
    for (const r of result.nodes) expect(r.packages.map((p: { name: string }) => p.name)).not.toContain('kubelet');
    expect(k.nodes.get(POOL[1]!).status.nodeInfo.bootID).not.toBe(bootBefore);

    // One node out at a time, each step in its order, the reboot only where required.
    expect(k.maxCordoned()).toBe(1);
    expect(k.events).toEqual(POOL.flatMap((n) => [`cordon ${n}`, `evict ${n}`, `patch ${n}`, ...(n === POOL[1] ? [`reboot ${n}`] : []), `uncordon ${n}`]));
    for (const n of k.nodes.values()) expect(n.spec.unschedulable).toBe(false);

    // The Jobs: pinned to the node, on the host's PID namespace, privileged, entering PID 1 with nsenter; gone after.
    const patchJob = k.created[0];
    expect(patchJob.metadata.name.length).toBeLessThanOrEqual(63);
    expect(patchJob.spec.backoffLimit).toBe(0);
    expect(patchJob.spec.template.spec).toMatchObject({ nodeName: POOL[0], hostPID: true, restartPolicy: 'Never', tolerations: [{ operator: 'Exists' }] });
    expect(patchJob.spec.template.spec.containers[0]).toMatchObject({ image: DEFAULT_HOST_IMAGE, securityContext: { privileged: true }, command: ['nsenter', '-t', '1', '-m', '-u', '-i', '-n', '--', 'sh', '-c', expect.stringContaining('apt-mark hold')] });
    expect(k.created.map((j) => j.spec.template.spec.containers[0].command.at(-1)).filter((s: string) => s === REBOOT_SCRIPT)).toHaveLength(1);
    expect(k.jobsLeft()).toEqual([]);
    expect(k.deleted).toHaveLength(4);

    // Every change reported as it happened, with every node's state: pending → patching → patched, node by node.
    expect(reports.map((r) => statuses(r.result))).toEqual([
      'patching pending pending',
      'patched pending pending',
      'patched patching pending',
      'patched patched pending',
      'patched patched patching',
      'patched patched patched',
    ]);
    for (const r of reports) expect(COMMAND_KINDS.patchNodes.progressResult.safeParse(r.result).success).toBe(true);
    expect(reports[0]!.result.nodes[0]).toEqual({ node: POOL[0], status: 'patching', packages: [], rebootRequired: false, rebooted: false, startedAt: expect.any(String) });
    expect(reports.map((r) => Math.round(r.percent))).toEqual([0, 33, 33, 67, 67, 100]);
    const first = result.nodes[0]!;
    expect(Date.parse(first.finishedAt!)).toBeGreaterThan(Date.parse(first.startedAt!));
    expect(Date.parse(result.nodes[1]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(first.finishedAt!));
  });

  it('maxUnavailable 2: two nodes out at once, never three', async () => {
    const k = await fakeCluster();
    const result = await patchNodes(k.deps(new FakeClock('auto')), args({ maxUnavailable: 2 }), recorder().context);
    expect(statuses(result)).toBe('patched patched patched');
    expect(k.maxCordoned()).toBe(2);
    expect(k.events.slice(0, 2)).toEqual([`cordon ${POOL[0]}`, `cordon ${POOL[1]}`]);
  });

  it('a patch that fails marks its node failed with what apt said, uncordons it, and goes on: the outcome is Failed with every node', async () => {
    const k = await fakeCluster({ [POOL[0]!]: { aptFails: true } });
    const { reports, context } = recorder();
    const err = await patchNodes(k.deps(new FakeClock('auto')), args(), context).then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as Error & { result: any });
    expect(err.message).toMatch(new RegExp(`^patching failed on 1 node\\(s\\) of pool workers: ${POOL[0]} \\(the OS patch on ${POOL[0]} failed: exit code 100 \\(Error\\): .*E: Sub-process /usr/bin/dpkg returned an error code \\(1\\)`));
    expect(statuses(err.result)).toBe('failed patched patched');
    expect(COMMAND_KINDS.patchNodes.failureResult.safeParse(err.result).success).toBe(true);
    expect(err.result.nodes[0]).toMatchObject({ status: 'failed', packages: [], message: expect.stringContaining('exit code 100'), finishedAt: expect.any(String) });
    expect(k.nodes.get(POOL[0]!).spec.unschedulable).toBe(false);
    expect(k.events.slice(0, 4)).toEqual([`cordon ${POOL[0]}`, `evict ${POOL[0]}`, `patch ${POOL[0]}`, `uncordon ${POOL[0]}`]);
    expect(reports.map((r) => statuses(r.result)).slice(0, 2)).toEqual(['patching pending pending', 'failed pending pending']);
  });

  it('a node that does not come back Ready after its reboot is notReady, stays cordoned, and no further node starts', async () => {
    const k = await fakeCluster({ [POOL[1]!]: { rebootRequired: true, neverBack: true } });
    const clock = new FakeClock('auto');
    const { reports, context } = recorder();
    const err = await patchNodes(k.deps(clock), args({ readyTimeoutSeconds: 60 }), context).then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as Error & { result: any });
    expect(err.message).toBe(`${POOL[1]} was not Ready on a new boot within 60 s after its patch; it stays cordoned: no further node of pool workers was started`);
    expect(statuses(err.result)).toBe('patched notReady skipped');
    expect(err.result.nodes[1]).toMatchObject({ rebootRequired: true, rebooted: true, finishedAt: expect.any(String) });
    expect(k.nodes.get(POOL[1]!).spec.unschedulable).toBe(true);
    expect(k.events.filter((e) => e.endsWith(POOL[2]!))).toEqual([]);
    expect(reports.at(-1)!.result.nodes[1].status).toBe('notReady');
    // It waited the whole timeout on the agent's clock.
    expect(Date.parse(err.result.nodes[1].finishedAt) - Date.parse(reports.at(-2)!.result.nodes[1].startedAt)).toBeGreaterThanOrEqual(60_000);
  });

  it('past stopAt no node starts: the rest stay pending, stoppedAtWindowEnd', async () => {
    const k = await fakeCluster();
    const clock = new FakeClock('auto');
    const result = await patchNodes(k.deps(clock), args({ stopAt: new Date(clock.t + 1).toISOString() }), recorder().context);
    expect(statuses(result)).toBe('patched pending pending');
    expect(result.stoppedAtWindowEnd).toBe(true);
    expect(k.events.some((e) => e.endsWith(POOL[1]!))).toBe(false);
  });

  it('one agent takes the lease (strata-patch-<runId>-<pool> in kube-system); another declines; the holder started again may take it back', async () => {
    const k = await fakeCluster();
    await patchNodes(k.deps(new FakeClock('auto'), 'cp-0'), args({ nodes: [POOL[0]] }), recorder().context);
    expect(k.leases.get(patchLeaseName('run-1', 'workers'))).toMatchObject({
      metadata: { name: 'strata-patch-run-1-workers', namespace: 'kube-system' },
      spec: { holderIdentity: 'cp-0', leaseDurationSeconds: expect.any(Number), acquireTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/) },
    });
    const events = k.events.length;
    await expect(patchNodes(k.deps(new FakeClock('auto'), 'cp-1'), args({ nodes: [POOL[0]] }), recorder().context)).rejects.toMatchObject({ name: 'CommandDeclined' });
    expect(k.events.length).toBe(events);
    await expect(patchNodes(k.deps(new FakeClock('auto'), 'cp-0'), args({ nodes: [POOL[0]] }), recorder().context)).resolves.toMatchObject({ nodes: [{ status: 'patched' }] });
  });
});

describe('the agents run patchNodes from heartbeat answers', () => {
  it('two agents get the command: one runs it, reporting Running with every node after each change, then the outcome; the other says nothing', async () => {
    const k = await fakeCluster({ [POOL[2]!]: { rebootRequired: true } });
    const reports: { id: string; body: any }[] = [];
    const command = { id: 'cmd-patch', kind: 'patchNodes', args: args(), deadline: '2099-01-01T00:00:00Z' };
    const api = await startServer((req, res) => {
      if (req.path.startsWith('/agent/v1/commands/')) {
        reports.push({ id: req.path.split('/')[4]!, body: JSON.parse(req.body) });
        return sendJson(res, 200, { id: 'cmd-patch', status: 'Running' });
      }
      sendJson(res, 200, { desiredGeneration: 1, packs: [], commands: [command], heartbeatIntervalSeconds: 30 });
    });
    servers.push(api);
    for (const holder of ['cp-0', 'cp-1']) {
      const clock = new FakeClock('auto');
      const agent = new Agent(
        { apiUrl: api.url, clusterId: 'cl-1', token: 't' },
        { source: { collect: async () => ({ nodes: [], services: [] }) }, installer: new KubernetesInstaller(k.kc), commands: commandHandlers('9.9.9', { ...k.deps(clock, holder), clock }), clock: new FakeClock('manual'), logger: silentLogger },
      );
      agents.push(agent);
      void agent.run();
    }
    await until(() => reports.some((r) => r.body.status !== 'Running'));
    await new Promise((r) => setTimeout(r, 50));

    expect(reports.filter((r) => r.body.status !== 'Running')).toHaveLength(1);
    expect(k.created.filter((j) => j.spec.template.spec.containers[0].command.at(-1) !== REBOOT_SCRIPT)).toHaveLength(3);
    const outcome = reports.at(-1)!.body;
    expect(outcome).toEqual({ status: 'Succeeded', result: { nodes: expect.any(Array), stoppedAtWindowEnd: false } });
    expect(outcome.result.nodes[2]).toMatchObject({ status: 'patched', rebooted: true });
    const running = reports.slice(0, -1).map((r) => r.body);
    expect(running.every((b) => b.status === 'Running' && COMMAND_KINDS.patchNodes.progressResult.safeParse(b.result).success)).toBe(true);
    expect(running.map((b) => statuses(b.result))).toEqual([
      'patching pending pending',
      'patched pending pending',
      'patched patching pending',
      'patched patched pending',
      'patched patched patching',
      'patched patched patched',
    ]);
    expect(running.map((b) => b.progress)).toEqual([0, 33, 33, 67, 67, 100]);
    expect(running[1].message).toBe(`patched ${POOL[0]}: 2 package(s)`);
  });
});
