import { describe, expect, it } from 'vitest';
import type { NodePatchResult } from '../../../core/os-patch.js';
import { mergeNodes, nextPool, nodeTransitionEvents, patchConcurrency, patchRunId, patchSettingsOf, runNodes, runOutcome, PATCH_ATTEMPTS } from '../../../core/patch-run.js';

const node = (name: string, status: NodePatchResult['status'] = 'pending', extra: Partial<NodePatchResult> = {}): NodePatchResult => ({ node: name, status, packages: [], rebootRequired: false, rebooted: false, ...extra });
const pools = [
  { name: 'workers', role: 'worker' as const },
  { name: 'cp', role: 'controlPlane' as const },
];
const machines = [
  { name: 'c-workers-1', pool: 'workers' },
  { name: 'c-workers-0', pool: 'workers' },
  { name: 'c-cp-0', pool: 'cp' },
  { name: 'c-workers-2', pool: 'workers', phase: 'terminating' },
];
const poolOf = (n: string) => machines.find((m) => m.name === n)?.pool;

describe('a patch run', () => {
  it('takes the control plane first, then each pool by node name, leaving nodes on their way out', () => {
    expect(runNodes(pools, machines).map((n) => n.node)).toEqual(['c-cp-0', 'c-workers-0', 'c-workers-1']);
  });

  it('resumes a paused run with only the nodes its window left', () => {
    const paused = { nodes: [node('c-cp-0', 'patched'), node('c-workers-0', 'patched'), node('c-workers-1')] };
    expect(runNodes(pools, machines, paused).map((n) => n.node)).toEqual(['c-workers-1']);
  });

  it('patches a pool at its maxUnavailable, at least one (in place: no surge node), the control plane alone', () => {
    expect(patchConcurrency({ role: 'worker', rollout: { maxSurge: 1, maxUnavailable: 3 } })).toBe(3);
    expect(patchConcurrency({ role: 'worker' })).toBe(1);
    expect(patchConcurrency({ role: 'controlPlane' })).toBe(1);
  });

  it('goes pool by pool; a failed node is tried again until its attempts are spent', () => {
    const run = { nodes: [node('c-cp-0', 'patched'), node('c-workers-0', 'failed'), node('c-workers-1', 'patched')] };
    expect(nextPool(run, poolOf, {})).toEqual({ pool: 'workers', nodes: ['c-workers-0'] });
    expect(nextPool(run, poolOf, { workers: PATCH_ATTEMPTS })).toBeUndefined();
    expect(nextPool({ nodes: [node('c-cp-0'), node('c-workers-0')] }, poolOf, {})).toEqual({ pool: 'cp', nodes: ['c-cp-0'] });
  });

  it('ends Succeeded, Failed naming the node, or Paused with the nodes left', () => {
    expect(runOutcome([node('a', 'patched', { packages: [{ name: 'openssl', to: '3.0.2-1' }], rebooted: true })])).toEqual({ state: 'Succeeded', message: '1 of 1 node(s) patched, 1 package update(s), 1 reboot(s)' });
    expect(runOutcome([node('a', 'patched'), node('b', 'notReady', { message: 'not Ready after 900 s' })]).message).toMatch(/b did not come back Ready: not Ready after 900 s/);
    expect(runOutcome([node('a', 'patched'), node('b')])).toMatchObject({ state: 'Paused', message: expect.stringMatching(/1 node\(s\) left for the next one/) });
  });

  it('merges the agent’s word on some nodes, and makes one event per node that moved', () => {
    const before = [node('a', 'patching'), node('b')];
    const after = [node('a', 'patched', { packages: [{ name: 'libc6', from: '2.35-0ubuntu3.8', to: '2.35-0ubuntu3.9' }] }), node('b', 'patching')];
    expect(mergeNodes([node('a'), node('b'), node('c')], after).map((n) => n.status)).toEqual(['patched', 'patching', 'pending']);
    expect(nodeTransitionEvents(before, after, 'pr-1').map((e) => [e.reason, e.subject])).toEqual([
      ['NodePatched', 'a'],
      ['NodeCordonedForPatch', 'b'],
    ]);
    expect(nodeTransitionEvents(after, after, 'pr-1')).toEqual([]);
  });

  it('names runs by their time, scheduled or manual, and reads stored settings from before frequencies', () => {
    expect(patchRunId('schedule', new Date('2026-12-06T02:00:00Z'))).toBe('pr-20261206t020000s');
    expect(patchRunId('manual', new Date('2026-12-06T02:00:07Z'))).toBe('pr-20261206t020007m');
    expect(patchSettingsOf({ patchOnBoot: true })).toMatchObject({ frequency: 'none', patchOnBoot: true, timeZone: 'UTC', windowMinutes: 180 });
  });
});
