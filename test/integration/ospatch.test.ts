import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

/**
 * OS patching end to end on the local runtime: settings and their schedule in the local
 * EventBridge Scheduler, runs asked for and scheduled, the agent's node-by-node loop with at most
 * maxUnavailable nodes out (checked from the events), failures retried, a node that does not come
 * back, a window that ends mid-run, patching and reconciling never at once, and no schedule left
 * behind a deleted cluster.
 */
let api: Api;
let accountId: string;
let id: string;
const WORKERS = ['patch-workers-0', 'patch-workers-1', 'patch-workers-2', 'patch-workers-3'];

beforeAll(async () => {
  api = await startApi();
  accountId = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
  const body = clusterBody(accountId, { name: 'patch' });
  body.nodePools[1] = { ...body.nodePools[1]!, count: 4, rollout: { maxSurge: 1, maxUnavailable: 2 } } as (typeof body.nodePools)[number];
  const made = await api.call('POST', '/v1/clusters', { body });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  id = made.body.id;
  await eventually(async () => ((await get(`/v1/clusters/${id}`)).phase === 'Running' ? true : undefined), 'cluster Running', 60_000);
}, 90_000);
afterAll(() => api.stop());

const get = async (path: string) => (await api.call('GET', path)).body;
const patching = () => get(`/v1/clusters/${id}/ospatch`);
const setPatch = (settings: object, dryRun = false) => api.call('PUT', `/v1/clusters/${id}/ospatch${dryRun ? '?dryRun=true' : ''}`, { body: settings });
const runNow = () => api.call('POST', `/v1/clusters/${id}/ospatch/run`);
const events = async () => (await get(`/v1/clusters/${id}/events?limit=100`)).items.reverse(); // oldest first
const runEnded = (runId: string) =>
  eventually(
    async () => {
      const run = (await patching()).runs.find((r: any) => r.id === runId);
      return run && !['Waiting', 'Running'].includes(run.state) ? run : undefined;
    },
    `patch run ${runId} ended`,
    60_000,
  ).catch(async (err) => {
    const run = (await patching()).runs.find((r: any) => r.id === runId);
    const commands = (await get(`/v1/clusters/${id}/commands?limit=5`)).items.map((c: any) => ({ status: c.status, message: c.message, result: c.result?.nodes?.map((n: any) => `${n.node}:${n.status}`) }));
    throw new Error(`${(err as Error).message}: ${JSON.stringify(run)} commands ${JSON.stringify(commands)}`);
  });
const schedules = async () => (await get('/local/schedules')).items ?? (await get('/local/schedules'));

/** The most nodes out (cordoned for the patch, not yet back) at once, from the events of one run. */
function mostOut(list: any[], nodes: string[]): number {
  let out = 0;
  let most = 0;
  for (const e of list.filter((x) => nodes.includes(x.subject))) {
    if (e.reason === 'NodeCordonedForPatch') most = Math.max(most, ++out);
    if (['NodePatched', 'NodePatchFailed', 'NodeNotReadyAfterPatch'].includes(e.reason)) out--;
  }
  return most;
}

