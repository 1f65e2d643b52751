import type { Cluster } from '../../core/clusters.js';
import type { RevisionHistoryEntry } from '../../adapters/dynamodb/clusters-store.js';

/** The history entry of a change that moves a cluster to another profile revision; none when it stays. */
export function revisionMove(current: Cluster, next: Cluster, appliedBy: string, action: 'update' | 'apply'): RevisionHistoryEntry | undefined {
  if (next.profileRevision === current.profileRevision) return undefined;
  return {
    clusterId: current.id,
    revision: next.profileRevision,
    fromRevision: current.profileRevision,
    action: next.profileRevision < current.profileRevision ? 'rollback' : action,
    appliedBy,
    appliedAt: next.updatedAt,
    generation: next.generation,
  };
}
