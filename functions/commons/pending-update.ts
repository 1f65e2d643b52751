import type { Cluster } from '../../core/clusters.js';
import type { Profile } from '../../core/profiles.js';

/**
 * Whether a cluster is behind its profile, from two records already read: a later revision with
 * other contents is an update; one whose contents equal what the cluster runs (a change reverted
 * before it was applied) is none.
 */
export function pendingUpdate(c: Pick<Cluster, 'profileRevision' | 'revisionHash'>, profile: Pick<Profile, 'latestRevision' | 'latestHash'>): { latestRevision: number; revisionsBehind: number } | undefined {
  if (c.profileRevision === profile.latestRevision) return undefined;
  if (c.revisionHash && profile.latestHash && c.revisionHash === profile.latestHash) return undefined;
  return { latestRevision: profile.latestRevision, revisionsBehind: Math.max(1, profile.latestRevision - c.profileRevision) };
}
