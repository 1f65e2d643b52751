import type { CloudProvider } from '../../core/cloud.js';
import type { CloudAccount } from '../../core/cloud-accounts.js';
import type { Cluster } from '../../core/clusters.js';
import type { Condition, ConditionStatus, ConditionUpdate } from '../../core/conditions.js';
import type { ClusterEvent } from '../../core/events.js';
import type { ProfileRevision } from '../../core/profiles.js';
import { providerFor } from '../../adapters/cloud/provider-for.js';
import { getCloudAccount } from '../../adapters/dynamodb/cloud-accounts-store.js';
import { getCluster } from '../../adapters/dynamodb/clusters-store.js';
import { applyConditions, getCondition, listConditions } from '../../adapters/dynamodb/conditions-store.js';
import { appendEvent } from '../../adapters/dynamodb/events-store.js';
import { getRevision } from '../../adapters/dynamodb/profiles-store.js';
import { logger } from '../commons/powertools.js';
import { workflowStep, type StepContext, type StepState, type Verdict } from './step.js';

export { DONE, STOP, waitFor } from './step.js';

/** What every cluster workflow task receives: ids only, so execution history holds no secrets. */
export interface StepInput extends StepState {
  readonly tenantId: string;
  readonly clusterId: string;
  readonly generation: number;
}

/** A step on one cluster: its record, its cloud, its conditions and events. */
export class ClusterStepContext implements StepContext {
  private providerPromise?: Promise<CloudProvider>;
  private accountPromise?: Promise<CloudAccount>;
  charge?: string;

  constructor(
    readonly input: StepInput,
    readonly cluster: Cluster,
  ) {}

  get region(): string {
    return this.cluster.region;
  }

  account(): Promise<CloudAccount> {
    return (this.accountPromise ??= getCloudAccount(this.input.tenantId, this.cluster.cloudAccountId));
  }

  provider(): Promise<CloudProvider> {
    return (this.providerPromise ??= this.account().then((a) => providerFor(a, { tenantId: this.input.tenantId, region: this.cluster.region, clusterId: this.cluster.id })));
  }

  revision(): Promise<ProfileRevision> {
    return getRevision(this.input.tenantId, this.cluster.profileId, this.cluster.profileRevision);
  }

  condition(type: string): Promise<Condition | undefined> {
    return getCondition(this.cluster.id, type);
  }

  conditions(): Promise<Condition[]> {
    return listConditions(this.cluster.id);
  }

  /** Set conditions (and remove those of objects that went away); each status change is also an event. */
  async set(...updates: ConditionUpdate[]): Promise<Condition[]> {
    return this.apply(updates, []);
  }

  async apply(updates: readonly ConditionUpdate[], remove: readonly string[]): Promise<Condition[]> {
    const { all, changed } = await applyConditions(this.cluster.id, this.input.generation, updates, remove);
    // A milestone laid out as Unknown is not news; every later transition is.
    for (const c of changed.filter((c) => c.status !== 'Unknown' || c.reason !== 'NotStarted')) {
      await this.event(c.status === 'False' ? 'Warning' : 'Normal', c.reason, `${c.type} is ${c.status}: ${c.message}`, c.type);
    }
    return all;
  }

  mark(type: string, status: ConditionStatus, reason: string, message: string, attempted = false): Promise<Condition[]> {
    return this.set({ type, status, reason, message, attempted });
  }

  /** Append an event (the same one again within the fold window is counted); `once` keeps it to one ever. */
  event(type: ClusterEvent['type'], reason: string, message: string, subject?: string, once?: string): Promise<ClusterEvent | undefined> {
    return appendEvent({ clusterId: this.cluster.id, clusterName: this.cluster.name, tenantId: this.input.tenantId, type, reason, message, subject }, once);
  }
}

/**
 * A workflow task on one cluster. It reloads the cluster (steps are safe to re-run at any point),
 * and ends quietly once the cluster is gone, being deleted (unless it is a deletion step), or
 * superseded by a newer generation.
 */
export function clusterStep(run: (ctx: ClusterStepContext) => Promise<Verdict>, opts: { allowDeleting?: boolean } = {}) {
  return workflowStep<StepInput, ClusterStepContext>(async (input) => {
    logger.appendKeys({ clusterId: input.clusterId, tenantId: input.tenantId, correlationId: `${input.clusterId}-g${input.generation}` });
    const cluster = await getCluster(input.tenantId, input.clusterId).catch(() => undefined);
    if (!cluster) return undefined;
    const deleting = cluster.phase === 'Deleting' || cluster.phase === 'Deleted';
    if (deleting && !opts.allowDeleting) return undefined;
    if (!opts.allowDeleting && input.generation < cluster.generation) return undefined; // a newer generation's execution took over
    return new ClusterStepContext(input, cluster);
  }, run);
}
