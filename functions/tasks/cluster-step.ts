import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { backoffSeconds } from '../../core/backoff.js';
import { CloudError, remedyFor, type CloudProvider } from '../../core/cloud.js';
import type { CloudAccount } from '../../core/cloud-accounts.js';
import type { Cluster } from '../../core/clusters.js';
import type { Condition, ConditionStatus, ConditionUpdate } from '../../core/conditions.js';
import type { ClusterEvent } from '../../core/events.js';
import type { ProfileRevision } from '../../core/profiles.js';
import { providerFor } from '../../adapters/cloud/provider-for.js';
import { getCloudAccount } from '../../adapters/dynamodb/cloud-accounts-store.js';
import { getCluster } from '../../adapters/dynamodb/clusters-store.js';
import { applyConditions, getCondition } from '../../adapters/dynamodb/conditions-store.js';
import { appendEvent } from '../../adapters/dynamodb/events-store.js';
import { getRevision } from '../../adapters/dynamodb/profiles-store.js';
import { logger } from '../commons/powertools.js';

/** What every workflow task receives: small, so execution history holds no secrets. */
export interface StepInput {
  readonly tenantId: string;
  readonly clusterId: string;
  readonly generation: number;
}

/** done: go on; stop: the cluster went away (deleted), end quietly; else wait and run again. */
export interface StepResult {
  readonly done: boolean;
  readonly stop: boolean;
  readonly retryAfterSeconds: number;
}

export const DONE: StepResult = { done: true, stop: false, retryAfterSeconds: 0 };
export const STOP: StepResult = { done: false, stop: true, retryAfterSeconds: 0 };
/** Not there yet (booting, waiting for the agent): look again soon. */
export const waitFor = (seconds = 5): StepResult => ({ done: false, stop: false, retryAfterSeconds: seconds });

export class StepContext {
  private providerPromise?: Promise<CloudProvider>;
  private accountPromise?: Promise<CloudAccount>;
  /** The condition a cloud error is charged to. */
  subject?: string;

  constructor(
    readonly input: StepInput,
    readonly cluster: Cluster,
  ) {}

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

  /** Set conditions; each status change is also an event. */
  async set(...updates: ConditionUpdate[]): Promise<Condition[]> {
    const { all, changed } = await applyConditions(this.cluster.id, this.input.generation, updates);
    // A milestone laid out as Unknown is not news; every later transition is.
    for (const c of changed.filter((c) => c.status !== 'Unknown' || c.reason !== 'NotStarted')) {
      await this.event(c.status === 'False' ? 'Warning' : 'Normal', c.reason, `${c.type} is ${c.status}: ${c.message}`, c.type);
    }
    return all;
  }

  mark(type: string, status: ConditionStatus, reason: string, message: string, attempted = false): Promise<Condition[]> {
    return this.set({ type, status, reason, message, attempted });
  }

  /** Append an event; `once` names it so that a step run again does not record it twice. */
  event(type: ClusterEvent['type'], reason: string, message: string, subject?: string, once?: string): Promise<ClusterEvent | undefined> {
    return appendEvent({ clusterId: this.cluster.id, type, reason, message, subject }, once);
  }
}

/**
 * A workflow task on one cluster. It reloads the cluster (steps are safe to re-run at any
 * point), ends quietly once the cluster is being deleted, and turns a cloud error into its
 * condition False with the provider's code and message plus a remedy, a Warning event and
 * a capped exponential backoff — a failed step never fails the cluster.
 */
export function clusterStep(run: (ctx: StepContext) => Promise<StepResult>, opts: { allowDeleting?: boolean } = {}) {
  const handler = async (input: StepInput): Promise<StepResult> => {
    logger.appendKeys({ clusterId: input.clusterId, tenantId: input.tenantId, correlationId: `${input.clusterId}-g${input.generation}` });
    const cluster = await getCluster(input.tenantId, input.clusterId).catch(() => undefined);
    if (!cluster) return STOP;
    const deleting = cluster.phase === 'Deleting' || cluster.phase === 'Deleted';
    if (deleting && !opts.allowDeleting) return STOP;
    const ctx = new StepContext(input, cluster);
    try {
      return await run(ctx);
    } catch (err) {
      if (!(err instanceof CloudError) || !ctx.subject) throw err;
      const remedy = remedyFor(err.code, cluster.region);
      const message = remedy ? `${err.message} (${remedy})` : err.message;
      const prev = await ctx.condition(ctx.subject);
      await ctx.mark(ctx.subject, 'False', err.code, message, true);
      const attempts = (prev?.attempts ?? 0) + 1;
      const wait = backoffSeconds(attempts);
      await ctx.event('Warning', err.code, `${ctx.subject} attempt ${attempts} failed: ${message}; retrying in ${wait} s`, ctx.subject, `${ctx.subject}#g${input.generation}#${attempts}`);
      logger.warn('step failed; backing off', { subject: ctx.subject, code: err.code, attempts, wait });
      return { done: false, stop: false, retryAfterSeconds: wait };
    }
  };
  return middy(handler).use(injectLambdaContext(logger, { resetKeys: true }));
}