describe('OS patching', { timeout: 120_000 }, () => {
  it('keeps the settings and their schedule: the Scheduler expression, the next runs in the time zone, one schedule', async () => {
    const preview = await setPatch({ frequency: 'weekly', dayOfWeek: 'SUN', timeOfDay: '03:00', timeZone: 'Europe/Berlin', windowMinutes: 120, rebootIfRequired: true }, true);
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body).toMatchObject({ dryRun: true, scheduleExpression: 'cron(0 3 ? * SUN *)' });
    expect((await patching()).settings.frequency).toBe('none'); // a preview writes nothing
    const set = await setPatch({ frequency: 'weekly', dayOfWeek: 'SUN', timeOfDay: '03:00', timeZone: 'Europe/Berlin', windowMinutes: 120, rebootIfRequired: true });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.nextRuns).toHaveLength(5);
    for (const run of set.body.nextRuns) {
      expect(run.local).toMatch(/^\d{4}-\d{2}-\d{2} 03:00 \(Europe\/Berlin\)$/);
      expect(new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Berlin', weekday: 'short' }).format(new Date(run.at))).toBe('Sun');
      expect(Date.parse(run.windowEndsAt) - Date.parse(run.at)).toBe(120 * 60_000);
    }
    const mine = (await schedules()).filter((s: any) => s.name === `patch-${id}`);
    expect(mine).toEqual([expect.objectContaining({ expression: 'cron(0 3 ? * SUN *)', timeZone: 'Europe/Berlin', state: 'ENABLED' })]);
    // Bad input is a 400 naming the field.
    const bad = async (body: object, path: string) => {
      const res = await setPatch(body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.details.map((d: any) => d.path)).toContain(path);
    };
    await bad({ frequency: 'cron', cron: '0 3 1 * MON' }, 'cron');
    await bad({ frequency: 'weekly' }, 'dayOfWeek');
    await bad({ frequency: 'daily', timeZone: 'Mars/Olympus_Mons' }, 'timeZone');
    await bad({ frequency: 'monthly', dayOfMonth: 31 }, 'dayOfMonth');
    expect((await patching()).scheduleExpression).toBe('cron(0 3 ? * SUN *)');
  });

  it('patches now: pool by pool, never more than maxUnavailable out, each node recording its packages', async () => {
    const started = await runNow();
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body).toMatchObject({ trigger: 'manual', state: 'Waiting' });
    expect(started.body.nodes.map((n: any) => n.node)).toEqual(['patch-cp-0', ...WORKERS]);
    const again = await runNow();
    expect(again.status).toBe(409);
    const run = await runEnded(started.body.id);
    expect(run.state, run.message).toBe('Succeeded');
    expect(run.nodes.every((n: any) => n.status === 'patched' && n.packages.length > 0)).toBe(true);
    const list = await events();
    expect(mostOut(list, WORKERS)).toBe(2);
    expect(mostOut(list, ['patch-cp-0', ...WORKERS])).toBe(2);
    // The control plane is done before any worker starts.
    const cpDone = list.findIndex((e: any) => e.reason === 'NodePatched' && e.subject === 'patch-cp-0');
    const firstWorker = list.findIndex((e: any) => e.reason === 'NodeCordonedForPatch' && WORKERS.includes(e.subject));
    expect(cpDone).toBeGreaterThanOrEqual(0);
    expect(firstWorker).toBeGreaterThan(cpDone);
    // Kubernetes packages are held: never among the upgraded.
    expect(run.nodes.flatMap((n: any) => n.packages.map((p: any) => p.name)).filter((p: string) => /^(kubelet|kubeadm|kubectl|containerd)$/.test(p))).toEqual([]);
    const nodes = (await get(`/v1/clusters/${id}/nodes`)).items;
    for (const n of nodes) expect(n.lastPatch, n.name).toMatchObject({ runId: run.id, status: 'patched' });
    const one = await get(`/v1/clusters/${id}/nodes/patch-workers-0`);
    expect(one.lastPatch.packages.length).toBeGreaterThan(0);
    const condition = (await get(`/v1/clusters/${id}/conditions`)).items.find((c: any) => c.type === 'OsPatched');
    expect(condition).toMatchObject({ status: 'True', reason: 'Patched' });
  });

  it('retries a node whose patch failed, saying so', async () => {
    await api.call('POST', '/local/faults', { body: { patch: { node: 'patch-workers-1', mode: 'fail', times: 1, message: 'E: Could not get lock /var/lib/dpkg/lock-frontend' } } });
    // A run still winding down from the test before is a 409: ask again until this one starts.
    const first = await eventually(async () => {
      const res = await runNow();
      return res.status === 202 ? res.body : undefined;
    }, 'a patch run accepted (202)', 20_000, 250);
    const retried = await runEnded(first.id);
    expect(retried.state, retried.message).toBe('Succeeded');
    const list = await events();
    expect(list.some((e: any) => e.reason === 'NodePatchFailed' && e.subject === 'patch-workers-1' && /Could not get lock/.test(e.message))).toBe(true);
    expect(list.some((e: any) => e.reason === 'PatchFailed' && /attempt 1 of 3/.test(e.message))).toBe(true);

  });

  it('a run cut by its window stops at a node boundary and the next run resumes with the nodes it left', async () => {
    await setPatch({ frequency: 'none', windowMinutes: 30 });
    await api.call('POST', '/local/faults', { body: { patch: { node: 'patch-cp-0', mode: 'slow', seconds: 900, times: 1 } } });
    const cut = (await runNow()).body;
    await eventually(async () => ((await events()).some((e: any) => e.reason === 'NodeCordonedForPatch' && e.subject === 'patch-cp-0' && e.message.includes(cut.id)) ? true : undefined), 'the control plane node patching');
    api.runtime.clock.advance(31 * 60_000); // past the window, while the control plane node is still patching
    const paused = await runEnded(cut.id);
    expect(paused.state, paused.message).toBe('Paused');
    expect(paused.nodes.find((n: any) => n.node === 'patch-cp-0').status).toBe('patched');
    expect(paused.nodes.filter((n: any) => n.status === 'pending').map((n: any) => n.node)).toEqual(WORKERS);
    expect(paused.message).toMatch(/4 node\(s\) are left for the next one/);
    const resumed = (await runNow()).body;
    expect(resumed.nodes.map((n: any) => n.node)).toEqual(WORKERS);
    expect(resumed.message).toBe(`resumes run ${cut.id}: the nodes its window left`);
    expect((await runEnded(resumed.id)).state).toBe('Succeeded');
  });

  it('a scheduled run fires on the clock, once however often it is delivered', async () => {
    // A daily run two minutes from now on the runtime's clock.
    const now = new Date(api.runtime.clock.now() + 2 * 60_000);
    const hhmm = `${String(now.getUTCHours()).padStart(2, '0')}:${String(now.getUTCMinutes()).padStart(2, '0')}`;
    const set = await setPatch({ frequency: 'daily', timeOfDay: hhmm, timeZone: 'UTC', windowMinutes: 60 });
    const at = set.body.nextRuns[0].at;
    const before = (await patching()).runs.length;
    api.runtime.clock.advance(3 * 60_000);
    const run = await eventually(async () => (await patching()).runs.find((r: any) => r.trigger === 'schedule' && r.scheduledTime === at), 'the scheduled run');
    const ended = await runEnded(run.id);
    expect(ended.state, ended.message).not.toBe('Waiting');
    // Scheduler delivers at least once: the same delivery again starts nothing.
    const input = JSON.stringify({ tenantId: 'default', clusterId: id, trigger: 'schedule', scheduledTime: at });
    const arn = process.env.PATCH_STATE_MACHINE_ARN!;
    const again = api.runtime.workflows.startExecution(arn, `redelivery-${Date.now()}`, input);
    if ('done' in again) await again.done;
    expect((await patching()).runs.filter((r: any) => r.scheduledTime === at)).toHaveLength(1);
    expect((await patching()).runs.length).toBe(before + 1);
  });

  it('a patch run and a reconcile never run at once: the later waits and says so', async () => {
    await setPatch({ frequency: 'none' });
    const cluster = await get(`/v1/clusters/${id}`);
    const pools = cluster.nodePools.map((p: any) => (p.name === 'workers' ? { ...p, count: 5 } : p));
    expect((await api.call('PUT', `/v1/clusters/${id}`, { body: { version: cluster.version, nodePools: pools } })).status).toBe(200);
    const run = (await runNow()).body;
    await eventually(async () => ((await events()).some((e: any) => e.reason === 'PatchRunWaiting' && /reconcile/.test(e.message)) ? true : undefined), 'the run waits for the reconcile');
    const ended = await runEnded(run.id);
    expect(ended.state, ended.message).toBe('Succeeded');
    expect(ended.nodes.map((n: any) => n.node)).not.toContain('patch-workers-4'); // the run's nodes were fixed when it was asked for
    const after = await get(`/v1/clusters/${id}`);
    expect(after.status.observedGeneration).toBe(after.generation);

    // The other way round: a change made while a run patches waits for the run.
    await api.call('POST', '/local/faults', { body: { patch: { node: 'patch-cp-0', mode: 'slow', seconds: 600, times: 1 } } });
    const busy = (await runNow()).body;
    await eventually(async () => ((await events()).some((e: any) => e.reason === 'NodeCordonedForPatch' && e.message.includes(busy.id)) ? true : undefined), 'the run patching');
    const current = await get(`/v1/clusters/${id}`);
    const fewer = current.nodePools.map((p: any) => (p.name === 'workers' ? { ...p, count: 4 } : p));
    expect((await api.call('PUT', `/v1/clusters/${id}`, { body: { version: current.version, nodePools: fewer } })).status).toBe(200);
    await eventually(async () => ((await events()).some((e: any) => e.reason === 'ReconcileWaiting' && e.message.includes(busy.id)) ? true : undefined), 'the reconcile waits for the run');
    api.runtime.clock.advance(11 * 60_000);
    expect((await runEnded(busy.id)).state).toBe('Succeeded');
    await eventually(async () => {
      const c = await get(`/v1/clusters/${id}`);
      return c.status?.observedGeneration === c.generation ? true : undefined;
    }, 'the reconcile done after the run', 60_000);
  });

  it('stops a pool at a node that does not come back Ready, naming it', async () => {
    await api.call('POST', '/local/faults', { body: { patch: { node: 'patch-workers-0', mode: 'notReady', times: 1 } } });
    const second = (await runNow()).body;
    // The agent gives a node 15 minutes to be Ready again: let the runtime's clock run.
    await eventually(async () => {
      api.runtime.clock.advance(60_000);
      const run = (await patching()).runs.find((r: any) => r.id === second.id);
      return run && !['Waiting', 'Running'].includes(run.state) ? run : undefined;
    }, 'the run to give up on the node', 60_000, 100);
    const stopped = await runEnded(second.id);
    expect(stopped.state).toBe('Failed');
    expect(stopped.message).toMatch(/patch-workers-0 did not come back Ready/);
    const byNode = Object.fromEntries(stopped.nodes.map((n: any) => [n.node, n.status]));
    expect(byNode['patch-workers-0']).toBe('notReady');
    const condition = (await get(`/v1/clusters/${id}/conditions`)).items.find((c: any) => c.type === 'OsPatched');
    expect(condition).toMatchObject({ status: 'False' });
    await api.call('DELETE', '/local/faults');
  });

  it('deleting the cluster deletes its schedule', async () => {
    await setPatch({ frequency: 'daily', timeOfDay: '04:00', timeZone: 'Asia/Kolkata' });
    expect((await schedules()).filter((s: any) => s.name === `patch-${id}`)).toHaveLength(1);
    expect((await api.call('DELETE', `/v1/clusters/${id}`)).status).toBe(202);
    await eventually(async () => ((await get(`/v1/clusters/${id}`)).phase === 'Deleted' ? true : undefined), 'cluster Deleted', 60_000);
    expect((await schedules()).filter((s: any) => s.name.includes(id))).toEqual([]);
  });
});
