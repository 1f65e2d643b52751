import { runOutcome } from '../../../core/patch-run.js';
import { clock } from '../../../core/clock.js';
import { setMachineFields } from '../../../adapters/dynamodb/machines-store.js';
import { releasePatchLock } from '../../../adapters/dynamodb/patch-runs-store.js';
import { DONE, STOP } from '../step.js';
import { patchStep } from './patch-step.js';

/**
 * The end of a run: each node it reached records its patch (when, the packages, whether it
 * rebooted), the lock goes back, and OsPatched says how the run ended. A paused run's nodes left go
 * first in the next window.
 */
export const handler = patchStep(async (ctx) => {
  const run = ctx.run;
  if (!run) return STOP;
  const done = run.state === 'Running' ? runOutcome(run.nodes) : { state: run.state, message: run.message ?? '' };
  const now = clock.date().toISOString();
  for (const n of run.nodes.filter((x) => x.status === 'patched' || x.status === 'failed' || x.status === 'notReady')) {
    await setMachineFields(ctx.patch.tenantId, ctx.cluster.id, n.node, {
      lastPatch: { runId: run.id, at: n.finishedAt ?? now, status: n.status, packages: n.packages, rebootRequired: n.rebootRequired, rebooted: n.rebooted, ...(n.message ? { message: n.message } : {}) },
    });
  }
  if (run.state === 'Running' || run.state === 'Waiting') await ctx.update({ state: done.state as typeof run.state, message: done.message, finishedAt: now });
  else if (!run.finishedAt) await ctx.update({ finishedAt: now });
  await releasePatchLock(ctx.patch.tenantId, ctx.cluster.id, run.id);
  const final = ctx.run!;
  if (final.state === 'Succeeded') await ctx.mark('OsPatched', 'True', 'Patched', `run ${run.id}: ${final.message}`, true);
  else if (final.state === 'Paused') await ctx.mark('OsPatched', 'Unknown', 'Paused', `run ${run.id}: ${final.message}`);
  else await ctx.mark('OsPatched', 'False', 'PatchFailed', `run ${run.id}: ${final.message}`, true);
  await ctx.event(final.state === 'Failed' ? 'Warning' : 'Normal', `PatchRun${final.state}`, `OS patch run ${run.id}: ${final.message}`, undefined, `PatchRunFinished#${run.id}`);
  return DONE;
});
