import { describe, expect, it } from 'vitest';
import { joinWindowProblems, kubernetesSkewProblem } from '../../../core/change-limits.js';
import { CreateClusterInput, checkClusterShape } from '../../../core/clusters.js';
import { DomainError } from '../../../core/errors.js';
import { resolveLayers } from '../../../core/profiles.js';
import { PUBLIC_PACKS, SAMPLE_PROFILE } from '../../../core/public-catalog.js';

const byId = new Map(PUBLIC_PACKS.map((p) => [p.id, p]));
const layers = resolveLayers(SAMPLE_PROFILE.packIds.map((packId) => ({ registryId: 'public', packId })), (_r, id) => byId.get(id));

const spec = (over: Partial<CreateClusterInput> = {}) =>
  CreateClusterInput.parse({
    name: 'c',
    profileId: 'p',
    cloudAccountId: 'a',
    region: 'us-east-1',
    nodePools: [
      { name: 'cp', role: 'controlPlane', count: 3, instanceType: 'm6i.large', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] },
      { name: 'w', role: 'worker', count: 2, instanceType: 'm6i.xlarge', zones: ['us-east-1a'] },
    ],
    ...over,
  });

function paths(fn: () => void): string[] {
  try {
    fn();
    return [];
  } catch (err) {
    if (err instanceof DomainError) return err.details.map((d) => d.path);
    throw err;
  }
}

describe('cluster shape', () => {
  it('accepts a three-node control plane across zones of the region, with defaults filled in', () => {
    const s = spec();
    expect(s.nodePools[0]!.diskGiB).toBe(50);
    expect(s.apiAccess).toEqual({ public: false, allowedCidrs: [] });
    expect(paths(() => checkClusterShape(s, 'aws', layers))).toEqual([]);
  });

  it('names every broken rule', () => {
    const s = spec({
      nodePools: [
        { name: 'cp', role: 'controlPlane', count: 4, instanceType: 'm6i.large', zones: ['us-west-2a'], diskGiB: 50 },
        { name: 'cp', role: 'worker', count: 1, instanceType: 'm6i.large', zones: ['us-east-1a', 'us-east-1a'], diskGiB: 50 },
      ],
      overrides: { nginx: 'a: 1' },
    });
    expect(paths(() => checkClusterShape(s, 'aws', layers))).toEqual([
      'nodePools[0].count',
      'nodePools[0].zones[0]',
      'nodePools[1].name',
      'nodePools[1].zones',
      'overrides.nginx',
    ]);
  });

  it('uses Azure zone numbers on Azure', () => {
    const s = spec({ region: 'westeurope', nodePools: [{ name: 'cp', role: 'controlPlane', count: 1, instanceType: 'Standard_D4s_v5', zones: ['1'], diskGiB: 64 }] });
    expect(paths(() => checkClusterShape(s, 'azure', layers))).toEqual([]);
    expect(paths(() => checkClusterShape(s, 'aws', layers))).toEqual(['nodePools[0].zones[0]']);
  });

  it('validates a custom patch schedule as a five-field cron expression', () => {
    expect(CreateClusterInput.safeParse({ ...spec(), osPatch: { frequency: 'cron', cron: '0 3 * * SUN' } }).success).toBe(true);
    expect(CreateClusterInput.safeParse({ ...spec(), osPatch: { frequency: 'cron', cron: '0 0 3 * * SUN' } }).success).toBe(false);
    expect(CreateClusterInput.safeParse({ ...spec(), osPatch: { frequency: 'cron', cron: '61 3 * * *' } }).success).toBe(false);
  });
});

describe('Kubernetes version skew', () => {
  it('allows a patch or one minor up, refuses a skipped minor, a downgrade and a new major', () => {
    expect(kubernetesSkewProblem('1.31.10', '1.31.12')).toBeUndefined();
    expect(kubernetesSkewProblem('1.31.10', '1.32.6')).toBeUndefined();
    expect(kubernetesSkewProblem('1.31.10', '1.33.0')).toMatch(/skips 1 minor version\(s\).*1\.32 first/);
    expect(kubernetesSkewProblem('1.32.6', '1.31.10')).toMatch(/downgrade/);
    expect(kubernetesSkewProblem('1.31.10', '1.31.9')).toMatch(/downgrade/);
    expect(kubernetesSkewProblem('1.31.10', '2.0.0')).toMatch(/major/);
  });
});

describe('adding nodes once the join token has expired', () => {
  const pool = (count: number) => ({ name: 'workers', role: 'worker' as const, count, instanceType: 'm6i.large', zones: ['us-east-1a'], diskGiB: 50 });
  const made = '2026-11-01T00:00:00.000Z';
  it('is allowed within the first 23 hours, refused after, and shrinking or keeping is never refused by it', () => {
    expect(joinWindowProblems(made, new Date('2026-11-01T22:59:00Z'), [pool(2)], [pool(4)])).toEqual([]);
    expect(joinWindowProblems(made, new Date('2026-11-01T23:00:01Z'), [pool(2)], [pool(4)])).toEqual([
      { path: 'nodePools[0].count', message: expect.stringMatching(/join token \(24 h\) has expired, so new nodes could not join/) },
    ]);
    expect(joinWindowProblems(made, new Date('2026-11-05T00:00:00Z'), [pool(2)], [pool(2)])).toEqual([]);
    expect(joinWindowProblems(made, new Date('2026-11-05T00:00:00Z'), [], [{ ...pool(1), name: 'batch' }])).toHaveLength(1);
  });
});
