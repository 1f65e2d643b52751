import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH, heartbeatCondition, metricsCondition, missingAt, nodesCondition, overallHealth, recordedUntil, type UsagePoint } from '../../../core/health.js';

const now = new Date('2026-11-24T12:00:00Z');
const node = (name: string, conditions: { type: string; status: 'True' | 'False' | 'Unknown' }[]) => ({ name, role: 'worker' as const, addresses: [], conditions });

describe('health checks', () => {
  it('HeartbeatHealthy turns False once no unrecorded heartbeat can be within the threshold', () => {
    expect(heartbeatCondition('2026-11-24T11:59:00Z', now, DEFAULT_HEALTH).status).toBe('True');
    // The minute's later heartbeats write nothing: the agent may have reported up to 11:58:45
    // (half the threshold after the record), which is not yet 90 s ago.
    expect(heartbeatCondition('2026-11-24T11:58:00Z', now, DEFAULT_HEALTH).status).toBe('True');
    const missing = heartbeatCondition('2026-11-24T11:57:40Z', now, DEFAULT_HEALTH);
    expect(missing).toMatchObject({ status: 'False', reason: 'HeartbeatMissing' });
    expect(missing.message).toContain('no heartbeat for 140 s (threshold 90 s)');
    expect(heartbeatCondition(undefined, now, DEFAULT_HEALTH).status).toBe('Unknown');
  });

  it('a recorded heartbeat stands for the rest of its minute, at most half the threshold', () => {
    const at = (t: string) => Date.parse(`2026-11-24T11:00:${t}Z`);
    expect(recordedUntil(at('40'), DEFAULT_HEALTH)).toBe(Date.parse('2026-11-24T11:01:00Z'));
    expect(recordedUntil(at('10'), DEFAULT_HEALTH)).toBe(at('55'));
    expect(recordedUntil(at('10'), { missingAfterSeconds: 4 })).toBe(at('12'));
    expect(recordedUntil(at('10'), { missingAfterSeconds: 600 })).toBe(Date.parse('2026-11-24T11:01:00Z'));
    // Never past the threshold + a minute: a sweep once a minute finds it within two.
    for (const s of ['00', '10', '40', '59']) expect(missingAt(at(s), DEFAULT_HEALTH) - at(s)).toBeLessThanOrEqual((90 + 60) * 1000);
  });

  it('NodesHealthy names each node and condition', () => {
    const c = nodesCondition([
      node('a', [{ type: 'Ready', status: 'True' }]),
      node('b', [{ type: 'Ready', status: 'False' }, { type: 'DiskPressure', status: 'True' }]),
      node('c', [{ type: 'Ready', status: 'True' }, { type: 'NetworkUnavailable', status: 'True' }]),
      node('d', []),
    ]);
    expect(c.status).toBe('False');
    expect(c.message).toBe('b: Ready is False; b: DiskPressure is True; c: NetworkUnavailable is True; d: Ready is missing');
    expect(nodesCondition([node('a', [{ type: 'Ready', status: 'True' }, { type: 'MemoryPressure', status: 'False' }])]).status).toBe('True');
  });

  it('MetricsHealthy needs usage above the threshold for the whole window', () => {
    const minutes = (n: number, cpu: (i: number) => number): UsagePoint[] =>
      Array.from({ length: n }, (_, i) => ({ t: new Date(now.getTime() - (n - 1 - i) * 60_000).toISOString(), cpuPercent: cpu(i), memoryPercent: 40 }));
    expect(metricsCondition(minutes(11, () => 95), now, DEFAULT_HEALTH)).toMatchObject({ status: 'False', reason: 'SustainedHighUsage' });
    // One dip below inside the window: not sustained.
    expect(metricsCondition(minutes(11, (i) => (i === 5 ? 80 : 95)), now, DEFAULT_HEALTH).status).toBe('True');
    // High, but not yet for the whole window.
    expect(metricsCondition(minutes(4, () => 99), now, DEFAULT_HEALTH).status).toBe('True');
    expect(metricsCondition([], now, DEFAULT_HEALTH).status).toBe('Unknown');
  });

  it('overall health is the worst of the three', () => {
    const c = (type: string, status: string) => ({ type, status, message: `${type} says ${status}` });
    expect(overallHealth([c('HeartbeatHealthy', 'True'), c('NodesHealthy', 'True'), c('MetricsHealthy', 'True'), c('Ready', 'False')]).health).toBe('Healthy');
    expect(overallHealth([c('HeartbeatHealthy', 'True'), c('NodesHealthy', 'False'), c('MetricsHealthy', 'Unknown')])).toEqual({
      health: 'Unhealthy',
      reasons: ['NodesHealthy: NodesHealthy says False', 'MetricsHealthy: MetricsHealthy says Unknown'],
    });
    expect(overallHealth([c('HeartbeatHealthy', 'True')]).health).toBe('Unknown');
  });
});
