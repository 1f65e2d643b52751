import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { z } from 'zod';
import { logger } from '../commons/powertools.js';
import { validate } from '../commons/validation.js';
import { scoreCluster } from './scoring.js';

const Input = z.object({ tenantId: z.string().min(1), clusterId: z.string().min(1), reason: z.string().optional() });

/** Invoked asynchronously by the heartbeat function when a report moved a health input. */
async function scoreHealth(event: unknown) {
  const input = validate(Input, event, '');
  logger.appendKeys({ clusterId: input.clusterId, correlationId: `health-${input.clusterId}` });
  return (await scoreCluster(input.tenantId, input.clusterId)) ?? { health: 'Skipped', changed: [] };
}

export const handler = middy(scoreHealth).use(injectLambdaContext(logger, { resetKeys: true }));
