import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { bootstrapPlatform } from '../../adapters/dynamodb/bootstrap.js';
import { logger } from '../commons/powertools.js';

const secrets = new SecretsManagerClient({});

/**
 * CloudFormation custom resource (Provider framework): at deploy time, make tenant "default",
 * register the first operator key (its value lives only in Secrets Manager; the table keeps
 * its hash) and seed the public pack registry. Safe to run again on every update.
 */
export async function handler(event: CloudFormationCustomResourceEvent) {
  const physicalId = 'strata-bootstrap';
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalId };
  const secretArn = String(event.ResourceProperties.OperatorKeySecretArn);
  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!secret.SecretString) throw new Error(`secret ${secretArn} has no string value`);
  const result = await bootstrapPlatform(secret.SecretString);
  logger.info('platform bootstrapped', { ...result });
  return { PhysicalResourceId: physicalId, Data: { packsSeeded: result.packsSeeded } };
}
