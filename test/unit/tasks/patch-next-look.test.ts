import { describe, expect, it } from 'vitest';
import type { NodePatchResult } from '../../../core/os-patch.js';
import { LOOK_MAX_SECONDS, LOOK_MIN_SECONDS, nextLookSeconds, nodePaceMs } from '../../../functions/tasks/patch/next-look.js';

/** When PatchPools looks again at a pool's patchNodes command: as late as the run's pace allows, never past the command's likely end. */
const T0 = Date.parse('2026-11-01T03:00:00Z');
const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN).toISOString();
const node = (name: string, status: NodePatchResult['status'], started?: number, finished?: number): NodePatchResult => ({
  node: name,
  status,
  packages: [],
  rebootRequired: false,
  rebooted: false,
  ...(started === undefined ? {} : { startedAt: at(started) }),
  ...(finished === undefined ? {} : { finishedAt: at(finished) }),
});
const windowEndsAt = at(24 * 60);
/** A control-plane node patched in 4 minutes, then the workers. */
const cp = node('cp-0', 'patched', 0, 4);
const workers = (statuses: NodePatchResult[]) => ({ windowEndsAt, nodes: [cp, ...statuses] });
const names = (list: NodePatchResult[]) => list.map((n) => n.node);

describe('the next look at a pool being patched', () => {
  it('looks every minute until a node of the run has finished: there is no pace yet', () => {
    const first = [node('cp-0', 'patching', 0)];
    expect(nodePaceMs(first)).toBeUndefined();
    expect(nextLookSeconds({ windowEndsAt, nodes: first }, ['cp-0'], 1, T0 + MIN)).toBe(LOOK_MIN_SECONDS);
  });

  it('waits until the pool would be done at the pace seen, at most LOOK_MAX_SECONDS', () => {
    const three = [node('w-0', 'pending'), node('w-1', 'pending'), node('w-2', 'pending')];
    // Two rounds of 4 minutes at 2 at a time.
    expect(nextLookSeconds(workers(three), names(three), 2, T0 + 4 * MIN)).toBe(8 * 60);
    const many = Array.from({ length: 49 }, (_, i) => node(`w-${i}`, 'pending'));
    expect(nextLookSeconds(workers(many), names(many), 2, T0 + 4 * MIN)).toBe(LOOK_MAX_SECONDS);
  });

  it('counts the nodes in flight: the next one starts when the first slot frees, the pool ends with the last', () => {
    const mixed = [node('w-0', 'patching', 5), node('w-1', 'patching', 7), node('w-2', 'pending'), node('w-3', 'pending'), node('w-4', 'pending')];
    // At minute 8: w-0 frees its slot at 9, then two more rounds of 4.
    expect(nextLookSeconds(workers(mixed), names(mixed), 2, T0 + 8 * MIN)).toBe(9 * 60);
    const last = [node('w-0', 'patched', 5, 9), node('w-1', 'patching', 7)];
    expect(nextLookSeconds(workers(last), names(last), 2, T0 + 9 * MIN)).toBe(2 * 60);
  });

  it('takes only the nodes in flight once a node did not come back or the window has ended: the agent starts no other', () => {
    const halted = [node('w-0', 'notReady', 4, 19), node('w-1', 'patching', 18), node('w-2', 'pending'), node('w-3', 'pending')];
    // w-1, started at minute 18, is done at 22; w-2 and w-3 are never started.
    expect(nextLookSeconds(workers(halted), names(halted), 2, T0 + 20 * MIN)).toBe(2 * 60);
    const many = Array.from({ length: 20 }, (_, i) => node(`w-${i}`, i === 0 ? 'patching' : 'pending', i === 0 ? 5 : undefined));
    const closing = { windowEndsAt: at(7), nodes: [cp, ...many] };
    // The window ends at minute 7: a node started just before it ends 4 minutes later.
    expect(nextLookSeconds(closing, names(many), 2, T0 + 5 * MIN)).toBe(6 * 60);
    expect(nextLookSeconds(closing, names(many), 2, T0 + 8 * MIN)).toBe(LOOK_MIN_SECONDS);
  });

  it('never looks again sooner than LOOK_MIN_SECONDS, even when a node is late', () => {
    const late = [node('w-0', 'patching', 1)];
    expect(nextLookSeconds(workers(late), names(late), 2, T0 + 30 * MIN)).toBe(LOOK_MIN_SECONDS);
  });

  it('takes the middle of the finished nodes\u2019 times as the pace, skipped nodes aside', () => {
    expect(nodePaceMs([node('a', 'patched', 0, 2), node('b', 'failed', 0, 9), node('c', 'patched', 0, 4), node('d', 'skipped', 0, 0)])).toBe(4 * MIN);
  });
});
