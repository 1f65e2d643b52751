import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Plan, PlanStep, PoolSummary } from '../../core/plan.js';
import { documentClient } from './client.js';
import { deleteItem, getRaw, table, tenantPk, updateIf } from './definitions.js';
import { isConditionFailed } from './errors.js';

/**
 * The plan a cluster's reconcile runs, one per cluster: `PLAN#<cluster>`. Steps run in order, so
 * progress is one cursor; the steps are stored gzipped (a 1,000-node rollout is thousands of
 * steps, far past an item's 400 KB as JSON). A newer generation's plan replaces it, recording
 * which of its steps that cancelled.
 */
export type PlanState = 'Running' | 'Succeeded';

export interface StoredPlan {
  readonly generation: number;
  readonly state: PlanState;
  readonly steps: readonly PlanStep[];
  readonly pools: readonly PoolSummary[];
  /** Steps done: steps[0 .. cursor). */
  readonly cursor: number;
  /** What the step at the cursor waits for, and since when. */
  readonly waiting?: { readonly since: string; readonly message: string };
  /** Steps of the plan this one superseded that had not run. */
  readonly cancelled: readonly PlanStep[];
  /** When each done step finished, in step order. */
  readonly doneAt: readonly string[];
  readonly startedAt: string;
  readonly updatedAt: string;
}

const planSk = (clusterId: string) => `PLAN#${clusterId}`;
const pack = (v: unknown) => gzipSync(Buffer.from(JSON.stringify(v)));
const unpack = <T>(b: unknown): T => JSON.parse(gunzipSync(Buffer.from(b as Uint8Array)).toString('utf8')) as T;

export async function getPlan(tenantId: string, clusterId: string): Promise<StoredPlan | undefined> {
  const item = await getRaw(tenantPk(tenantId), planSk(clusterId));
  if (!item) return undefined;
  return {
    generation: item.generation as number,
    state: item.state as PlanState,
    steps: unpack<PlanStep[]>(item.steps),
    pools: unpack<PoolSummary[]>(item.pools),
    cursor: item.cursor as number,
    waiting: item.waiting as StoredPlan['waiting'],
    cancelled: item.cancelled ? unpack<PlanStep[]>(item.cancelled) : [],
    doneAt: unpack<string[]>(item.doneAt),
    startedAt: item.startedAt as string,
    updatedAt: item.updatedAt as string,
  };
}

/**
 * Start a generation's plan unless it has one: an older generation's plan is replaced (its
 * remaining steps recorded as cancelled), the same generation's is kept (a retried step).
 */
export async function startPlan(tenantId: string, clusterId: string, generation: number, plan: Plan, cancelled: readonly PlanStep[], now: string): Promise<StoredPlan> {
  const stored: StoredPlan = { generation, state: 'Running', steps: plan.steps, pools: plan.pools, cursor: 0, cancelled, doneAt: [], startedAt: now, updatedAt: now };
  try {
    await documentClient().send(
      new PutCommand({
        TableName: table(),
        Item: {
          pk: tenantPk(tenantId),
          sk: planSk(clusterId),
          kind: 'PLAN',
          generation,
          state: 'Running',
          steps: pack(plan.steps),
          pools: pack(plan.pools),
          cursor: 0,
          cancelled: pack(cancelled),
          doneAt: pack([]),
          startedAt: now,
          updatedAt: now,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR generation < :g',
        ExpressionAttributeValues: { ':g': generation },
      }),
    );
    return stored;
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    return (await getPlan(tenantId, clusterId))!;
  }
}

/** Record the step at `cursor` done; false when another writer moved the plan (the caller re-reads). */
export async function advancePlan(tenantId: string, clusterId: string, plan: StoredPlan, now: string): Promise<boolean> {
  const cursor = plan.cursor + 1;
  const done = cursor >= plan.steps.length;
  return updateIf({
    Key: { pk: tenantPk(tenantId), sk: planSk(clusterId) },
    UpdateExpression: 'SET #cursor = :next, doneAt = :doneAt, #state = :state, updatedAt = :now REMOVE waiting',
    ConditionExpression: 'generation = :g AND #cursor = :cursor',
    ExpressionAttributeNames: { '#cursor': 'cursor', '#state': 'state' },
    ExpressionAttributeValues: { ':next': cursor, ':cursor': plan.cursor, ':g': plan.generation, ':doneAt': pack([...plan.doneAt, now]), ':state': done ? 'Succeeded' : 'Running', ':now': now },
  });
}

/** Say what the current step waits for (kept since the first time it said so). */
export async function planWaiting(tenantId: string, clusterId: string, plan: StoredPlan, message: string, now: string): Promise<void> {
  if (plan.waiting?.message === message) return;
  await updateIf({
    Key: { pk: tenantPk(tenantId), sk: planSk(clusterId) },
    UpdateExpression: 'SET waiting = :w, updatedAt = :now',
    ConditionExpression: 'generation = :g AND #cursor = :cursor',
    ExpressionAttributeNames: { '#cursor': 'cursor' },
    ExpressionAttributeValues: { ':w': { since: plan.waiting?.since ?? now, message }, ':g': plan.generation, ':cursor': plan.cursor, ':now': now },
  });
}

export async function deletePlan(tenantId: string, clusterId: string): Promise<void> {
  await deleteItem(tenantPk(tenantId), planSk(clusterId));
}
