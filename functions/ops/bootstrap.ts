import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { generateApiKey } from '../../core/api-keys.js';
import { bootstrapPlatform } from '../../adapters/dynamodb/bootstrap.js';
import { getSecret, putSecret } from '../../adapters/secrets/secrets-store.js';
import { logger } from '../commons/powertools.js';

/**
 * CloudFormation custom resource (Provider framework): at deploy time, make tenant "default",
 * register the first operator key (made here on the first deploy; its value lives only in its
 * SecureString parameter, the table keeps its hash) and seed the public pack registry. Safe to
 * run again on every update: an existing key is kept.
 */
export async function handler(event: CloudFormationCustomResourceEvent) {
  const physicalId = 'strata-bootstrap';
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalId };
  const parameter = String(event.ResourceProperties.OperatorKeyParameter);
  await putSecret(parameter, generateApiKey(), { replace: false });
  const result = await bootstrapPlatform(await getSecret(parameter));
  logger.info('platform bootstrapped', { ...result });
  return { PhysicalResourceId: physicalId, Data: { packsSeeded: result.packsSeeded } };
}
