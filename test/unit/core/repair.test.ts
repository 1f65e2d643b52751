import { describe, expect, it } from 'vitest';
import type { ReportedNode } from '../../../core/agent-protocol.js';
import type { NodePool } from '../../../core/clusters.js';
import type { RecordedNode } from '../../../core/machines.js';
import { planReconcile } from '../../../core/plan.js';
import { observedNodes, desiredState } from '../../../core/machines.js';
import { repairDecision, repairDue } from '../../../core/repair.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

const pool = (name: string, count: number, over: Partial<NodePool> = {}): NodePool => ({
  name,
  role: name === 'cp' ? 'controlPlane' : 'worker',
  count,
  instanceType: 'm6i.large',
  zones: ['z1'],
  diskGiB: 50,
  ...over,
});
const machine = (p: string, index: number, over: Partial<RecordedNode> = {}): RecordedNode => ({
  name: `c-${p}-${index}`,
  pool: p,
  role: p === 'cp' ? 'controlPlane' : 'worker',
  index,
  zone: 'z1',
  instanceType: 'm6i.large',
  diskGiB: 50,
  imageRef: 'img',
  kubernetesVersion: '1.32.6',
  createdAt: minutesAgo(600),
  state: 'running',
  ...over,
});
const reported = (name: string, ready: 'True' | 'False' | 'Unknown', since = 60, over: Partial<ReportedNode> = {}): ReportedNode =>
  ({ name, role: 'worker', conditions: [{ type: 'Ready', status: ready, lastTransitionTime: minutesAgo(since) }], capacity: {}, allocatable: {}, ...over }) as ReportedNode;

describe('node repair', () => {
  const pools = [pool('cp', 3), pool('w', 3)];
  const machines = [...[0, 1, 2].map((i) => machine('cp', i)), ...[0, 1, 2].map((i) => machine('w', i))];
  const healthy = machines.map((m) => reported(m.name, 'True'));
  const withNode = (name: string, r: ReportedNode) => healthy.map((n) => (n.name === name ? r : n));

  it('replaces a worker NotReady past its threshold, naming why', () => {
    const d = repairDecision(pools, machines, withNode('c-w-1', reported('c-w-1', 'False', 12)), NOW);
    expect(d.replace).toEqual([{ node: 'c-w-1', pool: 'w', why: 'NotReady for 12 min (threshold 10 min)' }]);
    expect(repairDue(pools, withNode('c-w-1', reported('c-w-1', 'False', 12)), NOW)).toBe(true);
  });

  it('waits out the threshold, and Unknown (a silent kubelet) counts as NotReady', () => {
    expect(repairDecision(pools, machines, withNode('c-w-1', reported('c-w-1', 'False', 9)), NOW).replace).toEqual([]);
    expect(repairDue(pools, withNode('c-w-1', reported('c-w-1', 'False', 9)), NOW)).toBe(false);
    expect(repairDecision(pools, machines, withNode('c-w-1', reported('c-w-1', 'Unknown', 11)), NOW).replace).toHaveLength(1);
    const custom = [pool('cp', 3), pool('w', 3, { repair: { notReadyMinutes: 30 } })];
    expect(repairDecision(custom, machines, withNode('c-w-1', reported('c-w-1', 'False', 12)), NOW).replace).toEqual([]);
  });

  it('holds back when more of a pool is NotReady than maxUnhealthy allows (40 % of 3 is 1)', () => {
    const two = withNode('c-w-1', reported('c-w-1', 'False', 30)).map((n) => (n.name === 'c-w-2' ? reported('c-w-2', 'False', 30) : n));
    const d = repairDecision(pools, machines, two, NOW);
    expect(d.replace).toEqual([]);
    expect(d.held).toEqual([{ pool: 'w', message: expect.stringMatching(/^2 of 3 node\(s\) NotReady .*more than maxUnhealthy 40% allows \(1\).*cloud or the network is probably at fault/) }]);
  });

  it('never repairs a pool with repair off, a node being taken out, one already marked, or one someone cordoned', () => {
    const notReady = withNode('c-w-1', reported('c-w-1', 'False', 30));
    expect(repairDecision([pool('cp', 3), pool('w', 3, { repair: { enabled: false } })], machines, notReady, NOW).replace).toEqual([]);
    const draining = machines.map((m) => (m.name === 'c-w-1' ? { ...m, phase: 'draining' as const } : m));
    expect(repairDecision(pools, draining, notReady, NOW).replace).toEqual([]);
    const marked = machines.map((m) => (m.name === 'c-w-1' ? { ...m, repair: { reason: 'x', requestedAt: NOW.toISOString() } } : m));
    expect(repairDecision(pools, marked, notReady, NOW).replace).toEqual([]);
    const cordoned = withNode('c-w-1', reported('c-w-1', 'False', 30, { unschedulable: true }));
    expect(repairDecision(pools, machines, cordoned, NOW).replace).toEqual([]);
  });

  it('never replaces a control-plane node when the Ready members are short of quorum', () => {
    const single = [pool('cp', 1), pool('w', 3)];
    const one = [machine('cp', 0), ...machines.filter((m) => m.pool === 'w')];
    const d = repairDecision(single, one, [reported('c-cp-0', 'False', 30), ...healthy.filter((n) => n.name.startsWith('c-w'))], NOW);
    expect(d.replace).toEqual([]);
    expect(d.held[0]?.pool).toBe('cp');
    // Three members, one NotReady: two Ready hold quorum, so it is replaced.
    expect(repairDecision(pools, machines, withNode('c-cp-2', reported('c-cp-2', 'False', 30)), NOW).replace.map((r) => r.node)).toEqual(['c-cp-2']);
  });

  it('plans a marked node as a repair: its replacement first for the control plane, the NotReady node out first for workers', () => {
    const marked = machines.map((m) => (m.name === 'c-w-1' ? { ...m, repair: { reason: 'NotReady for 12 min', requestedAt: NOW.toISOString() } } : m));
    const report = withNode('c-w-1', reported('c-w-1', 'False', 12));
    const plan = planReconcile({ clusterName: 'c', desired: desiredState({ nodePools: pools }, 'img', '1.32.6'), observed: observedNodes(marked, report) });
    expect(plan.steps.map((s) => `${s.kind}:${s.node}:${s.reason}`)).toEqual(['drain:c-w-1:repair', 'terminate:c-w-1:repair', 'launch:c-w-3:repair', 'waitReady:c-w-3:repair']);
    expect(plan.steps[2]!.details).toEqual(['NotReady for 12 min']);
  });
});
