import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { clearDeadline, deadlineIndexEmpty, deadlineStands, staleClusters, type StaleEntry } from '../../adapters/dynamodb/telemetry-store.js';
import { setSweeping } from '../../adapters/events/sweep-rule.js';
import { logger } from '../commons/powertools.js';
import { scoreCluster } from './scoring.js';
import { clock } from '../../core/clock.js';

/**
 * Every minute: score the clusters whose heartbeat deadline has passed — only those, read
 * from the deadline index, never the whole fleet. Entries come up a little before their
 * deadline (core/health.ts lookaheadMs): the sweep waits for it and looks again, so a silent
 * cluster is found at its deadline rather than up to a minute after. A swept entry leaves the
 * index until the cluster reports again, so a dead cluster is read once, not every minute.
 */
async function sweep() {
  const { items, readUnits } = await staleClusters(clock.date());
  const due = items.filter((e) => e.deadline <= clock.now());
  const soon = items.filter((e) => e.deadline > clock.now());
  let unhealthy = 0;
  const score = async (entries: StaleEntry[]) => {
    for (let i = 0; i < entries.length; i += 25) {
      await Promise.all(
        entries.slice(i, i + 25).map(async (e) => {
          const r = await scoreCluster(e.tenantId, e.clusterId, clock.date()).catch((err: Error) => logger.error('scoring failed', { clusterId: e.clusterId, error: err }));
          if (r?.health === 'Unhealthy') unhealthy++;
          logger.debug('swept', { clusterId: e.clusterId, health: r?.health, changed: r?.changed });
          await clearDeadline(e);
        }),
      );
    }
  };
  await score(due);
  // Those due within the lookahead, in deadline order: wait for each and look again.
  const pending = [...soon].sort((a, b) => a.deadline - b.deadline);
  const waitedFrom = clock.now();
  while (pending.length) {
    await clock.until(pending[0]!.deadline);
    const ready = pending.splice(0, pending.findIndex((e) => e.deadline > clock.now()) + 1 || pending.length);
    const standing = await Promise.all(ready.map(async (e) => ((await deadlineStands(e)) ? e : undefined)));
    await score(standing.filter((e): e is StaleEntry => e !== undefined));
  }
  const waited = soon.length ? clock.now() - waitedFrom : 0;
  const paused = await pauseWhenIdle();
  logger.info('health sweep', { stale: due.length, soon: soon.length, waitedMs: waited, unhealthy, readUnits, paused });
  return { stale: due.length, soon: soon.length, unhealthy, readUnits, paused };
}

/**
 * With no cluster reporting (an empty deadline index) the schedule turns itself off, so an idle
 * platform runs nothing. A heartbeat that writes a first entry turns it on after writing it; so
 * after turning off, a consistent second look catches an entry written meanwhile and turns it
 * back on: whichever way the two interleave, an entry is never left without a sweep.
 */
async function pauseWhenIdle(): Promise<boolean> {
  if (!(await deadlineIndexEmpty())) return false;
  if (!(await setSweeping(false))) return false;
  if (await deadlineIndexEmpty(true)) return true;
  await setSweeping(true);
  return false;
}

export const handler = middy(sweep).use(injectLambdaContext(logger, { resetKeys: true }));
