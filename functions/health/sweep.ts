import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { clearDeadline, staleClusters } from '../../adapters/dynamodb/telemetry-store.js';
import { logger } from '../commons/powertools.js';
import { scoreCluster } from './scoring.js';
import { clock } from '../../core/clock.js';

/**
 * Every minute: score the clusters whose heartbeat deadline has passed — only those, read
 * from the deadline index, never the whole fleet. A swept entry leaves the index until the
 * cluster reports again, so a dead cluster is read once, not every minute.
 */
async function sweep() {
  const now = clock.date();
  const { items, readUnits } = await staleClusters(now);
  let unhealthy = 0;
  for (let i = 0; i < items.length; i += 25) {
    await Promise.all(
      items.slice(i, i + 25).map(async (e) => {
        const r = await scoreCluster(e.tenantId, e.clusterId, now).catch((err: Error) => logger.error('scoring failed', { clusterId: e.clusterId, error: err }));
        if (r?.health === 'Unhealthy') unhealthy++;
        logger.debug('swept', { clusterId: e.clusterId, health: r?.health, changed: r?.changed });
        await clearDeadline(e);
      }),
    );
  }
  logger.info('health sweep', { stale: items.length, unhealthy, readUnits });
  return { stale: items.length, unhealthy, readUnits };
}

export const handler = middy(sweep).use(injectLambdaContext(logger, { resetKeys: true }));
