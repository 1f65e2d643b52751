import { isDeepStrictEqual } from 'node:util';
import type { Cluster, Phase, UpdateClusterInput } from './clusters.js';

/**
 * A cluster's phases and the moves between them, as one table: every phase write is conditioned
 * on the phases that may move to it (phasesBefore), so a step racing a delete never resurrects a
 * cluster. A running cluster stays Running while a new generation is reconciled.
 */
export const PHASE_MOVES: Readonly<Record<Phase, readonly Phase[]>> = {
  Pending: ['Provisioning', 'Deleting'],
  Provisioning: ['Provisioning', 'Running', 'Failed', 'Deleting'],
  Running: ['Running', 'Deleting'],
  Failed: ['Provisioning', 'Deleting'],
  Deleting: ['Deleted'],
  Deleted: [],
};

/** The phases a cluster may be in for a move to `to`. */
export function phasesBefore(to: Phase): Phase[] {
  return (Object.keys(PHASE_MOVES) as Phase[]).filter((from) => PHASE_MOVES[from].includes(to));
}

export const canMove = (from: Phase, to: Phase) => PHASE_MOVES[from].includes(to);

/** What a (re)provisioning step moves a cluster to: Running stays Running, anything else provisions. */
export const provisioningPhase = (current: Phase): Phase => (current === 'Running' ? 'Running' : 'Provisioning');

/** The spec the workflows make real in the cloud: a change here is a new generation to reconcile. */
export const RECONCILED_FIELDS = ['profileRevision', 'nodePools', 'overrides', 'apiAccess'] as const;
/** Settings read as they are (health thresholds, patch settings): they apply at once, no workflow. */
export const SETTINGS_FIELDS = ['healthChecks', 'osPatch'] as const;

/** Does this change of a cluster need the reconcile workflow (and a new desired generation)? */
export function needsReconcile(current: Pick<Cluster, (typeof RECONCILED_FIELDS)[number]>, change: Partial<UpdateClusterInput>): boolean {
  return RECONCILED_FIELDS.some((f) => change[f] !== undefined && !isDeepStrictEqual(change[f], current[f]));
}
