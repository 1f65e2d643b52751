import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { agentToken } from '../../core/agent-token.js';
import { allowanceMs, DEFAULT_HEALTH } from '../../core/health.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

let api: Api;
let account: string;
beforeAll(async () => {
  api = await startApi({ sweepIntervalMs: 500 });
  account = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
});
afterAll(() => api.stop());
afterEach(() => {
  vi.useRealTimers();
});

const running = async (name: string, extra: Record<string, unknown> = {}) => {
  const id = (await api.call('POST', '/v1/clusters', { body: clusterBody(account, { name, ...extra }) })).body.id as string;
  await eventually(async () => ((await api.call('GET', `/v1/clusters/${id}`)).body.phase === 'Running' ? true : undefined), `${name} Running`);
  return id;
};
const condition = async (id: string, type: string) => (await api.call('GET', `/v1/clusters/${id}/conditions`)).body.items.find((c: any) => c.type === type);
const local = (body: unknown) => api.call('POST', '/local/faults', { body });

describe('health', () => {
  it('runs no sweep while no cluster reports, and turns it on with the first heartbeat', async () => {
    const rules = new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const state = async () => (await rules.send(new DescribeRuleCommand({ Name: process.env.SWEEP_RULE_NAME }))).State;
    expect(await state()).toBe('ENABLED');
    const { handler: sweep } = (await import('../../functions/health/sweep.js')) as unknown as { handler: (e: unknown, c: unknown) => Promise<{ paused: boolean }> };
    expect((await sweep({ source: 'aws.scheduler' }, lambdaContext('health-sweep'))).paused).toBe(true);
    expect(await state()).toBe('DISABLED');
    // The scheduled runs skip while it is off.
    const before = api.runtime.scheduler.runs;
    await new Promise((r) => setTimeout(r, 1_200));
    expect(api.runtime.scheduler.runs).toBe(before);
    await running('first');
    await eventually(async () => ((await state()) === 'ENABLED' ? true : undefined), 'the sweep on again');
    expect((await sweep({ source: 'aws.scheduler' }, lambdaContext('health-sweep'))).paused).toBe(false);
  });

  it('is Healthy once a running cluster reports, with all three checks True', async () => {
    const id = await running('fine');
    const health = await eventually(async () => {
      const h = (await api.call('GET', `/v1/clusters/${id}`)).body.health;
      return h.health === 'Healthy' ? h : undefined;
    }, 'Healthy');
    expect(health.reasons).toEqual([]);
    expect((await condition(id, 'NodesHealthy')).message).toBe('3 node(s) Ready, no pressure');
  });

  it('turns NodesHealthy False naming the node and condition, and back', async () => {
    const id = await running('flaky');
    await local({ node: 'flaky-workers-1', condition: 'Ready', status: 'False' });
    await local({ node: 'flaky-workers-0', condition: 'MemoryPressure', status: 'True' });
    // A heartbeat may land between the two faults, so wait for the one that carries both.
    const c = await eventually(async () => {
      const x = await condition(id, 'NodesHealthy');
      return x?.status === 'False' && x.message?.includes('flaky-workers-0') ? x : undefined;
    }, 'NodesHealthy False naming both nodes');
    expect(c.message).toContain('flaky-workers-1: Ready is False');
    expect(c.message).toContain('flaky-workers-0: MemoryPressure is True');
    expect((await api.call('GET', `/v1/clusters/${id}`)).body.health.health).toBe('Unhealthy');
    await api.call('DELETE', '/local/faults');
    await eventually(async () => ((await condition(id, 'NodesHealthy'))?.status === 'True' ? true : undefined), 'NodesHealthy True again');
    const events = (await api.call('GET', `/v1/clusters/${id}/events?limit=100`)).body.items.map((e: any) => e.reason);
    expect(events).toEqual(expect.arrayContaining(['NodeProblems', 'AllNodesReady', 'HealthUnhealthy', 'HealthHealthy']));
  });

  it('turns Unhealthy within two intervals once heartbeats stop, found by the sweep', async () => {
    const id = await running('quiet', { healthChecks: { heartbeatIntervalSeconds: 2, missingAfterSeconds: 4 } });
    await eventually(async () => ((await condition(id, 'HeartbeatHealthy'))?.status === 'True' ? true : undefined), 'heartbeat seen');
    await local({ cluster: id, agent: 'silent' });
    const silentAt = Date.now();
    const c = await eventually(
      async () => {
        const x = await condition(id, 'HeartbeatHealthy');
        return x?.status === 'False' ? x : undefined;
      },
      'HeartbeatHealthy False',
      15_000,
      100,
    );
    // The threshold (4 s) plus at most two heartbeat intervals (2 s each).
    expect(Date.now() - silentAt).toBeLessThan(4000 + 2 * 2000);
    expect(c.reason).toBe('HeartbeatMissing');
    expect((await api.call('GET', `/v1/clusters/${id}`)).body.health.health).toBe('Unhealthy');
    // Reporting again heals it.
    await local({ cluster: id, agent: 'reporting' });
    await eventually(async () => ((await condition(id, 'HeartbeatHealthy'))?.status === 'True' ? true : undefined), 'HeartbeatHealthy True again');
  });

  it('finds a silent cluster no earlier than its threshold and at most two minutes after it, with the defaults', async () => {
    const id = await running('hush');
    await local({ cluster: id, agent: 'silent' });
    const token = agentToken(process.env.PLATFORM_SECRET!, 'default', id);
    const node = (name: string, role: string) => ({ name, role, conditions: [{ type: 'Ready', status: 'True' }], allocatable: { cpu: '4', memory: '16Gi' }, usage: { cpu: '500m', memory: '4Gi' } });
    const body = JSON.stringify({ agentVersion: 't', clusterId: id, observedGeneration: 1, nodes: [node('hush-cp-0', 'controlPlane'), node('hush-workers-0', 'worker'), node('hush-workers-1', 'worker')], packs: [] });
    const beat = async () => {
      expect((await api.call('POST', '/agent/v1/heartbeat', { key: token, raw: body })).status).toBe(200);
      await api.runtime.lambda.settle();
    };
    const { handler: sweep } = (await import('../../functions/health/sweep.js')) as unknown as { handler: (e: unknown, c: unknown) => Promise<unknown> };
    const clock = api.runtime.clock;
    const { heartbeatIntervalSeconds: interval, missingAfterSeconds: threshold } = DEFAULT_HEALTH;
    // A sweep once a simulated minute, as in AWS. It may wait on the clock for a deadline just
    // ahead: time moves straight to whatever waits next, so no time passes while it works.
    const sweepOnce = async () => {
      let done = false;
      const run = sweep({ source: 'aws.scheduler' }, lambdaContext('health-sweep')).finally(() => (done = true));
      while (!done) {
        await new Promise((r) => setTimeout(r, 5));
        const next = clock.nextWake();
        if (!done && next !== undefined && next > clock.now() && next - clock.now() <= 60_000) clock.advance(next - clock.now());
      }
      await run;
    };
    const silence = async () => {
      const last = clock.now();
      for (;;) {
        clock.advance(60_000 - (clock.now() % 60_000));
        await sweepOnce();
        const waited = (clock.now() - last) / 1000;
        const c = await condition(id, 'HeartbeatHealthy');
        if (waited <= threshold) expect(c.status, `HeartbeatHealthy ${waited} s after the last heartbeat`).toBe('True');
        else if (c.status === 'False') return waited;
        expect(waited, 'seconds after the last heartbeat, the cluster not yet found').toBeLessThan(threshold + allowanceMs(DEFAULT_HEALTH) / 1000);
      }
    };
    // A second past a minute, well after the simulated agent's last heartbeat: that heartbeat is
    // recorded, and stands for the next ones until 105 s have passed.
    clock.advance(2 * 60_000 - (clock.now() % 60_000) + 1_000);
    // Silent right after a recorded heartbeat (the fifth, two minutes on: the latest the deadline can be)...
    for (let i = 0; i < 5; i++) {
      if (i) clock.advance(interval * 1000);
      await beat();
    }
    const latest = await silence();
    expect(latest).toBeGreaterThan(threshold);
    expect(latest).toBeLessThanOrEqual(threshold + 120);
    expect((await condition(id, 'HeartbeatHealthy')).reason).toBe('HeartbeatMissing');
    // ...and, once back, right after the last one the record stands for (the earliest it can be).
    clock.advance(60_000 - (clock.now() % 60_000) + 21_000);
    await beat();
    expect((await condition(id, 'HeartbeatHealthy')).status).toBe('True');
    for (let i = 0; i < 3; i++) {
      clock.advance(interval * 1000);
      await beat();
    }
    const earliest = await silence();
    expect(earliest).toBeGreaterThan(threshold);
    expect(earliest).toBeLessThan(latest);
  });

  it('turns MetricsHealthy False after CPU stays at 95 % for the window, and recovers after', async () => {
    const id = await running('busy');
    await local({ cluster: id, agent: 'silent' });
    const token = agentToken(process.env.PLATFORM_SECRET!, 'default', id);
    const node = (name: string, role: string, cpuMilli: number) => ({
      name,
      role,
      conditions: [{ type: 'Ready', status: 'True' }],
      allocatable: { cpu: '4', memory: '16Gi' },
      usage: { cpu: `${cpuMilli}m`, memory: '4Gi' },
    });
    const beat = async (cpuMilli: number) => {
      const body = { agentVersion: 't', clusterId: id, observedGeneration: 1, nodes: [node('busy-cp-0', 'controlPlane', 500), node('busy-workers-0', 'worker', cpuMilli), node('busy-workers-1', 'worker', cpuMilli)], packs: [] };
      const res = await api.call('POST', '/agent/v1/heartbeat', { key: token, raw: JSON.stringify(body) });
      expect(res.status).toBe(200);
      await api.runtime.lambda.settle();
    };
    // Only Date is faked: servers and timers run as usual, while a "minute" passes per step.
    vi.useFakeTimers({ toFake: ['Date'] });
    // Well after the simulated agent's last real-time sample, so the window holds only these.
    // 40 minutes into an hour, so the 5-minute roll-ups on the way roll up into that hour's.
    const start = Math.ceil((Date.now() + 5 * 60_000) / 3_600_000) * 3_600_000 + 40 * 60_000;
    for (let minute = 0; minute <= 11; minute++) {
      vi.setSystemTime(start + minute * 60_000);
      await beat(3800); // 95 % of 4 cores
    }
    const high = await condition(id, 'MetricsHealthy');
    expect(high).toMatchObject({ status: 'False', reason: 'SustainedHighUsage' });
    expect(high.message).toContain('CPU above 90% for 10 min');
    for (let minute = 12; minute <= 13; minute++) {
      vi.setSystemTime(start + minute * 60_000);
      await beat(1200);
    }
    expect((await condition(id, 'MetricsHealthy')).status).toBe('True');
    const usage = (await api.call('GET', `/v1/clusters/${id}/usage?window=1h`)).body;
    expect(usage.series.length).toBeGreaterThanOrEqual(12);
    expect(usage.series.at(-1)).toMatchObject({ coresUsed: 2.4, cpuUsagePercent: 30 });
    // Longer windows come from the 5-minute roll-ups made on the way.
    const day = (await api.call('GET', `/v1/clusters/${id}/usage?window=24h`)).body;
    expect(day.resolution).toBe('5m');
    expect(day.series.length).toBeGreaterThanOrEqual(2);
    expect(day.series.some((p: any) => p.cpuUsagePercent === 95)).toBe(true);
    // The hour's roll-up rides on the next hour's minute :01.
    vi.setSystemTime(start + 21 * 60_000);
    await beat(1200);
    const month = (await api.call('GET', `/v1/clusters/${id}/usage?window=30d`)).body;
    expect(month.resolution).toBe('1h');
    expect(month.series).toContainEqual(expect.objectContaining({ t: new Date(start - 40 * 60_000).toISOString().replace('.000Z', 'Z'), cpuUsagePercent: 95 }));
    // One node's view: its conditions and its own series.
    const detail = (await api.call('GET', `/v1/clusters/${id}/nodes/busy-workers-0?window=1h`)).body;
    expect(detail).toMatchObject({ name: 'busy-workers-0', role: 'worker', ready: true });
    expect(detail.series.length).toBeGreaterThanOrEqual(12);
    expect(detail.series.at(-1).coresUsed).toBe(1.2);
    expect(detail.series.slice(0, 10).every((p: any) => p.coresUsed === 3.8)).toBe(true);
    expect((await api.call('GET', `/v1/clusters/${id}/nodes/nope`)).status).toBe(404);
  });
});
