import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_KINDS, delivered, type Command } from '../../../core/agent-commands.js';
import { bundleFiles, kubeadmBootstrapToken, userData } from '../../../core/bootstrap.js';
import { TAG_CLUSTER, TAG_NAME } from '../../../core/cloud.js';
import { useClock } from '../../../core/clock.js';
import { HELD_PACKAGES } from '../../../core/os-patch-script.js';
import { generateClusterPki, type ClusterPki, type ClusterPkiKeys } from '../../../core/pki.js';
import type { PlannedNode } from '../../../core/provisioning.js';
import { SimulatedCloud } from '../../../adapters/cloud/simulated/simulated-cloud.js';
import { tarGz } from '../../../functions/commons/tar.js';
import { LocalClock } from '../../../local/clock.js';
import { localControls } from '../../../local/faults.js';
import { SimulatedAgents } from '../../../local/simulated-agents.js';
import { sendJson, startServer, until, type TestServer } from '../agent/helpers.js';

/**
 * The simulated agent's patchNodes, on the local runtime's clock: a cluster of one control-plane
 * node and three workers, an API that delivers the command until its outcome and records every
 * report and heartbeat, and the /local/faults control for the patch faults.
 */
const SECRET = 'platform-secret';
const CLUSTER = 'cl-patch';
const OPERATOR = 'op-key';
const WORKERS = ['demo-w-0', 'demo-w-1', 'demo-w-2'];
/** A patch takes a boot's time on the runtime clock; a minute here, so nothing moves until the test advances it. */
const STEP_MS = 60_000;

const clock = new LocalClock();
let api: TestServer;
let cloud: SimulatedCloud;
let agents: SimulatedAgents;
let material: { pki: ClusterPki; keys: ClusterPkiKeys };
const bundles = new Map<string, Buffer>();
const heartbeats: { nodes: { name: string; unschedulable?: boolean; kernelVersion?: string; conditions: { type: string; status: string }[] }[] }[] = [];
const pending: ReturnType<typeof delivered>[] = [];
/** Command id → every report, in the order they came. */
const reports = new Map<string, { status: string; progress?: number; message?: string; result?: any }[]>();

beforeAll(async () => {
  useClock(clock);
  material = await generateClusterPki(new Date(clock.now()));
  api = await startServer(async (req, res) => {
    if (req.path === '/agent/v1/bootstrap') {
      const bundle = bundles.get(String(req.headers.authorization).replace(/^Bearer /, ''));
      if (!bundle) return sendJson(res, 401, { message: 'no such ticket' });
      res.writeHead(200, { 'content-type': 'application/gzip' }).end(bundle);
      return;
    }
    if (req.path === '/agent/v1/heartbeat') {
      heartbeats.push(JSON.parse(req.body));
      return sendJson(res, 200, { desiredGeneration: 1, packs: [], commands: pending, heartbeatIntervalSeconds: 30 });
    }
    const id = /^\/agent\/v1\/commands\/([^/]+)\/result$/.exec(req.path)?.[1];
    if (id) {
      const report = JSON.parse(req.body);
      reports.set(id, [...(reports.get(id) ?? []), report]);
      if (report.status !== 'Running') pending.splice(pending.findIndex((c) => c.id === id), 1);
      return sendJson(res, 200, { id, status: report.status });
    }
    sendJson(res, 404, { message: 'no route' });
  });
  cloud = new SimulatedCloud();
  cloud.settings.bootMs = 5;
  cloud.settings.terminateMs = 5;
  cloud.settings.sleep = (ms, signal) => clock.sleep(ms, signal);
  agents = new SimulatedAgents(cloud, { intervalMs: 20 });
  await launch('controlPlane', 0);
  for (let i = 0; i < WORKERS.length; i++) await launch('worker', i);
  await until(() => heartbeats.at(-1)?.nodes.length === 4);
  cloud.settings.bootMs = STEP_MS;
});
afterAll(async () => {
  agents.stop();
  await api.close();
  useClock();
});

async function launch(role: PlannedNode['role'], index: number) {
  const name = role === 'worker' ? `demo-w-${index}` : `demo-cp-${index}`;
  const node: PlannedNode = { name, pool: role === 'worker' ? 'workers' : 'cp', role, index, zone: 'sim-east-1a', instanceType: 'sim.small', diskGiB: 20, idempotencyToken: name };
  const files = bundleFiles({
    node,
    cluster: { id: CLUSTER, name: 'demo' },
    kubernetesVersion: '1.31.10',
    apiEndpoint: 'api.cl-patch.sim.strata.internal',
    podCidr: '192.168.0.0/16',
    serviceCidr: '10.96.0.0/12',
    bootstrapToken: kubeadmBootstrapToken(SECRET, CLUSTER),
    pki: material.pki,
    ...(role === 'controlPlane' ? { controlPlane: { keys: material.keys, agent: { apiUrl: api.url, token: 'sat.test' } } } : {}),
  });
  const ticket = `ticket-${name}`;
  bundles.set(ticket, await tarGz(files));
  const inst = cloud.runInstance({
    region: 'sim-east-1',
    zone: 'sim-east-1a',
    instanceType: 'sim.small',
    imageId: 'sim-ubuntu-22.04',
    userData: userData(node, { url: `${api.url}/agent/v1/bootstrap`, ticket }),
    tags: { [TAG_CLUSTER]: CLUSTER, [TAG_NAME]: name, 'strata:role': role },
    clientToken: ticket,
  });
  await until(() => agents.isNode(inst.instanceId));
}

