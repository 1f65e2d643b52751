import { describeStep, poolProgress } from '../../core/rollout-progress.js';
import { advancePlan, getPlan, planWaiting, type StoredPlan } from '../../adapters/dynamodb/plans-store.js';
import { clusterStep, DONE, STOP, waitFor, type ClusterStepContext } from './cluster-step.js';
import { runPlanStep } from './plan-steps.js';
import { clock } from '../../core/clock.js';

/** Wall-clock time one invocation spends running steps before it hands back to the workflow. */
const BUDGET_MS = 20_000;

/**
 * Run the generation's plan, step by step in its order: as many as are done at once in one
 * invocation (launches, terminations), then wait for the one that is not (a node to be Ready, a
 * drain). Progress is the plan's cursor, moved under a condition, so a retried invocation never
 * runs a step twice past its end.
 */
export const handler = clusterStep(async (ctx) => {
  const { input, cluster } = ctx;
  let plan = await getPlan(input.tenantId, cluster.id);
  if (!plan || plan.generation !== input.generation) return STOP; // superseded (or never planned: BeginReconcile plans)
  const started = Date.now();
  while (plan.cursor < plan.steps.length) {
    const step = plan.steps[plan.cursor]!;
    const run = await runPlanStep(ctx, step);
    const now = clock.date().toISOString();
    if (!run.done) {
      await planWaiting(input.tenantId, cluster.id, plan, run.message, now);
      await markPools(ctx, plan, `step ${plan.cursor + 1} of ${plan.steps.length}: ${run.message}`);
      return waitFor(run.seconds);
    }
    if (!(await advancePlan(input.tenantId, cluster.id, plan, now))) return waitFor(1); // moved by another run: read it again
    plan = { ...plan, cursor: plan.cursor + 1, doneAt: [...plan.doneAt, now] };
    if (Date.now() - started > BUDGET_MS) {
      await markPools(ctx, plan, `step ${plan.cursor} of ${plan.steps.length} done`);
      return waitFor(1);
    }
  }
  await markPools(ctx, plan);
  return DONE;
});

/** WorkerPoolReady per pool the cluster keeps: "k of n updated" while the plan runs, True once it has run. */
async function markPools(ctx: ClusterStepContext, plan: StoredPlan, doing?: string): Promise<void> {
  const current = plan.steps[plan.cursor];
  for (const pool of ctx.cluster.nodePools.filter((p) => p.role === 'worker')) {
    const { updated, desired } = poolProgress(plan.steps, plan.cursor, pool.name, pool.count);
    const type = `WorkerPoolReady/${pool.name}`;
    const left = plan.steps.slice(plan.cursor).some((s) => s.pool === pool.name);
    if (!left) {
      await ctx.mark(type, 'True', 'PoolReady', `${desired} of ${desired} updated; every node Ready`, true);
      continue;
    }
    const here = current?.pool === pool.name && doing ? `; ${doing}` : current ? `; next: ${describeStep(plan.steps.find((s, i) => i >= plan.cursor && s.pool === pool.name)!)}` : '';
    await ctx.mark(type, 'Unknown', 'RollingUpdate', `${updated} of ${desired} updated${here}`);
  }
}
