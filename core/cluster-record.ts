/**
 * The cluster record as stored and shown, without its input schemas (core/clusters.ts): the
 * stores and the handlers that only read clusters load no validation library with it.
 */
import type { AgentTokenState } from './agent-token.js';
import type { InfraRefs } from './cloud.js';
import type { ApiAccess, NetworkSettings, NodePool } from './clusters.js';
import type { ConditionStatus } from './conditions.js';
import type { HealthSettings } from './health.js';
import type { OsPatchSettings } from './os-patch.js';
import type { Cloud } from './pack-kinds.js';

export const PHASES = ['Pending', 'Provisioning', 'Running', 'Deleting', 'Deleted', 'Failed'] as const;
export type Phase = (typeof PHASES)[number];

export interface Cluster {
  readonly id: string;
  readonly name: string;
  /** The project it belongs to (core/projects.ts); absent: shared by the tenant's projects. */
  readonly projectId?: string;
  readonly profileId: string;
  readonly profileRevision: number;
  readonly cloudAccountId: string;
  readonly cloud: Cloud;
  readonly region: string;
  readonly nodePools: NodePool[];
  readonly overrides: Record<string, string>;
  readonly osPatch: OsPatchSettings;
  readonly apiAccess: ApiAccess;
  /** Absent on clusters made before network settings existed: DEFAULT_NETWORK applies. */
  readonly network?: NetworkSettings;
  /** Absent on clusters made before health settings existed: the defaults apply. */
  readonly healthChecks?: HealthSettings;
  readonly phase: Phase;
  /** Desired generation: bumps on every change of what the cluster should be. */
  readonly generation: number;
  /** Optimistic-lock version of the record. */
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Written by the workflows, never by users. */
  readonly status?: ClusterStatus;
  /** Which agent-token epochs the cluster accepts (the token itself is derived, never stored). */
  readonly agentToken?: AgentTokenState;
  /** sha256:<hex> of the cluster CA's public key, which every joining node pins; public. */
  readonly caCertHash?: string;
  /** Commands for its agent not yet finished (a heartbeat looks for commands only when there are some). */
  readonly openCommands?: number;
  /** contentHash of the revision it runs (core/profiles.ts revisionHash): equal to the profile's latestHash means up to date. */
  readonly revisionHash?: string;
  /**
   * Ready and the health conditions, as their rows in the conditions table say, written in the
   * same transaction as those rows: the cluster view reads one item. Absent on clusters made
   * before it existed (their view reads the rows).
   */
  readonly conditionSummary?: ConditionSummary;
}

/** Condition type → what the cluster view shows of it. */
export type ConditionSummary = Readonly<Record<string, { readonly status: ConditionStatus; readonly reason: string; readonly message: string }>>;

export interface ClusterStatus {
  readonly imageId?: string;
  /** The OS pack's image reference imageId was resolved from (nodes record it: a new one means replacing them). */
  readonly imageRef?: string;
  readonly infrastructure?: InfraRefs;
  readonly apiEndpoint?: string;
  /** Generation the workflows last finished reconciling. */
  readonly observedGeneration?: number;
  /** Per pool, the index the next new node takes (names are never reused). */
  readonly nextNodeIndex?: Readonly<Record<string, number>>;
}

/** A cluster as the API shows it (the record's bookkeeping left out). */
export function publicCluster(c: Cluster): Cluster {
  const { expiresAt: _e, clusterCount: _c, revisionHash: _h, conditionSummary: _s, ...rest } = c as Cluster & { expiresAt?: number; clusterCount?: number };
  return rest;
}

/** The fields a user's update may change; the workflows own the rest. */
export const SPEC_FIELDS = ['profileRevision', 'revisionHash', 'nodePools', 'overrides', 'osPatch', 'apiAccess', 'healthChecks', 'generation', 'version', 'updatedAt'] as const;