let seq = 0;
/** Delivers a patchNodes command as the heartbeat does; its id. */
function issue(args: Record<string, unknown>): string {
  const id = `cmd-patch-${++seq}`;
  const c: Command = { id, clusterId: CLUSTER, kind: 'patchNodes', args, status: 'Pending', createdAt: '', deadline: '2099-01-01T00:00:00Z', updatedAt: '' };
  pending.push(delivered(c));
  return id;
}

const outcomeOf = (id: string) => reports.get(id)?.find((r) => r.status !== 'Running');

/** Moves the runtime clock a step at a time until the command has its outcome. */
async function runToEnd(id: string) {
  for (let i = 0; i < 200 && !outcomeOf(id); i++) {
    clock.advance(STEP_MS);
    await new Promise((r) => setTimeout(r, 25));
  }
  await until(() => outcomeOf(id) !== undefined);
  return { outcome: outcomeOf(id)!, running: reports.get(id)!.filter((r) => r.status === 'Running') };
}

const statuses = (result: { nodes: { status: string }[] }) => result.nodes.map((n) => n.status).join(' ');
const node = (beat: (typeof heartbeats)[number], name: string) => beat.nodes.find((n) => n.name === name)!;
const ready = (beat: (typeof heartbeats)[number], name: string) => node(beat, name).conditions.find((c) => c.type === 'Ready')!.status;

/** Whether the simulation gives the node a new kernel in the run: a third of (run, node) pairs. */
const newKernel = (runId: string, name: string) => createHash('sha256').update(`${runId}/${name}`).digest()[0]! % 3 === 0;

async function fault(body: unknown) {
  const controls = localControls(cloud, {} as never, OPERATOR);
  const req = { url: '/local/faults', method: 'POST', headers: { authorization: `Bearer ${OPERATOR}` } } as IncomingMessage;
  return controls(req, JSON.stringify(body));
}

const args = (runId: string, over: Record<string, unknown> = {}) => ({
  runId,
  pool: 'workers',
  nodes: WORKERS,
  maxUnavailable: 1,
  rebootIfRequired: true,
  stopAt: '2099-01-01T00:00:00Z',
  readyTimeoutSeconds: 300,
  drainTimeoutSeconds: 60,
  ...over,
});

