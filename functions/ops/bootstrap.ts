import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { generateApiKey } from '../../core/api-keys.js';
import { bootstrapPlatform } from '../../adapters/dynamodb/bootstrap.js';
import { getSecret, putSecret } from '../../adapters/secrets/secrets-store.js';
import { listTenants } from '../../adapters/dynamodb/tenants-store.js';
import { ensureTenantUsageKey } from '../../adapters/apigateway/usage-keys.js';
import { usagePlanConfigured } from '../../adapters/apigateway/usage-plan.js';
import { logger } from '../commons/powertools.js';

/**
 * CloudFormation custom resource (Provider framework): at deploy time, make tenant "default",
 * register the first operator key (made here on the first deploy; its value lives only in its
 * SecureString parameter, the table keeps its hash), seed the public pack registry and give every
 * tenant its key in the API's usage plan (tenants made before the plan, or before the plan was
 * replaced, have none; the UsagePlanId property makes this run again when the plan changes). Safe
 * to run again on every update: existing keys are kept.
 */
export async function handler(event: CloudFormationCustomResourceEvent) {
  const physicalId = 'strata-bootstrap';
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalId };
  const parameter = String(event.ResourceProperties.OperatorKeyParameter);
  await putSecret(parameter, generateApiKey(), { replace: false });
  const result = await bootstrapPlatform(await getSecret(parameter));
  let usageKeys = 0;
  if (usagePlanConfigured()) {
    // One at a time: API Gateway's account-wide control-plane rate is low.
    for (const tenant of await listTenants()) {
      await ensureTenantUsageKey(tenant.id);
      usageKeys++;
    }
  }
  logger.info('platform bootstrapped', { ...result, usageKeys });
  return { PhysicalResourceId: physicalId, Data: { packsSeeded: result.packsSeeded, usageKeys } };
}
