import { patchRunId, patchSettingsOf, runNodes } from '../../../core/patch-run.js';
import { clock } from '../../../core/clock.js';
import { listMachines } from '../../../adapters/dynamodb/machines-store.js';
import { acquirePatchLock, createRun, getPatchLock, getRun, listRuns, type StoredRun } from '../../../adapters/dynamodb/patch-runs-store.js';
import { patchExecutionName, startWorkflow } from '../../../adapters/workflows/workflows.js';
import { DONE, STOP, waitFor } from '../step.js';
import { patchStep, type PatchStepContext } from './patch-step.js';

/** How often a waiting run looks again whether the reconcile (or another run) is done. */
const WAIT_SECONDS = 30;

/**
 * The start of a patch run. A scheduled delivery (no run id yet) starts the run's own execution,
 * named after the cluster and its scheduled time, and ends: Scheduler delivers at least once, and a
 * second delivery's start is a no-op. The run then records its nodes (those a paused run left go
 * first, alone) and takes the cluster's patch lock, which it gets only while no reconcile is under
 * way; until then it waits and says why, and a window that ends while it waits pauses it.
 */
export const handler = patchStep(async (ctx) => {
  const { patch, cluster } = ctx;
  const scheduled = new Date(patch.scheduledTime);
  if (Number.isNaN(scheduled.getTime())) throw new Error(`scheduledTime ${JSON.stringify(patch.scheduledTime)} is not a time`);
  if (!patch.runId) {
    // A delivery of a schedule removed meanwhile (patching turned off) starts nothing.
    if (patchSettingsOf(cluster.osPatch).frequency === 'none') return STOP;
    const runId = patchRunId('schedule', scheduled);
    await startWorkflow('patch', patchExecutionName(cluster.id, runId), { ...patch, scheduledTime: scheduled.toISOString(), runId, step: undefined });
    return STOP;
  }
  const run = ctx.run ?? (await recordRun(ctx, patch.runId));
  if (run.state !== 'Waiting' && run.state !== 'Running') return STOP;
  const now = clock.date();
  if (await acquirePatchLock(patch.tenantId, cluster.id, run.id, now.toISOString())) {
    if (run.state === 'Waiting') {
      await ctx.update({ state: 'Running', message: `patching ${run.nodes.length} node(s)` });
      await ctx.event('Normal', 'PatchRunStarted', `OS patch run ${run.id} (${run.trigger}) started: ${run.nodes.length} node(s), window until ${run.windowEndsAt}`, undefined, `PatchRunStarted#${run.id}`);
      await ctx.mark('OsPatched', 'Unknown', 'Patching', `run ${run.id} is patching ${run.nodes.length} node(s)`);
    }
    return DONE;
  }
  if (now.toISOString() >= run.windowEndsAt) {
    await ctx.update({ state: 'Paused', message: `the window ended at ${run.windowEndsAt} before the run could start: ${ctx.run!.message ?? ''}`.trim() });
    return DONE;
  }
  const lock = await getPatchLock(patch.tenantId, cluster.id);
  const why =
    lock && lock.runId !== run.id
      ? `waiting for patch run ${lock.runId} to finish`
      : cluster.phase !== 'Running'
        ? `waiting for the cluster to be Running (it is ${cluster.phase})`
        : `waiting for the reconcile of generation ${cluster.generation} to finish (a patch run and a reconcile never run at once)`;
  if (run.message !== why) {
    await ctx.update({ message: why });
    await ctx.event('Normal', 'PatchRunWaiting', `OS patch run ${run.id} is ${why}`, undefined, `PatchRunWaiting#${run.id}#${why}`);
  }
  return waitFor(WAIT_SECONDS);
});

/** The run's record, made once: a second execution of the same run finds it. */
async function recordRun(ctx: PatchStepContext, runId: string): Promise<StoredRun> {
  const { patch, cluster } = ctx;
  const settings = patchSettingsOf(cluster.osPatch);
  const [machines, latest] = await Promise.all([listMachines(patch.tenantId, cluster.id), listRuns(patch.tenantId, cluster.id, { limit: 1 })]);
  const paused = latest.items[0]?.state === 'Paused' ? latest.items[0] : undefined;
  const now = clock.date();
  const start = patch.trigger === 'schedule' ? new Date(patch.scheduledTime) : now;
  const run: StoredRun = {
    id: runId,
    clusterId: cluster.id,
    trigger: patch.trigger,
    scheduledTime: patch.scheduledTime,
    windowEndsAt: new Date(start.getTime() + settings.windowMinutes * 60_000).toISOString(),
    state: 'Waiting',
    startedAt: now.toISOString(),
    nodes: runNodes(cluster.nodePools, machines, paused),
    version: 1,
    ...(paused ? { resumes: paused.id, message: `resumes run ${paused.id}: the nodes its window left` } : {}),
  };
  if (await createRun(patch.tenantId, run)) return (ctx.run = run);
  return (ctx.run = (await getRun(patch.tenantId, cluster.id, runId))!);
}