describe('the simulated agent patches nodes on the runtime clock', () => {
  it('node by node: progress after each change, realistic Ubuntu packages (never a held one), a reboot NotReady then back on the new kernel', async () => {
    // A run in which the second worker, and only it, gets a new kernel.
    let n = 0;
    while (!(newKernel(`run-${n}`, 'demo-w-1') && !newKernel(`run-${n}`, 'demo-w-0') && !newKernel(`run-${n}`, 'demo-w-2'))) n++;
    const runId = `run-${n}`;
    const id = issue(args(runId));
    await until(() => (reports.get(id) ?? []).length === 1);
    expect(statuses(reports.get(id)![0]!.result)).toBe('patching pending pending');
    // The patch waits on the runtime clock: without an advance nothing more happens.
    await new Promise((r) => setTimeout(r, 150));
    expect(reports.get(id)).toHaveLength(1);
    const from = heartbeats.length;
    expect(node(heartbeats.at(-1)!, 'demo-w-0').unschedulable).toBe(true);

    const { outcome, running } = await runToEnd(id);
    expect(outcome.status).toBe('Succeeded');
    expect(COMMAND_KINDS.patchNodes.result.safeParse(outcome.result).success).toBe(true);
    expect(statuses(outcome.result)).toBe('patched patched patched');
    expect(running.map((r) => statuses(r.result))).toEqual([
      'patching pending pending',
      'patched pending pending',
      'patched patching pending',
      'patched patched pending',
      'patched patched patching',
      'patched patched patched',
    ]);
    for (const r of running) expect(COMMAND_KINDS.patchNodes.progressResult.safeParse(r.result).success).toBe(true);

    const [w0, w1, w2] = outcome.result.nodes;
    for (const r of [w0, w1, w2]) {
      expect(r.packages).toContainEqual({ name: 'openssl', from: '3.0.2-0ubuntu1.18', to: '3.0.2-0ubuntu1.19' });
      for (const p of r.packages) expect(HELD_PACKAGES as readonly string[]).not.toContain(p.name);
      expect(Date.parse(r.finishedAt) - Date.parse(r.startedAt)).toBeGreaterThanOrEqual(STEP_MS);
    }
    expect(w0).toMatchObject({ rebootRequired: false, rebooted: false });
    expect(w1).toMatchObject({ rebootRequired: true, rebooted: true });
    expect(w1.packages).toContainEqual({ name: 'linux-image-5.15.0-140-generic', to: '5.15.0-140.150' });
    expect(Date.parse(w1.startedAt)).toBeGreaterThanOrEqual(Date.parse(w0.finishedAt));

    // While it rebooted its reports said NotReady; back, it runs the new kernel, uncordoned.
    const during = heartbeats.slice(from);
    expect(during.some((b) => ready(b, 'demo-w-1') === 'Unknown')).toBe(true);
    expect(during.some((b) => ready(b, 'demo-w-0') !== 'True' || ready(b, 'demo-w-2') !== 'True')).toBe(false);
    await until(() => heartbeats.length > from + during.length);
    const last = heartbeats.at(-1)!;
    expect(node(last, 'demo-w-1')).toMatchObject({ kernelVersion: '5.15.0-140-generic', unschedulable: false });
    expect(node(last, 'demo-w-0')).toMatchObject({ kernelVersion: '5.15.0-131-generic', unschedulable: false });
    expect(agents.patchLeases(CLUSTER)).toContainEqual({ name: `strata-patch-${runId}-workers`, holder: expect.stringMatching(/^sim-agent-/) });

    // What a node was upgraded to is not offered again in the next run.
    const again = await runToEnd(issue(args(`${runId}-again`)));
    for (const r of again.outcome.result.nodes) expect(r.packages.map((p: { name: string }) => p.name)).not.toContain('openssl');
  });

  it('a patch fault fails its node (uncordoned) and the others go on: Failed with every node', async () => {
    expect(await fault({ patch: { node: 'demo-w-0', mode: 'fail', times: 1, message: 'E: dpkg was interrupted' } })).toMatchObject({ statusCode: 201 });
    const { outcome } = await runToEnd(issue(args('run-fail')));
    expect(outcome).toMatchObject({ status: 'Failed', message: expect.stringMatching(/^patching failed on 1 node\(s\) of pool workers: demo-w-0 \(the OS patch on demo-w-0 failed: exit code 100 \(Error\): E: dpkg was interrupted\)$/) });
    expect(COMMAND_KINDS.patchNodes.failureResult.safeParse(outcome.result).success).toBe(true);
    expect(statuses(outcome.result)).toBe('failed patched patched');
    await until(() => heartbeats.length > 0 && node(heartbeats.at(-1)!, 'demo-w-0').unschedulable === false);
    // Spent: the next run patches it.
    expect(cloud.faults).toEqual([]);
  });

  it('a node that does not come back is notReady, stays cordoned and NotReady; the rest are skipped', async () => {
    const res = await fault({ patch: { node: 'demo-w-1', mode: 'notReady' } });
    expect(JSON.parse(res!.body).faults).toContainEqual({ operation: 'PatchNode:demo-w-1', error: 'NodeNotReady' });
    const { outcome } = await runToEnd(issue(args('run-down', { readyTimeoutSeconds: 120 })));
    expect(outcome).toMatchObject({ status: 'Failed', message: 'demo-w-1 was not Ready within 120 s after its patch; it stays cordoned: no further node of pool workers was started' });
    expect(statuses(outcome.result)).toBe('patched notReady skipped');
    const from = heartbeats.length;
    await until(() => heartbeats.length > from);
    expect(node(heartbeats.at(-1)!, 'demo-w-1').unschedulable).toBe(true);
    expect(ready(heartbeats.at(-1)!, 'demo-w-1')).toBe('Unknown');
  });

  it('refuses a patch fault it cannot apply', async () => {
    expect(await fault({ patch: { node: 'demo-w-0', mode: 'explode' } })).toMatchObject({ statusCode: 400 });
  });
});

describe('the maintenance window', () => {
  it('past stopAt no node starts: the rest stay pending and the run says it stopped at the window end', async () => {
    const id = issue(args('run-window', { nodes: ['demo-w-0', 'demo-w-2'], stopAt: new Date(clock.now() + 1000).toISOString() }));
    await until(() => (reports.get(id) ?? []).length === 1);
    const { outcome } = await runToEnd(id);
    expect(outcome).toMatchObject({ status: 'Succeeded', result: { stoppedAtWindowEnd: true } });
    expect(statuses(outcome.result)).toBe('patched pending');
  });
});
