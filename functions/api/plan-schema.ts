import { z } from 'zod';
import { Cluster, PackUpdate } from './schemas.js';

export { DryRunQuery } from './queries.js';

const LaunchSpec = z.strictObject({
  role: z.enum(['controlPlane', 'worker']),
  index: z.int(),
  instanceType: z.string(),
  diskGiB: z.int(),
  imageId: z.string().meta({ description: "the OS pack's image reference for the cluster's cloud and region" }),
  kubernetesVersion: z.string(),
});

export const PlanStep = z
  .strictObject({
    id: z.string().meta({ description: '<kind>:<pool>:<index>' }),
    kind: z.enum(['launch', 'waitReady', 'drain', 'terminate']),
    pool: z.string(),
    node: z.string(),
    zone: z.string().optional(),
    reason: z.enum(['scaleUp', 'scaleDown', 'replace', 'repair', 'rebalance', 'poolRemoved']),
    details: z.array(z.string()).optional().meta({ description: "what differs, e.g. 'instanceType m5.large → m6i.large'" }),
    launch: LaunchSpec.optional(),
    replaces: z.string().optional().meta({ description: 'the node a replacement takes over from' }),
  })
  .meta({ id: 'PlanStep' });

export const PoolSummary = z
  .strictObject({
    pool: z.string(),
    removed: z.boolean(),
    desired: z.int(),
    current: z.int(),
    toLaunch: z.int(),
    toRemove: z.int(),
    toReplace: z.int(),
    leaving: z.int(),
  })
  .meta({ id: 'PoolSummary' });

export const PlanPreview = z
  .strictObject({
    dryRun: z.literal(true),
    cluster: Cluster.meta({ description: 'the cluster as the change would make it (nothing was written)' }),
    plan: z.strictObject({ steps: z.array(PlanStep), pools: z.array(PoolSummary) }),
    cancels: z.array(PlanStep).meta({ description: 'steps of the plan running now that this change would cancel' }),
  })
  .meta({ id: 'PlanPreview' });

export const ClusterPlan = z
  .strictObject({
    clusterId: z.string(),
    generation: z.int(),
    state: z.enum(['Running', 'Succeeded']),
    done: z.int().meta({ description: 'steps done: the first `done` steps' }),
    steps: z.array(
      PlanStep.extend({
        status: z.enum(['done', 'running', 'pending']),
        finishedAt: z.string().optional(),
      }),
    ),
    pools: z.array(PoolSummary),
    waiting: z.strictObject({ since: z.string(), message: z.string() }).optional().meta({ description: 'what the running step waits for' }),
    cancelled: z.array(PlanStep).meta({ description: 'steps of the plan this one superseded that never ran' }),
    startedAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ClusterPlan' });

/** POST /v1/clusters/{id}/updates/apply?dryRun=true: the merge and the plan, nothing written. */
export const UpdatePreview = z
  .strictObject({
    dryRun: z.literal(true),
    fromRevision: z.int(),
    toRevision: z.int(),
    packs: z.array(PackUpdate),
    values: z.record(z.string(), z.string()).meta({ description: "each pack's merged values, YAML, comments kept" }),
    overrides: z.record(z.string(), z.string()).meta({ description: "the cluster's overrides after the merge" }),
    plan: z.strictObject({ steps: z.array(PlanStep), pools: z.array(PoolSummary) }).meta({ description: 'the plan the reconciler would run, as PUT /v1/clusters/{id}?dryRun=true shows it' }),
  })
  .meta({ id: 'UpdatePreview' });
