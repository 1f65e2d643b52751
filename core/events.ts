/** An entry of a cluster's append-only event stream (newest first in the API). */
export interface ClusterEvent {
  readonly id: string;
  readonly clusterId: string;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  /** Condition or object the event is about, e.g. ControlPlaneNodeAdded/demo-cp-0. */
  readonly subject?: string;
  readonly at: string;
}

export const EVENT_RETENTION_DAYS = 30;
