/** An entry of a cluster's event stream (newest first in the API), folded as Kubernetes folds events. */
export interface ClusterEvent {
  readonly id: string;
  readonly clusterId: string;
  /** The cluster's name, for the tenant-wide stream. */
  readonly clusterName?: string;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  /** Condition or object the event is about, e.g. ControlPlaneNodeAdded/demo-cp-0. */
  readonly subject?: string;
  /** When it was last seen (= lastSeen): what the stream is ordered by. */
  readonly at: string;
  /** How many times it happened within the fold window of each other. */
  readonly count: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

export const EVENT_RETENTION_DAYS = 30;

/** The same event (type, reason, subject, message) again within this long is one event with a count, as in Kubernetes. */
export const EVENT_FOLD_WINDOW_MS = 10 * 60_000;

/** What an event stream can be narrowed to; each filter given must hold. */
export interface EventFilter {
  readonly type?: 'Normal' | 'Warning';
  /** One of these reasons. */
  readonly reasons?: readonly string[];
  readonly subject?: string;
  /** Last seen at or after this ISO time. */
  readonly since?: string;
}
