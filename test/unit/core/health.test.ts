import { describe, expect, it } from 'vitest';
import { allowanceMs, DEFAULT_HEALTH, heartbeatCondition, lookaheadMs, metricsCondition, missingAt, nodesCondition, overallHealth, recordedUntil, SWEEP_PERIOD_SECONDS, type UsagePoint } from '../../../core/health.js';

const now = new Date('2026-11-24T12:00:00Z');
const node = (name: string, conditions: { type: string; status: 'True' | 'False' | 'Unknown' }[]) => ({ name, role: 'worker' as const, addresses: [], conditions });

describe('health checks', () => {
  it('HeartbeatHealthy turns False once no unrecorded heartbeat can be within the threshold', () => {
    expect(heartbeatCondition('2026-11-24T11:59:00Z', now, DEFAULT_HEALTH).status).toBe('True');
    // Later heartbeats write nothing until the record's 105 s have passed: the agent may have
    // reported up to 11:58:45, which is not yet 90 s ago.
    expect(heartbeatCondition('2026-11-24T11:57:00Z', now, DEFAULT_HEALTH).status).toBe('True');
    const missing = heartbeatCondition('2026-11-24T11:56:40Z', now, DEFAULT_HEALTH);
    expect(missing).toMatchObject({ status: 'False', reason: 'HeartbeatMissing' });
    expect(missing.message).toContain('no heartbeat for 200 s (threshold 90 s)');
    expect(heartbeatCondition(undefined, now, DEFAULT_HEALTH).status).toBe('Unknown');
  });

  it('a recorded heartbeat stands until the allowance less the sweep lateness, to the end of the next minute at most', () => {
    const at = (t: string) => Date.parse(`2026-11-24T11:00:${t}Z`);
    const timing = (missingAfterSeconds: number, heartbeatIntervalSeconds: number) => ({ missingAfterSeconds, heartbeatIntervalSeconds });
    // Defaults: the sweep reads 45 s ahead, the allowance is two minutes, so 105 s; the record moves every other minute.
    expect(lookaheadMs(DEFAULT_HEALTH)).toBe(45_000);
    expect(allowanceMs(DEFAULT_HEALTH)).toBe(120_000);
    expect(recordedUntil(at('10'), DEFAULT_HEALTH)).toBe(at('10') + 105_000);
    expect(recordedUntil(at('40'), DEFAULT_HEALTH)).toBe(Date.parse('2026-11-24T11:02:00Z'));
    // A short threshold is stretched by 4/3 of itself, and by no less than the sweep needs.
    expect(allowanceMs(timing(30, 10))).toBe(55_000);
    expect(recordedUntil(at('10'), timing(4, 2))).toBe(at('10'));
    expect(recordedUntil(at('10'), timing(600, 30))).toBe(at('10') + 105_000);
    // The bound: no later than the threshold + the allowance, from any second of the minute and any interval.
    for (const s of ['00', '10', '40', '59']) {
      for (const t of [DEFAULT_HEALTH, timing(45, 15), timing(300, 60), timing(10, 5)]) {
        const latestFound = missingAt(at(s), t) + Math.max(0, SWEEP_PERIOD_SECONDS * 1000 - lookaheadMs(t));
        expect(latestFound - at(s)).toBeLessThanOrEqual(t.missingAfterSeconds * 1000 + allowanceMs(t));
      }
    }
    // A live cluster's entry is never within the lookahead: it moves by one interval past its record's end.
    for (const t of [DEFAULT_HEALTH, timing(45, 15), timing(300, 60)]) {
      const r = at('10');
      const movedBy = recordedUntil(r, t) + t.heartbeatIntervalSeconds * 1000;
      expect(missingAt(r, t) - lookaheadMs(t)).toBeGreaterThan(movedBy);
    }
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
